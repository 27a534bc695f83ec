//! The kernel's own bookkeeping: process records and CPUs, and the read-only PCB view policies get of them.

use std::ffi::c_void;

use schedgrade_contract::abi::{AbiKernel, AbiPcb};
use schedgrade_contract::{Pcb, Pid, ProcState, Tick};

use crate::case::{Case, Cursor, ObjId, Op};
use crate::trace::SegmentKind;

/// One process's runtime record (the kernel's PCB).
#[derive(Clone, Debug)]
pub(crate) struct Proc {
    pub state: ProcState,
    /// Where it is in its program: on the operation it executes next (or is executing), or at the end.
    pub cursor: Cursor,
    /// The length of the `cpu` operation under the cursor (0 if the cursor is on another operation).
    pub burst_length: Tick,
    /// Ticks left in the `cpu` operation under the cursor, as of `op_start` while Running.
    pub burst_left: Tick,
    pub cpu_used: Tick,
    pub last_burst: Option<Tick>,
    pub ready_since: Option<Tick>,
    pub first_run: Option<Tick>,
    pub current_run: Tick,
    pub waiting: Tick,
    /// The tick it was last dispatched.
    pub run_start: Tick,
    /// The tick the `cpu` operation under the cursor last started or resumed running (CPU time is accounted from
    /// here).
    pub op_start: Tick,
    pub completion: Option<Tick>,
    /// Chosen by `pick_next` and waiting out the dispatch latency: still Ready, but no longer pickable.
    pub claimed: bool,
    /// The object it is blocked on, if it is blocked on one (rule O4).
    pub blocked_on: Option<ObjId>,
    /// Already named in a `deadlock` event (rule O10), so the end of the run does not name it again.
    pub deadlocked: bool,
}

impl Proc {
    fn new(code: &[crate::case::Instr]) -> Proc {
        let mut p = Proc {
            state: ProcState::New,
            cursor: Cursor::default(),
            burst_length: 0,
            burst_left: 0,
            cpu_used: 0,
            last_burst: None,
            ready_since: None,
            first_run: None,
            current_run: 0,
            waiting: 0,
            run_start: 0,
            op_start: 0,
            completion: None,
            claimed: false,
            blocked_on: None,
            deadlocked: false,
        };
        p.cursor.land(code);
        p.load(code);
        p
    }

    /// Loads the operation under the cursor: a `cpu` operation starts with all its ticks left.
    fn load(&mut self, code: &[crate::case::Instr]) {
        let length = match self.cursor.op(code) {
            Some(Op::Cpu(n)) => n,
            _ => 0,
        };
        self.burst_length = length;
        self.burst_left = length;
    }
}

/// What a CPU is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CpuState {
    Idle,
    Switching { pid: Pid, until: Tick },
    Running { pid: Pid, slice_end: Option<Tick>, burst_end: Tick },
}

#[derive(Clone, Debug)]
pub(crate) struct Cpu {
    pub state: CpuState,
    /// The process whose context is loaded: the last one that ran here.
    pub last: Option<Pid>,
    pub segment_start: Tick,
    pub segment_kind: SegmentKind,
}

impl Cpu {
    pub fn next_event(&self) -> Option<Tick> {
        match self.state {
            CpuState::Idle => None,
            CpuState::Switching { until, .. } => Some(until),
            CpuState::Running { slice_end, burst_end, .. } => {
                Some(slice_end.map_or(burst_end, |slice_end| slice_end.min(burst_end)))
            }
        }
    }
}

/// Everything a PCB lookup needs; kept apart from the policy so a policy call can borrow it.
pub(crate) struct World<'c> {
    pub case: &'c Case,
    pub procs: Vec<Proc>,
    pub cpus: Vec<Cpu>,
    pub now: Tick,
    /// Whether the policy may see burst lengths (SJF, SRTF, HRRN without prediction).
    pub oracle: bool,
}

impl<'c> World<'c> {
    pub fn new(case: &'c Case, oracle: bool) -> World<'c> {
        let idle = Cpu { state: CpuState::Idle, last: None, segment_start: 0, segment_kind: SegmentKind::Idle };
        World {
            case,
            procs: case.processes.iter().map(|p| Proc::new(p.program.code())).collect(),
            cpus: vec![idle; case.machine.cpus as usize],
            now: 0,
            oracle,
        }
    }

    /// The operation under `pid`'s cursor, or `None` at the end of its program.
    pub fn op(&self, pid: Pid) -> Option<Op> {
        self.procs[pid.index()].cursor.op(self.case.processes[pid.index()].program.code())
    }

    /// Moves `pid`'s cursor past its current operation and loads the next one.
    pub fn advance(&mut self, pid: Pid) {
        let code = self.case.processes[pid.index()].program.code();
        let p = &mut self.procs[pid.index()];
        p.cursor.advance(code);
        p.load(code);
    }

    /// The PCB as of `now`; a running process's counters include the ticks of its current run.
    pub fn pcb(&self, pid: Pid) -> Pcb {
        let spec = &self.case.processes[pid.index()];
        let p = &self.procs[pid.index()];
        let running = p.state == ProcState::Running;
        let running_for = if running { self.now - p.op_start } else { 0 };
        // Rule S5: the current CPU burst is the `cpu` operation under the cursor, or the next one after the
        // operations that take no time; a blocked or exited process has none.
        let (burst_remaining, burst_length) =
            if self.oracle && matches!(p.state, ProcState::New | ProcState::Ready | ProcState::Running) {
                if p.burst_length > 0 {
                    (Some(p.burst_left - running_for), Some(p.burst_length))
                } else {
                    let next = p.cursor.next_cpu(spec.program.code());
                    (next, next)
                }
            } else {
                (None, None)
            };
        Pcb {
            pid,
            state: p.state,
            priority: spec.priority,
            class: spec.class,
            tickets: spec.tickets,
            arrival: spec.arrival,
            cpu_used: p.cpu_used + running_for,
            burst_remaining,
            burst_length,
            last_burst: p.last_burst,
            ready_since: p.ready_since,
            first_run: p.first_run,
            current_run: if running { self.now - p.run_start } else { p.current_run },
            waiting: p.waiting + p.ready_since.map_or(0, |since| self.now - since),
        }
    }

    /// The kernel view for one policy call. The returned value points at `self` and must not outlive it.
    pub fn abi_kernel(&self) -> AbiKernel {
        AbiKernel {
            ctx: self as *const World<'c> as *const c_void,
            now: self.now,
            cpus: self.cpus.len() as u32,
            processes: self.procs.len() as u32,
            pcb: lookup_pcb,
        }
    }
}

unsafe extern "C" fn lookup_pcb(ctx: *const c_void, pid: u32, out: *mut AbiPcb) -> bool {
    // SAFETY: `ctx` is the `World` that built this `AbiKernel`, alive and not mutably borrowed during the call.
    let world = unsafe { &*(ctx as *const World<'_>) };
    if pid as usize >= world.procs.len() {
        return false;
    }
    // SAFETY: the policy passes a valid, writable `AbiPcb`.
    unsafe { *out = AbiPcb::from_pcb(&world.pcb(Pid(pid))) };
    true
}
