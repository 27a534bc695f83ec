//! Fixture: tries to outlive the grader. Its constructor (run by `dlopen`, before the allow-list) clears the
//! parent-death signal and ignores `SIGTERM`, `SIGINT` and `SIGHUP`; `new` then sleeps for an hour. (`setsid`,
//! `setpgid` and `fork` are denied from before loading, so it cannot leave its process group or spawn a helper.)
//! Expected verdict: `timeout` (wall clock) on the FCFS tests, and no process left behind when the grader is stopped
//! mid-batch (the keeper and the init of its PID namespace die with the grader, and everything in it with them).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn prctl(option: i32, ...) -> i32;
    fn signal(signal: i32, handler: usize) -> usize;
}

const PR_SET_PDEATHSIG: i32 = 1;
const SIG_IGN: usize = 1;
const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

extern "C" fn detach() {
    // SAFETY: plain libc calls with valid arguments.
    unsafe {
        prctl(PR_SET_PDEATHSIG, 0u64, 0u64, 0u64, 0u64);
        for stop in [SIGHUP, SIGINT, SIGTERM] {
            signal(stop, SIG_IGN);
        }
    }
}

/// Runs when the library is loaded, like a C constructor.
#[used]
#[unsafe(link_section = ".init_array")]
static DETACH_ON_LOAD: extern "C" fn() = detach;

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        std::thread::sleep(std::time::Duration::from_secs(3600));
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
