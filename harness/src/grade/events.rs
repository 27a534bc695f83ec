//! The events a grading run emits. The runner never prints: reporters (the terminal progress bar, the
//! self-check printer) receive these events and render them. Events arrive from worker threads, in completion
//! order; everything written to disk is sorted afterwards, so outputs do not depend on that order.

use std::time::Duration;

use crate::verdict::Verdict;

/// Something that happened during a batch.
#[derive(Clone, Debug)]
pub enum GradeEvent<'a> {
    /// The batch is planned: this many submissions and tests per submission.
    Started { submissions: usize, tests: usize },
    /// A submission's build finished (successfully or not).
    Built { student: &'a str, ok: bool, duration: Duration },
    /// One test finished.
    TestFinished { student: &'a str, test: &'a str, verdict: &'a Verdict, duration: Duration },
    /// Every test of the batch finished.
    Finished,
}

/// Receives events; must be callable from several threads at once.
pub trait Reporter: Sync {
    fn event(&self, event: GradeEvent<'_>);
}

/// Ignores everything (tests, `--quiet`).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _event: GradeEvent<'_>) {}
}
