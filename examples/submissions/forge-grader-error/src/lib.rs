//! Hostile fixture: when loaded, writes a forged "the sandbox could not be set up" error frame on the worker's
//! result channel and exits with the worker's setup exit code, to make its zero look like the grader's fault.
//! Expected verdict on every test: `no-result`, never `harness-error`.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn _exit(code: i32) -> !;
}

extern "C" fn on_load() {
    let payload = b"sandbox-setup\nthe grader's sandbox broke, this is not my fault";
    let mut frame = b"SGE".to_vec();
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(payload);
    // SAFETY: plain syscall wrappers on a valid buffer.
    unsafe {
        write(3, frame.as_ptr(), frame.len());
        _exit(70)
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static ON_LOAD: extern "C" fn() = on_load;

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
