//! `<student>/report.md`: what a student (or a TA answering them) reads. Visible tests show the first
//! divergence with labelled sides, the case's hint, and the expected and actual Gantt charts one above the other;
//! hidden tests show only their verdict.
//!
//! Everything the submission controls is in a fenced block ([`student_block`]), within the report's
//! [`Budget`]; outside the fences there are only the grader's words, the rubric's names and the case's hints.

use std::fmt::Write as _;

use super::gradebook::points;
use crate::grade::{BatchOutcome, StudentOutcome};
use crate::rubric::Visibility;
use crate::untrusted::{Budget, code_span, fenced};
use crate::verdict::Verdict;

/// Student text as a Markdown block: [`fenced`] if it fits in what is left of the report's `budget`, a notice
/// otherwise. Every piece of student text in a Markdown output goes through here.
pub fn student_block(text: &str, budget: &mut Budget) -> String {
    match budget.take(text) {
        Some(text) => fenced(text),
        None => format!("{}\n", Budget::OMITTED),
    }
}

/// A verdict's headline and, fenced, its student text: what a failed test shows where details are not shown.
pub fn verdict_block(verdict: &Verdict, budget: &mut Budget) -> String {
    match verdict.student_text() {
        Some(text) => format!("{}\n\n{}", verdict.headline(), student_block(text, budget)),
        None => format!("{}\n", verdict.headline()),
    }
}

/// The detailed explanation of a failed test: the verdict, the divergence or the student's text (fenced), the
/// case's hint (for wrong traces and contract violations, where it teaches the rule), and the Gantt charts.
pub fn failure_details(
    verdict: &Verdict,
    hint: Option<&str>,
    expected_gantt: &[String],
    actual_gantt: Option<&str>,
    budget: &mut Budget,
) -> String {
    let mut out = match verdict {
        Verdict::WrongTrace { divergence } => {
            format!("{}\n\n{}", verdict.headline(), student_block(&divergence.render(), budget))
        }
        _ => verdict_block(verdict, budget),
    };
    if let Some(hint) =
        hint.filter(|_| matches!(verdict, Verdict::WrongTrace { .. } | Verdict::ContractViolation { .. }))
    {
        let _ = writeln!(out, "\n> hint: {}", hint.trim());
    }
    if matches!(verdict, Verdict::WrongTrace { .. }) && !expected_gantt.is_empty() {
        let _ = write!(out, "\nexpected (reference) Gantt chart:\n{}", fenced(&expected_gantt.join("\n")));
        if let Some(actual) = actual_gantt {
            let _ = write!(out, "actual (submission) Gantt chart:\n{}", student_block(actual.trim_end(), budget));
        }
    }
    out
}

pub fn render(batch: &BatchOutcome, student: &StudentOutcome) -> String {
    let score = &student.score;
    let mut budget = Budget::report();
    let mut out = format!("# schedgrade report: {}\n\n", code_span(&student.submission.id));
    let _ = writeln!(
        out,
        "**Total: {} / {}** (status: `{}`)\n",
        points(score.total),
        points(score.max),
        score.status.name()
    );
    if let Some(log) = &student.build_log {
        let _ = writeln!(out, "## Build failed\n\nThe compiler's first errors:\n\n{}", student_block(log, &mut budget));
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
            let verdict = outcome.verdict();
            let share = suite_score.max / suite_score.total.max(1) as f64;
            let mark = if verdict.passed() { "PASS" } else { "FAIL" };
            let _ = writeln!(
                out,
                "### {mark} `{}`: `{}` ({} / {})\n",
                test.name,
                verdict.name(),
                points(suite_score.test_points[position]),
                points(share)
            );
            if detailed && !verdict.passed() && !matches!(verdict, Verdict::BuildFailed { .. }) {
                out.push_str(&failure_details(
                    verdict,
                    test.case.hint.as_deref(),
                    &test.golden.gantt,
                    outcome.actual_gantt(),
                    &mut budget,
                ));
                out.push('\n');
            }
        }
    }
    out
}
