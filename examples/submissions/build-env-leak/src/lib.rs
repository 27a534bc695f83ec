//! Fixture: embeds the build's environment (`option_env!`) in a panic message, hoping to learn the grader's home,
//! toolchain and paths. Expected verdict: `panicked`, with `CARGO_HOME=None` (and no `rustup` anywhere): builds
//! run the toolchain's `rustc` directly with a neutral environment of their own.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        panic!(
            "the build saw HOME={:?} PATH={:?} CARGO_HOME={:?} RUSTUP_HOME={:?} RUSTUP_TOOLCHAIN={:?} CARGO={:?} \
             CARGO_MANIFEST_DIR={:?} USER={:?}",
            option_env!("HOME"),
            option_env!("PATH"),
            option_env!("CARGO_HOME"),
            option_env!("RUSTUP_HOME"),
            option_env!("RUSTUP_TOOLCHAIN"),
            option_env!("CARGO"),
            option_env!("CARGO_MANIFEST_DIR"),
            option_env!("USER"),
        )
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
