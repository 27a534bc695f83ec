//! `gradebook.csv`: one row per student — id, total, max, one column per suite, status.

use crate::grade::BatchOutcome;

/// Quotes a CSV field when it needs it (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// Points are printed with two decimals so that shares like 10/3 are stable across runs.
pub fn points(value: f64) -> String {
    format!("{value:.2}")
}

pub fn render(batch: &BatchOutcome) -> String {
    let mut header = vec!["id".to_owned(), "total".to_owned(), "max".to_owned()];
    header.extend(batch.plan.suites.iter().map(|s| field(&s.name)));
    header.push("status".to_owned());
    let mut out = header.join(",") + "\n";
    for student in &batch.students {
        let mut row = vec![field(&student.submission.id), points(student.score.total), points(student.score.max)];
        row.extend(student.score.suites.iter().map(|s| points(s.points)));
        row.push(student.score.status.name().to_owned());
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}
