//! Checks of programs and objects: `objects:`, `program:` (operations from the descriptors of [`super::ops`] and
//! `repeat` loops) and `bursts:` (CPU and I/O only, alternating, as before operations existed).

use std::collections::HashMap;

use schedgrade_contract::Tick;

use super::diag::{Pos, backticked_list, closest};
use super::model::{ObjectKind, ObjectSpec, WakeOrder};
use super::ops::{Arg, ArgKind, OPS, names, program_hint, spec_named, templates};
use super::program::{ObjId, Op, Program, Step};
use super::raw::{MAX_TICK, RawBurst, RawObject, RawRepeat, RawStep};
use super::validate::{Checker, is_valid_name};
use super::yaml::{Any, Entries, Sp};

/// Most iterations of one `repeat` loop.
pub const MAX_REPEAT: u32 = 1_000_000_000;
/// Largest initial value of a semaphore.
pub const MAX_SEMAPHORE: u64 = 1_000_000_000;

/// The declared objects by name, including those whose other settings are invalid (their kind is then `None`),
/// so that a program naming them gets no second, misleading error.
pub struct ObjectTable {
    by_name: HashMap<String, (ObjId, Option<ObjectKind>)>,
    names: Vec<String>,
}

impl ObjectTable {
    pub fn empty() -> ObjectTable {
        ObjectTable { by_name: HashMap::new(), names: Vec::new() }
    }
}

/// The keys each kind of object uses besides `kind` and `wake`, and those of them it requires. The loader's checks
/// and the schema's per-kind rules both read this table.
pub const OBJECT_KEYS: &[(ObjectKind, &[&str], &[&str])] =
    &[(ObjectKind::Mutex, &[], &[]), (ObjectKind::Semaphore, &["initial"], &["initial"])];

fn kind_uses(kind: ObjectKind, key: &str) -> (bool, bool) {
    OBJECT_KEYS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or((false, false), |(_, uses, needs)| (uses.contains(&key), needs.contains(&key)))
}

const OBJECT_KIND_HINT: &str = "write e.g. `m: { kind: mutex }` or `s: { kind: semaphore, initial: 1 }`";

/// Checks `objects:`; returns the table of names (always) and the objects (if all are valid).
pub fn check_objects(
    entries: Option<&Sp<Entries<Any, RawObject>>>,
    ck: &mut Checker<'_, '_>,
) -> (ObjectTable, Option<Vec<ObjectSpec>>) {
    let mut table = ObjectTable::empty();
    let Some(entries) = entries else { return (table, Some(Vec::new())) };
    let mut ok = true;
    let mut out = Vec::with_capacity(entries.v.0.len());
    for (key, value) in &entries.v.0 {
        let name = ck.text("objects", key).and_then(|name| {
            if is_valid_name(&name) {
                return Some(name);
            }
            let shown: String = name.chars().take(40).collect();
            ck.error(
                "bad-name",
                key.pos,
                format!("invalid object name `{shown}`"),
                Some("object names use only letters, digits, `_`, `.` and `-`, e.g. `mutex_a`".to_string()),
            );
            None
        });
        let object = check_object(value, ck);
        if let Some(name) = &name {
            let id = ObjId(u32::try_from(table.names.len()).unwrap_or(u32::MAX));
            table.by_name.insert(name.clone(), (id, object.map(|(kind, _, _)| kind)));
            table.names.push(name.clone());
        }
        match (name, object) {
            (Some(name), Some((kind, initial, wake))) => out.push(ObjectSpec { name, kind, initial, wake }),
            _ => ok = false,
        }
    }
    (table, ok.then_some(out))
}

fn check_object(v: &Sp<RawObject>, ck: &mut Checker<'_, '_>) -> Option<(ObjectKind, u64, WakeOrder)> {
    let r = &v.v;
    let kinds: Vec<(&'static str, ObjectKind)> = ObjectKind::ALL.iter().map(|k| (k.as_str(), *k)).collect();
    let kind = match &r.kind {
        Some(k) => ck.keyword("kind", k, &kinds),
        None => {
            ck.missing("kind", "this object", v.pos, Some(OBJECT_KIND_HINT.to_string()));
            None
        }
    };
    let initial_hint = "a semaphore's initial value, at least 0, e.g. `initial: 1`";
    let initial = match (kind.map(|k| (k, kind_uses(k, "initial"))), &r.initial) {
        (Some((_, (true, _))), Some(i)) => {
            ck.int("initial", i, 0, MAX_SEMAPHORE.into(), Some(initial_hint)).map(|n| n as u64)
        }
        (Some((k, (_, true))), None) => {
            ck.missing(
                "initial",
                &format!("this {}", k.as_str()),
                v.pos,
                Some(format!(
                    "a {} needs its initial value, e.g. `{{ kind: {}, initial: 0 }}`",
                    k.as_str(),
                    k.as_str()
                )),
            );
            None
        }
        (Some((k, (false, _))), Some(i)) => {
            let kpos = ck.key_pos(i.pos, "initial");
            ck.error(
                "key-not-for-kind",
                kpos,
                format!("`initial` is not used by a `{}`", k.as_str()),
                Some(format!("remove `initial` (a {} starts unlocked), or make this a `semaphore`", k.as_str())),
            );
            None
        }
        _ => Some(0),
    };
    let orders = [("fifo", WakeOrder::Fifo), ("priority", WakeOrder::Priority)];
    let wake = r.wake.as_ref().map_or(Some(WakeOrder::Fifo), |w| ck.keyword("wake", w, &orders));
    Some((kind?, initial?, wake?))
}

/// Checks a `program:` list.
pub fn check_program(list: &Sp<Vec<Sp<RawStep>>>, objects: &ObjectTable, ck: &mut Checker<'_, '_>) -> Option<Program> {
    if list.v.is_empty() {
        ck.error(
            "empty-list",
            list.pos,
            "`program` must not be empty",
            Some("a process needs at least one operation, e.g. `program: [cpu 5]`".to_string()),
        );
        return None;
    }
    check_steps(&list.v, objects, ck).map(|steps| Program::new(&steps))
}

fn check_steps(list: &[Sp<RawStep>], objects: &ObjectTable, ck: &mut Checker<'_, '_>) -> Option<Vec<Step>> {
    let mut ok = true;
    let mut steps = Vec::with_capacity(list.len());
    for step in list {
        let checked = match &step.v {
            RawStep::Text(text) => check_op(text, step.pos, objects, ck).map(Step::Op),
            RawStep::Repeat(r) => check_repeat(r, step.pos, objects, ck),
            RawStep::Other(other) => {
                let found = other.describe(ck.src.slice(step.pos));
                let hint = match other {
                    Any::Int(n) => format!("write `cpu {n}` for a CPU burst or `io {n}` for I/O"),
                    _ => program_hint(),
                };
                ck.error(
                    "bad-operation",
                    step.pos,
                    format!("bad operation: expected an operation such as `cpu 5`, found {found}"),
                    Some(hint),
                );
                None
            }
        };
        match checked {
            Some(s) => steps.push(s),
            None => ok = false,
        }
    }
    ok.then_some(steps)
}

fn check_repeat(r: &RawRepeat, pos: Pos, objects: &ObjectTable, ck: &mut Checker<'_, '_>) -> Option<Step> {
    let example = "e.g. `{ repeat: 3, do: [cpu 2, io 1] }`";
    let times = match &r.repeat {
        Some(n) => ck
            .int(
                "repeat",
                n,
                1,
                MAX_REPEAT.into(),
                Some(&format!("how many times the body runs, at least 1, {example}")),
            )
            .map(|n| n as u32),
        None => {
            ck.missing("repeat", "this `repeat` block", pos, Some(format!("say how many times, {example}")));
            None
        }
    };
    let body = match &r.body {
        Some(list) if list.v.is_empty() => {
            ck.error(
                "empty-list",
                list.pos,
                "the `do` of a `repeat` block must not be empty",
                Some(format!("list the operations to repeat, {example}, or remove the block")),
            );
            None
        }
        Some(list) => check_steps(&list.v, objects, ck),
        None => {
            ck.missing("do", "this `repeat` block", pos, Some(format!("list the operations to repeat, {example}")));
            None
        }
    };
    Some(Step::Repeat { times: times?, body: body? })
}

/// Parses one operation of `program:` against the descriptors.
fn check_op(text: &str, pos: Pos, objects: &ObjectTable, ck: &mut Checker<'_, '_>) -> Option<Op> {
    let shown: String = text.chars().take(40).collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some(&word) = words.first() else {
        ck.error("bad-operation", pos, "bad operation: the text is empty", Some(program_hint()));
        return None;
    };
    let rest = words[1..].join(" ");
    let with_rest = |name: &str| if rest.is_empty() { name.to_string() } else { format!("{name} {rest}") };
    let Some(spec) = spec_named(word) else {
        let lower = word.to_ascii_lowercase();
        if spec_named(&lower).is_some() {
            ck.error(
                "bad-operation",
                pos,
                format!("bad operation `{shown}`: write `{lower}` in lowercase"),
                Some(format!("write `{}`", with_rest(&lower))),
            );
        } else {
            let hint = match closest(word, names(false)) {
                Some(best) => format!("did you mean `{}`? {}", with_rest(best), program_hint()),
                None => program_hint(),
            };
            ck.error("bad-operation", pos, format!("bad operation `{shown}`: unknown operation `{word}`"), Some(hint));
        }
        return None;
    };
    let given = words.len() - 1;
    if given != spec.args.len() {
        let takes = match spec.args.len() {
            0 => "no argument".to_string(),
            1 => "1 argument".to_string(),
            n => format!("{n} arguments"),
        };
        ck.error(
            "bad-operation",
            pos,
            format!("bad operation `{shown}`: `{}` takes {takes}, found {given}", spec.name),
            Some(format!("write it as `{}`, e.g. `{}`: {}", spec.template(), spec.example, spec.doc)),
        );
        return None;
    }
    let mut args = Vec::with_capacity(spec.args.len());
    for (&word, &kind) in words[1..].iter().zip(spec.args) {
        args.push(check_arg(spec.name, word, kind, &shown, pos, objects, ck)?);
    }
    let built = (spec.build)(&args);
    if built.is_none() {
        // The arguments were checked against the descriptor: a descriptor whose `build` disagrees is our bug.
        ck.error(
            "internal",
            pos,
            format!(
                "the operation `{}` could not be built from its checked arguments (a bug in schedgrade)",
                spec.name
            ),
            Some("please report this case to the schedgrade maintainers".to_string()),
        );
    }
    built
}

fn check_arg(
    op: &str,
    word: &str,
    kind: ArgKind,
    shown: &str,
    pos: Pos,
    objects: &ObjectTable,
    ck: &mut Checker<'_, '_>,
) -> Option<Arg> {
    match kind {
        ArgKind::Ticks => {
            let Ok(n) = word.parse::<i128>() else {
                ck.error(
                    "bad-operation",
                    pos,
                    format!("bad operation `{shown}`: `{word}` is not a number of ticks"),
                    Some(format!("write a whole number of ticks, at least 1, e.g. `{op} 5`")),
                );
                return None;
            };
            if n < 1 {
                ck.error(
                    "too-small",
                    pos,
                    format!("`{op}` must last at least 1 tick, found `{op} {n}`"),
                    Some("every CPU or I/O operation lasts at least one tick: remove empty ones".to_string()),
                );
                return None;
            }
            if n > i128::from(MAX_TICK) {
                ck.error(
                    "too-large",
                    pos,
                    format!("`{op}` must last at most {MAX_TICK} ticks, found `{op} {n}`"),
                    Some("split the workload or use shorter operations".to_string()),
                );
                return None;
            }
            Some(Arg::Ticks(n as Tick))
        }
        ArgKind::Object(want) => {
            let Some(&(id, have)) = objects.by_name.get(word) else {
                let names: Vec<&str> = objects.names.iter().map(String::as_str).collect();
                let hint = match closest(word, names.iter().copied()) {
                    Some(best) => format!("did you mean `{op} {best}`?"),
                    None => {
                        let initial = if want == ObjectKind::Semaphore { ", initial: 0" } else { "" };
                        format!(
                            "declare it under `objects:`, e.g. `objects: {{ {word}: {{ kind: {}{initial} }} }}`",
                            want.as_str()
                        )
                    }
                };
                ck.error(
                    "unknown-object",
                    pos,
                    format!("`{shown}` names `{word}`, which is not an object of this case"),
                    Some(hint),
                );
                return None;
            };
            match have {
                Some(have) if have != want => {
                    let fitting: Vec<String> = OPS
                        .iter()
                        .filter(|s| s.args.contains(&ArgKind::Object(have)))
                        .map(|s| format!("{} {word}", s.name))
                        .collect();
                    ck.error(
                        "wrong-object-kind",
                        pos,
                        format!("`{shown}`: `{word}` is a {}, but `{op}` needs a {}", have.as_str(), want.as_str()),
                        Some(format!(
                            "a {} takes {}",
                            have.as_str(),
                            backticked_list(&fitting.iter().map(String::as_str).collect::<Vec<_>>(), "and")
                        )),
                    );
                    None
                }
                // An object whose declaration is invalid has been reported already.
                None => None,
                Some(_) => Some(Arg::Object(id)),
            }
        }
    }
}

/// `bursts:`: CPU and I/O only, starting and ending with CPU, alternating.
pub fn check_bursts(list: &Sp<Vec<Sp<RawBurst>>>, ck: &mut Checker<'_, '_>) -> Option<Program> {
    if list.v.is_empty() {
        ck.error(
            "empty-list",
            list.pos,
            "`bursts` must not be empty",
            Some("a process needs at least one CPU burst, e.g. `bursts: [cpu 5]`".to_string()),
        );
        return None;
    }
    let mut ok = true;
    let mut program: Vec<(Op, Pos)> = Vec::with_capacity(list.v.len());
    for b in &list.v {
        match check_burst(b, ck) {
            Some(burst) => program.push((burst, b.pos)),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let kind = |b: &Op| {
        if b.is_cpu() { "cpu" } else { "io" }
    };
    if let Some((first @ Op::Io(_), pos)) = program.first() {
        ck.error(
            "bad-program",
            *pos,
            format!("a program must start with a CPU burst, found `io {}`", burst_len(first)),
            Some("a process runs before it can issue I/O: add a CPU burst first, e.g. `cpu 1`".to_string()),
        );
        ok = false;
    }
    if program.len() > 1
        && let Some((last @ Op::Io(_), pos)) = program.last()
    {
        ck.error(
            "bad-program",
            *pos,
            format!("a program must end with a CPU burst, found `io {}`", burst_len(last)),
            Some(
                "a process completes on the CPU: add a final CPU burst, e.g. `cpu 1`, or remove this I/O burst"
                    .to_string(),
            ),
        );
        ok = false;
    }
    for pair in program.windows(2) {
        let ((a, _), (b, pos)) = (&pair[0], &pair[1]);
        if kind(a) == kind(b) {
            let k = kind(a);
            ck.error(
                "bad-program",
                *pos,
                format!("two `{k}` bursts in a row: `{k} {}` then `{k} {}`", burst_len(a), burst_len(b)),
                Some(format!(
                    "CPU and I/O bursts must alternate: merge them into `{k} {}`",
                    burst_len(a) + burst_len(b)
                )),
            );
            ok = false;
        }
    }
    ok.then(|| Program::from_ops(program.into_iter().map(|(b, _)| b)))
}

fn burst_len(b: &Op) -> Tick {
    match b {
        Op::Cpu(n) | Op::Io(n) => *n,
        _ => 0,
    }
}

fn burst_hint() -> String {
    format!("write a burst as {} with N >= 1 ticks, e.g. `cpu 5`", templates(true))
}

fn check_burst(b: &Sp<RawBurst>, ck: &mut Checker<'_, '_>) -> Option<Op> {
    let expected = templates(true);
    let (kind, n) = match &b.v {
        RawBurst::Cpu(n) => ("cpu", i128::from(*n)),
        RawBurst::Io(n) => ("io", i128::from(*n)),
        RawBurst::Other(Any::Str(s)) => {
            let words: Vec<&str> = s.split_whitespace().collect();
            let parsed = match words.as_slice() {
                [k, n] => n.parse::<i128>().ok().map(|n| (k.to_ascii_lowercase(), n)),
                _ => None,
            };
            let burst_kinds = names(true);
            match parsed {
                Some((k, n)) if burst_kinds.contains(&k.as_str()) => {
                    if words[0] != k {
                        ck.error(
                            "bad-burst",
                            b.pos,
                            format!("bad burst `{s}`: write `{k}` in lowercase"),
                            Some(format!("write `{k} {n}`")),
                        );
                        return None;
                    }
                    (if k == "cpu" { "cpu" } else { "io" }, n)
                }
                Some((k, _)) => {
                    let hint = match closest(&k, burst_kinds) {
                        Some(best) => format!("did you mean `{best} {}`? {}", words[1], burst_hint()),
                        None => burst_hint(),
                    };
                    ck.error(
                        "bad-burst",
                        b.pos,
                        format!("bad burst `{s}`: unknown burst kind `{}`", words[0]),
                        Some(hint),
                    );
                    return None;
                }
                None => {
                    let shown: String = s.chars().take(40).collect();
                    // An operation of `program:` written under `bursts:`: say where it belongs.
                    let hint = match words.first().and_then(|w| spec_named(&w.to_ascii_lowercase())) {
                        Some(spec) if !spec.in_bursts => format!(
                            "`{}` is an operation of `program:`; `bursts:` takes only {expected}: rename `bursts` to `program`",
                            spec.name
                        ),
                        _ => burst_hint(),
                    };
                    ck.error("bad-burst", b.pos, format!("bad burst `{shown}`: expected {expected}"), Some(hint));
                    return None;
                }
            }
        }
        RawBurst::Other(other) => {
            let found = other.describe(ck.src.slice(b.pos));
            let hint = match other {
                Any::Int(n) => {
                    format!("write `cpu {n}` for a CPU burst or `io {n}` for an I/O burst")
                }
                _ => burst_hint(),
            };
            ck.error("bad-burst", b.pos, format!("bad burst: expected {expected}, found {found}"), Some(hint));
            return None;
        }
    };
    if n < 1 {
        let hint = if n == 0 {
            "every burst lasts at least one tick: remove empty bursts"
        } else {
            "a burst length is a positive number of ticks, e.g. `cpu 3`"
        };
        ck.error(
            "too-small",
            b.pos,
            format!("burst length must be at least 1, found `{kind} {n}`"),
            Some(hint.to_string()),
        );
        return None;
    }
    if n > i128::from(MAX_TICK) {
        ck.error(
            "too-large",
            b.pos,
            format!("burst length must be at most {MAX_TICK}, found `{kind} {n}`"),
            Some("split the workload or use shorter bursts".to_string()),
        );
        return None;
    }
    let n = n as Tick;
    Some(if kind == "cpu" { Op::Cpu(n) } else { Op::Io(n) })
}
