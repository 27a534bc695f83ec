//! The validated, in-memory form of a test case. Everything the kernel reads comes from here, and every value has
//! already been checked by the loader: names are unique, lengths are positive, programs alternate CPU and I/O.

use schedgrade_contract::{SchedulerConfig, Tick};

/// One test case: a workload, a machine and a scheduler configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The case's name (the file stem unless `name:` is given).
    pub name: String,
    /// What the case exercises, for instructors.
    pub description: Option<String>,
    /// Shown to students when their trace differs on this case.
    pub hint: Option<String>,
    /// The policy under test and its options.
    pub scheduler: SchedulerConfig,
    /// The simulated machine.
    pub machine: Machine,
    /// The processes, in input order: a process's pid is its index here.
    pub processes: Vec<ProcessSpec>,
    /// Published results the reference must reproduce (textbook worked examples).
    pub expect: Option<Expectations>,
}

/// The simulated machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Number of CPUs, sharing one ready queue (at least 1).
    pub cpus: u32,
    /// Dispatch latency.
    pub context_switch: SwitchCost,
    /// Same-tick ordering convention.
    pub ties: Ties,
    /// `None`: I/O overlaps without limit. `Some(n)`: n devices serve I/O first come, first served.
    pub io_devices: Option<u32>,
}

/// Dispatch latency in ticks: switching between threads of one process may cost less than between processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SwitchCost {
    /// Cost of switching to a different process.
    pub process: Tick,
    /// Cost of switching between threads of the same process (threads are not modelled yet; kept for the format).
    pub thread: Tick,
}

/// Who joins the ready queue first when several processes become ready at the same tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ties {
    /// Arrivals, then I/O completions, then the process that left the CPU (most textbooks).
    #[default]
    ArrivalsFirst,
    /// The process that left the CPU, then arrivals, then I/O completions (OSTEP).
    PreemptedFirst,
}

impl Ties {
    /// The name used in test cases.
    pub fn as_str(self) -> &'static str {
        match self {
            Ties::ArrivalsFirst => "arrivals_first",
            Ties::PreemptedFirst => "preempted_first",
        }
    }
}

/// One operation of a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Burst {
    /// Compute for this many ticks.
    Cpu(Tick),
    /// Wait for I/O for this many ticks (plus any time queued for a device).
    Io(Tick),
}

/// One process of the workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSpec {
    /// Unique name, shown in traces.
    pub name: String,
    /// Arrival (admission) tick.
    pub arrival: Tick,
    /// Priority number (default 0).
    pub priority: i64,
    /// Multi-level-queue class: the index of its queue (default 0).
    pub class: u32,
    /// Lottery tickets / stride share (default 1... or as given).
    pub tickets: u64,
    /// The program: starts and ends with a CPU burst and alternates CPU and I/O.
    pub bursts: Vec<Burst>,
}

/// Published results of a worked example. Each `Some` is asserted against the reference's metrics.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Expectations {
    /// Where the numbers come from (book, edition, page or figure).
    pub source: Option<String>,
    pub avg_turnaround: Option<f64>,
    pub avg_waiting: Option<f64>,
    pub avg_response: Option<f64>,
    pub makespan: Option<Tick>,
    /// Per-process completion times, by name.
    pub completion: Vec<(String, Tick)>,
}
