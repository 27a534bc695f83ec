//! Hostile fixture: raises `SIGXCPU` at once, to pass off a crash as a CPU timeout. Only the CPU time the host
//! measured makes a timeout. Expected verdict on the fcfs tests: `crashed` (`SIGXCPU`).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn raise(signal: i32) -> i32;
}

const SIGXCPU: i32 = 24;

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        // SAFETY: a plain libc call.
        unsafe { raise(SIGXCPU) };
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
