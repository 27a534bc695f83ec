//! Semantic checks: raw (positioned, lenient) test case → validated [`Case`]. Every problem found is recorded with
//! its position; checking goes on after an error wherever the rest can still be checked meaningfully.

use std::collections::HashMap;
use std::path::Path;

use schedgrade_contract::{Aging, Between, PolicyKind, Predict, PriorityOrder, QueueConfig, SchedulerConfig, Tick};

use super::diag::{Diagnostic, Pos, Source, backticked_list, closest};
use super::model::{Case, Expectations, ExpectedOutcome, Machine, ProcessSpec, SwitchCost, Ties};
use super::ops::program_hint;
use super::program::Program;
use super::raw::{
    MAX_TICK, RawAging, RawBetween, RawCase, RawExpect, RawMachine, RawPredict, RawProcess, RawQueue, RawScheduler,
    RawSwitch,
};
use super::validate_program::{ObjectTable, check_bursts, check_objects, check_program};
use super::yaml::{Any, Sp, key_before};

/// Most CPUs or I/O devices a machine may have.
pub const MAX_CPUS: u64 = 1024;
/// Largest priority magnitude (and aging step).
pub const MAX_PRIORITY: i64 = 1_000_000_000;
/// Largest total of all bursts and the latest arrival of a case, so that the simulator's clock cannot overflow.
pub const MAX_TOTAL_TICKS: u128 = 1_000_000_000_000_000;
/// Most operations a case's programs execute in all, loops unrolled: a bound on the simulation's work.
pub const MAX_TOTAL_OPERATIONS: u128 = 100_000_000;
/// At most this many problems are reported per file; the last one says that more were left out.
pub const MAX_DIAGNOSTICS: usize = 200;

/// Which `scheduler` keys each policy uses (besides `policy`).
pub const POLICY_KEYS: &[(PolicyKind, &[&str])] = &[
    (PolicyKind::Fcfs, &[]),
    (PolicyKind::Sjf, &["predict"]),
    (PolicyKind::Srtf, &[]),
    (PolicyKind::Priority, &["preemptive", "priority_order", "aging"]),
    (PolicyKind::Rr, &["quantum"]),
    (PolicyKind::Hrrn, &[]),
    (PolicyKind::Mlq, &["queues", "between", "priority_order"]),
    (PolicyKind::Mlfq, &["quanta", "allotments", "boost", "io_stay", "io_bump"]),
    (PolicyKind::Lottery, &["quantum", "seed"]),
    (PolicyKind::Stride, &["quantum", "stride_constant"]),
];

/// The `scheduler` keys a policy cannot do without.
pub const REQUIRED_KEYS: &[(PolicyKind, &str)] =
    &[(PolicyKind::Rr, "quantum"), (PolicyKind::Mlq, "queues"), (PolicyKind::Mlfq, "quanta")];

const QUEUE_POLICIES: [PolicyKind; 5] =
    [PolicyKind::Fcfs, PolicyKind::Sjf, PolicyKind::Srtf, PolicyKind::Priority, PolicyKind::Rr];

fn policy_names() -> Vec<&'static str> {
    PolicyKind::ALL.iter().map(|p| p.as_str()).collect()
}

fn policy_uses(policy: PolicyKind, key: &str) -> bool {
    POLICY_KEYS.iter().any(|(p, keys)| *p == policy && keys.contains(&key))
}

/// How a key's value is written, shown as a hint.
pub fn key_hint(key: &str) -> Option<String> {
    let hint = match key {
        "name" => "names use letters, digits, `_`, `.` and `-`, e.g. `name: P1`",
        "description" | "hint" | "source" => "write text, quoted if it contains `: ` or `#`",
        "scheduler" => "write e.g. `scheduler: { policy: rr, quantum: 4 }`",
        "machine" => "write e.g. `machine: { cpus: 1, context_switch: 0 }`",
        "processes" => "write a list of processes, e.g. `processes: [{ name: P1, bursts: [cpu 5] }]`",
        "expect" => "write e.g. `expect: { avg_waiting: 17.0, completion: { P1: 24 } }`",
        "policy" => {
            return Some(format!("the policy is one of {}, e.g. `policy: rr`", backticked_list(&policy_names(), "or")));
        }
        "quantum" => "the quantum is the time slice in ticks, e.g. `quantum: 4`",
        "preemptive" => "write `preemptive: true` or `preemptive: false`",
        "priority_order" => "write `lower_first` (0 is the most important, the default) or `higher_first`",
        "aging" => {
            "write e.g. `aging: { interval: 10, step: 1 }`: every `interval` ticks of waiting make a process `step` levels more important"
        }
        "interval" => "the ticks of waiting per aging step, at least 1, e.g. `interval: 10`",
        "step" => "the priority levels gained per interval, at least 1, e.g. `step: 1`",
        "predict" => "write e.g. `predict: { alpha: 0.5, initial: 10 }`",
        "alpha" => "the weight of the most recent burst, between 0 and 1, e.g. `alpha: 0.5`",
        "initial" => "the guess for a process's first burst in ticks, e.g. `initial: 10`",
        "quanta" => "the quantum of each level, highest priority first, e.g. `quanta: [2, 4, 8]`",
        "allotments" => {
            "the ticks a process may use at each level before it moves down, one per level, e.g. `allotments: [4, 8, 16]`"
        }
        "boost" => "the priority-boost period in ticks, e.g. `boost: 100`; `0` turns boosting off",
        "io_stay" | "io_bump" => "write `true` or `false`",
        "seed" => "the random seed, a whole number, e.g. `seed: 42`",
        "stride_constant" => "the constant L in stride = L / tickets, e.g. `stride_constant: 10000`",
        "queues" => "the queues, highest priority first, e.g. `queues: [{ policy: rr, quantum: 8 }, { policy: fcfs }]`",
        "between" => "write `fixed_priority`, or `{ time_slice: [80, 20] }` with one share in ticks per queue",
        "time_slice" => "one share in ticks per queue, each at least 1, e.g. `time_slice: [80, 20]`",
        "cpus" => "the number of CPUs, e.g. `cpus: 2`",
        "context_switch" => {
            "the dispatch latency in ticks, e.g. `context_switch: 1` or `context_switch: { process: 2, thread: 1 }`"
        }
        "process" | "thread" => "a dispatch latency in ticks, e.g. `process: 2`",
        "ties" => "write `arrivals_first` (most textbooks, the default) or `preempted_first` (OSTEP)",
        "io_devices" => "the number of I/O devices, e.g. `io_devices: 1`; leave it out for unlimited overlapping I/O",
        "arrival" => "the arrival tick, e.g. `arrival: 0`",
        "priority" => "a whole number, e.g. `priority: 3`",
        "class" => "the index of the process's queue in `queues` (0 is the first), or that queue's `name`",
        "tickets" => "the number of lottery tickets (or stride share), e.g. `tickets: 100`",
        "bursts" => "alternate CPU and I/O bursts, starting and ending with CPU, e.g. `bursts: [cpu 3, io 2, cpu 1]`",
        "burst" => "`burst: 5` is shorthand for `bursts: [cpu 5]`",
        "program" => {
            return Some(format!(
                "write a list of operations, e.g. `program: [cpu 2, lock m, cpu 1, unlock m]`; {}",
                program_hint()
            ));
        }
        "do" => "the operations to repeat, e.g. `{ repeat: 3, do: [cpu 2, io 1] }`",
        "repeat" => "how many times the body runs, e.g. `{ repeat: 3, do: [cpu 2, io 1] }`",
        "objects" => "name the objects, e.g. `objects: { m: { kind: mutex }, s: { kind: semaphore, initial: 1 } }`",
        "kind" => "write `kind: mutex` or `kind: semaphore`",
        "wake" => "write `wake: fifo` (the longest waiting first, the default) or `wake: priority`",
        "outcome" => "write `outcome: completed` (the default) or `outcome: deadlock`",
        "avg_waiting" | "avg_turnaround" | "avg_response" => "a number of ticks, e.g. `avg_waiting: 17.0`",
        "makespan" => "the tick at which the last process completes, e.g. `makespan: 30`",
        "completion" => "the completion tick of each process by name, e.g. `completion: { P1: 24, P2: 27 }`",
        _ => return None,
    };
    Some(hint.to_string())
}

/// Collects diagnostics while checking one file.
pub struct Checker<'s, 'a> {
    pub src: &'s Source<'a>,
    pub diags: Vec<Diagnostic>,
    truncated: usize,
    key_hint: fn(&str) -> Option<String>,
}

impl<'s, 'a> Checker<'s, 'a> {
    /// A checker whose messages use `key_hint` for keys without a more specific hint.
    pub fn new(src: &'s Source<'a>, key_hint: fn(&str) -> Option<String>) -> Self {
        Checker { src, diags: Vec::new(), truncated: 0, key_hint }
    }

    /// Whether [`MAX_DIAGNOSTICS`] errors are already kept: more are only counted, so their hints need not be
    /// computed.
    pub fn is_full(&self) -> bool {
        self.diags.len() >= MAX_DIAGNOSTICS
    }

    pub fn error(&mut self, code: &'static str, pos: Pos, message: impl Into<String>, hint: Option<String>) {
        if self.diags.len() >= MAX_DIAGNOSTICS {
            self.truncated += 1;
            return;
        }
        self.diags.push(self.src.error(code, pos, message, hint));
    }

    /// The diagnostics, sorted by position, with a final note when some were left out.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.diags.sort_by_key(|d| (d.line, d.column));
        if self.truncated > 0 {
            self.diags.push(Diagnostic::file_error(
                "too-many-errors",
                self.src.path,
                format!("{} more problems were found but are not shown", self.truncated),
                Some("fix the problems above and run again".to_string()),
            ));
        }
        self.diags
    }

    /// The position of the key whose value is at `value` (the value's own position if the key cannot be found).
    pub fn key_pos(&self, value: Pos, key: &str) -> Pos {
        match key_before(self.src.text, value.offset as usize) {
            Some((start, k)) if k == key => self.src.pos_of_offset(start, key.chars().count() as u32),
            _ => value,
        }
    }

    fn found(&self, v: &Sp<Any>) -> String {
        v.v.describe(self.src.slice(v.pos))
    }

    fn hint_or(&self, key: &str, hint: Option<&str>) -> Option<String> {
        hint.map(str::to_string).or_else(|| (self.key_hint)(key))
    }

    fn not_a_number(&mut self, key: &str, v: &Sp<Any>, what: &str, hint: Option<&str>) {
        let hint = match &v.v {
            Any::Str(s) if s.trim().parse::<f64>().is_ok() => Some(format!("remove the quotes: `{key}: {}`", s.trim())),
            _ => self.hint_or(key, hint),
        };
        let found = self.found(v);
        self.error("wrong-type", v.pos, format!("`{key}` must be {what}, found {found}"), hint);
    }

    fn too_small(&mut self, key: &str, v: &Sp<Any>, min: impl std::fmt::Display, hint: Option<&str>) {
        let found = self.found(v);
        let hint = self.hint_or(key, hint);
        self.error("too-small", v.pos, format!("`{key}` must be at least {min}, found {found}"), hint);
    }

    fn too_large(&mut self, key: &str, v: &Sp<Any>, max: impl std::fmt::Display, hint: Option<&str>) {
        let found = self.found(v);
        let hint = self.hint_or(key, hint);
        self.error("too-large", v.pos, format!("`{key}` must be at most {max}, found {found}"), hint);
    }

    /// A whole number in `min..=max`.
    pub fn int(&mut self, key: &str, v: &Sp<Any>, min: i128, max: i128, hint: Option<&str>) -> Option<i128> {
        let n = match v.v {
            Any::Int(n) => n,
            // Large literals come back as floats: report them as out of range rather than as fractions.
            Any::Float(f) if f.fract() == 0.0 && f.abs() >= 1e18 => {
                if f < 0.0 {
                    self.too_small(key, v, min, hint);
                } else {
                    self.too_large(key, v, max, hint);
                }
                return None;
            }
            _ => {
                self.not_a_number(key, v, "a whole number", hint);
                return None;
            }
        };
        if n < min {
            self.too_small(key, v, min, hint);
            None
        } else if n > max {
            self.too_large(key, v, max, hint);
            None
        } else {
            Some(n)
        }
    }

    /// A tick count in `min..=MAX_TICK`.
    pub fn ticks(&mut self, key: &str, v: &Sp<Any>, min: u64, hint: Option<&str>) -> Option<Tick> {
        self.int(key, v, min.into(), MAX_TICK.into(), hint).map(|n| n as Tick)
    }

    pub fn number(&mut self, key: &str, v: &Sp<Any>, min: f64, max: f64, hint: Option<&str>) -> Option<f64> {
        let x = match v.v {
            Any::Int(n) => n as f64,
            Any::Float(f) if f.is_finite() => f,
            _ => {
                self.not_a_number(key, v, "a number", hint);
                return None;
            }
        };
        if x < min {
            self.too_small(key, v, min, hint);
            None
        } else if x > max {
            self.too_large(key, v, max, hint);
            None
        } else {
            Some(x)
        }
    }

    pub fn boolean(&mut self, key: &str, v: &Sp<Any>) -> Option<bool> {
        if let Any::Bool(b) = v.v {
            return Some(b);
        }
        let found = self.found(v);
        self.error(
            "wrong-type",
            v.pos,
            format!("`{key}` must be `true` or `false`, found {found}"),
            Some(format!("write `{key}: true` or `{key}: false`")),
        );
        None
    }

    /// Text; plain scalars that YAML reads as numbers or booleans (`name: 1`) are taken as written.
    pub fn text(&mut self, key: &str, v: &Sp<Any>) -> Option<String> {
        match &v.v {
            Any::Str(s) => Some(s.clone()),
            Any::Int(_) | Any::Float(_) | Any::Bool(_) => self.src.slice(v.pos).map(str::to_string),
            _ => {
                let found = self.found(v);
                self.error("wrong-type", v.pos, format!("`{key}` must be text, found {found}"), (self.key_hint)(key));
                None
            }
        }
    }

    /// One of `allowed`; suggests the closest when the value is a likely typo.
    pub fn keyword<T: Copy>(&mut self, key: &str, v: &Sp<Any>, allowed: &[(&'static str, T)]) -> Option<T> {
        let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
        if let Any::Str(s) = &v.v {
            if let Some((_, t)) = allowed.iter().find(|(n, _)| n == s) {
                return Some(*t);
            }
            // Over the diagnostics limit the error is dropped: skip the suggestion's cost.
            let hint = match (!self.is_full()).then(|| closest(s, names.iter().copied())).flatten() {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("use one of {}", backticked_list(&names, "or")),
            };
            let (code, message) = if key == "policy" {
                ("unknown-policy", format!("unknown policy `{s}`"))
            } else {
                ("unknown-value", format!("unknown `{key}` value `{s}`"))
            };
            self.error(code, v.pos, message, Some(hint));
            return None;
        }
        let found = self.found(v);
        self.error(
            "wrong-type",
            v.pos,
            format!("`{key}` must be one of {}, found {found}", backticked_list(&names, "or")),
            (self.key_hint)(key),
        );
        None
    }

    /// Reports a missing required key of the mapping at `pos`.
    pub fn missing(&mut self, key: &str, section: &str, pos: Pos, hint: Option<String>) {
        let hint = hint.or_else(|| (self.key_hint)(key));
        self.error("missing-key", pos, format!("missing `{key}` in {section}"), hint);
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Checks a raw case; `origin` gives the default name.
pub fn check_case(raw: Sp<RawCase>, origin: &Path, ck: &mut Checker<'_, '_>) -> Option<Case> {
    let case_pos = raw.pos;
    let raw = raw.v;
    let default_name = origin.file_stem().map_or_else(|| "case".to_string(), |s| s.to_string_lossy().into_owned());
    let name = match &raw.name {
        Some(v) => ck.text("name", v).and_then(|n| {
            if n.trim().is_empty() {
                ck.error(
                    "wrong-type",
                    v.pos,
                    "`name` must not be empty",
                    Some("leave `name` out to use the file name".to_string()),
                );
                None
            } else {
                Some(n)
            }
        }),
        None => Some(default_name),
    };
    let description = raw.description.as_ref().map(|v| ck.text("description", v));
    let hint = raw.hint.as_ref().map(|v| ck.text("hint", v));

    let scheduler = match &raw.scheduler {
        Some(s) => check_scheduler(s, ck),
        None => {
            ck.missing("scheduler", "the test case", case_pos, None);
            None
        }
    };
    let machine = match &raw.machine {
        Some(m) => check_machine(&m.v, ck),
        None => Some(Machine {
            cpus: 1,
            context_switch: SwitchCost::default(),
            ties: Ties::ArrivalsFirst,
            io_devices: None,
        }),
    };
    let (object_table, objects) = check_objects(raw.objects.as_ref(), ck);
    let processes = match &raw.processes {
        Some(p) => check_processes(p, scheduler.as_ref(), &object_table, ck),
        None => {
            ck.missing("processes", "the test case", case_pos, None);
            None
        }
    };
    let expect = match (&raw.expect, &processes) {
        (Some(e), Some(procs)) => check_expect(&e.v, procs, ck).map(Some),
        (Some(e), None) => {
            // Still check what can be checked without the process names.
            let _ = check_expect(&e.v, &[], ck);
            None
        }
        (None, _) => Some(None),
    };
    Some(Case {
        name: name?,
        description: present(description)?,
        hint: present(hint)?,
        scheduler: scheduler?.0,
        machine: machine?,
        processes: processes?,
        objects: objects?,
        expect: expect?,
    })
}

/// `None` (absent) → `Some(None)`; `Some(None)` (present but invalid) → `None`.
fn present<T>(v: Option<Option<T>>) -> Option<Option<T>> {
    match v {
        None => Some(None),
        Some(inner) => inner.map(Some),
    }
}

/// The checked scheduler, the queue names of an mlq (for `class: <name>`) and their index: one lookup per process,
/// not a scan of the queues (quadratic in a case with many of both).
pub struct CheckedScheduler(SchedulerConfig, Vec<Option<String>>, HashMap<String, u32>);

fn policy_table() -> Vec<(&'static str, PolicyKind)> {
    PolicyKind::ALL.iter().map(|p| (p.as_str(), *p)).collect()
}

fn check_scheduler(s: &Sp<RawScheduler>, ck: &mut Checker<'_, '_>) -> Option<CheckedScheduler> {
    let r = &s.v;
    let Some(policy_v) = &r.policy else {
        ck.missing("policy", "`scheduler`", s.pos, None);
        return None;
    };
    let policy = ck.keyword("policy", policy_v, &policy_table())?;
    let name = policy.as_str();

    // Keys that do not belong to this policy.
    let present: [(&str, Option<Pos>); 15] = [
        ("quantum", r.quantum.as_ref().map(|v| v.pos)),
        ("preemptive", r.preemptive.as_ref().map(|v| v.pos)),
        ("priority_order", r.priority_order.as_ref().map(|v| v.pos)),
        ("aging", r.aging.as_ref().map(|v| v.pos)),
        ("predict", r.predict.as_ref().map(|v| v.pos)),
        ("quanta", r.quanta.as_ref().map(|v| v.pos)),
        ("allotments", r.allotments.as_ref().map(|v| v.pos)),
        ("boost", r.boost.as_ref().map(|v| v.pos)),
        ("io_stay", r.io_stay.as_ref().map(|v| v.pos)),
        ("io_bump", r.io_bump.as_ref().map(|v| v.pos)),
        ("seed", r.seed.as_ref().map(|v| v.pos)),
        ("stride_constant", r.stride_constant.as_ref().map(|v| v.pos)),
        ("queues", r.queues.as_ref().map(|v| v.pos)),
        ("between", r.between.as_ref().map(|v| v.pos)),
        ("policy", None),
    ];
    let mut misplaced = false;
    for (key, pos) in present {
        let Some(pos) = pos else { continue };
        if policy_uses(policy, key) {
            continue;
        }
        misplaced = true;
        let users: Vec<&str> =
            POLICY_KEYS.iter().filter(|(_, keys)| keys.contains(&key)).map(|(p, _)| p.as_str()).collect();
        let kpos = ck.key_pos(pos, key);
        ck.error(
            "key-not-for-policy",
            kpos,
            format!("`{key}` is not used by `{name}`"),
            Some(format!("remove `{key}`, or choose a policy that uses it: {}", backticked_list(&users, "or"))),
        );
    }
    for (p, key) in REQUIRED_KEYS {
        let given = present.iter().any(|(k, pos)| k == key && pos.is_some());
        if *p == policy && !given {
            ck.missing(
                key,
                "`scheduler`",
                s.pos,
                Some(format!("`{name}` needs `{key}`; {}", key_hint(key).unwrap_or_default())),
            );
        }
    }

    let mut cfg = SchedulerConfig::new(policy);
    let mut ok = !misplaced;
    macro_rules! set {
        ($field:expr, $value:expr) => {
            match $value {
                Some(v) => $field = v,
                None => ok = false,
            }
        };
    }
    let quantum_hint = "the quantum is the time slice in ticks, e.g. `quantum: 4`";
    match (&r.quantum, policy) {
        (Some(q), _) => set!(cfg.quantum, ck.ticks("quantum", q, 1, Some(quantum_hint)).map(Some)),
        (None, PolicyKind::Lottery | PolicyKind::Stride) => cfg.quantum = Some(1),
        (None, PolicyKind::Rr) => ok = false,
        (None, _) => {}
    }
    if let Some(v) = &r.preemptive {
        set!(cfg.preemptive, ck.boolean("preemptive", v));
    }
    if let Some(v) = &r.priority_order {
        let orders = [("lower_first", PriorityOrder::LowerFirst), ("higher_first", PriorityOrder::HigherFirst)];
        set!(cfg.priority_order, ck.keyword("priority_order", v, &orders));
    }
    if let Some(v) = &r.aging {
        set!(cfg.aging, check_aging(v, ck).map(Some));
    }
    if let Some(v) = &r.predict {
        set!(cfg.predict, check_predict(v, ck).map(Some));
    }
    if let Some(v) = &r.quanta {
        set!(cfg.quanta, tick_list("quanta", v, ck));
    }
    if let Some(v) = &r.allotments {
        match tick_list("allotments", v, ck) {
            Some(a) => {
                if let Some(q) = &r.quanta
                    && a.len() != q.v.len()
                {
                    ck.error(
                        "length-mismatch",
                        v.pos,
                        format!(
                            "`allotments` has {} but `quanta` has {}",
                            count(a.len(), "entry", "entries"),
                            q.v.len()
                        ),
                        Some(
                            "give one allotment per level, or leave `allotments` out for one quantum per level"
                                .to_string(),
                        ),
                    );
                    ok = false;
                }
                cfg.allotments = a;
            }
            None => ok = false,
        }
    } else if policy == PolicyKind::Mlfq {
        cfg.allotments = cfg.quanta.clone();
    }
    if let Some(v) = &r.boost {
        set!(cfg.boost, ck.ticks("boost", v, 0, None));
    }
    if let Some(v) = &r.io_stay {
        set!(cfg.io_stay, ck.boolean("io_stay", v));
    }
    if let Some(v) = &r.io_bump {
        set!(cfg.io_bump, ck.boolean("io_bump", v));
    }
    if let Some(v) = &r.seed {
        set!(cfg.seed, ck.int("seed", v, 0, u64::MAX.into(), None).map(|n| n as u64));
    }
    if let Some(v) = &r.stride_constant {
        set!(cfg.stride_constant, ck.int("stride_constant", v, 1, u64::MAX.into(), None).map(|n| n as u64));
    }
    let mut queue_names = Vec::new();
    if let Some(v) = &r.queues {
        match check_queues(v, ck) {
            Some((queues, names)) => {
                cfg.queues = queues;
                queue_names = names;
            }
            None => ok = false,
        }
    }
    if let Some(v) = &r.between {
        let queues = r.queues.as_ref().map(|q| q.v.len());
        set!(cfg.between, check_between(v, queues, ck));
    }
    let mut index = HashMap::new();
    for (i, name) in queue_names.iter().enumerate() {
        if let (Some(name), Ok(i)) = (name, u32::try_from(i)) {
            index.entry(name.clone()).or_insert(i);
        }
    }
    ok.then_some(CheckedScheduler(cfg, queue_names, index))
}

fn tick_list(key: &str, v: &Sp<Vec<Sp<Any>>>, ck: &mut Checker<'_, '_>) -> Option<Vec<Tick>> {
    if v.v.is_empty() {
        ck.error("empty-list", v.pos, format!("`{key}` must not be empty"), key_hint(key));
        return None;
    }
    let values: Vec<Option<Tick>> = v.v.iter().map(|x| ck.ticks(key, x, 1, None)).collect();
    values.into_iter().collect()
}

fn check_aging(v: &Sp<RawAging>, ck: &mut Checker<'_, '_>) -> Option<Aging> {
    let interval = match &v.v.interval {
        Some(i) => ck.ticks("interval", i, 1, None),
        None => {
            ck.missing("interval", "`aging`", v.pos, None);
            None
        }
    };
    let step = match &v.v.step {
        Some(s) => ck.int("step", s, 1, MAX_PRIORITY.into(), None).map(|n| n as i64),
        None => Some(1),
    };
    Some(Aging { interval: interval?, step: step? })
}

fn check_predict(v: &Sp<RawPredict>, ck: &mut Checker<'_, '_>) -> Option<Predict> {
    let alpha = match &v.v.alpha {
        Some(a) => ck.number("alpha", a, 0.0, 1.0, None),
        None => {
            ck.missing("alpha", "`predict`", v.pos, None);
            None
        }
    };
    let initial = match &v.v.initial {
        Some(i) => ck.number("initial", i, 0.0, MAX_TICK as f64, None),
        None => {
            ck.missing("initial", "`predict`", v.pos, None);
            None
        }
    };
    Some(Predict { alpha: alpha?, initial: initial? })
}

type Queues = (Vec<QueueConfig>, Vec<Option<String>>);

fn check_queues(v: &Sp<Vec<Sp<RawQueue>>>, ck: &mut Checker<'_, '_>) -> Option<Queues> {
    if v.v.is_empty() {
        ck.error("empty-list", v.pos, "`queues` must not be empty", key_hint("queues"));
        return None;
    }
    let table: Vec<(&'static str, PolicyKind)> = QUEUE_POLICIES.iter().map(|p| (p.as_str(), *p)).collect();
    let mut ok = true;
    let mut queues = Vec::new();
    let mut names: Vec<Option<String>> = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for q in &v.v {
        let r = &q.v;
        let name = r.name.as_ref().and_then(|n| {
            let text = ck.text("name", n)?;
            if !is_valid_name(&text) {
                ck.error("bad-name", n.pos, format!("invalid queue name `{text}`"), key_hint("name"));
                return None;
            }
            if let Some(first) = seen.get(&text) {
                let line = first.line;
                ck.error(
                    "duplicate-name",
                    n.pos,
                    format!("duplicate queue name `{text}`"),
                    Some(format!("queue names must be unique; `{text}` is first used on line {line}")),
                );
                return None;
            }
            seen.insert(text.clone(), n.pos);
            Some(text)
        });
        names.push(name);
        let policy = match &r.policy {
            Some(p) => {
                if let Any::Str(s) = &p.v
                    && PolicyKind::ALL.iter().any(|k| k.as_str() == s)
                    && !QUEUE_POLICIES.iter().any(|k| k.as_str() == s)
                {
                    ck.error(
                        "unknown-policy",
                        p.pos,
                        format!("`{s}` cannot be used inside a queue"),
                        Some(format!(
                            "a queue's policy is one of {}",
                            backticked_list(&table.iter().map(|t| t.0).collect::<Vec<_>>(), "or")
                        )),
                    );
                    None
                } else {
                    ck.keyword("policy", p, &table)
                }
            }
            None => {
                ck.missing("policy", "this queue", q.pos, Some("e.g. `{ policy: rr, quantum: 8 }`".to_string()));
                None
            }
        };
        let Some(policy) = policy else {
            ok = false;
            continue;
        };
        let mut config = QueueConfig { policy, quantum: None, preemptive: false };
        match (&r.quantum, policy) {
            (Some(qv), PolicyKind::Rr) => match ck.ticks("quantum", qv, 1, None) {
                Some(n) => config.quantum = Some(n),
                None => ok = false,
            },
            (Some(qv), _) => {
                let kpos = ck.key_pos(qv.pos, "quantum");
                ck.error(
                    "key-not-for-policy",
                    kpos,
                    format!("`quantum` is not used by `{}` queues", policy.as_str()),
                    Some("remove `quantum`, or make this an `rr` queue".to_string()),
                );
                ok = false;
            }
            (None, PolicyKind::Rr) => {
                ck.missing("quantum", "this `rr` queue", q.pos, None);
                ok = false;
            }
            (None, _) => {}
        }
        match (&r.preemptive, policy) {
            (Some(pv), PolicyKind::Priority) => match ck.boolean("preemptive", pv) {
                Some(b) => config.preemptive = b,
                None => ok = false,
            },
            (Some(pv), _) => {
                let kpos = ck.key_pos(pv.pos, "preemptive");
                ck.error(
                    "key-not-for-policy",
                    kpos,
                    format!("`preemptive` is not used by `{}` queues", policy.as_str()),
                    Some("remove `preemptive`, or make this a `priority` queue".to_string()),
                );
                ok = false;
            }
            (None, _) => {}
        }
        queues.push(config);
    }
    ok.then_some((queues, names))
}

fn check_between(v: &Sp<RawBetween>, queues: Option<usize>, ck: &mut Checker<'_, '_>) -> Option<Between> {
    match &v.v {
        RawBetween::Word(w) => {
            let w = Sp { v: w.clone(), pos: v.pos };
            ck.keyword("between", &w, &[("fixed_priority", ())]).map(|()| Between::FixedPriority)
        }
        RawBetween::TimeSlice(ts) => {
            let Some(list) = &ts.time_slice else {
                ck.missing("time_slice", "`between`", v.pos, None);
                return None;
            };
            let shares = tick_list("time_slice", list, ck)?;
            if let Some(n) = queues
                && n != shares.len()
            {
                ck.error(
                    "length-mismatch",
                    list.pos,
                    format!(
                        "`time_slice` has {} but there {}",
                        count(shares.len(), "share", "shares"),
                        if n == 1 { "is 1 queue".to_string() } else { format!("are {n} queues") }
                    ),
                    Some("give one share per queue, in the order of `queues`".to_string()),
                );
                return None;
            }
            Some(Between::TimeSlice { shares })
        }
    }
}

fn check_machine(m: &RawMachine, ck: &mut Checker<'_, '_>) -> Option<Machine> {
    let mut ok = true;
    let mut machine =
        Machine { cpus: 1, context_switch: SwitchCost::default(), ties: Ties::ArrivalsFirst, io_devices: None };
    if let Some(v) = &m.cpus {
        match ck.int("cpus", v, 1, MAX_CPUS.into(), None) {
            Some(n) => machine.cpus = n as u32,
            None => ok = false,
        }
    }
    if let Some(v) = &m.context_switch {
        match &v.v {
            RawSwitch::Ticks(t) => {
                let t = Sp { v: t.clone(), pos: v.pos };
                match ck.ticks("context_switch", &t, 0, None) {
                    Some(n) => machine.context_switch = SwitchCost { process: n, thread: n },
                    None => ok = false,
                }
            }
            RawSwitch::Split(s) => {
                let process = match &s.process {
                    Some(p) => ck.ticks("process", p, 0, None),
                    None => {
                        ck.missing("process", "`context_switch`", v.pos, None);
                        None
                    }
                };
                let thread = s.thread.as_ref().map(|t| ck.ticks("thread", t, 0, None));
                match (process, thread) {
                    (Some(p), None) => machine.context_switch = SwitchCost { process: p, thread: p },
                    (Some(p), Some(Some(t))) => machine.context_switch = SwitchCost { process: p, thread: t },
                    _ => ok = false,
                }
            }
        }
    }
    if let Some(v) = &m.ties {
        let table = [("arrivals_first", Ties::ArrivalsFirst), ("preempted_first", Ties::PreemptedFirst)];
        match ck.keyword("ties", v, &table) {
            Some(t) => machine.ties = t,
            None => ok = false,
        }
    }
    if let Some(v) = &m.io_devices {
        match ck.int("io_devices", v, 1, MAX_CPUS.into(), None) {
            Some(n) => machine.io_devices = Some(n as u32),
            None => ok = false,
        }
    }
    ok.then_some(machine)
}

fn check_processes(
    list: &Sp<Vec<Sp<RawProcess>>>,
    scheduler: Option<&CheckedScheduler>,
    objects: &ObjectTable,
    ck: &mut Checker<'_, '_>,
) -> Option<Vec<ProcessSpec>> {
    if list.v.is_empty() {
        ck.error("empty-list", list.pos, "`processes` must not be empty", key_hint("processes"));
        return None;
    }
    let mut ok = true;
    let mut out = Vec::with_capacity(list.v.len());
    let mut seen: HashMap<String, Pos> = HashMap::with_capacity(list.v.len());
    let mut total: u128 = 0;
    let mut operations: u128 = 0;
    let mut latest_arrival: u128 = 0;
    for p in &list.v {
        match check_process(p, scheduler, objects, &mut seen, ck) {
            Some(spec) => {
                latest_arrival = latest_arrival.max(spec.arrival.into());
                let (ops, ticks) = spec.program.totals();
                operations = operations.saturating_add(ops);
                total = total.saturating_add(ticks);
                out.push(spec);
            }
            None => ok = false,
        }
    }
    if ok && total.saturating_add(latest_arrival) > MAX_TOTAL_TICKS {
        ck.error(
            "too-large",
            list.pos,
            format!("the workload spans more than {MAX_TOTAL_TICKS} ticks (latest arrival plus every burst)"),
            Some("use shorter bursts or fewer processes".to_string()),
        );
        ok = false;
    }
    if ok && operations > MAX_TOTAL_OPERATIONS {
        ck.error(
            "too-large",
            list.pos,
            format!(
                "the programs execute more than {MAX_TOTAL_OPERATIONS} operations in all (`repeat` loops unrolled)"
            ),
            Some("use fewer or shorter `repeat` loops, or fewer processes".to_string()),
        );
        ok = false;
    }
    ok.then_some(out)
}

fn check_process(
    p: &Sp<RawProcess>,
    scheduler: Option<&CheckedScheduler>,
    objects: &ObjectTable,
    seen: &mut HashMap<String, Pos>,
    ck: &mut Checker<'_, '_>,
) -> Option<ProcessSpec> {
    let r = &p.v;
    let name = match &r.name {
        Some(v) => ck.text("name", v).and_then(|name| {
            if !is_valid_name(&name) {
                let shown: String = name.chars().take(40).collect();
                ck.error(
                    "bad-name",
                    v.pos,
                    format!("invalid process name `{shown}`"),
                    Some("process names use only letters, digits, `_`, `.` and `-`, e.g. `P1`".to_string()),
                );
                return None;
            }
            if let Some(first) = seen.get(&name) {
                let line = first.line;
                ck.error(
                    "duplicate-name",
                    v.pos,
                    format!("duplicate process name `{name}`"),
                    Some(format!("process names must be unique; `{name}` is first used on line {line}")),
                );
                return None;
            }
            seen.insert(name.clone(), v.pos);
            Some(name)
        }),
        None => {
            ck.missing(
                "name",
                "this process",
                p.pos,
                Some("every process needs a unique name, e.g. `name: P1`".to_string()),
            );
            None
        }
    };
    let arrival = r.arrival.as_ref().map_or(Some(0), |v| ck.ticks("arrival", v, 0, None));
    let priority = r.priority.as_ref().map_or(Some(0), |v| {
        ck.int("priority", v, (-MAX_PRIORITY).into(), MAX_PRIORITY.into(), None).map(|n| n as i64)
    });
    let tickets = r.tickets.as_ref().map_or(Some(1), |v| ck.ticks("tickets", v, 1, None));
    let class = r.class.as_ref().map_or(Some(0), |v| check_class(v, scheduler, ck));
    let program = check_process_program(p, objects, ck);
    Some(ProcessSpec {
        name: name?,
        arrival: arrival?,
        priority: priority?,
        class: class?,
        tickets: tickets?,
        program: program?,
    })
}

/// The one of `program`, `bursts` and `burst` that is given.
fn check_process_program(p: &Sp<RawProcess>, objects: &ObjectTable, ck: &mut Checker<'_, '_>) -> Option<Program> {
    let r = &p.v;
    match (&r.program, &r.bursts, &r.burst) {
        (None, Some(_), Some(b)) => {
            let kpos = ck.key_pos(b.pos, "burst");
            ck.error(
                "conflicting-keys",
                kpos,
                "`burst` and `bursts` are both given",
                Some("`burst: N` is shorthand for `bursts: [cpu N]`: keep only one of them".to_string()),
            );
            None
        }
        (Some(program), Some(_), _) | (Some(program), _, Some(_)) => {
            let other = if r.bursts.is_some() { "bursts" } else { "burst" };
            let kpos = ck.key_pos(program.pos, "program");
            ck.error(
                "conflicting-keys",
                kpos,
                format!("`program` and `{other}` are both given"),
                Some(format!(
                    "a process has one program: keep `program` (it accepts `cpu N` and `io N` too) or `{other}`"
                )),
            );
            None
        }
        (Some(program), None, None) => check_program(program, objects, ck),
        (None, Some(list), None) => check_bursts(list, ck),
        (None, None, Some(b)) => ck
            .ticks("burst", b, 1, Some("`burst: N` is a single CPU burst of N ticks, e.g. `burst: 5`"))
            .map(|n| Program::from_ops([super::program::Op::Cpu(n)])),
        (None, None, None) => {
            ck.missing("bursts", "this process", p.pos, key_hint("bursts"));
            None
        }
    }
}

fn check_class(v: &Sp<Any>, scheduler: Option<&CheckedScheduler>, ck: &mut Checker<'_, '_>) -> Option<u32> {
    let mlq = scheduler.filter(|s| s.0.policy == PolicyKind::Mlq);
    let count = mlq.map(|s| s.0.queues.len());
    if let (Any::Str(s), Some(sched)) = (&v.v, mlq)
        && s.parse::<i64>().is_err()
    {
        if let Some(&i) = sched.2.get(s.as_str()) {
            return Some(i);
        }
        if ck.is_full() {
            // The error would be dropped: skip the suggestion, which costs a pass over every queue name.
            ck.error("class-out-of-range", v.pos, String::new(), None);
            return None;
        }
        let names: Vec<&str> = sched.1.iter().flatten().map(String::as_str).collect();
        let hint = match closest(s, names.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if names.is_empty() => "the queues have no `name`: use the queue's index (0 is the first)".to_string(),
            None if names.len() > 12 => {
                format!("the queue names are {}, ... ({} queues)", backticked_list(&names[..12], "and"), names.len())
            }
            None => format!("the queue names are {}", backticked_list(&names, "and")),
        };
        ck.error("class-out-of-range", v.pos, format!("no queue is named `{s}`"), Some(hint));
        return None;
    }
    let n = ck.int("class", v, 0, u32::MAX.into(), None)? as u32;
    if let Some(count) = count
        && n as usize >= count
    {
        let found = v.v.describe(ck.src.slice(v.pos));
        let plural = if count == 1 { "queue" } else { "queues" };
        ck.error(
            "class-out-of-range",
            v.pos,
            format!("`class` must be less than the number of queues ({count}), found {found}"),
            Some(format!("`scheduler.queues` has {count} {plural}: classes are numbered 0 to {}", count - 1)),
        );
        return None;
    }
    Some(n)
}

fn check_expect(e: &RawExpect, procs: &[ProcessSpec], ck: &mut Checker<'_, '_>) -> Option<Expectations> {
    let mut ok = true;
    let mut out = Expectations::default();
    macro_rules! opt {
        ($v:expr) => {
            match $v {
                Some(Some(x)) => Some(x),
                Some(None) => {
                    ok = false;
                    None
                }
                None => None,
            }
        };
    }
    out.source = opt!(e.source.as_ref().map(|v| ck.text("source", v)));
    let max = MAX_TOTAL_TICKS as f64;
    out.avg_waiting = opt!(e.avg_waiting.as_ref().map(|v| ck.number("avg_waiting", v, 0.0, max, None)));
    out.avg_turnaround = opt!(e.avg_turnaround.as_ref().map(|v| ck.number("avg_turnaround", v, 0.0, max, None)));
    out.avg_response = opt!(e.avg_response.as_ref().map(|v| ck.number("avg_response", v, 0.0, max, None)));
    out.makespan = opt!(
        e.makespan.as_ref().map(|v| { ck.int("makespan", v, 0, MAX_TOTAL_TICKS as i128, None).map(|n| n as Tick) })
    );
    let outcomes = [("completed", ExpectedOutcome::Completed), ("deadlock", ExpectedOutcome::Deadlock)];
    out.outcome = opt!(e.outcome.as_ref().map(|v| ck.keyword("outcome", v, &outcomes)));
    if let Some(c) = &e.completion {
        let names: HashMap<&str, ()> = procs.iter().map(|p| (p.name.as_str(), ())).collect();
        let all: Vec<&str> = procs.iter().map(|p| p.name.as_str()).collect();
        for (k, v) in &c.v.0 {
            let name = ck.text("completion", k);
            let tick = ck
                .int("completion", v, 0, MAX_TOTAL_TICKS as i128, Some("a completion tick, e.g. `P1: 24`"))
                .map(|n| n as Tick);
            match (name, tick) {
                (Some(name), Some(tick)) => {
                    if !procs.is_empty() && !names.contains_key(name.as_str()) {
                        // Over the diagnostics limit the error is dropped: skip the pass over every process name.
                        let best = (!ck.is_full()).then(|| closest(&name, all.iter().copied())).flatten();
                        let hint = match best {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => "list only processes of `processes`".to_string(),
                        };
                        ck.error(
                            "unknown-process",
                            k.pos,
                            format!("`completion` names `{name}`, which is not a process of this case"),
                            Some(hint),
                        );
                        ok = false;
                    }
                    out.completion.push((name, tick));
                }
                _ => ok = false,
            }
        }
    }
    ok.then_some(out)
}
