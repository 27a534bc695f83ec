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

use schedgrade_contract::{Pid, Tick};

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
    /// Running → Blocked: it requested I/O.
    Block,
    /// Blocked → Ready: its I/O completed.
    Wakeup,
    /// Running → Exit: its last burst ended.
    Exit,
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
            Transition::Block => ("running", "blocked", "io-request"),
            Transition::Wakeup => ("blocked", "ready", "io-done"),
            Transition::Exit => ("running", "exit", "exit"),
            Transition::Switch { .. } => ("ready", "ready", "switch"),
        }
    }
}

/// One line of the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub time: Tick,
    /// The CPU involved, if any (arrivals and wakeups involve none).
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
