//! Fixture: reads through a wild pointer. Expected verdict: `crashed` (SIGSEGV).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        // An aligned, non-null address in the unmapped first page: a plain segfault, not a debug assertion.
        let wild = std::hint::black_box(8usize) as *const u64;
        // SAFETY: it is not; that is the point of this fixture.
        let value = unsafe { std::ptr::read_volatile(wild) };
        std::hint::black_box(value);
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
