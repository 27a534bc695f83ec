//! `junit.xml`: one `<testsuite>` per student, for CI dashboards. Every name and message is [`xml`]-escaped (and
//! made inert) with `quick-xml`'s escaping.

use std::fmt::Write as _;

use crate::grade::BatchOutcome;
use crate::untrusted::{EXCERPT_MAX_BYTES, excerpt, xml};
use crate::verdict::Verdict;

/// The `message` attribute: the headline and the first line of the student's text, cut to
/// [`EXCERPT_MAX_BYTES`] (one file holds every student's every test; the full text is in `report.md`).
fn message(verdict: &Verdict) -> String {
    match verdict.student_text() {
        Some(text) => format!("{}: {}", verdict.headline(), excerpt(text, EXCERPT_MAX_BYTES)),
        None => verdict.headline(),
    }
}

pub fn render(batch: &BatchOutcome) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"schedgrade\">\n");
    for student in &batch.students {
        let failures = student.tests.iter().filter(|t| !t.verdict().passed() && t.verdict().gradable()).count();
        let errors = student.tests.iter().filter(|t| !t.verdict().gradable()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
            xml(&student.submission.id),
            student.tests.len()
        );
        for (test, outcome) in batch.plan.tests.iter().zip(&student.tests) {
            let suite = &batch.plan.suites[test.suite].name;
            let _ = write!(out, "    <testcase name=\"{}\" classname=\"{}\"", xml(&test.name), xml(suite));
            let verdict = outcome.verdict();
            if verdict.passed() {
                out.push_str("/>\n");
            } else {
                let tag = if verdict.gradable() { "failure" } else { "error" };
                let _ = writeln!(
                    out,
                    ">\n      <{tag} type=\"{}\" message=\"{}\"/>\n    </testcase>",
                    verdict.name(),
                    xml(&message(verdict))
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
