//! How a simulation ends, and what it measured.

use schedgrade_contract::Tick;
use schedgrade_contract::client::{Hook, HookFault};

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
