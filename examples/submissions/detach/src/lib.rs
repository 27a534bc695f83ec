//! Fixture: tries to outlive the grader. Its constructor (run by `dlopen`, under the allow-list) ignores `SIGTERM`,
//! `SIGINT` and `SIGHUP`; `new` then sleeps for an hour. (Clearing the parent-death signal with `prctl`, `setsid`,
//! `setpgid` and `fork` are all denied, so it cannot leave its process group or spawn a helper: the fixture
//! `clear-death-signal` shows the `prctl` attempt.)
//! Expected verdict: `timeout` (wall clock) on the FCFS tests, and no process left behind when the grader is stopped
//! mid-batch (the keeper and the init of its PID namespace die with the grader, and everything in it with them).
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

unsafe extern "C" {
    fn signal(signal: i32, handler: usize) -> usize;
}

const SIG_IGN: usize = 1;
const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

extern "C" fn detach() {
    // SAFETY: plain libc calls with valid arguments.
    unsafe {
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
