//! `<student>/report.md`: what a student (or a TA answering them) reads. Visible tests show the first
//! divergence with labelled sides, the case's hint, and the expected and actual Gantt charts one above the other;
//! hidden tests show only their verdict.

use std::fmt::Write as _;

use super::gradebook::points;
use crate::grade::{BatchOutcome, StudentOutcome};
use crate::rubric::Visibility;
use crate::verdict::Verdict;

/// The detailed explanation of a failed test: the verdict, the divergence or the compiler's errors, the case's
/// hint (for wrong traces and contract violations, where it teaches the rule), and the Gantt charts.
pub fn failure_details(
    verdict: &Verdict,
    hint: Option<&str>,
    expected_gantt: &[String],
    actual_gantt: Option<&str>,
) -> String {
    let mut out = format!("{}\n", verdict.summary());
    match verdict {
        Verdict::WrongTrace { divergence } => {
            let _ = writeln!(out, "\n```text\n{}```", divergence.render());
        }
        Verdict::BuildFailed { log } => {
            let _ = writeln!(out, "\n```text\n{}\n```", log.trim_end());
        }
        _ => {}
    }
    if let Some(hint) =
        hint.filter(|_| matches!(verdict, Verdict::WrongTrace { .. } | Verdict::ContractViolation { .. }))
    {
        let _ = writeln!(out, "\n> hint: {}", hint.trim());
    }
    if matches!(verdict, Verdict::WrongTrace { .. }) && !expected_gantt.is_empty() {
        let _ = writeln!(out, "\nexpected (reference) Gantt chart:\n```text\n{}\n```", expected_gantt.join("\n"));
        if let Some(actual) = actual_gantt {
            let _ = writeln!(out, "actual (submission) Gantt chart:\n```text\n{}\n```", actual.trim_end());
        }
    }
    out
}

pub fn render(batch: &BatchOutcome, student: &StudentOutcome) -> String {
    let score = &student.score;
    let mut out = format!("# schedgrade report: `{}`\n\n", student.submission.id);
    let _ = writeln!(
        out,
        "**Total: {} / {}** (status: `{}`)\n",
        points(score.total),
        points(score.max),
        score.status.name()
    );
    if let Some(log) = &student.build_log {
        let _ = writeln!(out, "## Build failed\n\nThe compiler's first errors:\n\n```text\n{}\n```\n", log.trim_end());
    }
    let _ = writeln!(out, "| suite | points | passed |\n|---|---:|---:|");
    for s in &score.suites {
        let blocked =
            if s.blocked_by.is_empty() { String::new() } else { format!(" (needs {})", s.blocked_by.join(", ")) };
        let _ = writeln!(
            out,
            "| {} | {} / {}{blocked} | {}/{} |",
            s.name,
            points(s.points),
            points(s.max),
            s.passed,
            s.total
        );
    }
    for (suite, suite_score) in batch.plan.suites.iter().zip(&score.suites) {
        let _ = writeln!(out, "\n## Suite `{}`\n", suite.name);
        let detailed = suite.visibility == Visibility::Visible;
        if !detailed {
            let _ = writeln!(out, "_Hidden suite: only verdicts are shown._\n");
        }
        for (position, &t) in suite.tests.iter().enumerate() {
            let test = &batch.plan.tests[t];
            let outcome = &student.tests[t];
            let share = suite_score.max / suite_score.total.max(1) as f64;
            let mark = if outcome.verdict.passed() { "PASS" } else { "FAIL" };
            let _ = writeln!(
                out,
                "### {mark} `{}`: `{}` ({} / {})\n",
                test.name,
                outcome.verdict.name(),
                points(suite_score.test_points[position]),
                points(share)
            );
            if detailed && !outcome.verdict.passed() && !matches!(outcome.verdict, Verdict::BuildFailed { .. }) {
                out.push_str(&failure_details(
                    &outcome.verdict,
                    test.case.hint.as_deref(),
                    &test.golden.gantt,
                    outcome.actual_gantt.as_deref(),
                ));
                out.push('\n');
            }
        }
    }
    out
}
