//! The results of a batch, as handed to reporters.

use serde::Serialize;

use super::plan::{Plan, Submission};
use super::score::StudentScore;
use crate::verdict::Verdict;

/// One test's result for one student.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestOutcome {
    pub verdict: Verdict,
    /// The submission's Gantt chart, when its run produced one.
    #[serde(skip)]
    pub actual_gantt: Option<String>,
}

/// One student's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudentOutcome {
    pub submission: Submission,
    /// The compiler's first errors, when the build failed.
    pub build_log: Option<String>,
    /// `tests[i]` is the outcome of `plan.tests[i]`.
    pub tests: Vec<TestOutcome>,
    pub score: StudentScore,
}

/// A whole batch.
#[derive(Clone, Debug)]
pub struct BatchOutcome {
    pub plan: Plan,
    /// Sorted by student id.
    pub students: Vec<StudentOutcome>,
    /// Sandbox layers that are missing on this machine, and similar warnings.
    pub warnings: Vec<String>,
}
