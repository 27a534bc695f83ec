//! First come, first served.

use std::collections::VecDeque;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

/// First come, first served: the ready queue is a FIFO in the order of `on_ready` calls.
///
/// The order of `on_ready` calls within one tick is the kernel's `ties` setting, so FCFS needs no tie rule of its
/// own. Standalone FCFS never sees a timeout or a preemption; inside an MLQ, `mlq` keeps an interrupted process at
/// the head of its queue itself.
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
        self.queue.pop_front()
    }
}
