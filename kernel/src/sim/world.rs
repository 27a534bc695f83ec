//! The kernel's own bookkeeping: process records and CPUs, and the read-only PCB view policies get of them.

use std::ffi::c_void;

use schedgrade_contract::abi::{AbiKernel, AbiPcb};
use schedgrade_contract::{Pcb, Pid, ProcState, Tick};

use crate::case::{Case, Cursor, Op};
use crate::trace::SegmentKind;

/// One process's runtime record (the kernel's PCB).
#[derive(Clone, Debug)]
pub(crate) struct Proc {
    pub state: ProcState,
    /// Where it is in its program: on the operation it executes next (or is executing), or at the end. Its open
    /// loops are in [`World`]. A New process's cursor is at 0 and lands on its first operation at arrival, so that
    /// setting up a run reads no program.
    pub cursor: Cursor,
    /// Ticks left in the `cpu` operation under the cursor, as of `run_start` while Running; 0 when the cursor is on
    /// another operation (a `cpu` operation lasts at least one tick, so `burst_left > 0` says the cursor is on one).
    pub burst_left: Tick,
    pub cpu_used: Tick,
    pub last_burst: Option<Tick>,
    pub ready_since: Option<Tick>,
    pub first_run: Option<Tick>,
    /// Ticks of its current (or last) run; while Running, those of the `cpu` operations before `run_start`.
    pub current_run: Tick,
    pub waiting: Tick,
    /// While Running: the tick its current `cpu` operation started or resumed (its dispatch, or the end of the
    /// operation before); CPU time is accounted from here.
    pub run_start: Tick,
    pub completion: Option<Tick>,
    /// Chosen by `pick_next` and waiting out the dispatch latency: still Ready, but no longer pickable.
    pub claimed: bool,
}

impl Proc {
    fn new() -> Proc {
        Proc {
            state: ProcState::New,
            cursor: Cursor::default(),
            burst_left: 0,
            cpu_used: 0,
            last_burst: None,
            ready_since: None,
            first_run: None,
            current_run: 0,
            waiting: 0,
            run_start: 0,
            completion: None,
            claimed: false,
        }
    }
}

/// The length of `op` if it is a `cpu` operation, else 0.
#[inline(always)]
pub(crate) fn cpu_length(op: Option<Op>) -> Tick {
    match op {
        Some(Op::Cpu(n)) => n,
        _ => 0,
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
    /// Each process's open loops, by pid, kept apart so that the process records stay small; allocated when the
    /// first process with a loop arrives, so that loop-free workloads never touch it.
    loops: Vec<Vec<u32>>,
    /// The (always empty) loop stack of a process whose program has no loop.
    no_loops: Vec<u32>,
}

impl<'c> World<'c> {
    pub fn new(case: &'c Case, oracle: bool) -> World<'c> {
        let idle = Cpu { state: CpuState::Idle, last: None, segment_start: 0, segment_kind: SegmentKind::Idle };
        World {
            case,
            procs: vec![Proc::new(); case.processes.len()],
            cpus: vec![idle; case.machine.cpus as usize],
            now: 0,
            oracle,
            loops: Vec::new(),
            no_loops: Vec::new(),
        }
    }

    /// Lands `pid`'s cursor on its first operation, at its arrival.
    pub fn start(&mut self, pid: Pid) {
        self.step_cursor(pid, false);
    }

    /// The operation under `pid`'s cursor, or `None` at the end of its program.
    #[inline(always)]
    pub fn op(&self, pid: Pid) -> Option<Op> {
        self.procs[pid.index()].cursor.op(self.case.processes[pid.index()].program.code())
    }

    /// Moves `pid`'s cursor past its current operation and loads the next one, which it returns (`None` at the end
    /// of the program).
    #[inline(always)]
    pub fn advance(&mut self, pid: Pid) -> Option<Op> {
        self.step_cursor(pid, true)
    }

    /// The `cpu` operation under `pid`'s cursor has ended: returns its length, and moves on as [`World::advance`].
    #[inline(always)]
    pub fn finish_op(&mut self, pid: Pid) -> (Tick, Option<Op>) {
        let length = cpu_length(self.op(pid));
        (length, self.step_cursor(pid, true))
    }

    /// Moves `pid`'s cursor (past its current operation if `past`) onto the next operation, and loads it.
    #[inline(always)]
    fn step_cursor(&mut self, pid: Pid, past: bool) -> Option<Op> {
        let i = pid.index();
        let program = &self.case.processes[i].program;
        let loops = if program.has_loops() {
            if self.loops.is_empty() {
                self.loops = vec![Vec::new(); self.procs.len()];
            }
            &mut self.loops[i]
        } else {
            &mut self.no_loops
        };
        let p = &mut self.procs[i];
        let op = if past { p.cursor.advance(program.code(), loops) } else { p.cursor.land(program.code(), loops) };
        p.burst_left = cpu_length(op);
        op
    }

    /// The PCB as of `now`; a running process's counters include the ticks of its current run.
    pub fn pcb(&self, pid: Pid) -> Pcb {
        let spec = &self.case.processes[pid.index()];
        let p = &self.procs[pid.index()];
        let running = p.state == ProcState::Running;
        let running_for = if running { self.now - p.run_start } else { 0 };
        // Rule S5: the current CPU burst is the `cpu` operation under the cursor, or the next one after the
        // operations that take no time; a blocked or exited process has none.
        let (burst_remaining, burst_length) =
            if self.oracle && matches!(p.state, ProcState::New | ProcState::Ready | ProcState::Running) {
                let code = spec.program.code();
                if let Some(Op::Cpu(length)) = p.cursor.op(code) {
                    // A New process has not loaded its first burst yet: all of it is left.
                    let left = if p.state == ProcState::New { length } else { p.burst_left - running_for };
                    (Some(left), Some(length))
                } else {
                    let loops = self.loops.get(pid.index()).map_or(&[][..], Vec::as_slice);
                    let next = p.cursor.next_cpu(code, loops);
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
            current_run: if running { p.current_run + running_for } else { p.current_run },
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
