//! Fixture: prints 1 MiB of garbage on stdout. Expected verdict: `output-limit`.
use std::io::Write;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        let garbage: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
        let _ = std::io::stdout().write_all(&garbage);
        let _ = std::io::stdout().flush();
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
