//! `schedgrade grade SUBMISSIONS --config grading.yaml --out OUT`.

use std::path::{Path, PathBuf};

use super::setup;
use crate::build::Builder;
use crate::exit_code;
use crate::grade::{BatchOptions, Status, discover_submissions, grade as grade_batch, plan};
use crate::report::{progress::Progress, write_all};
use crate::rubric::load_rubric;

pub fn grade(submissions: &Path, config: &Path, out: &Path, jobs: usize, cache: Option<PathBuf>, verbose: bool) -> i32 {
    let rubric = match load_rubric(config) {
        Ok(rubric) => rubric,
        Err(e) => {
            eprintln!("{e}");
            return exit_code::BAD_INPUT;
        }
    };
    if let Err(code) = super::lint::refuse_lint_errors(&rubric, config, "grade", |_| true) {
        return code;
    }
    let (plan, submissions) =
        match plan(&rubric, |_| true, None).and_then(|p| Ok((p, discover_submissions(submissions)?))) {
            Ok(planned) => planned,
            Err(e) => {
                eprintln!("error: {e}");
                return exit_code::BAD_INPUT;
            }
        };
    let cache = match setup::cache(cache) {
        Ok(cache) => cache,
        Err(code) => return code,
    };
    let worker_program = match setup::worker_program() {
        Ok(program) => program,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::INTERNAL;
        }
    };
    let launcher = match Builder::self_launcher() {
        Ok(launcher) => Some(launcher),
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::INTERNAL;
        }
    };
    let warnings = setup::sandbox_warnings();
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let options = BatchOptions { jobs, cache, worker_program, build_launcher: launcher };
    let progress = Progress::new(verbose);
    let batch = match grade_batch(&rubric, plan, submissions, &options, warnings, &progress) {
        Ok(batch) => batch,
        Err(e) => {
            progress.finish();
            eprintln!("error: {e}");
            return exit_code::INTERNAL;
        }
    };
    progress.finish();
    if let Err(e) = write_all(&batch, out) {
        eprintln!("error: {e}");
        return exit_code::INTERNAL;
    }
    let not_gradable = batch.students.iter().filter(|s| s.score.status == Status::NotGradable).count();
    let built = batch.students.iter().filter(|s| s.score.status != Status::BuildFailed).count();
    eprintln!(
        "graded {} submissions ({} built, {not_gradable} not gradable) × {} tests; reports in `{}`",
        batch.students.len(),
        built,
        batch.plan.tests.len(),
        out.display()
    );
    if not_gradable > 0 { exit_code::NOT_GRADABLE } else { exit_code::SUCCESS }
}
