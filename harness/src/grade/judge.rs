//! Turning what a worker reported into a [`Verdict`]: compare a completed run with the golden trace, and map
//! every fault to its verdict. Pure functions, so each mapping is unit-testable without a worker.
//!
//! Everything in a response is the submission's text (student code shares the worker's process and can write the
//! response itself), so the verdict is [`Verdict::bounded`] before it is returned, and only the first
//! `golden length + AFTER` lines of the actual trace are diffed: a longer trace is wrong wherever it goes on.

use super::golden::Golden;
use super::protocol::{FaultKind, WorkerEnd, WorkerResponse};
use crate::diff::{AFTER, first_divergence};
use crate::untrusted::{MESSAGE_MAX_BYTES, name, store};
use crate::verdict::Verdict;

/// The verdict of a well-formed worker response, [`Verdict::bounded`].
pub fn judge_response(response: &WorkerResponse, golden: &Golden) -> Verdict {
    unbounded_verdict(response, golden).bounded()
}

/// A student's message, cut with room left for the grader's words around it (`(at t=…)`, `rejected …: `), so
/// that [`Verdict::bounded`] does not cut those off.
fn message(text: &str) -> String {
    store(text, MESSAGE_MAX_BYTES - 64)
}

fn unbounded_verdict(response: &WorkerResponse, golden: &Golden) -> Verdict {
    match &response.end {
        // A deadlock is an outcome of the workload (rule O11): the run's trace is compared like a completed one's,
        // so the student's scheduler is judged only on what it decided.
        WorkerEnd::Completed | WorkerEnd::Deadlock { .. } => {
            let diffed = &response.trace[..response.trace.len().min(golden.trace.len() + AFTER)];
            match first_divergence(&golden.trace, diffed) {
                None => Verdict::Passed,
                Some(mut divergence) => {
                    divergence.actual_len = response.trace.len();
                    Verdict::WrongTrace { divergence }
                }
            }
        }
        WorkerEnd::Faulted { time, hook, kind, message } => {
            // Cut before formatting or cloning, so that a huge message is never copied.
            let (hook, message) = (name(hook), format!("{} (at t={time})", self::message(message)));
            match kind {
                FaultKind::Panicked => Verdict::Panicked { hook, message },
                FaultKind::NotImplemented => Verdict::NotImplemented { hook, message },
                FaultKind::Rejected => Verdict::ContractViolation {
                    hook,
                    message: format!("rejected the test's configuration: {message}"),
                },
                FaultKind::Protocol => Verdict::AbiMismatch { message: format!("`{hook}`: {message}") },
            }
        }
        WorkerEnd::Violated { time, hook, message } => Verdict::ContractViolation {
            hook: name(hook),
            message: format!("{} (at t={time})", self::message(message)),
        },
        WorkerEnd::AbiMismatch { message } => Verdict::AbiMismatch { message: self::message(message) },
        WorkerEnd::MissingPolicy { policy } => Verdict::NotImplemented {
            hook: "export_schedulers!".into(),
            message: format!(
                "the library does not export the `{}` policy; list it in `export_schedulers!`",
                name(policy)
            ),
        },
    }
}

/// The verdict of a response that is not valid JSON of the expected shape. The student's code shares the
/// worker's process and could have written anything to the result channel, so this is the submission's fault.
pub fn malformed_response(error: &str) -> Verdict {
    Verdict::NoResult { detail: format!("the worker's result was malformed ({error})") }.bounded()
}
