//! Scoring: turning verdicts into points with the rubric's rules, kept apart from correctness (the verdicts) as
//! Pintos and test161 do.
//!
//! 1. `per-test`: a suite's points are shared equally among its tests; each passed test earns its share.
//! 2. `all-or-nothing`: the suite's points only if every test passed.
//! 3. `depends_on`: a suite counts only if every suite it depends on fully passed; otherwise it scores 0 and says
//!    which dependency blocked it.
//! 4. A `harness-error` anywhere in a suite makes the suite, and the student, "not gradable": reports say so
//!    instead of showing a silent zero.

use serde::Serialize;

use super::plan::Plan;
use crate::rubric::{Rubric, Scoring};
use crate::verdict::Verdict;

/// Why a student's total is what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every test ran and was scored.
    Graded,
    /// The crate did not compile; every test is `build-failed`.
    BuildFailed,
    /// At least one test hit a grader failure: the total is incomplete.
    NotGradable,
}

impl Status {
    /// The stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Graded => "graded",
            Status::BuildFailed => "build-failed",
            Status::NotGradable => "not-gradable",
        }
    }
}

/// One suite's score for one student.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SuiteScore {
    pub name: String,
    pub points: f64,
    pub max: f64,
    pub passed: usize,
    pub total: usize,
    /// Each test's points (same order as the suite's tests).
    pub test_points: Vec<f64>,
    /// Dependencies that did not fully pass, if any (the suite then scores 0).
    pub blocked_by: Vec<String>,
    pub gradable: bool,
}

/// One student's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudentScore {
    pub total: f64,
    pub max: f64,
    pub suites: Vec<SuiteScore>,
    pub status: Status,
}

/// Scores one student's verdicts (`verdicts[i]` is the verdict of `plan.tests[i]`).
pub fn score(rubric: &Rubric, plan: &Plan, verdicts: &[Verdict]) -> StudentScore {
    let mut suites: Vec<SuiteScore> = plan
        .suites
        .iter()
        .map(|planned| {
            let spec = rubric.suites.iter().find(|s| s.name == planned.name);
            let max = spec.map_or(0.0, |s| s.points);
            let scoring = spec.map_or(Scoring::PerTest, |s| s.scoring);
            let mine: Vec<&Verdict> = planned.tests.iter().map(|&t| &verdicts[t]).collect();
            let total = mine.len();
            let passed = mine.iter().filter(|v| v.passed()).count();
            let share = if total == 0 { 0.0 } else { max / total as f64 };
            let test_points: Vec<f64> = match scoring {
                Scoring::PerTest => mine.iter().map(|v| if v.passed() { share } else { 0.0 }).collect(),
                Scoring::AllOrNothing if passed == total => vec![share; total],
                Scoring::AllOrNothing => vec![0.0; total],
            };
            SuiteScore {
                name: planned.name.clone(),
                points: test_points.iter().sum(),
                max,
                passed,
                total,
                test_points,
                blocked_by: Vec::new(),
                gradable: mine.iter().all(|v| v.gradable()),
            }
        })
        .collect();
    let fully_passed: Vec<(String, bool)> = suites.iter().map(|s| (s.name.clone(), s.passed == s.total)).collect();
    for suite in &mut suites {
        let Some(spec) = rubric.suites.iter().find(|s| s.name == suite.name) else { continue };
        suite.blocked_by = spec
            .depends_on
            .iter()
            .filter(|d| fully_passed.iter().any(|(name, ok)| name == &d.name && !ok))
            .map(|d| d.name.clone())
            .collect();
        if !suite.blocked_by.is_empty() {
            suite.points = 0.0;
            suite.test_points.iter_mut().for_each(|p| *p = 0.0);
        }
    }
    let status = if verdicts.iter().any(|v| matches!(v, Verdict::BuildFailed { .. })) {
        Status::BuildFailed
    } else if suites.iter().all(|s| s.gradable) {
        Status::Graded
    } else {
        Status::NotGradable
    };
    StudentScore {
        total: suites.iter().map(|s| s.points).sum(),
        max: suites.iter().map(|s| s.max).sum(),
        suites,
        status,
    }
}
