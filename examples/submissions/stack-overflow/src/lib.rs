//! Fixture: unbounded recursion. Expected verdict: `crashed` (Rust reports the overflow and aborts).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

fn depth(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 512]);
    depth(n + 1) + frame[(n % 512) as usize]
}

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        std::hint::black_box(depth(0));
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
