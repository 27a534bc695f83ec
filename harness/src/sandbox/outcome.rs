//! One classification of a worker run, for the grader's verdicts.

use std::fmt;

use super::host::{ExitStatus, WorkerExit};
use schedgrade_kernel::wire::WorkerError;

/// What a worker run amounts to, decided by [`WorkerExit::outcome`].
///
/// Precedence, first match wins:
///
/// 0. `worker-error`: the worker ended before its loading marker (`L` frame), so no student code ever ran: an `E`
///    frame it sent, or else a description of how it ended. Always the grader's fault;
/// 1. `sandbox-violation`: a `V` frame, or death by `SIGSYS` (a trap the handler could not report);
/// 2. `output-limit`: stdout or stderr exceeded the cap;
/// 3. `bad-result`: the result channel exceeded its cap (the host killed the worker for it);
/// 4. `cpu-timeout`: `SIGXCPU`, or `SIGKILL` at the hard CPU limit;
/// 5. `wall-timeout`: the host killed the worker at the wall-clock limit;
/// 6. `memory-limit`: death by a signal after the host saw a request for memory that would cross the limit
///    (never anything on stderr: student code controls that);
/// 7. `crashed`: any other death by signal;
/// 8. `load-failed`: an `E` frame after the marker of a kind only `dlopen` and the ABI check produce
///    (`abi-mismatch`, `missing-symbol`, `load-error`): the student's library. Any other `E` frame after the marker
///    claims a grader fault that student code could have forged: `bad-result`;
/// 9. `bad-result`: the result channel broke the protocol (garbage, truncated or extra frames);
/// 10. `result`: exit code 0 and exactly one result frame;
/// 11. `no-result`: anything else (exited without a result, or with a result but a non-zero code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawOutcome {
    /// The worker finished and sent these result bytes (untrusted: the grader still has to decode them).
    Result(Vec<u8>),
    /// The CPU limit was hit.
    CpuTimeout,
    /// The wall-clock limit was hit.
    WallTimeout,
    /// Killed by a signal (not one of the cases above).
    Crashed {
        /// The signal number.
        signal: i32,
        /// Its name, such as `SIGSEGV`.
        signal_name: &'static str,
    },
    /// An allocation failed at the address-space limit.
    MemoryLimit,
    /// stdout or stderr exceeded the output cap.
    OutputLimit,
    /// The student code made a forbidden syscall.
    SandboxViolation {
        /// Its name (`clone`, `socket`, ...), `syscall-<nr>` if unknown, or `unknown` when the handler could not
        /// report it: the syscall was made with `SIGSYS` blocked (as `pthread_create` does around `clone3`), or
        /// for another architecture (the filters kill those outright).
        syscall: String,
    },
    /// The worker reported an error before any student code could run: the grader's fault.
    WorkerError(WorkerError),
    /// The student library did not load, or does not speak this grader's ABI.
    LoadFailed(WorkerError),
    /// The result channel broke the protocol.
    BadResult {
        /// How.
        problem: String,
    },
    /// The worker exited without a result.
    NoResult {
        /// Its exit code.
        exit_code: i32,
    },
}

impl RawOutcome {
    /// The stable kebab-case name of the outcome.
    pub fn name(&self) -> &'static str {
        match self {
            RawOutcome::Result(_) => "result",
            RawOutcome::CpuTimeout => "cpu-timeout",
            RawOutcome::WallTimeout => "wall-timeout",
            RawOutcome::Crashed { .. } => "crashed",
            RawOutcome::MemoryLimit => "memory-limit",
            RawOutcome::OutputLimit => "output-limit",
            RawOutcome::SandboxViolation { .. } => "sandbox-violation",
            RawOutcome::WorkerError(_) => "worker-error",
            RawOutcome::LoadFailed(_) => "load-failed",
            RawOutcome::BadResult { .. } => "bad-result",
            RawOutcome::NoResult { .. } => "no-result",
        }
    }
}

impl fmt::Display for RawOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawOutcome::Result(bytes) => write!(f, "result ({} bytes)", bytes.len()),
            RawOutcome::Crashed { signal_name, .. } => write!(f, "crashed ({signal_name})"),
            RawOutcome::SandboxViolation { syscall } => {
                write!(f, "sandbox-violation (`{syscall}`)")
            }
            RawOutcome::WorkerError(e) => write!(f, "worker-error ({}: {})", e.kind, e.message),
            RawOutcome::LoadFailed(e) => write!(f, "load-failed ({}: {})", e.kind, e.message),
            RawOutcome::BadResult { problem } => write!(f, "bad-result ({problem})"),
            RawOutcome::NoResult { exit_code } => write!(f, "no-result (exit code {exit_code})"),
            other => f.write_str(other.name()),
        }
    }
}

/// The `E` frame kinds the worker writes when `dlopen` or the ABI check fails (see the worker's `LoadError`).
const LOAD_FAILURE_KINDS: [&str; 3] = ["abi-mismatch", "missing-symbol", "load-error"];

impl WorkerExit {
    /// How the process ended, in words, for a grader-side error.
    fn describe_end(&self) -> String {
        let how = match self.status {
            ExitStatus::Exited(code) => format!("exit code {code}"),
            ExitStatus::Signaled { name, .. } => format!("killed by {name}"),
        };
        let why = if self.wall_timed_out {
            ", after the host's preparation time limit"
        } else if self.output_exceeded {
            ", after printing too much"
        } else if self.violation.is_some() {
            ", after a denied syscall"
        } else {
            ""
        };
        format!("{how}{why}")
    }

    /// Classifies this run (see [`RawOutcome`] for the precedence).
    pub fn outcome(&self) -> RawOutcome {
        let (signal, exit_code) = match self.status {
            ExitStatus::Signaled { signal, name } => (Some((signal, name)), -1),
            ExitStatus::Exited(code) => (None, code),
        };
        if self.loading.is_none() {
            return RawOutcome::WorkerError(self.error.clone().unwrap_or_else(|| WorkerError {
                kind: "worker-failed".to_owned(),
                message: format!("the worker ended before loading the library ({})", self.describe_end()),
            }));
        }
        if let Some(syscall) = &self.violation {
            return RawOutcome::SandboxViolation { syscall: syscall.clone() };
        }
        if let Some((libc::SIGSYS, _)) = signal {
            return RawOutcome::SandboxViolation { syscall: "unknown".to_owned() };
        }
        if self.output_exceeded {
            return RawOutcome::OutputLimit;
        }
        if self.result_exceeded {
            let problem = self.protocol_problem.clone().unwrap_or_default();
            return RawOutcome::BadResult { problem };
        }
        if self.cpu_timed_out {
            return RawOutcome::CpuTimeout;
        }
        if self.wall_timed_out {
            return RawOutcome::WallTimeout;
        }
        if let Some((signal, signal_name)) = signal {
            if self.memory_limit_reached {
                return RawOutcome::MemoryLimit;
            }
            return RawOutcome::Crashed { signal, signal_name };
        }
        if let Some(error) = &self.error {
            // Only the E frames written before the marker are the grader's, and those were handled above.
            return if LOAD_FAILURE_KINDS.contains(&error.kind.as_str()) {
                RawOutcome::LoadFailed(error.clone())
            } else {
                RawOutcome::BadResult { problem: "an error frame was sent after student code could run".to_owned() }
            };
        }
        if let Some(problem) = &self.protocol_problem {
            return RawOutcome::BadResult { problem: problem.clone() };
        }
        match &self.result {
            Some(result) if exit_code == 0 => RawOutcome::Result(result.clone()),
            _ => RawOutcome::NoResult { exit_code },
        }
    }
}
