//! How a simulation ends, and what it measured.

use schedgrade_contract::client::{Hook, HookFault};
use schedgrade_contract::{Pid, Tick};

use crate::case::ObjId;

/// A decision that breaks the contract in `Scheduler`'s docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The hook that made the decision.
    pub hook: Hook,
    /// The tick it happened at.
    pub time: Tick,
    /// What was wrong, naming the value.
    pub message: String,
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every process exited.
    Completed,
    /// A hook panicked, hit `todo!()`, rejected its configuration or broke the ABI protocol.
    Faulted { time: Tick, fault: HookFault },
    /// A hook returned a decision the contract forbids.
    Violated(Violation),
    /// No process could ever run again while some were blocked on objects (rule O11). This is an outcome of the
    /// workload, never the policy's fault.
    Deadlock(DeadlockReport),
}

/// What a deadlock looked like (rules O10, O11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlockReport {
    /// When the first cycle of the wait-for graph formed; without a cycle, when the run could no longer go on.
    pub time: Tick,
    /// The first cycle that formed, starting with the process whose block closed it; empty if none formed (for
    /// example, processes waiting on a semaphore nobody will signal).
    pub cycle: Vec<Pid>,
    /// Every process blocked on an object when the run stopped, in pid order.
    pub blocked: Vec<BlockedProcess>,
}

/// One process blocked forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockedProcess {
    pub pid: Pid,
    /// The object it waits on.
    pub waits_for: ObjId,
    /// Who holds it: a mutex's owner (possibly exited); `None` for a semaphore.
    pub held_by: Option<Pid>,
}

/// Per-process results, indexed by pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessStats {
    pub arrival: Tick,
    pub first_run: Option<Tick>,
    pub completion: Option<Tick>,
    pub cpu_time: Tick,
    /// Time spent in Ready, including dispatch latency before running.
    pub waiting: Tick,
}

/// Whole-run counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Tick at which the last process exited (or the run stopped).
    pub makespan: Tick,
    /// CPU ticks spent running processes, over all CPUs.
    pub busy: Tick,
    /// Dispatches that loaded a different process than the CPU ran last.
    pub context_switches: u64,
    /// Ticks spent in dispatch latency, over all CPUs.
    pub switch_overhead: Tick,
    /// Number of trace events.
    pub events: u64,
}

/// Everything a run produced besides the trace itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimResult {
    pub end: RunEnd,
    pub processes: Vec<ProcessStats>,
    pub totals: Totals,
}
