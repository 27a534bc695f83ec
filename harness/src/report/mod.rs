//! Reporters: everything a batch writes. Each file renders one format from a [`BatchOutcome`]; [`write_all`]
//! writes them into the output directory.
//!
//! | file                     | format                                              |
//! |--------------------------|-----------------------------------------------------|
//! | `gradebook.csv`          | one row per student: id, total, max, suites, status |
//! | `summary.json`           | the batch: verdict counts, per-student scores       |
//! | `junit.xml`              | one testsuite per student                           |
//! | `<student>/report.md`    | verdicts, points, divergences, hints, Gantt charts  |
//! | `<student>/results.json` | Gradescope's autograder results format              |
//!
//! Submission text (messages, trace lines, Gantt charts, build logs, student ids) reaches these files only through
//! [`crate::untrusted`]: fenced in Markdown, escaped in XML, formula-safe in CSV, inert everywhere, and within a
//! [`crate::untrusted::Budget`] per student file. No file holds a figure that depends on the machine's load.

pub mod gradebook;
pub mod gradescope;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod summary;

use std::path::{Path, PathBuf};

use crate::grade::BatchOutcome;

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`: {source}\n  = hint: check that the output directory is writable and the disk is not full", .path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

fn write(path: PathBuf, contents: &str) -> Result<(), WriteError> {
    std::fs::write(&path, contents).map_err(|source| WriteError { path, source })
}

/// Writes every report of `batch` into `out` (created if needed).
pub fn write_all(batch: &BatchOutcome, out: &Path) -> Result<(), WriteError> {
    let mkdir = |dir: &Path| std::fs::create_dir_all(dir).map_err(|source| WriteError { path: dir.to_owned(), source });
    mkdir(out)?;
    write(out.join("gradebook.csv"), &gradebook::render(batch))?;
    write(out.join("summary.json"), &format!("{:#}\n", summary::render(batch)))?;
    write(out.join("junit.xml"), &junit::render(batch))?;
    for student in &batch.students {
        let dir = out.join(&student.submission.id);
        mkdir(&dir)?;
        write(dir.join("report.md"), &markdown::render(batch, student))?;
        write(dir.join("results.json"), &format!("{:#}\n", gradescope::render(batch, student)))?;
    }
    Ok(())
}
