//! Shortest remaining time first (SRTF; "SRT" in the notes): preemptive SJF.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

/// Shortest remaining time first: the Ready process with the least time left in its current CPU burst runs, and
/// a newly ready process with strictly less time left takes the CPU away.
///
/// **Rule.** The key is `pcb.burst_remaining` at the moment the process enters Ready (arrival, I/O completion,
/// or preemption: a preempted process comes back through `on_ready` with its new, smaller remaining time). The
/// smallest key runs next.
///
/// **Preemption.** When a process arrives or returns from I/O, the kernel asks `should_preempt(newcomer,
/// running)`. Answer `true` only if `newcomer.burst_remaining < running.burst_remaining` (strictly: on a tie the
/// running process keeps the CPU). The kernel passes the running process's PCB as of now, so its remaining time
/// is up to date.
///
/// **Ties.** Equal keys go to the earlier `pcb.ready_since`, then the lower pid.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`, `should_preempt`.
///
/// **Hint.** A `BinaryHeap<Reverse<(remaining, ready_since, pid)>>`. You never need to update a key inside the
/// heap: only the running process's remaining time changes, and it is not in the heap while it runs.
pub struct Srtf {
    // Your ready queue goes here.
}

impl Scheduler for Srtf {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("srtf: create an empty ready queue")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("srtf: insert the process under its remaining burst time")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("srtf: take the process with the least remaining time")
    }

    fn should_preempt(&mut self, _kernel: &Kernel<'_>, _newcomer: &Pcb, _running: &Pcb) -> bool {
        todo!("srtf: preempt only if the newcomer's remaining time is strictly shorter")
    }
}
