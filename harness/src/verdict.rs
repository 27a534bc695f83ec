//! The outcome of one (submission, test case) pair.
//!
//! A fault in student code is always a [`Verdict`], never an `Err`: `Err` is reserved for failures of the grader
//! itself, which are reported as [`Verdict::HarnessError`] ("not gradable") and never scored as a silent zero.
//! Each variant has a stable kebab-case name ([`Verdict::name`]) used in reports, JSON and the gradebook.

use serde::Serialize;

use crate::diff::Divergence;

/// Which clock ran out.
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
    /// The worker ran out of time.
    Timeout { clock: Clock, limit_ms: u64 },
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

    /// A one-line explanation for students, without the divergence details.
    pub fn summary(&self) -> String {
        match self {
            Verdict::Passed => "passed".to_owned(),
            Verdict::WrongTrace { divergence } => {
                format!("wrong trace: first difference at event {}", divergence.index + 1)
            }
            Verdict::Timeout { clock: Clock::Cpu, limit_ms } => format!("timeout: used more than {limit_ms} ms of CPU"),
            Verdict::Timeout { clock: Clock::Wall, limit_ms } => {
                format!("timeout: still running after {limit_ms} ms of wall-clock time")
            }
            Verdict::Crashed { signal } => format!("crashed: killed by {signal}"),
            Verdict::Panicked { hook, message } => format!("panicked in `{hook}`: {message}"),
            Verdict::NotImplemented { hook, message } => format!("not implemented: `{hook}`: {message}"),
            Verdict::ContractViolation { hook, message } => format!("contract violation in `{hook}`: {message}"),
            Verdict::MemoryLimit { limit_mib } => format!("memory limit: tried to use more than {limit_mib} MiB"),
            Verdict::OutputLimit { limit_kib } => format!("output limit: printed more than {limit_kib} KiB"),
            Verdict::NoResult { detail } => format!("no result: {detail}"),
            Verdict::SandboxViolation { syscall } => format!("sandbox violation: forbidden `{syscall}`"),
            Verdict::AbiMismatch { message } => format!("abi mismatch: {message}"),
            Verdict::BuildFailed { .. } => "build failed".to_owned(),
            Verdict::HarnessError { message } => format!("not gradable (grader error): {message}"),
        }
    }
}
