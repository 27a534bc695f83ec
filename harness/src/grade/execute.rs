//! Running one (submission, test) pair: a fresh sandboxed worker per test, and the mapping from whatever
//! happened to a [`Verdict`].

use std::path::Path;
use std::time::Instant;

use super::golden::Golden;
use super::judge::{judge_response, malformed_response};
use super::outcome::TestOutcome;
use super::protocol::{WorkerRequest, WorkerResponse};
use crate::rubric::Limits as RubricLimits;
use crate::sandbox::{Limits, RawOutcome, WorkerCommand, WorkerProgram, run_worker};
use crate::verdict::{Clock, Verdict};

/// The sandbox limits of one test, from the rubric.
pub fn worker_limits(limits: &RubricLimits) -> Limits {
    Limits {
        cpu_ms: limits.cpu_ms,
        wall_ms: limits.wall_ms,
        memory_mib: limits.memory_mib,
        output_kib: limits.output_kib,
        ..Limits::default()
    }
}

/// Runs `case_source` against `library` in a fresh worker and judges the result against `golden`.
pub fn run_test(
    worker_program: &'static WorkerProgram,
    library: &Path,
    case_source: &str,
    case_origin: &Path,
    golden: &Golden,
    limits: &RubricLimits,
) -> (TestOutcome, std::time::Duration) {
    let started = Instant::now();
    let result_cap = result_cap_mib(golden);
    let request = request(case_source, case_origin, false);
    let outcome = match run_request(worker_program, library, &request, limits, result_cap) {
        Ok(response) => TestOutcome::new(judge_response(&response, golden), Some(&response.gantt)),
        Err(verdict) => TestOutcome::new(verdict, None),
    };
    (outcome, started.elapsed())
}

/// The result channel's cap for a test, in MiB: room for three times the golden trace and chart (a response
/// repeats them as JSON strings), and at least [`Limits::default`]'s. A longer response is wrong anyway, and the
/// grader's memory per test stays proportional to the case, whatever a submission sends.
pub fn result_cap_mib(golden: &Golden) -> u64 {
    let bytes: usize = golden.trace.iter().chain(&golden.gantt).map(|line| line.len() + 1).sum();
    (bytes as u64 * 3).div_ceil(1024 * 1024).max(Limits::default().result_mib)
}

/// The request for one case. Only the case's file name goes with it: its directory is where the golden trace
/// lives, and the worker gets no path to it.
pub fn request(case_source: &str, case_origin: &Path, full_text: bool) -> WorkerRequest {
    let case_origin = case_origin.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    WorkerRequest { case_source: case_source.to_owned(), case_origin, full_text }
}

/// Runs `request` against `library` in a fresh sandboxed worker: its response, or the verdict of whatever went
/// wrong (a timeout, a crash, a malformed result, ...).
pub fn run_request(
    worker_program: &'static WorkerProgram,
    library: &Path,
    request: &WorkerRequest,
    limits: &RubricLimits,
    result_cap_mib: u64,
) -> Result<WorkerResponse, Verdict> {
    let mut command = WorkerCommand::new(worker_program, Some(library.to_owned()));
    command.stdin_payload = serde_json::to_vec(request).expect("a request always serialises");
    command.limits = Limits { result_mib: result_cap_mib, ..worker_limits(limits) };
    match run_worker(&command) {
        Err(e) => Err(Verdict::HarnessError { message: e.to_string() }),
        Ok(exit) => judge_raw(exit.outcome(), limits),
    }
}

/// The response of a worker run, or the verdict of the sandbox's classification when there is none.
pub fn judge_raw(raw: RawOutcome, limits: &RubricLimits) -> Result<WorkerResponse, Verdict> {
    Err(match raw {
        RawOutcome::Result(bytes) => {
            return serde_json::from_slice::<WorkerResponse>(&bytes).map_err(|e| malformed_response(&e.to_string()));
        }
        RawOutcome::CpuTimeout => {
            Verdict::Timeout { cpu_ms: limits.cpu_ms, wall_ms: limits.wall_ms, clock: Clock::Cpu }
        }
        RawOutcome::WallTimeout => {
            Verdict::Timeout { cpu_ms: limits.cpu_ms, wall_ms: limits.wall_ms, clock: Clock::Wall }
        }
        RawOutcome::Crashed { signal_name, .. } => Verdict::Crashed { signal: signal_name.to_owned() },
        RawOutcome::MemoryLimit => Verdict::MemoryLimit { limit_mib: limits.memory_mib },
        RawOutcome::OutputLimit => Verdict::OutputLimit { limit_kib: limits.output_kib },
        RawOutcome::SandboxViolation { syscall } => Verdict::SandboxViolation { syscall },
        RawOutcome::WorkerError(e) => {
            Verdict::HarnessError { message: format!("worker error `{}`: {}", e.kind, e.message) }
        }
        RawOutcome::LoadFailed(e) => Verdict::AbiMismatch { message: e.message },
        RawOutcome::BadResult { problem } => {
            Verdict::NoResult { detail: format!("the result channel was misused: {problem}") }
        }
        RawOutcome::NoResult { exit_code } => {
            Verdict::NoResult { detail: format!("the worker exited with code {exit_code} without sending a result") }
        }
    })
}
