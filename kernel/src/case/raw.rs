//! The test-case file as written: serde types that keep every value's position, and read scalars leniently so that
//! [`super::validate`] can check them with precise messages. The JSON Schema of the format is derived from these
//! types (doc comments become descriptions; `#[schemars(with = ...)]` gives the type a *valid* value has).

use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::ops::OPS;
use super::yaml::{Any, AnyVisitor, Entries, Sp};

/// The largest number of ticks any single value may have (10^12).
pub const MAX_TICK: u64 = 1_000_000_000_000;

/// A schedgrade test case: a workload (processes with programs of CPU, I/O and synchronisation operations), a
/// machine and a scheduler configuration.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "schedgrade test case", rename = "TestCase")]
pub struct RawCase {
    /// The case's name, shown in reports. Defaults to the file name without `.yaml`.
    #[schemars(with = "Option<String>", length(min = 1))]
    pub name: Option<Sp<Any>>,
    /// What the case exercises, for instructors.
    #[schemars(with = "Option<String>")]
    pub description: Option<Sp<Any>>,
    /// Shown to students when their trace differs on this case.
    #[schemars(with = "Option<String>")]
    pub hint: Option<Sp<Any>>,
    /// The policy under test and its options.
    #[schemars(with = "RawScheduler")]
    pub scheduler: Option<Sp<RawScheduler>>,
    /// The simulated machine. Every key is optional.
    pub machine: Option<Sp<RawMachine>>,
    /// The processes, in input order (a process's pid is its index here). At least one.
    #[schemars(with = "Vec<RawProcess>", length(min = 1))]
    pub processes: Option<Sp<Vec<Sp<RawProcess>>>>,
    /// Synchronisation objects the programs use, by name: `{ m: { kind: mutex }, s: { kind: semaphore, initial: 2 } }`.
    /// Default: none.
    #[schemars(with = "Option<ObjectsSchema>")]
    pub objects: Option<Sp<Entries<Any, RawObject>>>,
    /// Published results of a textbook worked example, asserted against the reference scheduler.
    pub expect: Option<Sp<RawExpect>>,
}

/// Every scheduling policy.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PolicyName {
    /// First come, first served (non-preemptive).
    Fcfs,
    /// Shortest job first (non-preemptive). Options: `predict`.
    Sjf,
    /// Shortest remaining time first (preemptive SJF).
    Srtf,
    /// Priority scheduling. Options: `preemptive`, `priority_order`, `aging`.
    Priority,
    /// Round robin. Options: `quantum` (required).
    Rr,
    /// Highest response ratio next (non-preemptive).
    Hrrn,
    /// Multi-level queue. Options: `queues` (required), `between`, `priority_order`.
    Mlq,
    /// Multi-level feedback queue. Options: `quanta` (required), `allotments`, `boost`, `io_stay`, `io_bump`.
    Mlfq,
    /// Lottery scheduling. Options: `quantum`, `seed`.
    Lottery,
    /// Stride scheduling. Options: `quantum`, `stride_constant`.
    Stride,
}

/// The policies a queue of a multi-level queue may use.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum QueuePolicyName {
    /// First come, first served.
    Fcfs,
    /// Shortest job first.
    Sjf,
    /// Shortest remaining time first.
    Srtf,
    /// Priority scheduling (`preemptive` applies).
    Priority,
    /// Round robin (`quantum` required).
    Rr,
}

/// The `scheduler:` section: the policy and its options. A key that the chosen policy does not use is an error.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Scheduler")]
pub struct RawScheduler {
    /// The policy under test.
    #[schemars(with = "PolicyName")]
    pub policy: Option<Sp<Any>>,
    /// The time slice in ticks. `rr`: required. `lottery`, `stride`: optional, default 1.
    #[schemars(with = "Option<u64>", range(min = 1, max = 1_000_000_000_000u64))]
    pub quantum: Option<Sp<Any>>,
    /// `priority`: whether a more important newcomer preempts the running process. Default `false`.
    #[schemars(with = "Option<bool>")]
    pub preemptive: Option<Sp<Any>>,
    /// `priority`, `mlq`: which priority numbers are more important. Default `lower_first` (0 is the most
    /// important).
    #[schemars(with = "Option<PriorityOrderName>")]
    pub priority_order: Option<Sp<Any>>,
    /// `priority`: aging, so that no process starves. Default: no aging.
    pub aging: Option<Sp<RawAging>>,
    /// `sjf`: predict burst lengths by exponential averaging instead of reading them. Default: no prediction.
    pub predict: Option<Sp<RawPredict>>,
    /// `mlfq` (required): the quantum of each level in ticks, highest priority first.
    #[schemars(with = "Option<Vec<TickAtLeastOne>>", length(min = 1))]
    pub quanta: Option<Sp<Vec<Sp<Any>>>>,
    /// `mlfq`: the allotment of each level in ticks (time a process may use at that level before it is demoted),
    /// highest priority first; as many as `quanta`. Default: one quantum per level.
    #[schemars(with = "Option<Vec<TickAtLeastOne>>", length(min = 1))]
    pub allotments: Option<Sp<Vec<Sp<Any>>>>,
    /// `mlfq`: the priority-boost period in ticks; 0 (the default) means no boost.
    #[schemars(with = "Option<u64>", range(max = 1_000_000_000_000u64))]
    pub boost: Option<Sp<Any>>,
    /// `mlfq`: a process that issues I/O keeps its level with a fresh quantum and allotment (OSTEP's `-S`).
    /// Default `false`.
    #[schemars(with = "Option<bool>")]
    pub io_stay: Option<Sp<Any>>,
    /// `mlfq`: a process returning from I/O goes to the head of its queue and preempts a process of its own level
    /// (OSTEP's `-I`). Default `false`.
    #[schemars(with = "Option<bool>")]
    pub io_bump: Option<Sp<Any>>,
    /// `lottery`: the random seed. Default 0.
    #[schemars(with = "Option<u64>")]
    pub seed: Option<Sp<Any>>,
    /// `stride`: the large constant L in stride = L / tickets. Default 10000.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub stride_constant: Option<Sp<Any>>,
    /// `mlq` (required): the queues, highest priority first. A process of class `c` lives in `queues[c]`.
    #[schemars(with = "Option<Vec<RawQueue>>", length(min = 1))]
    pub queues: Option<Sp<Vec<Sp<RawQueue>>>>,
    /// `mlq`: how the queues share the CPU. Default `fixed_priority`.
    pub between: Option<Sp<RawBetween>>,
}

/// A tick count of at least 1.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub struct TickAtLeastOne(#[schemars(range(min = 1, max = 1_000_000_000_000u64))] u64);

/// Which priority numbers are more important.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PriorityOrderName {
    /// Smaller numbers are more important: 0 beats 3 (Silberschatz, Linux nice values). The default.
    LowerFirst,
    /// Larger numbers are more important.
    HigherFirst,
}

/// Priority aging: every `interval` ticks spent waiting make a process `step` priority levels more important.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Aging")]
pub struct RawAging {
    /// Ticks of waiting per step (at least 1).
    #[schemars(with = "u64", range(min = 1, max = 1_000_000_000_000u64))]
    pub interval: Option<Sp<Any>>,
    /// Priority levels gained per interval (at least 1). Default 1.
    #[schemars(with = "Option<i64>", range(min = 1, max = 1_000_000_000))]
    pub step: Option<Sp<Any>>,
}

/// SJF burst prediction: tau(n+1) = alpha * t(n) + (1 - alpha) * tau(n).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Predict")]
pub struct RawPredict {
    /// The weight of the most recent burst, in [0, 1].
    #[schemars(with = "f64", range(min = 0.0, max = 1.0))]
    pub alpha: Option<Sp<Any>>,
    /// tau(0), the guess for a process's first burst, in ticks (at least 0).
    #[schemars(with = "f64", range(min = 0.0))]
    pub initial: Option<Sp<Any>>,
}

/// One queue of a multi-level queue.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Queue")]
pub struct RawQueue {
    /// Optional name, so that processes can say `class: <name>` instead of the queue's index.
    #[schemars(with = "Option<String>", regex(pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub name: Option<Sp<Any>>,
    /// The policy inside this queue.
    #[schemars(with = "QueuePolicyName")]
    pub policy: Option<Sp<Any>>,
    /// `rr` queues (required): the quantum in ticks.
    #[schemars(with = "Option<u64>", range(min = 1, max = 1_000_000_000_000u64))]
    pub quantum: Option<Sp<Any>>,
    /// `priority` queues: whether a more important arrival preempts. Default `false`.
    #[schemars(with = "Option<bool>")]
    pub preemptive: Option<Sp<Any>>,
}

/// How a multi-level queue shares the CPU between its queues.
#[derive(Debug)]
pub enum RawBetween {
    /// A keyword (`fixed_priority`), or a value of the wrong kind.
    Word(Any),
    /// `{ time_slice: [...] }`.
    TimeSlice(RawTimeSlice),
}

/// `{ time_slice: [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeSlice {
    pub time_slice: Option<Sp<Vec<Sp<Any>>>>,
}

impl<'de> Deserialize<'de> for RawBetween {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawBetween;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`fixed_priority` or `{ time_slice: [...] }`")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawBetween, A::Error> {
                RawTimeSlice::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawBetween::TimeSlice)
            }
            fn visit_unit<E>(self) -> Result<RawBetween, E> {
                Ok(RawBetween::Word(Any::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawBetween, E> {
                AnyVisitor.visit_bool(v).map(RawBetween::Word)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawBetween, E> {
                AnyVisitor.visit_i64(v).map(RawBetween::Word)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawBetween, E> {
                AnyVisitor.visit_u64(v).map(RawBetween::Word)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawBetween, E> {
                AnyVisitor.visit_f64(v).map(RawBetween::Word)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawBetween, E> {
                AnyVisitor.visit_str(v).map(RawBetween::Word)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<RawBetween, A::Error> {
                AnyVisitor.visit_seq(seq).map(RawBetween::Word)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// How a multi-level queue shares the CPU between its queues.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum BetweenSchema {
    /// `fixed_priority`: a lower queue runs only when every higher queue is empty, and a process arriving in a
    /// higher queue preempts one of a lower queue.
    Fixed(FixedPriorityName),
    /// Time slicing: queue `i` gets `time_slice[i]` ticks of CPU in turn.
    TimeSlice {
        /// Ticks per turn, one per queue (each at least 1).
        time_slice: Vec<TickAtLeastOne>,
    },
}

/// `fixed_priority`.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum FixedPriorityName {
    /// Strict priority between queues.
    FixedPriority,
}

impl JsonSchema for RawBetween {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Between".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        BetweenSchema::json_schema(generator)
    }
}

/// The `machine:` section.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Machine")]
pub struct RawMachine {
    /// Number of CPUs, sharing one ready queue. Default 1.
    #[schemars(with = "Option<u32>", range(min = 1, max = 1024))]
    pub cpus: Option<Sp<Any>>,
    /// Dispatch latency in ticks: a number (for every switch), or `{ process: P, thread: T }`. Default 0.
    pub context_switch: Option<Sp<RawSwitch>>,
    /// Who joins the ready queue first when several processes become ready at the same tick. Default
    /// `arrivals_first`.
    #[schemars(with = "Option<TiesName>")]
    pub ties: Option<Sp<Any>>,
    /// Number of I/O devices serving I/O first come, first served. Default: absent, meaning I/O overlaps without
    /// limit.
    #[schemars(with = "Option<u32>", range(min = 1, max = 1024))]
    pub io_devices: Option<Sp<Any>>,
}

/// Same-tick ordering convention.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TiesName {
    /// Arrivals, then I/O completions, then the process that left the CPU (most textbooks). The default.
    ArrivalsFirst,
    /// The process that left the CPU, then arrivals, then I/O completions (OSTEP).
    PreemptedFirst,
}

/// Dispatch latency: a number, or separate costs.
#[derive(Debug)]
pub enum RawSwitch {
    /// A single number (or a value of the wrong kind).
    Ticks(Any),
    /// `{ process: P, thread: T }`.
    Split(RawSplit),
}

/// `{ process: P, thread: T }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSplit {
    pub process: Option<Sp<Any>>,
    pub thread: Option<Sp<Any>>,
}

impl<'de> Deserialize<'de> for RawSwitch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSwitch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of ticks or `{ process: P, thread: T }`")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSwitch, A::Error> {
                RawSplit::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawSwitch::Split)
            }
            fn visit_unit<E>(self) -> Result<RawSwitch, E> {
                Ok(RawSwitch::Ticks(Any::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawSwitch, E> {
                AnyVisitor.visit_bool(v).map(RawSwitch::Ticks)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawSwitch, E> {
                AnyVisitor.visit_i64(v).map(RawSwitch::Ticks)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawSwitch, E> {
                AnyVisitor.visit_u64(v).map(RawSwitch::Ticks)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawSwitch, E> {
                AnyVisitor.visit_f64(v).map(RawSwitch::Ticks)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSwitch, E> {
                AnyVisitor.visit_str(v).map(RawSwitch::Ticks)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<RawSwitch, A::Error> {
                AnyVisitor.visit_seq(seq).map(RawSwitch::Ticks)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Dispatch latency in ticks.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SwitchSchema {
    /// The same cost for every switch.
    Ticks(#[schemars(range(max = 1_000_000_000_000u64))] u64),
    /// Separate costs.
    Split {
        /// Cost of switching to a different process.
        #[schemars(range(max = 1_000_000_000_000u64))]
        process: u64,
        /// Cost of switching between threads of one process (threads are not modelled yet). Default: `process`.
        #[schemars(range(max = 1_000_000_000_000u64))]
        thread: Option<u64>,
    },
}

impl JsonSchema for RawSwitch {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ContextSwitch".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        SwitchSchema::json_schema(generator)
    }
}

/// One process of the workload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Process")]
pub struct RawProcess {
    /// Unique name, shown in traces: letters, digits, `_`, `.` and `-`.
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub name: Option<Sp<Any>>,
    /// Arrival tick. Default 0.
    #[schemars(with = "Option<u64>", range(max = 1_000_000_000_000u64))]
    pub arrival: Option<Sp<Any>>,
    /// Priority number (see `scheduler.priority_order`). Default 0.
    #[schemars(with = "Option<i64>", range(min = -1_000_000_000, max = 1_000_000_000))]
    pub priority: Option<Sp<Any>>,
    /// `mlq`: the process's queue: its index in `scheduler.queues` (0 is the first), or its `name`. Default 0.
    #[schemars(with = "Option<ClassSchema>")]
    pub class: Option<Sp<Any>>,
    /// `lottery`: tickets; `stride`: share. At least 1. Default 1.
    #[schemars(with = "Option<u64>", range(min = 1, max = 1_000_000_000_000u64))]
    pub tickets: Option<Sp<Any>>,
    /// The program: `cpu N` and `io N` bursts (N >= 1 ticks), starting and ending with `cpu`, alternating.
    #[schemars(with = "Option<Vec<RawBurst>>", length(min = 1))]
    pub bursts: Option<Sp<Vec<Sp<RawBurst>>>>,
    /// Shorthand for a single CPU burst: `burst: 5` means `bursts: [cpu 5]`. Not together with `bursts`.
    #[schemars(with = "Option<u64>", range(min = 1, max = 1_000_000_000_000u64))]
    pub burst: Option<Sp<Any>>,
    /// The program as a list of operations in any order, and `{ repeat: N, do: [...] }` loops. Use one of
    /// `program`, `bursts` and `burst`.
    #[schemars(with = "Option<Vec<RawStep>>", length(min = 1))]
    pub program: Option<Sp<Vec<Sp<RawStep>>>>,
}

/// A queue index or a queue name.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ClassSchema {
    /// The index of the queue in `scheduler.queues` (0 is the first).
    Index(u32),
    /// The `name` of a queue in `scheduler.queues`.
    Name(String),
}

/// One burst, as written: `cpu N` or `io N`. Well-formed bursts are decoded while reading (a 10^6-process workload
/// stays compact); anything else is kept for a precise error.
#[derive(Debug, Clone, PartialEq)]
pub enum RawBurst {
    Cpu(u64),
    Io(u64),
    Other(Any),
}

impl RawBurst {
    fn parse(s: &str) -> RawBurst {
        let mut words = s.split_ascii_whitespace();
        let parsed = match (words.next(), words.next(), words.next()) {
            (Some(kind), Some(n), None) if n.bytes().all(|b| b.is_ascii_digit()) => match (kind, n.parse::<u64>()) {
                ("cpu", Ok(n)) => Some(RawBurst::Cpu(n)),
                ("io", Ok(n)) => Some(RawBurst::Io(n)),
                _ => None,
            },
            _ => None,
        };
        parsed.unwrap_or_else(|| RawBurst::Other(Any::Str(s.to_string())))
    }
}

impl<'de> Deserialize<'de> for RawBurst {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawBurst;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`cpu N` or `io N`")
            }
            fn visit_str<E>(self, v: &str) -> Result<RawBurst, E> {
                Ok(RawBurst::parse(v))
            }
            fn visit_unit<E>(self) -> Result<RawBurst, E> {
                Ok(RawBurst::Other(Any::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawBurst, E> {
                AnyVisitor.visit_bool(v).map(RawBurst::Other)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawBurst, E> {
                AnyVisitor.visit_i64(v).map(RawBurst::Other)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawBurst, E> {
                AnyVisitor.visit_u64(v).map(RawBurst::Other)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawBurst, E> {
                AnyVisitor.visit_f64(v).map(RawBurst::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<RawBurst, A::Error> {
                AnyVisitor.visit_seq(seq).map(RawBurst::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawBurst, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(RawBurst::Other(Any::Map))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for RawBurst {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Burst".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A CPU burst `cpu N` or an I/O burst `io N`, N >= 1 ticks.",
            "type": "string",
            "pattern": "^(cpu|io) +[1-9][0-9]*$",
            "examples": ["cpu 5", "io 2"]
        })
    }
}

/// One step of a `program:` as written: an operation (text, checked against the descriptors of [`super::ops`]),
/// a `repeat` block, or anything else (kept for a precise error).
#[derive(Debug, Clone, PartialEq)]
pub enum RawStep {
    Text(String),
    Repeat(RawRepeat),
    Other(Any),
}

/// `{ repeat: N, do: [...] }`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Repeat")]
pub struct RawRepeat {
    /// How many times the body runs in a row, at least 1.
    #[schemars(with = "u32", range(min = 1, max = 1_000_000_000))]
    pub repeat: Option<Sp<Any>>,
    /// The body: operations and nested loops, at least one.
    #[serde(rename = "do")]
    #[schemars(with = "Vec<RawStep>", length(min = 1))]
    pub body: Option<Sp<Vec<Sp<RawStep>>>>,
}

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStep;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an operation such as `cpu 5` or `lock m`, or `{ repeat: N, do: [...] }`")
            }
            fn visit_str<E>(self, v: &str) -> Result<RawStep, E> {
                Ok(RawStep::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawStep, E> {
                Ok(RawStep::Text(v))
            }
            fn visit_unit<E>(self) -> Result<RawStep, E> {
                Ok(RawStep::Other(Any::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawStep, E> {
                AnyVisitor.visit_bool(v).map(RawStep::Other)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawStep, E> {
                AnyVisitor.visit_i64(v).map(RawStep::Other)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawStep, E> {
                AnyVisitor.visit_u64(v).map(RawStep::Other)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawStep, E> {
                AnyVisitor.visit_f64(v).map(RawStep::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<RawStep, A::Error> {
                AnyVisitor.visit_seq(seq).map(RawStep::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawStep, A::Error> {
                RawRepeat::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawStep::Repeat)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for RawStep {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Step".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        // One alternative per operation descriptor, then the loop.
        let mut alternatives: Vec<serde_json::Value> = OPS
            .iter()
            .map(|spec| {
                let mut pattern = format!("^{}", spec.name);
                for arg in spec.args {
                    pattern.push_str(" +");
                    pattern.push_str(arg.pattern());
                }
                pattern.push('$');
                serde_json::json!({
                    "description": format!("`{}`: {}.", spec.template(), spec.doc),
                    "type": "string",
                    "pattern": pattern,
                    "examples": [spec.example],
                })
            })
            .collect();
        alternatives.push(generator.subschema_for::<RawRepeat>().to_value());
        json_schema!({
            "description": "An operation, or a `repeat` loop.",
            "anyOf": alternatives,
        })
    }
}

/// One synchronisation object.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Object")]
pub struct RawObject {
    /// What the object is.
    #[schemars(with = "ObjectKindName")]
    pub kind: Option<Sp<Any>>,
    /// `semaphore` (required): the initial value, at least 0.
    #[schemars(with = "Option<u64>", range(max = 1_000_000_000))]
    pub initial: Option<Sp<Any>>,
    /// Which waiter a wake-up picks. Default `fifo`.
    #[schemars(with = "Option<WakeName>")]
    pub wake: Option<Sp<Any>>,
}

/// The kinds of objects.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ObjectKindName {
    /// A lock with an owner: `lock M`, `unlock M` (rule O8).
    Mutex,
    /// A counting semaphore: `wait S`, `signal S` (rule O7). Needs `initial`.
    Semaphore,
}

/// Which waiter a wake-up picks (rule O5).
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum WakeName {
    /// The one that has waited longest. The default.
    Fifo,
    /// The most important priority (by `scheduler.priority_order`); ties go to the one that has waited longest.
    Priority,
}

/// The `objects:` mapping: object names to objects.
pub struct ObjectsSchema;

impl JsonSchema for ObjectsSchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Objects".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Object names (letters, digits, `_`, `.` and `-`) to objects.",
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z0-9_.-]+$" },
            "additionalProperties": generator.subschema_for::<RawObject>(),
        })
    }
}

/// How a run ends.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OutcomeName {
    /// Every process exits.
    Completed,
    /// The run ends in a deadlock (rule O11).
    Deadlock,
}

/// Published results of a worked example. Each value given is asserted against the reference scheduler's metrics.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expect")]
pub struct RawExpect {
    /// Where the numbers come from (book, edition, section, figure).
    #[schemars(with = "Option<String>")]
    pub source: Option<Sp<Any>>,
    /// Average waiting time (ticks in the ready queue).
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    pub avg_waiting: Option<Sp<Any>>,
    /// Average turnaround time (completion minus arrival).
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    pub avg_turnaround: Option<Sp<Any>>,
    /// Average response time (first dispatch minus arrival).
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    pub avg_response: Option<Sp<Any>>,
    /// The tick at which the last process completes.
    #[schemars(with = "Option<u64>")]
    pub makespan: Option<Sp<Any>>,
    /// Completion tick of each process, by name.
    #[schemars(with = "Option<BTreeMap<String, u64>>")]
    pub completion: Option<Sp<Entries<Any, Any>>>,
    /// How the run ends. Default `completed`: a case whose reference run deadlocks must say `outcome: deadlock`.
    #[schemars(with = "Option<OutcomeName>")]
    pub outcome: Option<Sp<Any>>,
}

/// Every mapping of the format and its keys, for messages about unknown keys.
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("the test case", &["name", "description", "hint", "scheduler", "machine", "processes", "objects", "expect"]),
    (
        "`scheduler`",
        &[
            "policy",
            "quantum",
            "preemptive",
            "priority_order",
            "aging",
            "predict",
            "quanta",
            "allotments",
            "boost",
            "io_stay",
            "io_bump",
            "seed",
            "stride_constant",
            "queues",
            "between",
        ],
    ),
    ("`aging`", &["interval", "step"]),
    ("`predict`", &["alpha", "initial"]),
    ("a queue of `queues`", &["name", "policy", "quantum", "preemptive"]),
    ("`between`", &["time_slice"]),
    ("`machine`", &["cpus", "context_switch", "ties", "io_devices"]),
    ("`context_switch`", &["process", "thread"]),
    ("a process", &["name", "arrival", "priority", "class", "tickets", "bursts", "burst", "program"]),
    ("an object", &["kind", "initial", "wake"]),
    ("a `repeat` block", &["repeat", "do"]),
    ("`expect`", &["source", "avg_waiting", "avg_turnaround", "avg_response", "makespan", "completion", "outcome"]),
];
