//! `schedgrade run CASE.yaml`.

use std::io::Write as _;
use std::path::Path;

use super::Format;
use crate::case::load_case;
use crate::exit_code;
use crate::policy::{reference_table, run_case};
use crate::sim::RunEnd;
use crate::trace::{Discard, Metrics, Recorder, json, text};

pub fn run(path: &Path, implementation: &str, format: Format) -> i32 {
    let case = match load_case(path) {
        Ok(case) => case,
        Err(e) => {
            eprintln!("{e}");
            return exit_code::BAD_INPUT;
        }
    };
    if implementation != "reference" {
        eprintln!(
            "error: unknown implementation `{implementation}`\n  = hint: use `--impl reference`; to run your own \
             crate, use `schedgrade check YOUR_CRATE --filter {}`",
            case.name
        );
        return exit_code::USAGE;
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
        RunEnd::Completed => exit_code::SUCCESS,
        RunEnd::Faulted { .. } | RunEnd::Violated(_) => exit_code::TESTS_FAILED,
    }
}
