//! Hostile fixture: when loaded, tries to shrink the memory limit, the priority and the CPUs of every other process
//! (the workers grading other students next to it). Expected verdict on every test: `sandbox-violation`
//! (`prlimit64`), while the reference solution graded in the same batch keeps every point.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn prlimit64(pid: i32, resource: i32, new: *const [u64; 2], old: *mut [u64; 2]) -> i32;
    fn setpriority(which: i32, who: u32, prio: i32) -> i32;
}

const RLIMIT_AS: i32 = 9;

extern "C" fn on_load() {
    let tiny = [1u64 << 20, 1u64 << 20];
    for pid in 1..4096 {
        // SAFETY: plain syscalls wrappers on valid pointers.
        unsafe {
            prlimit64(pid, RLIMIT_AS, &tiny, std::ptr::null_mut());
            setpriority(0, pid as u32, 19);
        }
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
