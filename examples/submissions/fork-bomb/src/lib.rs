//! Fixture: tries to fork. Expected verdict: `sandbox-violation` naming the syscall.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn fork() -> i32;
}

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        // SAFETY: fork has no preconditions; the sandbox must refuse it.
        let child = unsafe { fork() };
        Err(format!("fork returned {child}"))
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
