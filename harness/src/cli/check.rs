//! `schedgrade check [CRATE]`: a student's self-check against the visible suites, built and run exactly as the
//! grader does.

use std::path::{Path, PathBuf};

use super::setup;
use crate::build::Builder;
use crate::exit_code;
use crate::grade::{BatchOptions, Silent, Submission, grade as grade_batch, plan};
use crate::report::markdown::failure_details;
use crate::rubric::{Visibility, load_rubric};

pub fn check(dir: &Path, filter: Option<&str>, config: &Path, jobs: usize, cache: Option<PathBuf>) -> i32 {
    let rubric = match load_rubric(config) {
        Ok(rubric) => rubric,
        Err(e) => {
            eprintln!(
                "{e}\n  = hint: run `schedgrade check` from the course repository, or pass `--config PATH/grading.yaml`"
            );
            return exit_code::BAD_INPUT;
        }
    };
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
    let (worker_program, launcher) = match (setup::worker_program(&cache), Builder::self_launcher()) {
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
        println!("build failed:\n{log}");
        return exit_code::BUILD_FAILED;
    }
    let (mut passed, mut failed) = (0, 0);
    for (test, outcome) in batch.plan.tests.iter().zip(&student.tests) {
        if outcome.verdict.passed() {
            passed += 1;
            println!("PASS {}", test.name);
            continue;
        }
        failed += 1;
        println!("FAIL {} ({})", test.name, outcome.verdict.name());
        let details = failure_details(&outcome.verdict, test.case.hint.as_deref(), &[], None);
        for line in details.lines().filter(|l| !l.starts_with("```") && !l.is_empty()) {
            println!("    {line}");
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { exit_code::TESTS_FAILED } else { exit_code::SUCCESS }
}
