//! Golden traces: the insta snapshot stored next to each test case (`testcases/rr/foo.yaml` →
//! `testcases/rr/foo.snap`). These files are the single source of truth for expected traces; the grader reads
//! them and never regenerates expected output itself.

use std::path::{Path, PathBuf};

use crate::trace::text;

/// An expected run, read from a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Golden {
    /// The snapshot file.
    pub path: PathBuf,
    /// The `== trace ==` lines.
    pub trace: Vec<String>,
    /// The `== gantt ==` lines.
    pub gantt: Vec<String>,
}

/// Why a golden trace is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    #[error("missing golden trace `{}` for `{}`\n  = hint: run `cargo test -p harness golden` and accept it with `cargo insta review`", .snapshot.display(), .case.display())]
    Missing { case: PathBuf, snapshot: PathBuf },
    #[error("cannot read golden trace `{}`: {source}\n  = hint: check the file's permissions", .path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("golden trace `{}` has no `== trace ==` section\n  = hint: regenerate it with `cargo test -p harness golden` and `cargo insta review`", .path.display())]
    Malformed { path: PathBuf },
}

/// The snapshot file of a case file.
pub fn snapshot_path(case: &Path) -> PathBuf {
    case.with_extension("snap")
}

/// The body of an insta snapshot: everything after the metadata header (`---` … `---`).
pub fn snapshot_body(snapshot: &str) -> &str {
    snapshot
        .strip_prefix("---\n")
        .and_then(|after_first| after_first.find("\n---\n").map(|end| &after_first[end + "\n---\n".len()..]))
        .unwrap_or(snapshot)
}

/// Reads the golden trace of `case`.
pub fn load_golden(case: &Path) -> Result<Golden, GoldenError> {
    let path = snapshot_path(case);
    let source = std::fs::read_to_string(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => GoldenError::Missing { case: case.to_owned(), snapshot: path.clone() },
        _ => GoldenError::Unreadable { path: path.clone(), source },
    })?;
    let body = snapshot_body(&source);
    let trace = text::extract_trace(body).ok_or_else(|| GoldenError::Malformed { path: path.clone() })?;
    let gantt = text::extract_gantt(body).unwrap_or_default();
    Ok(Golden {
        trace: trace.into_iter().map(str::to_owned).collect(),
        gantt: gantt.into_iter().map(str::to_owned).collect(),
        path,
    })
}
