//! Highest response ratio next (non-preemptive).

use std::cmp::Ordering;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Highest response ratio next: the Ready process with the largest (wait + burst) / burst runs next, where wait
/// is `now - ready_since` and burst is the oracle's `burst_length`.
///
/// Ratios are compared exactly, without floats: (w_a + b_a)/b_a > (w_b + b_b)/b_b is the same as
/// w_a/b_a > w_b/b_b, i.e. w_a * b_b > w_b * b_a, and both products fit in u128. Equal ratios go to the earlier
/// `ready_since`, then the lower pid.
///
/// Every ratio grows with the clock at its own rate, so no heap order survives from one pick to the next:
/// `pick_next` is an O(n) scan of the Ready processes.
pub struct Hrrn {
    /// (pid, ready_since, burst_length). Unordered; `swap_remove` is fine because the scan's order is total.
    ready: Vec<(Pid, Tick, Tick)>,
}

impl Scheduler for Hrrn {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Hrrn { ready: Vec::new() })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        let since = pcb.ready_since.unwrap_or_else(|| kernel.now());
        // Bursts are at least 1 tick; a missing oracle counts as the longest possible burst instead of panicking.
        let burst = pcb.burst_length.unwrap_or(Tick::MAX).max(1);
        self.ready.push((pcb.pid, since, burst));
    }

    fn pick_next(&mut self, kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        let now = kernel.now();
        let wait = |since: Tick| u128::from(now.saturating_sub(since));
        // `Greater` means `a` should run before `b`.
        let better = |a: &(Pid, Tick, Tick), b: &(Pid, Tick, Tick)| -> Ordering {
            let ratio = (wait(a.1) * u128::from(b.2)).cmp(&(wait(b.1) * u128::from(a.2)));
            ratio.then(b.1.cmp(&a.1)).then(b.0.cmp(&a.0))
        };
        let (best, _) = self.ready.iter().enumerate().max_by(|(_, a), (_, b)| better(a, b))?;
        Some(self.ready.swap_remove(best).0)
    }
}
