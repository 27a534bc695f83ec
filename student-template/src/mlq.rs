//! Multi-level queue (MLQ).

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Multi-level queue: processes are split into fixed groups (say, foreground and background); each group has its
/// own queue with its own policy, and a second rule shares the CPU between the queues.
///
/// **Which queue.** A process of class `c` (`pcb.class`) always lives in `config.queues[c]`; queue 0 is the
/// highest. (A class past the last queue counts as the last queue.) It never moves: that is the difference from
/// MLFQ. `queue_level` returns the process's queue index.
///
/// **Inside a queue.** `config.queues[i].policy` is one of fcfs, sjf, srtf, priority or rr, with that queue's
/// `quantum` and `preemptive`, and the case-wide `priority_order`. It behaves exactly like your single policy,
/// so reuse your own structs (e.g. an `enum` with one variant per inner policy) instead of writing them again.
///
/// **Interrupted from outside.** A process can lose its CPU because of another queue (rules below). Then:
/// in an fcfs, sjf or non-preemptive priority queue it goes back to the *head* of its queue (its burst was
/// started, and nobody of its own queue may overtake it; several such processes resume in the order they were
/// interrupted); in an rr queue it goes to the tail; in an srtf or preemptive priority queue it is simply
/// re-inserted by its key, as after any preemption.
///
/// **Between queues, `Between::FixedPriority`.** A free CPU serves the highest non-empty queue; a lower queue
/// runs only when every higher queue is empty. `should_preempt` is true if the newcomer's queue is strictly
/// higher than the running process's queue, or if both are in the same queue and that queue's own policy would
/// preempt (srtf, preemptive priority).
///
/// **Between queues, `Between::TimeSlice { shares }`.** The queues take turns:
///
/// 1. a turn belongs to one queue and lasts `shares[i]` ticks of CPU, counted when the queue's processes leave
///    the CPU (timeout, preemption, I/O or exit);
/// 2. a process dispatched during a turn gets the smaller of its queue's own slice (rr's quantum) and the share
///    left in the turn;
/// 3. when a CPU needs work and the share is used up, or the queue has nothing Ready, the turn passes to the next
///    non-empty queue in cyclic order (i+1, i+2, ..., the queue itself last) with a fresh share; if every queue
///    is empty the CPU idles and no turn is open;
/// 4. the first turn goes to the first non-empty queue from queue 0. Queues never preempt each other here.
///
/// **Hooks.** All of them except the timer: `new`, `on_ready`, `pick_next`, `time_slice`, `should_preempt`,
/// `on_block`, `on_exit` (to count a turn's ticks), `queue_level`.
///
/// **Hint.** Validate in `new`: return `Err` for a policy that cannot run in a queue, or shares that do not
/// match the queues.
pub struct Mlq {
    // Your queues (each with its inner policy) and the turn state go here.
}

impl Scheduler for Mlq {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("mlq: build one inner policy per queue; remember how queues share the CPU")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("mlq: put the process in the queue of its class")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("mlq: choose the queue (fixed priority or turns), then let its policy pick")
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        todo!("mlq: the queue's own slice, bounded by the share left when time slicing")
    }

    fn should_preempt(&mut self, _kernel: &Kernel<'_>, _newcomer: &Pcb, _running: &Pcb) -> bool {
        todo!("mlq: a strictly higher queue (fixed priority), or the same queue's own rule")
    }

    fn on_block(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) {
        todo!("mlq: count the run against the turn; tell the inner policy")
    }

    fn on_exit(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) {
        todo!("mlq: count the run against the turn; tell the inner policy")
    }

    fn queue_level(&self, _pid: Pid) -> Option<u32> {
        todo!("mlq: the index of the process's queue")
    }
}
