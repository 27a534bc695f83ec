//! Fixture: opens a TCP connection to 127.0.0.1. Expected verdict: `sandbox-violation` (`socket`).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        match std::net::TcpStream::connect("127.0.0.1:22") {
            Ok(_) => Err("connected".into()),
            Err(e) => Err(format!("connect failed: {e}")),
        }
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
