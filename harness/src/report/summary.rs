//! `summary.json`: the whole batch in one machine-readable file.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::grade::BatchOutcome;
use crate::verdict::Verdict;

pub fn render(batch: &BatchOutcome) -> Value {
    let students: Vec<Value> = batch
        .students
        .iter()
        .map(|student| {
            let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
            for test in &student.tests {
                *verdicts.entry(test.verdict().name()).or_default() += 1;
            }
            let tests: Vec<Value> = batch
                .plan
                .tests
                .iter()
                .zip(&student.tests)
                .map(|(planned, outcome)| json!({ "test": planned.name, "verdict": outcome.verdict().name() }))
                .collect();
            json!({
                "student": student.submission.id,
                "status": student.score.status.name(),
                "total": round(student.score.total),
                "max": round(student.score.max),
                "suites": student.score.suites.iter().map(|s| json!({
                    "name": s.name, "points": round(s.points), "max": round(s.max),
                    "passed": s.passed, "total": s.total, "blocked_by": s.blocked_by,
                })).collect::<Vec<_>>(),
                "verdicts": verdicts,
                "tests": tests,
            })
        })
        .collect();
    let mut verdict_totals: BTreeMap<&str, usize> = Verdict::NAMES.iter().map(|n| (*n, 0)).collect();
    for student in &batch.students {
        for test in &student.tests {
            *verdict_totals.entry(test.verdict().name()).or_default() += 1;
        }
    }
    json!({
        "submissions": batch.students.len(),
        "tests_per_submission": batch.plan.tests.len(),
        "suites": batch.plan.suites.iter().map(|s| &s.name).collect::<Vec<_>>(),
        "verdicts": verdict_totals,
        "warnings": batch.warnings,
        "students": students,
    })
}

/// Two decimals, as in the gradebook, so JSON and CSV agree.
pub fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
