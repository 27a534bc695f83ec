//! The grading rubric, `grading.yaml`: resource limits and suites of test cases with their points.
//!
//! ```yaml
//! limits: { cpu_ms: 2000, wall_ms: 5000, memory_mib: 512, output_kib: 64, build_seconds: 120 }
//! suites:
//!   - name: fcfs
//!     policy: fcfs
//!     cases: ["testcases/fcfs/*.yaml"]
//!     points: 10
//!     scoring: per-test          # or all-or-nothing
//!     visibility: visible        # visible | hidden | after_due_date
//!     depends_on: [other-suite]
//! ```
//!
//! [`load_rubric`] checks the file itself and resolves the globs; [`lint`] checks the rubric against the case files
//! (orphans, overlaps, golden traces, policies, dependencies, points, case sizes, and what the reference needs:
//! [`budget`]). `grade` and `check` refuse a rubric with lint errors.

pub mod budget;
mod glob;
mod lint;
mod raw;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use schedgrade_contract::PolicyKind;
use schemars::generate::SchemaSettings;
use serde::Serialize;

use crate::case::{
    Any, Checker, Diagnostic, Pos, Source, Sp, Vocabulary, from_yaml, read_source, render_list, source_text, walk_files,
};

pub use lint::{LintFinding, lint, lint_selected};

use glob::{Glob, GlobProblem};
use raw::{RawLimits, RawRubric, RawSuite, SECTIONS, key_hint};

/// Default CPU time per test, in milliseconds.
pub const DEFAULT_CPU_MS: u64 = 2000;
/// Default wall-clock time per test, in milliseconds.
pub const DEFAULT_WALL_MS: u64 = 5000;
/// Default memory per test, in MiB.
pub const DEFAULT_MEMORY_MIB: u64 = 512;
/// Default output size per test, in KiB.
pub const DEFAULT_OUTPUT_KIB: u64 = 64;
/// Default build time per submission, in seconds.
pub const DEFAULT_BUILD_SECONDS: u64 = 120;
/// Largest `grading.yaml` accepted (1 MiB; a course's rubric is a few KiB). Loading and linting take time about
/// proportional to the file's size times the number of case files its globs reach, so this bounds both.
pub const MAX_RUBRIC_BYTES: usize = 1024 * 1024;

/// Where something is in `grading.yaml` (1-based line and column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct At {
    pub line: u32,
    pub column: u32,
    #[serde(skip)]
    pos: Pos,
}

impl At {
    fn new(pos: Pos) -> At {
        At { line: pos.line, column: pos.col, pos }
    }
}

/// Resource limits (per test unless noted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub cpu_ms: u64,
    pub wall_ms: u64,
    pub memory_mib: u64,
    pub output_kib: u64,
    /// Per submission build.
    pub build_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_ms: DEFAULT_CPU_MS,
            wall_ms: DEFAULT_WALL_MS,
            memory_mib: DEFAULT_MEMORY_MIB,
            output_kib: DEFAULT_OUTPUT_KIB,
            build_seconds: DEFAULT_BUILD_SECONDS,
        }
    }
}

/// How a suite's points are awarded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scoring {
    /// Points shared among the cases passed.
    #[default]
    PerTest,
    /// All points only if every case passes.
    AllOrNothing,
}

/// Who sees a suite's results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Visible,
    Hidden,
    AfterDueDate,
}

/// One glob of a suite and the case files it matched (sorted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseGlob {
    /// As written in `grading.yaml`.
    pub pattern: String,
    /// Matching `*.yaml` files, as `rubric.root.join(relative path)`, sorted.
    pub matches: Vec<PathBuf>,
    pub at: At,
    /// The top directory this glob points into (relative to the root; empty for the root itself).
    #[serde(skip)]
    top_dir: Vec<String>,
}

/// A suite's dependency on another suite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub name: String,
    pub at: At,
}

/// A group of test cases graded together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suite {
    pub name: String,
    /// The policy the suite's cases must use, if given.
    #[serde(serialize_with = "ser_policy")]
    pub policy: Option<PolicyKind>,
    pub cases: Vec<CaseGlob>,
    pub points: f64,
    pub scoring: Scoring,
    pub visibility: Visibility,
    pub depends_on: Vec<Dependency>,
    /// The suite's mapping.
    pub at: At,
    /// Its `points` value.
    pub points_at: At,
}

impl Suite {
    /// Every case file of the suite, sorted, without duplicates.
    pub fn case_files(&self) -> Vec<PathBuf> {
        let set: BTreeSet<&PathBuf> = self.cases.iter().flat_map(|g| &g.matches).collect();
        set.into_iter().cloned().collect()
    }
}

fn ser_policy<S: serde::Serializer>(p: &Option<PolicyKind>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_some(p.as_str()),
        None => s.serialize_none(),
    }
}

/// The rubric's `total: N`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Total {
    pub points: f64,
    pub at: At,
}

/// A loaded `grading.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rubric {
    /// The file.
    pub path: PathBuf,
    /// Its directory: globs are relative to it.
    pub root: PathBuf,
    /// The announced total of points, if any.
    pub total: Option<Total>,
    pub limits: Limits,
    pub suites: Vec<Suite>,
    #[serde(skip)]
    source: String,
}

/// A rubric that cannot be used: every problem found in it.
#[derive(Clone, Debug, thiserror::Error, Serialize)]
#[error("{}", render_list(.diagnostics))]
pub struct RubricError {
    pub path: PathBuf,
    /// At least one, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl RubricError {
    /// The first problem.
    pub fn first(&self) -> &Diagnostic {
        &self.diagnostics[0]
    }
}

pub(crate) const RUBRIC_VOCABULARY: Vocabulary = Vocabulary {
    document: "a grading rubric",
    sections: SECTIONS,
    key_hint,
    minimal: "suites: [{ name: fcfs, cases: [\"testcases/fcfs/*.yaml\"], points: 10 }]",
};

/// The JSON Schema (draft 7) of `grading.yaml`, as committed in `schemas/grading.schema.json`.
pub fn grading_schema() -> serde_json::Value {
    SchemaSettings::draft07().into_generator().into_root_schema_for::<RawRubric>().to_value()
}

/// Reads and checks `grading.yaml` at `path`, and resolves its globs against the file's directory.
pub fn load_rubric(path: &Path) -> Result<Rubric, RubricError> {
    let text = read_source(path).map_err(|d| RubricError { path: path.to_path_buf(), diagnostics: vec![*d] })?;
    parse_rubric(text, path)
}

/// [`load_rubric`] from the bytes of the file on (size limit, UTF-8, then [`parse_rubric`]): where the fuzz target
/// `rubric_loader` starts.
pub(crate) fn parse_rubric_bytes(bytes: Vec<u8>, path: &Path) -> Result<Rubric, RubricError> {
    let text = source_text(bytes, path).map_err(|d| RubricError { path: path.to_path_buf(), diagnostics: vec![*d] })?;
    parse_rubric(text, path)
}

/// Checks the text of `grading.yaml` read from `path`, and resolves its globs against the file's directory.
fn parse_rubric(text: String, path: &Path) -> Result<Rubric, RubricError> {
    let err = |diagnostics| RubricError { path: path.to_path_buf(), diagnostics };
    if text.len() > MAX_RUBRIC_BYTES {
        return Err(err(vec![Diagnostic::file_error(
            "file-too-large",
            path,
            format!("the rubric is {} bytes, more than the limit of {MAX_RUBRIC_BYTES} bytes (1 MiB)", text.len()),
            Some("a rubric lists suites and globs, not cases: match many case files with one glob".to_string()),
        )]));
    }
    let src = Source::new(&text, path);
    let raw: Sp<RawRubric> = from_yaml(&src, &RUBRIC_VOCABULARY).map_err(|d| err(vec![*d]))?;
    let root = path.parent().map_or_else(
        || PathBuf::from("."),
        |p| {
            if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() }
        },
    );
    let mut ck = Checker::new(&src, key_hint);
    let checked = check_rubric(&raw, &root, &mut ck);
    let diagnostics = ck.finish();
    match checked {
        Some((total, limits, suites)) if diagnostics.is_empty() => {
            Ok(Rubric { path: path.to_path_buf(), root, total, limits, suites, source: text })
        }
        _ if diagnostics.is_empty() => Err(err(vec![Diagnostic::file_error(
            "internal",
            path,
            "the rubric was rejected without a reason (a bug in schedgrade)",
            None,
        )])),
        _ => Err(err(diagnostics)),
    }
}

type Checked = (Option<Total>, Limits, Vec<Suite>);

fn check_rubric(raw: &Sp<RawRubric>, root: &Path, ck: &mut Checker<'_, '_>) -> Option<Checked> {
    let r = &raw.v;
    let total = match &r.total {
        Some(t) => ck.number("total", t, 0.0, 1e12, None).map(|points| Some(Total { points, at: At::new(t.pos) })),
        None => Some(None),
    };
    let limits = match &r.limits {
        Some(l) => check_limits(&l.v, ck),
        None => Some(Limits::default()),
    };
    let suites = match &r.suites {
        Some(s) if s.v.is_empty() => {
            ck.error("empty-list", s.pos, "`suites` must not be empty", key_hint("suites"));
            None
        }
        Some(s) => check_suites(&s.v, root, ck),
        None => {
            ck.missing("suites", "the rubric", raw.pos, None);
            None
        }
    };
    Some((total?, limits?, suites?))
}

fn check_limits(l: &RawLimits, ck: &mut Checker<'_, '_>) -> Option<Limits> {
    let mut limits = Limits::default();
    let mut ok = true;
    for (key, value, slot) in [
        ("cpu_ms", &l.cpu_ms, &mut limits.cpu_ms),
        ("wall_ms", &l.wall_ms, &mut limits.wall_ms),
        ("memory_mib", &l.memory_mib, &mut limits.memory_mib),
        ("output_kib", &l.output_kib, &mut limits.output_kib),
        ("build_seconds", &l.build_seconds, &mut limits.build_seconds),
    ] {
        if let Some(v) = value {
            match ck.int(key, v, 1, 1_000_000_000, None) {
                Some(n) => *slot = n as u64,
                None => ok = false,
            }
        }
    }
    ok.then_some(limits)
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn check_suites(list: &[Sp<RawSuite>], root: &Path, ck: &mut Checker<'_, '_>) -> Option<Vec<Suite>> {
    let mut ok = true;
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut suites = Vec::new();
    // Walk each directory once, whatever the number of globs pointing into it.
    let mut walked: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    for s in list {
        match check_suite(s, root, &mut seen, &mut walked, ck) {
            Some(suite) => suites.push(suite),
            None => ok = false,
        }
    }
    ok.then_some(suites)
}

fn check_suite(
    s: &Sp<RawSuite>,
    root: &Path,
    seen: &mut HashMap<String, u32>,
    walked: &mut HashMap<PathBuf, Vec<PathBuf>>,
    ck: &mut Checker<'_, '_>,
) -> Option<Suite> {
    let r = &s.v;
    let name = match &r.name {
        Some(v) => ck.text("name", v).and_then(|name| {
            if !is_valid_name(&name) {
                ck.error("bad-name", v.pos, format!("invalid suite name `{name}`"), key_hint("name"));
                None
            } else if let Some(line) = seen.get(&name) {
                ck.error(
                    "duplicate-name",
                    v.pos,
                    format!("duplicate suite name `{name}`"),
                    Some(format!("suite names must be unique; `{name}` is first used on line {line}")),
                );
                None
            } else {
                seen.insert(name.clone(), v.pos.line);
                Some(name)
            }
        }),
        None => {
            ck.missing("name", "this suite", s.pos, None);
            None
        }
    };
    let policy = match &r.policy {
        Some(v) => {
            let table: Vec<(&'static str, PolicyKind)> = PolicyKind::ALL.iter().map(|p| (p.as_str(), *p)).collect();
            ck.keyword("policy", v, &table).map(Some)
        }
        None => Some(None),
    };
    let points = match &r.points {
        Some(v) => ck.number("points", v, -1e12, 1e12, None).map(|p| (p, At::new(v.pos))),
        None => {
            ck.missing("points", "this suite", s.pos, None);
            None
        }
    };
    let scoring = match &r.scoring {
        Some(v) => {
            ck.keyword("scoring", v, &[("per-test", Scoring::PerTest), ("all-or-nothing", Scoring::AllOrNothing)])
        }
        None => Some(Scoring::PerTest),
    };
    let visibility = match &r.visibility {
        Some(v) => ck.keyword(
            "visibility",
            v,
            &[
                ("visible", Visibility::Visible),
                ("hidden", Visibility::Hidden),
                ("after_due_date", Visibility::AfterDueDate),
            ],
        ),
        None => Some(Visibility::Visible),
    };
    let depends_on = match &r.depends_on {
        Some(list) => {
            let deps: Vec<Option<Dependency>> = list
                .v
                .iter()
                .map(|d| ck.text("depends_on", d).map(|name| Dependency { name, at: At::new(d.pos) }))
                .collect();
            deps.into_iter().collect::<Option<Vec<_>>>()
        }
        None => Some(Vec::new()),
    };
    let cases = match &r.cases {
        Some(list) if list.v.is_empty() => {
            ck.error("empty-list", list.pos, "`cases` must not be empty", key_hint("cases"));
            None
        }
        Some(list) => {
            let globs: Vec<Option<CaseGlob>> = list.v.iter().map(|g| resolve_glob(g, root, walked, ck)).collect();
            globs.into_iter().collect::<Option<Vec<_>>>()
        }
        None => {
            ck.missing("cases", "this suite", s.pos, None);
            None
        }
    };
    let (points, points_at) = points?;
    Some(Suite {
        name: name?,
        policy: policy?,
        cases: cases?,
        points,
        scoring: scoring?,
        visibility: visibility?,
        depends_on: depends_on?,
        at: At::new(s.pos),
        points_at,
    })
}

fn resolve_glob(
    g: &Sp<Any>,
    root: &Path,
    walked: &mut HashMap<PathBuf, Vec<PathBuf>>,
    ck: &mut Checker<'_, '_>,
) -> Option<CaseGlob> {
    let pattern = ck.text("cases", g)?;
    let glob = match Glob::parse(&pattern) {
        Ok(glob) => glob,
        Err(problem) => {
            let (message, hint) = match problem {
                GlobProblem::Empty => ("the glob is empty".to_string(), "write e.g. `testcases/fcfs/*.yaml`"),
                GlobProblem::Absolute => (
                    format!("the glob `{pattern}` is an absolute path"),
                    "write globs relative to the directory of grading.yaml, e.g. `testcases/fcfs/*.yaml`",
                ),
                GlobProblem::ParentDir => (
                    format!("the glob `{pattern}` leaves the directory of grading.yaml"),
                    "keep the test cases under the directory of grading.yaml and remove `..`",
                ),
                GlobProblem::BadDoubleStar => (
                    format!("`**` must be a whole path segment in `{pattern}`"),
                    "write `**/` for any number of directories, e.g. `testcases/**/*.yaml`",
                ),
            };
            ck.error("bad-glob", g.pos, message, Some(hint.to_string()));
            return None;
        }
    };
    let literal: Vec<&str> = glob.literal_dir();
    let mut base = root.to_path_buf();
    for seg in &literal {
        base.push(seg);
    }
    if !walked.contains_key(&base) {
        let files = if base.is_dir() {
            match walk_files(&base) {
                Ok(files) => files,
                Err(e) => {
                    ck.error(
                        "io",
                        g.pos,
                        format!("cannot list `{}`: {}", e.path.display(), e.source),
                        Some("check the directory's permissions".to_string()),
                    );
                    return None;
                }
            }
        } else {
            Vec::new()
        };
        walked.insert(base.clone(), files);
    }
    let files = &walked[&base];
    let mut matches: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yaml"))
        .filter(|f| {
            let Ok(rel) = f.strip_prefix(root) else {
                return false;
            };
            let segs: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
            glob.matches(&segs)
        })
        .cloned()
        .collect();
    matches.sort();
    Some(CaseGlob {
        pattern,
        matches,
        at: At::new(g.pos),
        top_dir: literal.first().map(|s| vec![s.to_string()]).unwrap_or_default(),
    })
}
