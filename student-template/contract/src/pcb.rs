//! The process control block (PCB) as a scheduling policy sees it.
//!
//! In the course notes the PCB holds the pid, the scheduling state, the program counter, registers, scheduling
//! information (priority, last run, CPU time), accounting and I/O status. A policy only needs the scheduling part, so
//! that is what it gets: a read-only copy, taken by the simulated kernel at the moment of the call. Changing the copy
//! changes nothing in the kernel; a policy keeps its own bookkeeping in its own struct.

use std::fmt;

/// Simulated time, in integer ticks.
pub type Tick = u64;

/// A process id: the process's position in the test case's `processes` list, starting at 0.
///
/// Pids are dense, so a policy may index a `Vec` by `pid.index()` (see [`crate::Kernel::process_count`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(pub u32);

impl Pid {
    /// The pid as a `Vec` index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.0)
    }
}

/// A CPU of the simulated machine, numbered from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpuId(pub u32);

/// The five states of the course's process model.
///
/// ```text
///            admit            dispatch             exit
///   New ───────────▶ Ready ───────────▶ Running ─────────▶ Exit
///                      ▲  ◀─────────────  │
///                      │  timeout/preempt │ I/O request
///                      │                  ▼
///                      └───── wakeup ─── Blocked
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ProcState {
    /// Created but not yet admitted: its arrival time has not come.
    New = 0,
    /// Waiting in the ready queue for a CPU.
    Ready = 1,
    /// On a CPU.
    Running = 2,
    /// Waiting for I/O to complete.
    Blocked = 3,
    /// Finished; its PCB is about to be removed.
    Exit = 4,
}

impl ProcState {
    /// The state's stable lowercase name, as printed in traces.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcState::New => "new",
            ProcState::Ready => "ready",
            ProcState::Running => "running",
            ProcState::Blocked => "blocked",
            ProcState::Exit => "exit",
        }
    }

    /// Decodes the ABI's `u32`; unknown values give `None`.
    pub fn from_u32(raw: u32) -> Option<ProcState> {
        Some(match raw {
            0 => ProcState::New,
            1 => ProcState::Ready,
            2 => ProcState::Running,
            3 => ProcState::Blocked,
            4 => ProcState::Exit,
            _ => return None,
        })
    }
}

/// Why a process just entered the Ready state.
///
/// These are the course's transitions into Ready: admission of a new process, wakeup after I/O (decision point 3),
/// and the two ways of being taken off a CPU (decision point 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ReadyReason {
    /// New → Ready: the process arrived (was admitted) at its arrival time.
    Arrived = 0,
    /// Blocked → Ready: its I/O completed.
    IoDone = 1,
    /// Running → Ready: its time slice ran out (the timer interrupt, "timeout" in the notes).
    Timeout = 2,
    /// Running → Ready: it was preempted, because `should_preempt` said so or because `on_timer` asked for a
    /// reschedule. It has *not* used up its time slice.
    Preempted = 3,
}

impl ReadyReason {
    /// The reason's stable kebab-case name, as printed in traces.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadyReason::Arrived => "arrival",
            ReadyReason::IoDone => "io-done",
            ReadyReason::Timeout => "timeout",
            ReadyReason::Preempted => "preempted",
        }
    }

    /// Decodes the ABI's `u32`; unknown values give `None`.
    pub fn from_u32(raw: u32) -> Option<ReadyReason> {
        Some(match raw {
            0 => ReadyReason::Arrived,
            1 => ReadyReason::IoDone,
            2 => ReadyReason::Timeout,
            3 => ReadyReason::Preempted,
            _ => return None,
        })
    }
}

/// A read-only copy of one process's PCB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pcb {
    /// The process id (its index in the test case).
    pub pid: Pid,
    /// The state at the time of the call. In `on_ready` it is already [`ProcState::Ready`].
    pub state: ProcState,
    /// The priority number from the test case (default 0). Whether smaller means more important is set by the
    /// test case's `priority_order`; see [`crate::SchedulerConfig::priority_order`].
    pub priority: i64,
    /// The class, for the multi-level queue: the index of the queue this process belongs to (default 0).
    pub class: u32,
    /// Lottery tickets (default 1). Also the share used by stride scheduling.
    pub tickets: u64,
    /// The tick at which the process arrived (New → Ready).
    pub arrival: Tick,
    /// Total CPU ticks used so far, over all bursts.
    pub cpu_used: Tick,
    /// Ticks left in the current CPU burst. This is the textbook's "oracle": only SJF, SRTF and HRRN are told it,
    /// and only when the test case does not ask for prediction. Every other policy sees `None`.
    pub burst_remaining: Option<Tick>,
    /// Full length of the current CPU burst, under the same rule as `burst_remaining`.
    pub burst_length: Option<Tick>,
    /// Length of the previous, completed CPU burst, which a real kernel can measure. SJF prediction uses it as
    /// t(n). `None` before the first burst completes.
    pub last_burst: Option<Tick>,
    /// The tick at which the process last entered Ready; `None` unless it is Ready.
    pub ready_since: Option<Tick>,
    /// The tick of its first dispatch, if it has run.
    pub first_run: Option<Tick>,
    /// Ticks run since it was last dispatched. In `on_block`, `on_exit` and an `on_ready` for a timeout or a
    /// preemption, this is how long it just ran.
    pub current_run: Tick,
    /// Total ticks spent in Ready so far (including dispatch latency before it started running).
    pub waiting: Tick,
}
