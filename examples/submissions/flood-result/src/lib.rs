//! Hostile fixture: writes an 8 MiB result frame of its own on the worker's result channel, to exhaust the grader's
//! memory and disk. The host stops reading at its result cap and kills the worker. Expected verdict on the fcfs
//! tests: `no-result`.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        let len = 8usize << 20;
        let mut frame = b"SGR".to_vec();
        frame.extend_from_slice(&(len as u32).to_le_bytes());
        frame.resize(frame.len() + len, b'x');
        let mut rest = frame.as_slice();
        while !rest.is_empty() {
            // SAFETY: a plain syscall wrapper on a valid buffer.
            let n = unsafe { write(3, rest.as_ptr(), rest.len()) };
            if n <= 0 {
                break;
            }
            rest = &rest[n as usize..];
        }
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
