//! First come, first served (FCFS).

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

/// First come, first served: processes run in the order they entered the ready queue, each until its CPU burst
/// ends.
///
/// **Rule.** The ready queue is a FIFO. Every process that becomes Ready (it arrived, or its I/O completed) joins
/// the tail; a free CPU takes the head. FCFS is non-preemptive: a running process keeps the CPU until it blocks
/// for I/O or exits (decision points 1 and 4 of the notes), so there is no time slice and no preemption.
///
/// **Ties.** When several processes become Ready at the same tick, the kernel calls `on_ready` for them in a
/// fixed order (the test case's `ties` setting), so "the order of `on_ready` calls" is all you need.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`. The defaults of the others are right for FCFS.
///
/// **Hint.** `std::collections::VecDeque<Pid>`: `push_back` and `pop_front` are O(1). Watch for the convoy
/// effect in your traces: one long burst makes every short one behind it wait.
pub struct Fcfs {
    // Your ready queue goes here.
}

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("fcfs: create an empty ready queue")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("fcfs: add the process at the tail")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("fcfs: take the process at the head")
    }
}
