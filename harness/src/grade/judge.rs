//! Turning what a worker reported into a [`Verdict`]: compare a completed run with the golden trace, and map
//! every fault to its verdict. Pure functions, so each mapping is unit-testable without a worker.

use super::golden::Golden;
use super::protocol::{FaultKind, WorkerEnd, WorkerResponse};
use crate::diff::first_divergence;
use crate::verdict::Verdict;

/// The verdict of a well-formed worker response.
pub fn judge_response(response: &WorkerResponse, golden: &Golden) -> Verdict {
    match &response.end {
        WorkerEnd::Completed => match first_divergence(&golden.trace, &response.trace) {
            None => Verdict::Passed,
            Some(divergence) => Verdict::WrongTrace { divergence },
        },
        WorkerEnd::Faulted { time, hook, kind, message } => {
            let (hook, message) = (hook.clone(), format!("{message} (at t={time})"));
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
        WorkerEnd::Violated { time, hook, message } => {
            Verdict::ContractViolation { hook: hook.clone(), message: format!("{message} (at t={time})") }
        }
        WorkerEnd::AbiMismatch { message } => Verdict::AbiMismatch { message: message.clone() },
        WorkerEnd::MissingPolicy { policy } => Verdict::NotImplemented {
            hook: "export_schedulers!".into(),
            message: format!("the library does not export the `{policy}` policy; list it in `export_schedulers!`"),
        },
    }
}

/// The verdict of a response that is not valid JSON of the expected shape. The student's code shares the
/// worker's process and could have written anything to the result channel, so this is the submission's fault.
pub fn malformed_response(error: &str) -> Verdict {
    Verdict::NoResult { detail: format!("the worker's result was malformed ({error})") }
}
