//! Hostile fixture: prints the allocator's out-of-memory message and aborts without allocating anything, to pass
//! off a crash as `memory-limit`. Only a request the host saw cross the limit makes a memory limit. Expected
//! verdict on the fcfs tests: `crashed` (`SIGABRT`).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        eprintln!("memory allocation of 10737418240 bytes failed");
        std::process::abort()
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
