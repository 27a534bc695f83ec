//! Shortest remaining time first (preemptive SJF, "SRT" in the notes).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Shortest remaining time first.
///
/// The heap key `(burst_remaining, ready_since, pid)` is taken when the process enters Ready. It stays valid:
/// a process's remaining time changes only while it runs, and a running process is not in the heap (a preempted
/// one comes back through `on_ready` with its new remaining time).
///
/// A newcomer preempts only if its remaining time is strictly shorter than the running process's current
/// remaining time (the kernel passes the running PCB as of now); on a tie the running process keeps the CPU.
pub struct Srtf {
    heap: BinaryHeap<Reverse<(Tick, Tick, Pid)>>,
}

impl Scheduler for Srtf {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Srtf { heap: BinaryHeap::new() })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        // A missing oracle sorts last rather than panicking.
        let remaining = pcb.burst_remaining.unwrap_or(Tick::MAX);
        let since = pcb.ready_since.unwrap_or_else(|| kernel.now());
        self.heap.push(Reverse((remaining, since, pcb.pid)));
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        self.heap.pop().map(|Reverse((_, _, pid))| pid)
    }

    fn should_preempt(&mut self, _kernel: &Kernel<'_>, newcomer: &Pcb, running: &Pcb) -> bool {
        match (newcomer.burst_remaining, running.burst_remaining) {
            (Some(new), Some(run)) => new < run,
            _ => false,
        }
    }
}
