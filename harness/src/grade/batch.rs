//! Grading a batch on a rayon pool of `jobs` threads: each thread builds the submissions it takes (with one shared
//! builder), and every (submission, test) pair runs in its own sandboxed worker as soon as its submission is built.
//! Results are stored by index, so the outputs do not depend on `jobs` or on completion order.

use std::path::PathBuf;

use crate::sandbox::WorkerProgram;
use std::time::Duration;

use rayon::prelude::*;

use super::events::{GradeEvent, Reporter};
use super::execute::run_test;
use super::outcome::{BatchOutcome, StudentOutcome, TestOutcome};
use super::plan::{Plan, Submission};
use super::score::score;
use crate::build::{BuildError, BuildOutcome, Builder, BuilderOptions};
use crate::rubric::Rubric;
use crate::untrusted::{BUILD_LOG_MAX_BYTES, store};
use crate::verdict::Verdict;

/// How to run a batch.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Where builds are cached (see `build::Builder`).
    pub cache: PathBuf,
    /// The program workers run: the `schedgrade` binary itself.
    pub worker_program: &'static WorkerProgram,
    /// The build sandbox launcher (`[schedgrade, __build]`), or `None` to build without Landlock (tests only).
    pub build_launcher: Option<Vec<std::ffi::OsString>>,
}

/// A failure of the grader itself while grading.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Build(#[from] BuildError),
    #[error("cannot start {jobs} worker threads: {message}\n  = hint: try a smaller `--jobs`")]
    Pool { jobs: usize, message: String },
}

enum Built {
    Library(PathBuf),
    Failed(String),
    /// The grader could not build this submission (not the student's fault): its tests are not gradable.
    GraderFailed(String),
}

/// Grades `submissions` against `plan`.
pub fn grade(
    rubric: &Rubric,
    plan: Plan,
    submissions: Vec<Submission>,
    options: &BatchOptions,
    warnings: Vec<String>,
    reporter: &dyn Reporter,
) -> Result<BatchOutcome, BatchError> {
    reporter.event(GradeEvent::Started { submissions: submissions.len(), tests: plan.tests.len() });
    let jobs = options.jobs.max(1);
    let build_options = BuilderOptions {
        timeout: Duration::from_secs(rubric.limits.build_seconds),
        launcher: options.build_launcher.clone(),
        ..BuilderOptions::default()
    };
    // One builder for every thread: builds of different submissions run in parallel, each in its own directory,
    // and builds of the same sources wait for each other.
    let builder = Builder::new(&options.cache, build_options)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| BatchError::Pool { jobs, message: e.to_string() })?;
    // Each submission is built on whichever pool thread takes it, and its tests are then spread over the pool, so
    // tests of built submissions run while later ones compile. Results are stored by index: the order in which
    // they finish does not matter.
    let students = pool.install(|| {
        submissions
            .into_par_iter()
            .map(|submission| {
                let built = build(&builder, &submission, reporter);
                let (tests, build_log) = match &built {
                    Built::Library(library) => {
                        (run_tests(rubric, &plan, options, library, &submission, reporter), None)
                    }
                    Built::Failed(log) => {
                        // The compiler's output quotes the student's source: bounded like any student text.
                        let log = store(log, BUILD_LOG_MAX_BYTES);
                        (same_for_all(&plan, Verdict::BuildFailed { log: log.clone() }), Some(log))
                    }
                    Built::GraderFailed(message) => (
                        same_for_all(
                            &plan,
                            Verdict::HarnessError { message: format!("the submission could not be built: {message}") },
                        ),
                        None,
                    ),
                };
                let verdicts: Vec<Verdict> = tests.iter().map(|t| t.verdict().clone()).collect();
                let score = score(rubric, &plan, &verdicts);
                StudentOutcome { submission, build_log, tests, score }
            })
            .collect::<Vec<_>>()
    });
    reporter.event(GradeEvent::Finished);
    Ok(BatchOutcome { plan, students, warnings })
}

fn build(builder: &Builder, submission: &Submission, reporter: &dyn Reporter) -> Built {
    let (built, ok, duration) = match builder.build(&submission.id, &submission.dir) {
        Ok(BuildOutcome::Built { library, duration }) => (Built::Library(library), true, duration),
        Ok(BuildOutcome::Failed { summary, duration }) => (Built::Failed(summary), false, duration),
        Err(e) => (Built::GraderFailed(e.to_string()), false, Duration::ZERO),
    };
    reporter.event(GradeEvent::Built { student: &submission.id, ok, duration });
    built
}

fn run_tests(
    rubric: &Rubric,
    plan: &Plan,
    options: &BatchOptions,
    library: &std::path::Path,
    submission: &Submission,
    reporter: &dyn Reporter,
) -> Vec<TestOutcome> {
    plan.tests
        .par_iter()
        .map(|test| {
            let (outcome, duration) =
                run_test(options.worker_program, library, &test.source, &test.path, &test.golden, &rubric.limits);
            reporter.event(GradeEvent::TestFinished {
                student: &submission.id,
                test: &test.name,
                verdict: outcome.verdict(),
                duration,
            });
            outcome
        })
        .collect()
}

fn same_for_all(plan: &Plan, verdict: Verdict) -> Vec<TestOutcome> {
    let outcome = TestOutcome::new(verdict, None);
    plan.tests.iter().map(|_| outcome.clone()).collect()
}
