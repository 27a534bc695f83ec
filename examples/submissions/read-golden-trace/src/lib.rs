//! Fixture: tries to read golden traces (and other files) and leak them through a panic message.
//! Expected verdict: `panicked` with "No such file or directory": none of these paths exists in the worker's private
//! root (and Landlock would refuse the read of anything outside the library that did).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

pub struct Fcfs;

const TARGETS: [&str; 3] = ["/work/main/testcases/fcfs/fcfs-convoy-effect.snap", "/work/main/grading.yaml", "/etc/passwd"];

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        let mut leaked = String::new();
        for path in TARGETS {
            match std::fs::read_to_string(path) {
                Ok(text) => leaked.push_str(&text),
                Err(e) => leaked.push_str(&format!("{path}: {e}; ")),
            }
        }
        panic!("leaked: {leaked}")
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
