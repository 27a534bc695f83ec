//! Loading test cases: YAML → validated [`Case`].
//!
//! ```yaml
//! name: rr-q4-three-jobs          # optional; defaults to the file stem
//! scheduler: { policy: rr, quantum: 4 }
//! machine: { cpus: 1, context_switch: 0, ties: arrivals_first }
//! processes:
//!   - { name: P1, arrival: 0, priority: 3, bursts: [cpu 24] }
//!   - { name: P2, arrival: 2, bursts: [cpu 3, io 2, cpu 1] }
//!   - { name: P3, program: [cpu 1, lock m, { repeat: 2, do: [cpu 2, io 1] }, unlock m] }
//! objects: { m: { kind: mutex } }   # optional
//! ```
//!
//! A program is `bursts:` (CPU and I/O, alternating) or `program:` (every operation of [`OPS`], in any order, and
//! `repeat` loops); both become a [`Program`].
//!
//! Every problem is reported as a [`Diagnostic`] with file, line, column, message and hint; a file with several
//! semantic problems gets all of them (up to [`MAX_DIAGNOSTICS`]). Limits are the constants below; every key's
//! default is in its description in the JSON schema ([`testcase_schema`], committed as
//! `schemas/testcase.schema.json`).
//!
//! Grading accepts smaller cases than [`load_case`] does: at most [`MAX_GRADED_CASE_BYTES`] of YAML, checked by
//! [`check_graded_size`] before parsing. The bound keeps what the grader charges to every test (parsing the case,
//! simulating it) well within the default limits; `schedgrade lint` also measures the reference on every case.

mod diag;
mod discover;
mod model;
mod ops;
mod program;
mod raw;
mod schema;
mod validate;
mod validate_program;
mod yaml;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use diag::{Diagnostic, Severity, Snippet, closest, edit_distance};
#[doc(hidden)]
pub use discover::source_text;
pub use discover::{DiscoverError, discover_cases};
pub use model::{
    Case, Expectations, ExpectedOutcome, Machine, ObjectKind, ObjectSpec, ProcessSpec, SwitchCost, Ties, WakeOrder,
};
pub use ops::{Arg, ArgKind, OPS, OpSpec};
pub use program::{Cursor, Instr, ObjId, Op, Program, Step};
pub use raw::MAX_TICK;
pub use schema::testcase_schema;
pub use validate::{MAX_CPUS, MAX_DIAGNOSTICS, MAX_PRIORITY, MAX_TOTAL_OPERATIONS, MAX_TOTAL_TICKS};
pub use validate_program::{MAX_REPEAT, MAX_SEMAPHORE};
pub use yaml::{MAX_ALIAS_REPLAYED_EVENTS, MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES};

#[doc(hidden)] // for the rubric loader, which shares the diagnostics machinery
pub use diag::{Pos, Source};
#[doc(hidden)]
pub use discover::{read_source, walk_files};
#[doc(hidden)]
pub use raw::PolicyName as PolicyNameSchema;
#[doc(hidden)]
pub use validate::Checker;
#[doc(hidden)]
pub use yaml::{Any, Sp, Vocabulary, from_yaml};

use raw::{RawCase, SECTIONS};
use validate::{check_case, key_hint};

/// A test case that cannot be used: every problem found in it, in file order.
#[derive(Clone, Debug, thiserror::Error, Serialize)]
#[error("{}", render_list(.diagnostics))]
pub struct CaseError {
    /// The file, as given to the loader.
    pub path: PathBuf,
    /// The problems, at least one, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

pub fn render_list(diagnostics: &[Diagnostic]) -> String {
    struct All<'a>(&'a [Diagnostic]);
    impl std::fmt::Display for All<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            diag::render_all(self.0, f)
        }
    }
    All(diagnostics).to_string()
}

impl CaseError {
    fn new(path: &Path, mut diagnostics: Vec<Diagnostic>) -> CaseError {
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic::file_error(
                "internal",
                path,
                "the test case was rejected without a reason (a bug in schedgrade)",
                Some("please report this file to the schedgrade maintainers".to_string()),
            ));
        }
        CaseError { path: path.to_path_buf(), diagnostics }
    }

    /// The first problem.
    pub fn first(&self) -> &Diagnostic {
        &self.diagnostics[0]
    }
    /// The first problem's line (1-based), if it has a position.
    pub fn line(&self) -> Option<u32> {
        self.first().line
    }
    /// The first problem's column (1-based, in characters), if it has a position.
    pub fn column(&self) -> Option<u32> {
        self.first().column
    }
    /// The first problem's message.
    pub fn message(&self) -> &str {
        &self.first().message
    }
    /// The first problem's hint.
    pub fn hint(&self) -> Option<&str> {
        self.first().hint.as_deref()
    }
}

/// The largest test case `grade`, `check` and `lint` accept, in bytes of YAML source: 1 MiB, about 13,000
/// processes. The largest bundled case is 31 KiB. Parsing is most of what a case costs (about 0.15 s of CPU per MiB
/// in a release build, and 16× the source in memory), so a 1 MiB case stays within a quarter of the default limits
/// (2000 ms of CPU, 512 MiB); measurements in `harness/src/rubric/budget.rs`.
pub const MAX_GRADED_CASE_BYTES: usize = 1024 * 1024;

/// Refuses a case for grading when its source is longer than [`MAX_GRADED_CASE_BYTES`]; the diagnostic points at
/// the first character past the limit.
pub fn check_graded_size(source: &str, origin: &Path) -> Result<(), CaseError> {
    if source.len() <= MAX_GRADED_CASE_BYTES {
        return Ok(());
    }
    let mut offset = MAX_GRADED_CASE_BYTES;
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let src = Source::new(source, origin);
    let message = format!(
        "the case is {} bytes, more than the {MAX_GRADED_CASE_BYTES} bytes ({} KiB) a graded case may have; the limit \
         is crossed here",
        source.len(),
        MAX_GRADED_CASE_BYTES / 1024
    );
    let hint = "split the workload into several smaller test cases (`schedgrade run` still runs larger ones)";
    Err(CaseError::new(
        origin,
        vec![src.error("case-too-large", src.pos_of_offset(offset, 1), message, Some(hint.into()))],
    ))
}

pub const CASE_VOCABULARY: Vocabulary = Vocabulary {
    document: "a test case",
    sections: SECTIONS,
    key_hint,
    minimal: "{ scheduler: { policy: fcfs }, processes: [{ name: P1, bursts: [cpu 5] }] }",
};

/// Reads and validates the test case at `path`.
pub fn load_case(path: &Path) -> Result<Case, CaseError> {
    let text = read_source(path).map_err(|d| CaseError::new(path, vec![*d]))?;
    parse_case(&text, path)
}

/// Validates a test case given as the bytes of its file: [`load_case`] after the read (size limit, UTF-8, then
/// [`parse_case`]). `#[doc(hidden)] pub` because the fuzz target `case_loader` (`fuzz/`) starts here.
#[doc(hidden)]
pub fn parse_case_bytes(bytes: Vec<u8>, origin: &Path) -> Result<Case, CaseError> {
    let text = source_text(bytes, origin).map_err(|d| CaseError::new(origin, vec![*d]))?;
    parse_case(&text, origin)
}

/// Validates a test case given as text. `origin` is the file it came from: it names the file in messages and gives
/// the default case name (its stem).
pub fn parse_case(source: &str, origin: &Path) -> Result<Case, CaseError> {
    parse_case_located(source, origin).map(|(case, _)| case)
}

/// [`parse_case`], also giving the position of `scheduler.policy` (for the rubric's lint).
pub fn parse_case_located(source: &str, origin: &Path) -> Result<(Case, Pos), CaseError> {
    let src = Source::new(source, origin);
    let raw: Sp<RawCase> = from_yaml(&src, &CASE_VOCABULARY).map_err(|d| CaseError::new(origin, vec![*d]))?;
    let policy_pos = raw.v.scheduler.as_ref().and_then(|s| s.v.policy.as_ref()).map_or_else(Pos::default, |p| p.pos);
    let mut checker = Checker::new(&src, key_hint);
    let case = check_case(raw, origin, &mut checker);
    let diagnostics = checker.finish();
    match case {
        Some(case) if diagnostics.is_empty() => Ok((case, policy_pos)),
        _ => Err(CaseError::new(origin, diagnostics)),
    }
}
