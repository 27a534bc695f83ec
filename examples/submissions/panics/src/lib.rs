//! Fixture: `pick_next` panics. Expected verdict: `panicked`, with the message and its location.
use std::collections::VecDeque;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs {
    queue: VecDeque<Pid>,
}

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Fcfs { queue: VecDeque::new() })
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        self.queue.push_back(pcb.pid);
    }
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        panic!("the ready queue has {} processes and I do not know which to pick", self.queue.len())
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
