//! Priority scheduling, preemptive or not, with optional aging.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

/// Priority scheduling: the most important Ready process runs next.
///
/// **Which number wins.** `config.priority_order` says whether a smaller `pcb.priority` is more important
/// (`LowerFirst`, the default, as in Silberschatz) or a larger one (`HigherFirst`). Use
/// `config.priority_order.more_important(a, b)` rather than hard-coding `<`.
///
/// **Preemption.** If `config.preemptive`, a process that arrives or returns from I/O takes the CPU when it is
/// *strictly* more important than the running process (`should_preempt`); otherwise the policy never preempts.
///
/// **Aging** (`config.aging = Some(Aging { interval, step })`), against starvation: a process that has waited in
/// Ready for `w = now - pcb.ready_since` ticks counts as `step * (w / interval)` levels more important than its
/// priority number (integer division: only full intervals count; no upper limit). `ready_since` restarts every
/// time it re-enters Ready, so the gain is lost once it runs: a running process competes with its plain priority.
/// A newcomer competes with its effective priority *now*, the same value `pick_next` would use: usually it has
/// just become Ready and that is its plain priority, but with a dispatch latency its check may come a few ticks
/// later. Aging changes only which process `pick_next` chooses; it never causes a preemption by itself.
///
/// **Ties.** Equal (effective) priorities go to the earlier `pcb.ready_since`, then the lower pid.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`, `should_preempt`.
///
/// **Hint.** Without aging, a `BinaryHeap<Reverse<(key, ready_since, pid)>>` where the key is the priority
/// turned so that smaller always wins. With aging the keys change as time passes, so a heap no longer works: keep
/// the Ready processes in a `Vec` and scan it in `pick_next` (compute with `i128` to be safe from overflow).
pub struct Priority {
    // Your ready queue and the configuration you need go here.
}

impl Scheduler for Priority {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("priority: remember priority_order, preemptive and aging; create an empty ready queue")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("priority: insert the process")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("priority: take the most important process (with aging, by effective priority)")
    }

    fn should_preempt(&mut self, _kernel: &Kernel<'_>, _newcomer: &Pcb, _running: &Pcb) -> bool {
        todo!("priority: only when preemptive, and only if strictly more important")
    }
}
