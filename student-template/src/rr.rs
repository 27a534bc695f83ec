//! Round robin (RR).

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Round robin: FCFS with a time limit. Each process runs for at most one quantum, then goes to the back of the
/// line.
///
/// **Rule.** The ready queue is a FIFO, and *every* way into Ready appends to the tail: arrival, I/O
/// completion, and timeout (its quantum ran out). A free CPU takes the head, and `time_slice` answers
/// `Some(quantum)` with `quantum = config.quantum` (the grader guarantees it is set for `rr`; return `Err` from
/// `new` if it is not).
///
/// **What the kernel does for you.** When the quantum ends, the kernel calls `on_ready(Timeout)` and then
/// `pick_next`: if nobody else is Ready, you pick the same process again, and that costs no context switch. If
/// the burst ends exactly when the quantum does, the process blocks or exits instead and is not put back.
///
/// **Ties.** Processes entering Ready at the same tick are given to `on_ready` in the test case's `ties` order
/// (a timed-out process before or after the arrivals), so the FIFO order is all you need.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`, `time_slice`.
///
/// **Hint.** Same structure as FCFS; the whole difference is `time_slice`.
pub struct RoundRobin {
    // Your ready queue and the quantum go here.
}

impl Scheduler for RoundRobin {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("rr: remember the quantum (Err if there is none); create an empty ready queue")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("rr: add the process at the tail, whatever the reason")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("rr: take the process at the head")
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        todo!("rr: one quantum")
    }
}
