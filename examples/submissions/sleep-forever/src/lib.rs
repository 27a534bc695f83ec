//! Fixture: `new` sleeps for an hour. Expected verdict: `timeout` (wall clock; a CPU limit alone misses it).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        std::thread::sleep(std::time::Duration::from_secs(3600));
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
