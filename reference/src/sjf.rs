//! Shortest job first (non-preemptive), with optional burst prediction.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, Predict, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Shortest job first: the Ready process with the shortest CPU burst runs next, to the end of that burst.
///
/// Without `predict` the key is the kernel's oracle, `burst_length`. With `predict` the kernel hides the burst,
/// and the key is the exponential average tau, exactly as Silberschatz writes it (the order of the f64 operations
/// matters for ties, so the formula is evaluated literally): tau(0) = `initial`, and after each completed burst
/// t(n), tau(n+1) = alpha * t(n) + (1 - alpha) * tau(n).
///
/// Ties go to the earlier `ready_since`, then the lower pid: the heap key is `(burst, ready_since, pid)`, which is
/// unique, so the order never depends on the heap's internals.
pub struct Sjf {
    predict: Option<Predict>,
    /// tau per pid, allocated on the first call (pids are dense).
    tau: Vec<f64>,
    heap: BinaryHeap<Reverse<(Key, Tick, Pid)>>,
}

/// A burst estimate. Only one variant is used in a run, so the derived order (by variant first) never mixes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// The oracle's exact length. u64, not f64, so that lengths above 2^53 stay exact.
    Exact(Tick),
    Predicted(TotalF64),
}

/// An f64 ordered by `total_cmp`, so that the heap has a total order even for values a bad config could produce.
#[derive(Clone, Copy, Debug)]
struct TotalF64(f64);

impl PartialEq for TotalF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Sjf {
    fn tau_mut(&mut self, kernel: &Kernel<'_>, pid: Pid, initial: f64) -> &mut f64 {
        if pid.index() >= self.tau.len() {
            let len = kernel.process_count().max(pid.index() + 1);
            self.tau.resize(len, initial);
        }
        &mut self.tau[pid.index()]
    }
}

impl Scheduler for Sjf {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        if let Some(p) = config.predict
            && !(p.alpha >= 0.0 && p.alpha <= 1.0 && p.initial.is_finite())
        {
            return Err(format!(
                "sjf: `predict` needs 0 <= alpha <= 1 and a finite initial guess (got alpha={}, initial={})",
                p.alpha, p.initial
            ));
        }
        Ok(Sjf { predict: config.predict, tau: Vec::new(), heap: BinaryHeap::new() })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, reason: ReadyReason) {
        let key = match self.predict {
            // A missing oracle (a misconfigured kernel) sorts last rather than panicking: SJF degrades to FCFS.
            None => Key::Exact(pcb.burst_length.unwrap_or(Tick::MAX)),
            Some(p) => {
                let tau = self.tau_mut(kernel, pcb.pid, p.initial);
                if reason == ReadyReason::Arrived {
                    *tau = p.initial;
                }
                Key::Predicted(TotalF64(*tau))
            }
        };
        let since = pcb.ready_since.unwrap_or_else(|| kernel.now());
        self.heap.push(Reverse((key, since, pcb.pid)));
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        self.heap.pop().map(|Reverse((_, _, pid))| pid)
    }

    /// The burst just completed is t(n): the kernel sets `last_burst` before calling `on_block`. Only bursts
    /// followed by I/O matter, since a process that exits needs no further guess.
    fn on_block(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) {
        if let Some(p) = self.predict {
            // SJF never preempts, so one run is the whole burst; `current_run` is only a fallback.
            let t = pcb.last_burst.unwrap_or(pcb.current_run) as f64;
            let tau = self.tau_mut(kernel, pcb.pid, p.initial);
            *tau = p.alpha * t + (1.0 - p.alpha) * *tau;
        }
    }
}
