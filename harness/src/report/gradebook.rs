//! `gradebook.csv`: one row per student — id, total, max, one column per suite, status. Written by the `csv`
//! crate (quoting), with every text cell passed through [`csv_cell`] (no formula, no control character): a student
//! id is a directory name, which a spreadsheet must not run.

use crate::grade::BatchOutcome;
use crate::untrusted::csv_cell;

/// Points are printed with two decimals so that shares like 10/3 are stable across runs; a suite with no test
/// (under `check --filter`) scores `-0.0`, printed as `0.00`.
pub fn points(value: f64) -> String {
    format!("{:.2}", value + 0.0)
}

pub fn render(batch: &BatchOutcome) -> String {
    let mut writer =
        csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).flexible(true).from_writer(Vec::new());
    let mut header = vec!["id".to_owned(), "total".to_owned(), "max".to_owned()];
    header.extend(batch.plan.suites.iter().map(|s| csv_cell(&s.name).into_owned()));
    header.push("status".to_owned());
    // Writing to a `Vec` cannot fail (and `flexible` accepts rows of any length).
    writer.write_record(&header).expect("a CSV row is written to memory");
    for student in &batch.students {
        let mut row =
            vec![csv_cell(&student.submission.id).into_owned(), points(student.score.total), points(student.score.max)];
        row.extend(student.score.suites.iter().map(|s| points(s.points)));
        row.push(student.score.status.name().to_owned());
        writer.write_record(&row).expect("a CSV row is written to memory");
    }
    let bytes = writer.into_inner().expect("a CSV file is written to memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 cells is UTF-8")
}
