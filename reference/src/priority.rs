//! Priority scheduling, preemptive or not, with optional aging.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use schedgrade_contract::{
    Aging, CpuId, Kernel, Pcb, Pid, PriorityOrder, ReadyReason, Scheduler, SchedulerConfig, Tick,
};

/// Priority scheduling: the most important Ready process runs next.
///
/// Priorities are mapped to one "rank" where smaller is always more important (`priority` for `lower_first`,
/// `-priority` for `higher_first`), computed in i128 so that negation and aging can never overflow. Ties go to
/// the earlier `ready_since`, then the lower pid.
///
/// Aging: while a process waits in Ready, every full `interval` ticks since its `ready_since` make it `step`
/// levels more important. The gain is not clamped, and it lasts only while the process waits: `ready_since`
/// restarts whenever it re-enters Ready, and a running process competes with its base priority. Because every
/// waiting process's rank changes with the clock, a heap cannot hold them; with aging `pick_next` is an O(n) scan
/// of the Ready processes. Without aging it is a heap, O(log n).
///
/// Preemptive mode: a newcomer preempts only if its effective priority now is strictly more important than the
/// running process's base priority. Its wait is usually 0, so that is its base priority too; but a newcomer that
/// found every CPU in a dispatch latency is compared when the switch ends (S7.3), and by then it may have aged,
/// exactly as it would count in `pick_next`. Aging never triggers a preemption by itself; it only changes which
/// process `pick_next` chooses.
pub struct Priority {
    order: PriorityOrder,
    preemptive: bool,
    aging: Option<Aging>,
    heap: BinaryHeap<Reverse<(i128, Tick, Pid)>>,
    /// Used instead of `heap` when aging is on: (pid, base priority, ready_since). Unordered; `swap_remove` is
    /// fine because the scan's key is unique.
    waiting: Vec<(Pid, i64, Tick)>,
}

impl Priority {
    /// Rank of `priority` after waiting `waited` ticks: smaller is more important.
    fn rank(&self, priority: i64, waited: Tick) -> i128 {
        let gain = match self.aging {
            Some(a) => i128::from(waited / a.interval).saturating_mul(i128::from(a.step)),
            None => 0,
        };
        let p = i128::from(priority);
        match self.order {
            PriorityOrder::LowerFirst => p.saturating_sub(gain),
            PriorityOrder::HigherFirst => -p.saturating_add(gain),
        }
    }
}

impl Scheduler for Priority {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        if let Some(a) = config.aging
            && (a.interval == 0 || a.step < 1)
        {
            return Err(format!(
                "priority: aging needs interval >= 1 and step >= 1 (got interval={}, step={})",
                a.interval, a.step
            ));
        }
        Ok(Priority {
            order: config.priority_order,
            preemptive: config.preemptive,
            aging: config.aging,
            heap: BinaryHeap::new(),
            waiting: Vec::new(),
        })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        let since = pcb.ready_since.unwrap_or_else(|| kernel.now());
        if self.aging.is_some() {
            self.waiting.push((pcb.pid, pcb.priority, since));
        } else {
            self.heap.push(Reverse((self.rank(pcb.priority, 0), since, pcb.pid)));
        }
    }

    fn pick_next(&mut self, kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        if self.aging.is_none() {
            return self.heap.pop().map(|Reverse((_, _, pid))| pid);
        }
        // O(n): the ranks of waiting processes change with the clock (see the type's docs).
        let now = kernel.now();
        let (best, _) = self
            .waiting
            .iter()
            .enumerate()
            .map(|(i, &(pid, priority, since))| (i, (self.rank(priority, now.saturating_sub(since)), since, pid)))
            .min_by_key(|&(_, key)| key)?;
        Some(self.waiting.swap_remove(best).0)
    }

    fn should_preempt(&mut self, kernel: &Kernel<'_>, newcomer: &Pcb, running: &Pcb) -> bool {
        if !self.preemptive {
            return false;
        }
        let waited = kernel.now().saturating_sub(newcomer.ready_since.unwrap_or_else(|| kernel.now()));
        self.rank(newcomer.priority, waited) < self.rank(running.priority, 0)
    }
}
