//! `schedgrade check [CRATE]`: a student's self-check against the visible suites, built and run exactly as the
//! grader does.
//!
//! Everything the submission controls is printed through [`terminal`] (no escape sequence, carriage return or bidi
//! control reaches the terminal) and indented under its test, each line behind `| `, so that a forged `PASS`
//! line cannot pass for one of ours; at most [`Budget::report`] of it in all.

use std::path::{Path, PathBuf};

use super::setup;
use crate::build::Builder;
use crate::exit_code;
use crate::grade::{BatchOptions, Silent, Submission, grade as grade_batch, plan};
use crate::rubric::{Visibility, load_rubric};
use crate::untrusted::{Budget, terminal};
use crate::verdict::Verdict;

/// Prints student text, each line behind `| `.
fn print_student(text: &str) {
    for line in text.lines() {
        println!("{}", format!("    | {}", terminal(line)).trim_end());
    }
}

/// Prints why a test failed, under its `FAIL` line; the student's text within what is left of `budget`.
fn print_failure(verdict: &Verdict, hint: Option<&str>, verbose: bool, budget: &mut Budget) {
    println!("    {}", verdict.headline());
    let student = match verdict {
        Verdict::WrongTrace { divergence } => Some(divergence.render()),
        other => other.student_text().map(str::to_owned),
    };
    if let Some(text) = student {
        print_student(budget.take(&text).unwrap_or(Budget::OMITTED));
    }
    if let Some(hint) =
        hint.filter(|_| matches!(verdict, Verdict::WrongTrace { .. } | Verdict::ContractViolation { .. }))
    {
        println!("    hint: {}", hint.trim());
    }
    if let Some(note) = verdict.log_note().filter(|_| verbose) {
        println!("    ({note}; this depends on the machine's load, so reports leave it out)");
    }
}

pub fn check(
    dir: &Path,
    filter: Option<&str>,
    config: &Path,
    jobs: usize,
    cache: Option<PathBuf>,
    verbose: bool,
) -> i32 {
    let rubric = match load_rubric(config) {
        Ok(rubric) => rubric,
        Err(e) => {
            eprintln!(
                "{e}\n  = hint: run `schedgrade check` from the course repository, or pass `--config PATH/grading.yaml`"
            );
            return exit_code::BAD_INPUT;
        }
    };
    // Only the visible suites' cases: a student's copy of the course may lack the hidden ones.
    if let Err(code) =
        super::lint::refuse_lint_errors(&rubric, config, "check", |s| s.visibility == Visibility::Visible)
    {
        return code;
    }
    let plan = match plan(&rubric, |v| v == Visibility::Visible, filter) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::BAD_INPUT;
        }
    };
    if plan.tests.is_empty() {
        eprintln!(
            "error: no visible test matches `{}`\n  = hint: try a shorter `--filter`, such as `rr`",
            filter.unwrap_or("")
        );
        return exit_code::BAD_INPUT;
    }
    let crate_dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot open `{}`: {e}\n  = hint: pass the directory of your crate", dir.display());
            return exit_code::BAD_INPUT;
        }
    };
    let id = setup::student_id(&crate_dir);
    let cache = match setup::cache(cache) {
        Ok(cache) => cache,
        Err(code) => return code,
    };
    let (worker_program, launcher) = match (setup::worker_program(), Builder::self_launcher()) {
        (Ok(program), Ok(launcher)) => (program, launcher),
        (Err(e), _) => {
            eprintln!("error: {e}");
            return exit_code::INTERNAL;
        }
        (_, Err(e)) => {
            eprintln!("error: {e}");
            return exit_code::INTERNAL;
        }
    };
    for warning in setup::sandbox_warnings() {
        eprintln!("warning: {warning}");
    }
    println!("checking `{}` against {} visible tests", crate_dir.display(), plan.tests.len());
    let options = BatchOptions { jobs, cache, worker_program, build_launcher: Some(launcher) };
    let submission = Submission { id, dir: crate_dir };
    let batch = match grade_batch(&rubric, plan, vec![submission], &options, Vec::new(), &Silent) {
        Ok(batch) => batch,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::INTERNAL;
        }
    };
    let student = &batch.students[0];
    if let Some(log) = &student.build_log {
        println!("build failed:");
        print_student(log);
        return exit_code::BUILD_FAILED;
    }
    let (mut passed, mut failed) = (0, 0);
    let mut budget = Budget::report();
    for (test, outcome) in batch.plan.tests.iter().zip(&student.tests) {
        let verdict = outcome.verdict();
        if verdict.passed() {
            passed += 1;
            println!("PASS {}", test.name);
            continue;
        }
        failed += 1;
        println!("FAIL {} ({})", test.name, verdict.name());
        print_failure(verdict, test.case.hint.as_deref(), verbose, &mut budget);
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { exit_code::TESTS_FAILED } else { exit_code::SUCCESS }
}
