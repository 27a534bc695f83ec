//! Highest response ratio next (HRRN), non-preemptive.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

/// Highest response ratio next: like SJF, but a process that has waited long enough beats a shorter one, so long
/// jobs do not starve.
///
/// **Rule.** When a CPU is free, compute for every Ready process its response ratio
///
/// ```text
/// ratio = (waiting + burst) / burst      waiting = now - pcb.ready_since,  burst = pcb.burst_length
/// ```
///
/// and run the highest. HRRN is non-preemptive: the chosen process runs until its burst ends.
///
/// **Exact comparison.** Do not use floats: two ratios that are mathematically equal can differ after rounding,
/// and then your tie-break differs from the reference. Compare a/b > c/d as a*d > c*b in integers (`u128` so the
/// product cannot overflow). Since (w + b)/b = w/b + 1, comparing w/b is enough.
///
/// **Ties.** Equal ratios go to the earlier `pcb.ready_since`, then the lower pid.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`.
///
/// **Hint.** Every ratio grows with the clock, each at its own speed, so no sorted structure stays sorted: keep
/// the Ready processes in a `Vec` and scan it in `pick_next` (O(n) per pick is expected here).
pub struct Hrrn {
    // Your ready list goes here.
}

impl Scheduler for Hrrn {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("hrrn: create an empty ready list")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("hrrn: remember the process, its ready_since and its burst length")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("hrrn: take the process with the highest response ratio")
    }
}
