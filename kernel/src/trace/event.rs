//! The trace format: one [`TraceEvent`] per state transition, and the [`Segment`]s of the Gantt chart.
//!
//! # Rules of the trace
//!
//! 1. Every state transition of every process is exactly one event, stamped with the tick it happens at and, when
//!    a CPU is involved, that CPU.
//! 2. Events appear in the order the kernel performs them. Within a tick that order is fixed (see
//!    `docs/semantics.md`, rule S9), so the same case always gives a byte-identical trace.
//! 3. A dispatch latency interval starts with a `switch` event on the CPU, naming the incoming process; the
//!    `ready -> running` event follows when the interval ends.
//! 4. A dispatch records the time slice the policy granted (`slice=`, omitted for "until the burst ends") and the
//!    policy's queue level (`level=`, omitted when the policy has no levels).
//! 5. Segments tile each CPU's time from 0 to the makespan with `run`, `idle` and `switch` intervals; consecutive
//!    runs of the same process at the same level on the same CPU form one segment.
//! 6. Every operation on an object is one event, whether or not it changes the process's state (`docs/semantics.md`,
//!    rules T6–T8); a deadlocked process gets one `deadlock` event (rules O10, O11).

use schedgrade_contract::{Pid, Tick};

use crate::case::ObjId;

/// Why a process blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockOn {
    /// It requested I/O (`io N`).
    Io,
    /// `lock` on a mutex that `owner` holds.
    Mutex { id: ObjId, owner: Pid },
    /// `wait` made the semaphore's value negative; `value` is the value after the decrement.
    Semaphore { id: ObjId, value: i64 },
}

/// What woke a blocked process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WokenBy {
    /// Its I/O completed.
    Io,
    /// An operation on this object by another process (`unlock` handed it the mutex, or `signal`).
    Object(ObjId),
}

/// An operation on an object that leaves the process running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncOp {
    /// `lock` acquired a free mutex.
    Lock { id: ObjId },
    /// `unlock` released the mutex, handing it to `woke` if anyone waited.
    Unlock { id: ObjId, woke: Option<Pid> },
    /// `wait` passed; `value` is the value after the decrement.
    Wait { id: ObjId, value: i64 },
    /// `signal`; `value` is the value after the increment, `woke` the waiter it woke.
    Signal { id: ObjId, value: i64, woke: Option<Pid> },
    /// `lock` on a mutex the process already holds: an error, with no effect.
    LockError { id: ObjId },
    /// `unlock` of a mutex the process does not hold (`owner` does, or nobody): an error, with no effect.
    UnlockError { id: ObjId, owner: Option<Pid> },
}

impl SyncOp {
    /// The object operated on.
    pub fn object(self) -> ObjId {
        match self {
            SyncOp::Lock { id }
            | SyncOp::Unlock { id, .. }
            | SyncOp::Wait { id, .. }
            | SyncOp::Signal { id, .. }
            | SyncOp::LockError { id }
            | SyncOp::UnlockError { id, .. } => id,
        }
    }
}

/// What happened to the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// New → Ready: admitted at its arrival time.
    Arrive,
    /// Ready → Running: dispatched, with the slice granted and the policy's level.
    Dispatch { slice: Option<Tick>, level: Option<u32> },
    /// Running → Ready: its time slice ran out.
    Timeout,
    /// Running → Ready: preempted by a newcomer or a timer reschedule.
    Preempt,
    /// Running → Blocked, for I/O or on an object.
    Block(BlockOn),
    /// Blocked → Ready.
    Wakeup(WokenBy),
    /// Running → Exit: its program ended.
    Exit,
    /// Running → Ready: it executed `yield`.
    Yield,
    /// Running, unchanged: an operation on an object that did not block.
    Sync(SyncOp),
    /// Blocked, unchanged: the process is deadlocked, waiting for `waits_for`, which `held_by` holds (a mutex's
    /// owner; `None` for a semaphore).
    Deadlock { waits_for: ObjId, held_by: Option<Pid> },
    /// Dispatch latency begins on the CPU: the dispatcher switches from `from` (the process the CPU ran last) to
    /// this process, which stays Ready until the switch ends.
    Switch { from: Option<Pid>, cost: Tick },
}

impl Transition {
    /// `(from, to, reason)` as printed, e.g. `("ready", "running", "dispatch")`.
    pub fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Transition::Arrive => ("new", "ready", "arrival"),
            Transition::Dispatch { .. } => ("ready", "running", "dispatch"),
            Transition::Timeout => ("running", "ready", "timeout"),
            Transition::Preempt => ("running", "ready", "preempted"),
            Transition::Block(BlockOn::Io) => ("running", "blocked", "io-request"),
            Transition::Block(BlockOn::Mutex { .. }) => ("running", "blocked", "lock"),
            Transition::Block(BlockOn::Semaphore { .. }) => ("running", "blocked", "wait"),
            Transition::Wakeup(WokenBy::Io) => ("blocked", "ready", "io-done"),
            Transition::Wakeup(WokenBy::Object(_)) => ("blocked", "ready", "woken"),
            Transition::Exit => ("running", "exit", "exit"),
            Transition::Switch { .. } => ("ready", "ready", "switch"),
            Transition::Yield => ("running", "ready", "yield"),
            Transition::Sync(op) => (
                "running",
                "running",
                match op {
                    SyncOp::Lock { .. } => "lock",
                    SyncOp::Unlock { .. } => "unlock",
                    SyncOp::Wait { .. } => "wait",
                    SyncOp::Signal { .. } => "signal",
                    SyncOp::LockError { .. } => "lock-error",
                    SyncOp::UnlockError { .. } => "unlock-error",
                },
            ),
            Transition::Deadlock { .. } => ("blocked", "blocked", "deadlock"),
        }
    }
}

/// One line of the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub time: Tick,
    /// The CPU involved, if any (arrivals, wakeups and deadlock reports involve none).
    pub cpu: Option<u32>,
    pub pid: Pid,
    pub transition: Transition,
}

/// What a CPU does during a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// Runs a process (at the policy's level, if it has levels).
    Run { pid: Pid, level: Option<u32> },
    /// Nothing to run.
    Idle,
    /// Dispatch latency: switching to `to`.
    Switch { to: Pid },
}

/// A maximal interval `[start, end)` during which a CPU does one thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub cpu: u32,
    pub start: Tick,
    pub end: Tick,
    pub kind: SegmentKind,
}

/// Where the kernel sends events and segments as they happen.
pub trait TraceSink {
    fn event(&mut self, event: TraceEvent);
    fn segment(&mut self, segment: Segment);
}

/// Keeps everything, for rendering and diffing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorder {
    pub events: Vec<TraceEvent>,
    pub segments: Vec<Segment>,
}

impl TraceSink for Recorder {
    fn event(&mut self, event: TraceEvent) {
        self.events.push(event);
    }
    fn segment(&mut self, segment: Segment) {
        self.segments.push(segment);
    }
}

/// Keeps nothing: for huge runs where only the metrics matter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl TraceSink for Discard {
    fn event(&mut self, _event: TraceEvent) {}
    fn segment(&mut self, _segment: Segment) {}
}
