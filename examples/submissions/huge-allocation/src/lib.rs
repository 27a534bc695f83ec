//! Fixture: allocates 10 GiB. Expected verdict: `memory-limit`.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs {
    history: Vec<u8>,
}

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        let history = vec![1u8; std::hint::black_box(10usize << 30)];
        Ok(Fcfs { history })
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        std::hint::black_box(&self.history);
    }
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
