//! `schedgrade run CASE.yaml`.
//!
//! With `--impl CRATE`, everything printed comes from the submission's worker: it is cut to
//! [`RUN_TEXT_MAX_BYTES`] and made inert ([`untrusted::store`]) before it reaches the terminal.

use std::io::Write as _;
use std::path::Path;

use super::Format;
use super::setup;
use crate::case::load_case;
use crate::exit_code;
use crate::grade::execute::{request, run_request};

/// The result cap of `run --impl`, in MiB: a full text rendering of a large case.
const RUN_RESULT_CAP_MIB: u64 = 256;
use crate::grade::golden::Golden;
use crate::grade::judge::judge_response;
use crate::grade::protocol::WorkerEnd;
use crate::policy::{reference_table, run_case};
use crate::sim::RunEnd;
use crate::trace::{Discard, Metrics, Recorder, json, text};
use crate::untrusted::{self, RUN_TEXT_MAX_BYTES};

pub fn run(path: &Path, implementation: &str, format: Format) -> i32 {
    let case = match load_case(path) {
        Ok(case) => case,
        Err(e) => {
            eprintln!("{e}");
            return exit_code::BAD_INPUT;
        }
    };
    if implementation != "reference" {
        return run_submission(path, &case, Path::new(implementation), format);
    }
    let Some(table) = reference_table(case.scheduler.policy) else {
        eprintln!(
            "error: the reference has no `{}` policy\n  = hint: this is a grader bug; please report it",
            case.scheduler.policy.as_str()
        );
        return exit_code::INTERNAL;
    };
    let (output, end) = match format {
        Format::Summary => {
            let result = run_case(&case, table, &mut Discard);
            let metrics = Metrics::compute(&case, &result);
            (format!("{}\n", json::render_summary(&metrics)), result.end)
        }
        Format::Text | Format::Json => {
            let mut recorder = Recorder::default();
            let result = run_case(&case, table, &mut recorder);
            let metrics = Metrics::compute(&case, &result);
            let output = if format == Format::Text {
                text::render(&case, &recorder.events, &recorder.segments, &metrics, &result.end)
            } else {
                format!("{:#}\n", json::render(&case, &recorder.events, &recorder.segments, &metrics, &result.end))
            };
            (output, result.end)
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(output.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the output: {e}");
        return exit_code::INTERNAL;
    }
    match end {
        // A deadlock is the workload's outcome (rule O11), not a failure of the policy.
        RunEnd::Completed | RunEnd::Deadlock(_) => exit_code::SUCCESS,
        RunEnd::Faulted { .. } | RunEnd::Violated(_) => exit_code::TESTS_FAILED,
    }
}

/// `--impl CRATE`: builds the crate exactly as the grader does and runs the case in a sandboxed worker, printing
/// the submission's own trace, Gantt chart and metrics.
fn run_submission(path: &Path, case: &crate::case::Case, crate_dir: &Path, format: Format) -> i32 {
    if format != Format::Text {
        eprintln!(
            "error: `--impl CRATE` prints the text rendering only\n  = hint: drop `--format`, or use `--impl reference`"
        );
        return exit_code::USAGE;
    }
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            return exit_code::BAD_INPUT;
        }
    };
    let (worker, library) = match setup::build_one(crate_dir) {
        Ok(built) => built,
        Err(code) => return code,
    };
    let limits = crate::rubric::Limits::default();
    // No golden trace bounds this one: the student asked to see their own run in full.
    match run_request(worker, &library, &request(&source, path, true), &limits, RUN_RESULT_CAP_MIB) {
        Ok(response) => {
            match &response.text {
                Some(text) => print!("{}", untrusted::store(text, RUN_TEXT_MAX_BYTES)),
                // The policy never ran (not exported, wrong ABI): say why, as a grade would.
                None => {
                    let nothing = Golden { path: path.to_owned(), trace: Vec::new(), gantt: Vec::new() };
                    println!("case: {}\noutcome: {}", case.name, judge_response(&response, &nothing).summary());
                }
            }
            match response.end {
                WorkerEnd::Completed | WorkerEnd::Deadlock { .. } => exit_code::SUCCESS,
                _ => exit_code::TESTS_FAILED,
            }
        }
        Err(verdict) => {
            let verdict = verdict.bounded();
            println!("case: {}\noutcome: {} ({})", case.name, verdict.name(), verdict.summary());
            if verdict.gradable() { exit_code::TESTS_FAILED } else { exit_code::INTERNAL }
        }
    }
}
