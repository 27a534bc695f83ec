//! Planning a batch: which submissions, which tests, and their golden traces — all loaded before any student
//! code runs, so a broken rubric or a missing golden trace stops the batch up front instead of mid-way.

use std::path::{Path, PathBuf};

use crate::case::{Case, CaseError, check_graded_size, parse_case, read_source};
use crate::rubric::{Rubric, Visibility};

use super::golden::{Golden, load_golden};

/// One test: a case of a suite, with its golden trace.
#[derive(Clone, Debug)]
pub struct PlannedTest {
    /// Index into [`Plan::suites`].
    pub suite: usize,
    /// Stable test name: the case path relative to the rubric's directory, without `.yaml`.
    pub name: String,
    pub path: PathBuf,
    /// The YAML source, sent to workers.
    pub source: String,
    pub case: Case,
    pub golden: Golden,
}

/// One suite's plan.
#[derive(Clone, Debug)]
pub struct PlannedSuite {
    pub name: String,
    pub visibility: Visibility,
    /// Indices into [`Plan::tests`].
    pub tests: Vec<usize>,
}

/// One student's crate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Submission {
    /// The directory name.
    pub id: String,
    pub dir: PathBuf,
}

/// Everything a batch will run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub suites: Vec<PlannedSuite>,
    pub tests: Vec<PlannedTest>,
}

/// Why a batch cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Case(#[from] crate::case::CaseError),
    #[error("{0}")]
    Golden(#[from] super::golden::GoldenError),
    #[error("cannot read `{}`: {source}\n  = hint: check that the path exists and is readable", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("suite `{suite}` matches no test cases\n  = hint: run `schedgrade lint` to check the rubric's globs")]
    EmptySuite { suite: String },
    #[error("`{}` has no submissions: expected one subdirectory per student\n  = hint: pass the directory that contains the students' crates", .0.display())]
    NoSubmissions(PathBuf),
    #[error(
        "submission directory name `{0}` is not valid UTF-8\n  = hint: rename it; the name is used as the student id"
    )]
    BadSubmissionName(String),
}

/// Plans the suites selected by `keep` (all of them for grading; the visible ones for a self-check), keeping only
/// tests whose name contains `filter`.
pub fn plan(rubric: &Rubric, keep: impl Fn(Visibility) -> bool, filter: Option<&str>) -> Result<Plan, PlanError> {
    let mut suites = Vec::new();
    let mut tests = Vec::new();
    for suite in rubric.suites.iter().filter(|s| keep(s.visibility)) {
        let index = suites.len();
        let mut mine = Vec::new();
        let files = suite.case_files();
        if files.is_empty() {
            return Err(PlanError::EmptySuite { suite: suite.name.clone() });
        }
        for path in files {
            let name = test_name(&rubric.root, &path);
            if filter.is_some_and(|f| !name.contains(f)) {
                continue;
            }
            let source = read_source(&path).map_err(|d| CaseError { path: path.clone(), diagnostics: vec![*d] })?;
            check_graded_size(&source, &path)?;
            let case = parse_case(&source, &path)?;
            let golden = load_golden(&path)?;
            mine.push(tests.len());
            tests.push(PlannedTest { suite: index, name, path, source, case, golden });
        }
        suites.push(PlannedSuite { name: suite.name.clone(), visibility: suite.visibility, tests: mine });
    }
    Ok(Plan { suites, tests })
}

fn test_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path).with_extension("");
    relative.to_string_lossy().replace('\\', "/")
}

/// The submissions in `dir`: every subdirectory (symlinks to directories included: the batch layout is the
/// instructor's), sorted by name.
pub fn discover_submissions(dir: &Path) -> Result<Vec<Submission>, PlanError> {
    let io = |source| PlanError::Io { path: dir.to_owned(), source };
    let mut submissions = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let id =
            entry.file_name().into_string().map_err(|n| PlanError::BadSubmissionName(n.to_string_lossy().into()))?;
        if id.starts_with('.') {
            continue;
        }
        submissions.push(Submission { id, dir: path });
    }
    if submissions.is_empty() {
        return Err(PlanError::NoSubmissions(dir.to_owned()));
    }
    submissions.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(submissions)
}
