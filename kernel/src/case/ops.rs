//! The operations a program may use, one descriptor each. The loader's parser and checks, its error hints and the
//! JSON schema are all derived from [`OPS`], so adding an operation means adding one entry here (and its rule in
//! `docs/semantics.md`, and its meaning in the kernel).

use schedgrade_contract::Tick;

use super::diag::backticked_list;
use super::model::ObjectKind;
use super::program::{ObjId, Op};

/// The kind of one argument of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A number of ticks, at least 1.
    Ticks,
    /// The name of an object of this kind, declared under `objects:`.
    Object(ObjectKind),
}

impl ArgKind {
    /// How the argument is shown in a template such as `lock M`.
    pub fn placeholder(self) -> &'static str {
        match self {
            ArgKind::Ticks => "N",
            ArgKind::Object(ObjectKind::Mutex) => "M",
            ArgKind::Object(ObjectKind::Semaphore) => "S",
        }
    }

    /// The regular expression of a valid argument, for the JSON schema.
    pub fn pattern(self) -> &'static str {
        match self {
            ArgKind::Ticks => "[1-9][0-9]*",
            ArgKind::Object(_) => "[A-Za-z0-9_.-]+",
        }
    }
}

/// A checked argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    Ticks(Tick),
    Object(ObjId),
}

impl Arg {
    fn ticks(args: &[Arg], i: usize) -> Option<Tick> {
        match args.get(i)? {
            Arg::Ticks(n) => Some(*n),
            Arg::Object(_) => None,
        }
    }

    fn object(args: &[Arg], i: usize) -> Option<ObjId> {
        match args.get(i)? {
            Arg::Object(id) => Some(*id),
            Arg::Ticks(_) => None,
        }
    }
}

/// One operation kind: how it is written, what it takes, what it means.
#[derive(Debug)]
pub struct OpSpec {
    /// The keyword, lowercase: `cpu`, `lock`, ...
    pub name: &'static str,
    /// Its arguments, in order.
    pub args: &'static [ArgKind],
    /// What it does, in one sentence (the schema's description; the rule number in `docs/semantics.md`).
    pub doc: &'static str,
    /// A typical use, e.g. `lock m`.
    pub example: &'static str,
    /// Whether `bursts:` accepts it (`bursts:` is the original CPU/I-O-only form of a program).
    pub in_bursts: bool,
    /// Builds the operation from checked arguments: `None` unless they are as many as `args`, of those kinds.
    pub build: fn(&[Arg]) -> Option<Op>,
}

impl OpSpec {
    /// The template, e.g. `cpu N` or `yield`.
    pub fn template(&self) -> String {
        let mut out = self.name.to_string();
        for arg in self.args {
            out.push(' ');
            out.push_str(arg.placeholder());
        }
        out
    }
}

/// Every operation kind.
pub const OPS: &[OpSpec] = &[
    OpSpec {
        name: "cpu",
        args: &[ArgKind::Ticks],
        doc: "compute for N ticks: one CPU burst (O1, O2)",
        example: "cpu 5",
        in_bursts: true,
        build: |a| Arg::ticks(a, 0).map(Op::Cpu),
    },
    OpSpec {
        name: "io",
        args: &[ArgKind::Ticks],
        doc: "block for N ticks of I/O, plus any time queued for a device (S8, O4)",
        example: "io 2",
        in_bursts: true,
        build: |a| Arg::ticks(a, 0).map(Op::Io),
    },
    OpSpec {
        name: "lock",
        args: &[ArgKind::Object(ObjectKind::Mutex)],
        doc: "acquire mutex M, blocking while another process holds it (O8)",
        example: "lock m",
        in_bursts: false,
        build: |a| Arg::object(a, 0).map(Op::Lock),
    },
    OpSpec {
        name: "unlock",
        args: &[ArgKind::Object(ObjectKind::Mutex)],
        doc: "release mutex M, handing it to its next waiter (O8)",
        example: "unlock m",
        in_bursts: false,
        build: |a| Arg::object(a, 0).map(Op::Unlock),
    },
    OpSpec {
        name: "wait",
        args: &[ArgKind::Object(ObjectKind::Semaphore)],
        doc: "decrement semaphore S and block if it is then negative (P, down; O7)",
        example: "wait s",
        in_bursts: false,
        build: |a| Arg::object(a, 0).map(Op::Wait),
    },
    OpSpec {
        name: "signal",
        args: &[ArgKind::Object(ObjectKind::Semaphore)],
        doc: "increment semaphore S and wake one waiter, if any (V, up; O7)",
        example: "signal s",
        in_bursts: false,
        build: |a| Arg::object(a, 0).map(Op::Signal),
    },
    OpSpec {
        name: "yield",
        args: &[],
        doc: "give up the CPU and go back to Ready (O9)",
        example: "yield",
        in_bursts: false,
        build: |a| a.is_empty().then_some(Op::Yield),
    },
];

/// The descriptor named `name` (exact, lowercase).
pub fn spec_named(name: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|s| s.name == name)
}

/// The operations a dialect accepts: every one for `program:`, only CPU and I/O for `bursts:`.
pub fn names(bursts_only: bool) -> Vec<&'static str> {
    OPS.iter().filter(|s| s.in_bursts || !bursts_only).map(|s| s.name).collect()
}

/// `` `cpu N` or `io N` `` (`bursts:`), or every template (`program:`).
pub fn templates(bursts_only: bool) -> String {
    let all: Vec<String> = OPS.iter().filter(|s| s.in_bursts || !bursts_only).map(OpSpec::template).collect();
    backticked_list(&all.iter().map(String::as_str).collect::<Vec<_>>(), "or")
}

/// The hint for a malformed operation of `program:`.
pub fn program_hint() -> String {
    format!(
        "write an operation as {}, N >= 1 ticks and M, S the names of objects under `objects:`, or a loop as `{{ repeat: 3, do: [cpu 2, io 1] }}`",
        templates(false)
    )
}
