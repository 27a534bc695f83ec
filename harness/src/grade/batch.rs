//! Grading a batch: build every submission (serially: builds share one target directory and rustc uses every
//! core anyway), then run every (submission, test) pair on a rayon pool of `jobs` threads. Results are stored by
//! index, so the outputs do not depend on `jobs` or on completion order.

use std::path::PathBuf;
use std::time::Duration;

use rayon::prelude::*;

use super::events::{GradeEvent, Reporter};
use super::execute::run_test;
use super::outcome::{BatchOutcome, StudentOutcome, TestOutcome};
use super::plan::{Plan, Submission};
use super::score::score;
use crate::build::{BuildError, BuildOutcome, Builder, BuilderOptions};
use crate::rubric::Rubric;
use crate::sandbox::check_worker_access;
use crate::verdict::Verdict;

/// How to run a batch.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Where builds are cached (`contract/`, `target/`, `libs/`).
    pub cache: PathBuf,
    /// The program workers run: the `schedgrade` binary itself.
    pub worker_program: PathBuf,
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
    #[error(
        "workers running as `nobody` cannot reach their files: {0}\n  = hint: pass a `--cache` directory outside `/root`, or run the grader as a regular user"
    )]
    Access(String),
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
    let builder = Builder::new(
        &options.cache,
        BuilderOptions {
            timeout: Duration::from_secs(rubric.limits.build_seconds),
            launcher: options.build_launcher.clone(),
            ..BuilderOptions::default()
        },
    )?;
    let mut built = Vec::with_capacity(submissions.len());
    for submission in &submissions {
        let (result, ok, duration) = match builder.build(&submission.id, &submission.dir) {
            Ok(BuildOutcome::Built { library, duration }) => (Built::Library(library), true, duration),
            Ok(BuildOutcome::Failed { summary, duration }) => (Built::Failed(summary), false, duration),
            Err(e) => (Built::GraderFailed(e.to_string()), false, Duration::ZERO),
        };
        reporter.event(GradeEvent::Built { student: &submission.id, ok, duration });
        built.push(result);
    }

    if let Some(Built::Library(library)) = built.iter().find(|b| matches!(b, Built::Library(_))) {
        let problems = check_worker_access(&options.worker_program, Some(library));
        if !problems.is_empty() {
            return Err(BatchError::Access(problems.join("; ")));
        }
    }
    let pairs: Vec<(usize, usize)> = built
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, Built::Library(_)))
        .flat_map(|(s, _)| (0..plan.tests.len()).map(move |t| (s, t)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| BatchError::Pool { jobs: options.jobs, message: e.to_string() })?;
    let results: Vec<TestOutcome> = pool.install(|| {
        pairs
            .par_iter()
            .map(|&(s, t)| {
                let Built::Library(library) = &built[s] else { unreachable!("only built submissions are paired") };
                let test = &plan.tests[t];
                let (outcome, duration) =
                    run_test(&options.worker_program, library, &test.source, &test.path, &test.golden, &rubric.limits);
                reporter.event(GradeEvent::TestFinished {
                    student: &submissions[s].id,
                    test: &test.name,
                    verdict: &outcome.verdict,
                    duration,
                });
                outcome
            })
            .collect()
    });

    let mut results = results.into_iter();
    let students = submissions
        .into_iter()
        .zip(built)
        .map(|(submission, built)| {
            let (tests, build_log) = match built {
                Built::Library(_) => (results.by_ref().take(plan.tests.len()).collect::<Vec<_>>(), None),
                Built::Failed(log) => (
                    (0..plan.tests.len())
                        .map(|_| TestOutcome { verdict: Verdict::BuildFailed { log: log.clone() }, actual_gantt: None })
                        .collect(),
                    Some(log),
                ),
                Built::GraderFailed(message) => (
                    (0..plan.tests.len())
                        .map(|_| TestOutcome {
                            verdict: Verdict::HarnessError {
                                message: format!("the submission could not be built: {message}"),
                            },
                            actual_gantt: None,
                        })
                        .collect(),
                    None,
                ),
            };
            let verdicts: Vec<Verdict> = tests.iter().map(|t| t.verdict.clone()).collect();
            let score = score(rubric, &plan, &verdicts);
            StudentOutcome { submission, build_log, tests, score }
        })
        .collect();
    reporter.event(GradeEvent::Finished);
    Ok(BatchOutcome { plan, students, warnings })
}
