//! The validated, in-memory form of a test case. Everything the kernel reads comes from here, and every value has
//! already been checked by the loader: names are unique, lengths are positive, every object a program names is
//! declared with the right kind, and `bursts:` programs alternate CPU and I/O.

use schedgrade_contract::{SchedulerConfig, Tick};

use super::program::Program;

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
    /// The synchronisation objects, in input order: an [`super::ObjId`] is an index here.
    pub objects: Vec<ObjectSpec>,
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
    /// The program (`program:`, or `bursts:`, which starts and ends with a CPU burst and alternates CPU and I/O).
    pub program: Program,
}

/// A synchronisation object, declared under `objects:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSpec {
    /// Unique name, shown in traces.
    pub name: String,
    pub kind: ObjectKind,
    /// A semaphore's initial value (always 0 for a mutex).
    pub initial: u64,
    /// Which waiter a wake-up picks (rule O5).
    pub wake: WakeOrder,
}

/// What an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A lock with an owner (rule O8).
    Mutex,
    /// A counting semaphore (rule O7).
    Semaphore,
}

impl ObjectKind {
    /// Every kind, in the order the format documents them.
    pub const ALL: [ObjectKind; 2] = [ObjectKind::Mutex, ObjectKind::Semaphore];

    /// The name used in test cases and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Mutex => "mutex",
            ObjectKind::Semaphore => "semaphore",
        }
    }
}

/// Which waiter of an object's wait queue a wake-up picks (rule O5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WakeOrder {
    /// The one that has waited longest. The default.
    #[default]
    Fifo,
    /// The most important priority (by `scheduler.priority_order`); ties go to the one that has waited longest.
    Priority,
}

impl WakeOrder {
    /// The name used in test cases.
    pub fn as_str(self) -> &'static str {
        match self {
            WakeOrder::Fifo => "fifo",
            WakeOrder::Priority => "priority",
        }
    }
}

/// How a run must end, for cases that assert it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedOutcome {
    /// Every process exits.
    Completed,
    /// The run ends in a deadlock (rule O11).
    Deadlock,
}

impl ExpectedOutcome {
    /// The name used in test cases.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedOutcome::Completed => "completed",
            ExpectedOutcome::Deadlock => "deadlock",
        }
    }
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
    /// How the run ends. Without it, the reference must complete.
    pub outcome: Option<ExpectedOutcome>,
}
