//! `junit.xml`: one `<testsuite>` per student, for CI dashboards.

use std::fmt::Write as _;

use crate::grade::BatchOutcome;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(batch: &BatchOutcome) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"schedgrade\">\n");
    for student in &batch.students {
        let failures = student.tests.iter().filter(|t| !t.verdict.passed() && t.verdict.gradable()).count();
        let errors = student.tests.iter().filter(|t| !t.verdict.gradable()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
            escape(&student.submission.id),
            student.tests.len()
        );
        for (test, outcome) in batch.plan.tests.iter().zip(&student.tests) {
            let suite = &batch.plan.suites[test.suite].name;
            let _ = write!(out, "    <testcase name=\"{}\" classname=\"{}\"", escape(&test.name), escape(suite));
            let verdict = &outcome.verdict;
            if verdict.passed() {
                out.push_str("/>\n");
            } else {
                let tag = if verdict.gradable() { "failure" } else { "error" };
                let _ = writeln!(
                    out,
                    ">\n      <{tag} type=\"{}\" message=\"{}\"/>\n    </testcase>",
                    verdict.name(),
                    escape(&verdict.summary())
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
