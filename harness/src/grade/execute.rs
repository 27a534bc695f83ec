//! Running one (submission, test) pair: a fresh sandboxed worker per test, and the mapping from whatever
//! happened to a [`Verdict`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::golden::Golden;
use super::judge::{judge_response, malformed_response};
use super::outcome::TestOutcome;
use super::protocol::{WorkerRequest, WorkerResponse};
use crate::rubric::Limits as RubricLimits;
use crate::sandbox::{Limits, RawOutcome, WorkerCommand, check_worker_access, run_worker};
use crate::verdict::{Clock, Verdict};

/// The hidden subcommand that runs a worker.
pub const WORKER_SUBCOMMAND: &str = "__worker";

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
    worker_program: &Path,
    library: &Path,
    case_source: &str,
    case_origin: &Path,
    golden: &Golden,
    limits: &RubricLimits,
) -> (TestOutcome, std::time::Duration) {
    let started = Instant::now();
    let outcome = match run_request(worker_program, library, &request(case_source, case_origin, false), limits) {
        Ok(response) => TestOutcome {
            verdict: judge_response(&response, golden),
            actual_gantt: (!response.gantt.is_empty()).then_some(response.gantt),
        },
        Err(verdict) => TestOutcome { verdict, actual_gantt: None },
    };
    (outcome, started.elapsed())
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
    worker_program: &Path,
    library: &Path,
    request: &WorkerRequest,
    limits: &RubricLimits,
) -> Result<WorkerResponse, Verdict> {
    let mut command = WorkerCommand::new(worker_program, [WORKER_SUBCOMMAND.as_ref(), library.as_os_str()]);
    command.expose.push(library.to_owned());
    command.stdin_payload = serde_json::to_vec(request).expect("a request always serialises");
    command.limits = worker_limits(limits);
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
        RawOutcome::CpuTimeout => Verdict::Timeout { clock: Clock::Cpu, limit_ms: limits.cpu_ms },
        RawOutcome::WallTimeout => Verdict::Timeout { clock: Clock::Wall, limit_ms: limits.wall_ms },
        RawOutcome::Crashed { signal_name, .. } => Verdict::Crashed { signal: signal_name.to_owned() },
        RawOutcome::MemoryLimit => Verdict::MemoryLimit { limit_mib: limits.memory_mib },
        RawOutcome::OutputLimit => Verdict::OutputLimit { limit_kib: limits.output_kib },
        RawOutcome::SandboxViolation { syscall } => Verdict::SandboxViolation { syscall },
        RawOutcome::WorkerError(e) => match e.kind.as_str() {
            "abi-mismatch" | "missing-symbol" | "load-error" => Verdict::AbiMismatch { message: e.message },
            _ => Verdict::HarnessError { message: format!("worker error `{}`: {}", e.kind, e.message) },
        },
        RawOutcome::BadResult { problem } => {
            Verdict::NoResult { detail: format!("the result channel was misused: {problem}") }
        }
        RawOutcome::NoResult { exit_code } => {
            Verdict::NoResult { detail: format!("the worker exited with code {exit_code} without sending a result") }
        }
    })
}

/// `exe` if the workers (`nobody`, when grading as root) can run it, or else a copy of it in `cache`: a grader
/// installed or built under `/root`, which is `0700`, still works.
pub fn reachable_worker_program(exe: &Path, cache: &Path) -> Result<PathBuf, String> {
    if check_worker_access(exe, None).is_empty() {
        return Ok(exe.to_owned());
    }
    let bin = cache.join("bin");
    let copy = bin.join("schedgrade-worker");
    let copy_it = || -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&bin)?;
        std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))?;
        let temp = bin.join(format!("schedgrade-worker.{}", std::process::id()));
        std::fs::copy(exe, &temp)?;
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&temp, &copy)
    };
    copy_it().map_err(|e| format!("cannot copy the worker binary to `{}`: {e}", copy.display()))?;
    match check_worker_access(&copy, None).as_slice() {
        [] => Ok(copy),
        problems => Err(problems.join("; ")),
    }
}
