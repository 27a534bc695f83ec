//! The `scheduler:` section of a test case, as a policy receives it in [`crate::Scheduler::new`].
//!
//! The grader has already validated it: a policy that needs a quantum gets one, lists are non-empty where they must
//! be, and every number is in range. Options a policy does not use keep their defaults.

use crate::pcb::Tick;

/// Every scheduling policy of the course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum PolicyKind {
    /// First come, first served (non-preemptive).
    Fcfs = 0,
    /// Shortest job first (non-preemptive).
    Sjf = 1,
    /// Shortest remaining time first (preemptive SJF, "SRT" in the notes).
    Srtf = 2,
    /// Priority scheduling, preemptive or not.
    Priority = 3,
    /// Round robin.
    Rr = 4,
    /// Highest response ratio next (non-preemptive).
    Hrrn = 5,
    /// Multi-level queue: fixed queues chosen by the process's class.
    Mlq = 6,
    /// Multi-level feedback queue.
    Mlfq = 7,
    /// Lottery scheduling.
    Lottery = 8,
    /// Stride scheduling.
    Stride = 9,
}

impl PolicyKind {
    /// Every policy, in ABI order.
    pub const ALL: [PolicyKind; 10] = [
        PolicyKind::Fcfs,
        PolicyKind::Sjf,
        PolicyKind::Srtf,
        PolicyKind::Priority,
        PolicyKind::Rr,
        PolicyKind::Hrrn,
        PolicyKind::Mlq,
        PolicyKind::Mlfq,
        PolicyKind::Lottery,
        PolicyKind::Stride,
    ];

    /// The name used in test cases (`policy: rr`).
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Fcfs => "fcfs",
            PolicyKind::Sjf => "sjf",
            PolicyKind::Srtf => "srtf",
            PolicyKind::Priority => "priority",
            PolicyKind::Rr => "rr",
            PolicyKind::Hrrn => "hrrn",
            PolicyKind::Mlq => "mlq",
            PolicyKind::Mlfq => "mlfq",
            PolicyKind::Lottery => "lottery",
            PolicyKind::Stride => "stride",
        }
    }

    /// Decodes the ABI's `u32`; unknown values give `None`.
    pub fn from_u32(raw: u32) -> Option<PolicyKind> {
        PolicyKind::ALL.get(raw as usize).copied()
    }
}

/// Which priority numbers are more important.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u32)]
pub enum PriorityOrder {
    /// 0 is the most important (Silberschatz, Linux nice values). The default.
    #[default]
    LowerFirst = 0,
    /// The largest number is the most important.
    HigherFirst = 1,
}

impl PriorityOrder {
    /// True if priority number `a` is strictly more important than `b`.
    pub fn more_important(self, a: i64, b: i64) -> bool {
        match self {
            PriorityOrder::LowerFirst => a < b,
            PriorityOrder::HigherFirst => a > b,
        }
    }
}

/// Priority aging: every `interval` ticks spent waiting in Ready make a process `step` priority levels more
/// important, so that no process starves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aging {
    /// Ticks of waiting per step (at least 1).
    pub interval: Tick,
    /// Priority levels gained per interval (at least 1).
    pub step: i64,
}

/// SJF burst prediction by exponential averaging: tau(n+1) = alpha * t(n) + (1 - alpha) * tau(n).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Predict {
    /// The weight of the most recent burst, in [0, 1].
    pub alpha: f64,
    /// tau(0), the guess for a process's first burst.
    pub initial: f64,
}

/// How a multi-level queue shares the CPU between its queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Between {
    /// A lower queue runs only when every higher queue is empty, and a process arriving in a higher queue preempts
    /// a process of a lower one.
    FixedPriority,
    /// Time slicing between queues: queue `i` gets `shares[i]` ticks of CPU in turn, then the next non-empty queue
    /// gets its share, and so on.
    TimeSlice {
        /// Ticks per turn, one entry per queue.
        shares: Vec<Tick>,
    },
}

/// One queue of a multi-level queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    /// The policy inside this queue: fcfs, sjf, srtf, priority or rr.
    pub policy: PolicyKind,
    /// The quantum, for `rr` queues.
    pub quantum: Option<Tick>,
    /// For `priority` queues: whether a more important arrival preempts.
    pub preemptive: bool,
}

/// The validated `scheduler:` section of a test case.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerConfig {
    /// The policy being run.
    pub policy: PolicyKind,
    /// `rr`: the time quantum in ticks.
    pub quantum: Option<Tick>,
    /// `priority`: whether a more important newcomer preempts the running process.
    pub preemptive: bool,
    /// `priority`: which priority numbers are more important.
    pub priority_order: PriorityOrder,
    /// `priority`: optional aging.
    pub aging: Option<Aging>,
    /// `sjf`: optional burst prediction. When set, the PCB's burst fields are hidden.
    pub predict: Option<Predict>,
    /// `mlfq`: the quantum of each level, highest priority first.
    pub quanta: Vec<Tick>,
    /// `mlfq`: the allotment of each level in ticks, highest priority first (by default, one quantum each).
    pub allotments: Vec<Tick>,
    /// `mlfq`: the priority-boost period in ticks; 0 means no boost.
    pub boost: Tick,
    /// `mlfq`: OSTEP's `-S`: a process that issues I/O keeps its level with a fresh quantum and allotment.
    pub io_stay: bool,
    /// `mlfq`: OSTEP's `-I`: a process returning from I/O goes to the *head* of its queue and preempts a process of
    /// its own level.
    pub io_bump: bool,
    /// `lottery`: the random seed.
    pub seed: u64,
    /// `stride`: the large constant L in stride = L / tickets.
    pub stride_constant: u64,
    /// `mlq`: the queues, highest priority first. A process of class `c` lives in `queues[c]`.
    pub queues: Vec<QueueConfig>,
    /// `mlq`: how the queues share the CPU.
    pub between: Between,
}

impl SchedulerConfig {
    /// A configuration for `policy` with every option at its default, as a test case that names only the policy.
    pub fn new(policy: PolicyKind) -> SchedulerConfig {
        SchedulerConfig {
            policy,
            quantum: None,
            preemptive: false,
            priority_order: PriorityOrder::LowerFirst,
            aging: None,
            predict: None,
            quanta: Vec::new(),
            allotments: Vec::new(),
            boost: 0,
            io_stay: false,
            io_bump: false,
            seed: 0,
            stride_constant: 10_000,
            queues: Vec::new(),
            between: Between::FixedPriority,
        }
    }
}
