//! The results of a batch, as handed to reporters.

use serde::Serialize;

use super::plan::{Plan, Submission};
use super::score::StudentScore;
use crate::untrusted::{GANTT_MAX_BYTES, store};
use crate::verdict::Verdict;

/// One test's result for one student. Its fields are private so that the only way in is [`TestOutcome::new`],
/// which bounds everything the submission sent: a batch's memory grows by a constant per test, and so do its
/// reports, whatever a submission sends.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestOutcome {
    verdict: Verdict,
    #[serde(skip)]
    actual_gantt: Option<String>,
}

impl TestOutcome {
    /// The outcome of a test: `verdict` [`Verdict::bounded`], and the submission's Gantt chart (if its run drew
    /// one) made inert and cut to [`GANTT_MAX_BYTES`].
    pub fn new(verdict: Verdict, actual_gantt: Option<&str>) -> TestOutcome {
        TestOutcome {
            verdict: verdict.bounded(),
            actual_gantt: actual_gantt.filter(|g| !g.is_empty()).map(|g| store(g, GANTT_MAX_BYTES)),
        }
    }

    /// The verdict (bounded).
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The submission's Gantt chart, when its run produced one (bounded, inert).
    pub fn actual_gantt(&self) -> Option<&str> {
        self.actual_gantt.as_deref()
    }
}

/// One student's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudentOutcome {
    pub submission: Submission,
    /// The compiler's first errors, when the build failed ([`crate::untrusted::store`]d).
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
