//! `<student>/results.json` in Gradescope's autograder results format.
//!
//! `execution_time` is 0: every output of a batch is byte-identical across runs and `--jobs` values, and wall
//! times are not. Gradescope treats the field as informational.
//!
//! Every `output` is Markdown (`output_format: "md"`), built like `report.md`: the submission's text is fenced,
//! within one [`Budget`] for the whole file.

use serde_json::{Value, json};

use super::markdown::{failure_details, student_block, verdict_block};
use super::summary::round;
use crate::grade::{BatchOutcome, StudentOutcome};
use crate::rubric::Visibility;
use crate::untrusted::Budget;

fn visibility(v: Visibility) -> &'static str {
    match v {
        Visibility::Visible => "visible",
        Visibility::Hidden => "hidden",
        Visibility::AfterDueDate => "after_due_date",
    }
}

pub fn render(batch: &BatchOutcome, student: &StudentOutcome) -> Value {
    let mut budget = Budget::report();
    let mut tests = Vec::new();
    for (suite, suite_score) in batch.plan.suites.iter().zip(&student.score.suites) {
        for (position, &t) in suite.tests.iter().enumerate() {
            let test = &batch.plan.tests[t];
            let outcome = &student.tests[t];
            let verdict = outcome.verdict();
            let output = if verdict.passed() {
                "passed".to_owned()
            } else if suite.visibility == Visibility::Visible {
                let hint = test.case.hint.as_deref();
                failure_details(verdict, hint, &test.golden.gantt, outcome.actual_gantt(), &mut budget)
            } else {
                verdict_block(verdict, &mut budget)
            };
            tests.push(json!({
                "name": test.name,
                "score": round(suite_score.test_points[position]),
                "max_score": round(suite_score.max / suite_score.total.max(1) as f64),
                "status": if verdict.passed() { "passed" } else { "failed" },
                "output": output,
                "output_format": "md",
                "visibility": visibility(suite.visibility),
            }));
        }
    }
    let mut result = json!({
        "score": round(student.score.total),
        "execution_time": 0,
        "tests": tests,
    });
    if let Some(log) = &student.build_log {
        result["output"] = json!(format!("build failed:\n\n{}", student_block(log, &mut budget)));
        result["output_format"] = json!("md");
    }
    result
}
