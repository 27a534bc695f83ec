//! The outcome of one (submission, test case) pair.
//!
//! A fault in student code is always a [`Verdict`], never an `Err`: `Err` is reserved for failures of the grader
//! itself, which are reported as [`Verdict::HarnessError`] ("not gradable") and never scored as a silent zero.
//! Each variant has a stable kebab-case name ([`Verdict::name`]) used in reports, JSON and the gradebook.
//!
//! # What students read
//!
//! A verdict's words come in two parts, so that every output can keep them apart:
//!
//! - [`Verdict::headline`]: the grader's own sentence. It holds only the verdict, limits from the rubric, signal
//!   names from the host's table, event numbers, and hook and syscall names (as code spans in Markdown).
//! - [`Verdict::student_text`]: the text the submission controls (its messages, the compiler's output, texts the
//!   worker sent), which renderers show only through [`crate::untrusted`] (in a fence, escaped, or made inert).
//!
//! Neither part depends on the machine's load: a run's timings, CPU time and memory use never appear in them, and
//! a timeout reads the same whichever of its two limits the host noticed first ([`Verdict::log_note`] says which,
//! for logs only). [`Verdict::bounded`] cuts every text field to the constants of [`crate::untrusted`].

use serde::Serialize;

use crate::diff::Divergence;
use crate::untrusted::{self, BUILD_LOG_MAX_BYTES, MESSAGE_MAX_BYTES};

/// Which time limit the host noticed first. For logs only: under load the wall clock can run out before the CPU
/// limit, so the same submission may get either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// The CPU-time limit (`RLIMIT_CPU`, signalled by `SIGXCPU`).
    Cpu,
    /// The wall-clock limit kept by the host (catches sleeping workers).
    Wall,
}

/// The verdict of one test.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// The trace matched the golden trace exactly.
    Passed,
    /// The trace differs; `divergence` locates the first differing event.
    WrongTrace { divergence: Divergence },
    /// The worker ran out of time: its CPU-time limit (`cpu_ms`) or its wall-clock limit (`wall_ms`). Which one the
    /// host noticed first depends on the machine's load, so students read both limits, and `clock` (never
    /// serialised, never in a report) is for logs only.
    Timeout {
        cpu_ms: u64,
        wall_ms: u64,
        #[serde(skip)]
        clock: Clock,
    },
    /// The worker died of a signal.
    Crashed { signal: String },
    /// A hook panicked.
    Panicked { hook: String, message: String },
    /// A hook reached `todo!()` or `unimplemented!()`.
    NotImplemented { hook: String, message: String },
    /// A hook broke the contract (or `new` rejected the configuration).
    ContractViolation { hook: String, message: String },
    /// The worker exceeded its memory limit.
    MemoryLimit { limit_mib: u64 },
    /// The worker printed more than the output limit.
    OutputLimit { limit_kib: u64 },
    /// The worker exited without sending a result.
    NoResult { detail: String },
    /// The worker attempted a forbidden system call or access.
    SandboxViolation { syscall: String },
    /// The library was built against another ABI, or lacks the exported symbols or this policy.
    AbiMismatch { message: String },
    /// The submission did not compile.
    BuildFailed { log: String },
    /// The grader itself failed: this test is not gradable.
    HarnessError { message: String },
}

impl Verdict {
    /// Every verdict name, in the order reports list them.
    pub const NAMES: [&'static str; 14] = [
        "passed",
        "wrong-trace",
        "timeout",
        "crashed",
        "panicked",
        "not-implemented",
        "contract-violation",
        "memory-limit",
        "output-limit",
        "no-result",
        "sandbox-violation",
        "abi-mismatch",
        "build-failed",
        "harness-error",
    ];

    /// The stable kebab-case name.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::WrongTrace { .. } => "wrong-trace",
            Verdict::Timeout { .. } => "timeout",
            Verdict::Crashed { .. } => "crashed",
            Verdict::Panicked { .. } => "panicked",
            Verdict::NotImplemented { .. } => "not-implemented",
            Verdict::ContractViolation { .. } => "contract-violation",
            Verdict::MemoryLimit { .. } => "memory-limit",
            Verdict::OutputLimit { .. } => "output-limit",
            Verdict::NoResult { .. } => "no-result",
            Verdict::SandboxViolation { .. } => "sandbox-violation",
            Verdict::AbiMismatch { .. } => "abi-mismatch",
            Verdict::BuildFailed { .. } => "build-failed",
            Verdict::HarnessError { .. } => "harness-error",
        }
    }

    /// True only for [`Verdict::Passed`].
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Passed)
    }

    /// False for [`Verdict::HarnessError`]: the grader failed, so the test cannot be scored.
    pub fn gradable(&self) -> bool {
        !matches!(self, Verdict::HarnessError { .. })
    }

    /// The grader's own words about this verdict, without any text the submission controls: safe in every format.
    /// The hook, syscall and signal names it quotes are [`untrusted::name`]s, which hold no Markdown, HTML or
    /// control character.
    pub fn headline(&self) -> String {
        let quote = |name: &str| format!("`{}`", untrusted::name(name));
        match self {
            Verdict::Passed => "passed".to_owned(),
            Verdict::WrongTrace { divergence } => {
                format!("wrong trace: first difference at event {}", divergence.index + 1)
            }
            Verdict::Timeout { cpu_ms, wall_ms, .. } => format!(
                "timeout: did not finish within the time limits ({cpu_ms} ms of CPU time, {wall_ms} ms of wall-clock time)"
            ),
            Verdict::Crashed { signal } => format!("crashed: killed by {}", untrusted::name(signal)),
            Verdict::Panicked { hook, .. } => format!("panicked in {}", quote(hook)),
            Verdict::NotImplemented { hook, .. } => format!("not implemented: {}", quote(hook)),
            Verdict::ContractViolation { hook, .. } => format!("contract violation in {}", quote(hook)),
            Verdict::MemoryLimit { limit_mib } => format!("memory limit: tried to use more than {limit_mib} MiB"),
            Verdict::OutputLimit { limit_kib } => format!("output limit: printed more than {limit_kib} KiB"),
            Verdict::NoResult { .. } => "no result".to_owned(),
            Verdict::SandboxViolation { syscall } => format!("sandbox violation: forbidden {}", quote(syscall)),
            Verdict::AbiMismatch { .. } => "abi mismatch".to_owned(),
            Verdict::BuildFailed { .. } => "build failed".to_owned(),
            Verdict::HarnessError { .. } => "not gradable (grader error)".to_owned(),
        }
    }

    /// The text the submission controls (a message, the compiler's output, what the worker sent), if this verdict
    /// has one. Untrusted: render it only through [`crate::untrusted`].
    pub fn student_text(&self) -> Option<&str> {
        match self {
            Verdict::Panicked { message, .. }
            | Verdict::NotImplemented { message, .. }
            | Verdict::ContractViolation { message, .. }
            | Verdict::AbiMismatch { message }
            | Verdict::HarnessError { message } => Some(message),
            Verdict::NoResult { detail } => Some(detail),
            Verdict::BuildFailed { log } => Some(log),
            Verdict::Passed
            | Verdict::WrongTrace { .. }
            | Verdict::Timeout { .. }
            | Verdict::Crashed { .. }
            | Verdict::MemoryLimit { .. }
            | Verdict::OutputLimit { .. }
            | Verdict::SandboxViolation { .. } => None,
        }
    }

    /// The headline and the student's text ([`untrusted::inert`], possibly on several lines) in one string, for
    /// plain-text contexts and tests; the build log is left out (it has its own section). Not Markdown-safe.
    pub fn summary(&self) -> String {
        match self.student_text().filter(|_| !matches!(self, Verdict::BuildFailed { .. })) {
            Some(text) => format!("{}: {}", self.headline(), untrusted::inert(text)),
            None => self.headline(),
        }
    }

    /// A fact about this run that depends on the machine's load, for logs (`--verbose`) only: never in a report.
    pub fn log_note(&self) -> Option<&'static str> {
        match self {
            Verdict::Timeout { clock: Clock::Cpu, .. } => Some("the CPU-time limit was noticed first"),
            Verdict::Timeout { clock: Clock::Wall, .. } => Some("the wall-clock limit was noticed first"),
            _ => None,
        }
    }

    /// This verdict with every text field cut to its constant in [`crate::untrusted`] and made inert: what a
    /// [`crate::grade::TestOutcome`] stores. Idempotent.
    pub fn bounded(self) -> Verdict {
        use untrusted::{name, store};
        match self {
            Verdict::WrongTrace { divergence } => Verdict::WrongTrace { divergence: divergence.bounded() },
            Verdict::Crashed { signal } => Verdict::Crashed { signal: name(&signal) },
            Verdict::Panicked { hook, message } => {
                Verdict::Panicked { hook: name(&hook), message: store(&message, MESSAGE_MAX_BYTES) }
            }
            Verdict::NotImplemented { hook, message } => {
                Verdict::NotImplemented { hook: name(&hook), message: store(&message, MESSAGE_MAX_BYTES) }
            }
            Verdict::ContractViolation { hook, message } => {
                Verdict::ContractViolation { hook: name(&hook), message: store(&message, MESSAGE_MAX_BYTES) }
            }
            Verdict::NoResult { detail } => Verdict::NoResult { detail: store(&detail, MESSAGE_MAX_BYTES) },
            Verdict::SandboxViolation { syscall } => Verdict::SandboxViolation { syscall: name(&syscall) },
            Verdict::AbiMismatch { message } => Verdict::AbiMismatch { message: store(&message, MESSAGE_MAX_BYTES) },
            Verdict::BuildFailed { log } => Verdict::BuildFailed { log: store(&log, BUILD_LOG_MAX_BYTES) },
            Verdict::HarnessError { message } => Verdict::HarnessError { message: store(&message, MESSAGE_MAX_BYTES) },
            other @ (Verdict::Passed
            | Verdict::Timeout { .. }
            | Verdict::MemoryLimit { .. }
            | Verdict::OutputLimit { .. }) => other,
        }
    }
}
