//! Stride scheduling (OSTEP chapter 9).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Stride scheduling: the Ready process with the lowest pass runs next; ties go to the lower pid (OSTEP's "earlier
/// job"), not to `ready_since`: in stride scheduling the pass *is* the fairness clock, and a process that waited
/// longer already has the lower pass.
///
/// stride = L / tickets (integer division; 0 tickets count as 1). Pass starts at 0 when a process arrives, as in
/// the book, even for late arrivals (so a late arrival runs until it catches up). Each dispatch adds one stride,
/// whatever the length of the run, settled when the process leaves the CPU by timeout, preemption or I/O; a
/// process back from I/O keeps its pass. The slice is `quantum` ticks, 1 if unset.
///
/// Passes are u128: a u64 stride added once per dispatch cannot overflow them.
pub struct Stride {
    constant: u64,
    quantum: Tick,
    /// Pass per pid, allocated on the first call.
    pass: Vec<u128>,
    heap: BinaryHeap<Reverse<(u128, Pid)>>,
}

impl Stride {
    fn pass_mut(&mut self, kernel: &Kernel<'_>, pid: Pid) -> &mut u128 {
        if pid.index() >= self.pass.len() {
            self.pass.resize(kernel.process_count().max(pid.index() + 1), 0);
        }
        &mut self.pass[pid.index()]
    }

    fn stride(&self, pcb: &Pcb) -> u128 {
        u128::from(self.constant / pcb.tickets.max(1))
    }
}

impl Scheduler for Stride {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        let quantum = config.quantum.unwrap_or(1);
        if quantum == 0 {
            return Err("stride: `quantum` must be at least 1 tick".to_owned());
        }
        if config.stride_constant == 0 {
            return Err("stride: `stride_constant` must be at least 1".to_owned());
        }
        Ok(Stride { constant: config.stride_constant, quantum, pass: Vec::new(), heap: BinaryHeap::new() })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, reason: ReadyReason) {
        let stride = self.stride(pcb);
        let pass = self.pass_mut(kernel, pcb.pid);
        match reason {
            ReadyReason::Arrived => *pass = 0,
            ReadyReason::IoDone => {}
            ReadyReason::Timeout | ReadyReason::Preempted => *pass += stride,
        }
        let key = *pass;
        self.heap.push(Reverse((key, pcb.pid)));
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        self.heap.pop().map(|Reverse((_, pid))| pid)
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        Some(self.quantum)
    }

    fn on_block(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) {
        let stride = self.stride(pcb);
        *self.pass_mut(kernel, pcb.pid) += stride;
    }
}
