//! Checks of a rubric against the case files it grades.
//!
//! | code | severity | where |
//! | --- | --- | --- |
//! | `glob-matches-nothing` | error | the glob in grading.yaml |
//! | `case-in-no-suite` | warning | the case file (a `*.yaml` under a directory the globs point into) |
//! | `case-in-two-suites` | error | the glob of the second suite that matches it |
//! | `missing-golden-trace` | error | the case file (its trace is `foo.snap` next to `foo.yaml`) |
//! | `case-fails-to-load` | error | the case file, at its first problem |
//! | `policy-mismatch` | error | the case file's `policy` |
//! | `unknown-dependency` | error | the `depends_on` entry |
//! | `dependency-cycle` | error | the `depends_on` entry that closes the cycle |
//! | `non-positive-points` | error | the suite's `points` |
//! | `points-total-mismatch` | error | `total` |

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::case::{Diagnostic, Pos, Severity, Source, closest, parse_case_located, read_source, walk_files};

use super::{At, Rubric};

/// One problem found by [`lint`]: severity, stable kebab-case `code`, file, line, column, message and hint.
pub type LintFinding = Diagnostic;

struct Ctx<'a> {
    rubric: Source<'a>,
    findings: Vec<LintFinding>,
}

impl Ctx<'_> {
    fn at(&mut self, severity: Severity, code: &'static str, at: At, message: String, hint: &str) {
        self.findings.push(self.rubric.diagnostic(severity, code, at.pos, message, Some(hint.to_string())));
    }
}

fn file_finding(severity: Severity, code: &'static str, path: &Path, message: String, hint: String) -> LintFinding {
    let mut d = Diagnostic::file_error(code, path, message, Some(hint));
    d.severity = severity;
    d.line = Some(1);
    d.column = Some(1);
    d
}

fn show(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// Checks `rubric` against the case files under `root` (the directory its globs are relative to: normally
/// `rubric.root`). Findings are sorted by file, line and column.
pub fn lint(rubric: &Rubric, root: &Path) -> Vec<LintFinding> {
    let mut ctx = Ctx { rubric: Source::new(&rubric.source, &rubric.path), findings: Vec::new() };

    // Globs that match nothing; which suite (and glob) counts each case.
    let mut owner: BTreeMap<PathBuf, (usize, At)> = BTreeMap::new();
    for (si, suite) in rubric.suites.iter().enumerate() {
        let mut in_suite: BTreeSet<&PathBuf> = BTreeSet::new();
        for glob in &suite.cases {
            if glob.matches.is_empty() {
                ctx.at(
                    Severity::Error,
                    "glob-matches-nothing",
                    glob.at,
                    format!("`{}` matches no `.yaml` file", glob.pattern),
                    "check the path: globs are relative to the directory of grading.yaml, `*` stays within one directory and `**` spans several",
                );
            }
            for case in &glob.matches {
                if !in_suite.insert(case) {
                    continue;
                }
                match owner.get(case) {
                    Some(&(first, _)) if first != si => {
                        let first_name = &rubric.suites[first].name;
                        ctx.at(
                            Severity::Error,
                            "case-in-two-suites",
                            glob.at,
                            format!("`{}` is counted in suites `{first_name}` and `{}`", show(case, root), suite.name),
                            "a case counts in one suite only: narrow one of the globs, or move the file",
                        );
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(case.clone(), (si, glob.at));
                    }
                }
            }
        }
    }

    // Case files in no suite, under the directories the globs point into.
    let mut tops: BTreeSet<PathBuf> = BTreeSet::new();
    for glob in rubric.suites.iter().flat_map(|s| &s.cases) {
        let mut dir = root.to_path_buf();
        dir.extend(&glob.top_dir);
        tops.insert(dir);
    }
    let mut listed: BTreeSet<PathBuf> = BTreeSet::new();
    for top in &tops {
        if !top.is_dir() {
            continue;
        }
        match walk_files(top) {
            Ok(files) => listed.extend(files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "yaml"))),
            Err(e) => ctx.findings.push(Diagnostic::file_error(
                "io",
                &e.path,
                format!("cannot list the directory: {}", e.source),
                None,
            )),
        }
    }
    for file in &listed {
        if !owner.contains_key(file) && file != &rubric.path {
            ctx.findings.push(file_finding(
                Severity::Warning,
                "case-in-no-suite",
                file,
                format!("`{}` is in no suite", show(file, root)),
                "add it to a suite's `cases` in grading.yaml, or delete it".to_string(),
            ));
        }
    }

    // Golden traces, loading, policies.
    for (case, &(si, glob_at)) in &owner {
        let suite = &rubric.suites[si];
        let snap = case.with_extension("snap");
        if !snap.is_file() {
            ctx.findings.push(file_finding(
                Severity::Error,
                "missing-golden-trace",
                case,
                format!("`{}` has no golden trace `{}`", show(case, root), show(&snap, root)),
                "record the reference trace next to the case (an insta snapshot with the same name and `.snap`)"
                    .to_string(),
            ));
        }
        let text = match read_source(case) {
            Ok(text) => text,
            Err(d) => {
                ctx.findings.push(load_failure(*d, suite.name.as_str(), 0));
                continue;
            }
        };
        match parse_case_located(&text, case) {
            Err(e) => {
                let others = e.diagnostics.len() - 1;
                ctx.findings.push(load_failure(e.diagnostics[0].clone(), &suite.name, others));
            }
            Ok((loaded, policy_pos)) => {
                if let Some(want) = suite.policy
                    && loaded.scheduler.policy != want
                {
                    let have = loaded.scheduler.policy.as_str();
                    let message = format!(
                        "this case uses policy `{have}`, but suite `{}` targets `{}`",
                        suite.name,
                        want.as_str()
                    );
                    let hint = format!(
                        "move the case to a `{have}` suite, or fix its policy (it is counted in `{}` by the glob on line {} of {})",
                        suite.name,
                        glob_at.line,
                        rubric.path.display()
                    );
                    let src = Source::new(&text, case);
                    let pos =
                        if policy_pos.is_unknown() { Pos { line: 1, col: 1, offset: 0, len: 1 } } else { policy_pos };
                    ctx.findings.push(src.error("policy-mismatch", pos, message, Some(hint)));
                }
            }
        }
    }

    check_dependencies(rubric, &mut ctx);
    check_points(rubric, &mut ctx);

    let mut findings = ctx.findings;
    findings.sort_by(|a, b| (&a.path, a.line, a.column, a.code).cmp(&(&b.path, b.line, b.column, b.code)));
    findings
}

fn load_failure(mut first: Diagnostic, suite: &str, others: usize) -> LintFinding {
    let more = match others {
        0 => String::new(),
        1 => " (and 1 more problem)".to_string(),
        n => format!(" (and {n} more problems)"),
    };
    first.message = format!("case of suite `{suite}` does not load: {}{more}", first.message);
    first.code = "case-fails-to-load";
    first.severity = Severity::Error;
    if first.line.is_none() {
        first.line = Some(1);
        first.column = Some(1);
    }
    first
}

fn check_dependencies(rubric: &Rubric, ctx: &mut Ctx<'_>) {
    let index: HashMap<&str, usize> = rubric.suites.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    let names: Vec<&str> = rubric.suites.iter().map(|s| s.name.as_str()).collect();
    for suite in &rubric.suites {
        for dep in &suite.depends_on {
            if !index.contains_key(dep.name.as_str()) {
                let hint = match closest(&dep.name, names.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "name a suite of this rubric".to_string(),
                };
                ctx.at(
                    Severity::Error,
                    "unknown-dependency",
                    dep.at,
                    format!("`depends_on` names an unknown suite `{}`", dep.name),
                    &hint,
                );
            }
        }
    }
    // Depth-first search with an explicit stack (a long chain of dependencies must not overflow the thread's
    // stack); a dependency on a suite still on the stack closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active { depth: usize },
        Done,
    }
    let mut marks = vec![Mark::New; rubric.suites.len()];
    let mut reported: BTreeSet<Vec<usize>> = BTreeSet::new();
    // Each back edge costs the length of its cycle: stop looking after a few, so that a rubric full of cycles still
    // lints in time linear in its size.
    let mut back_edges = 0usize;
    for root in 0..rubric.suites.len() {
        if marks[root] != Mark::New {
            continue;
        }
        // (suite, index of its next dependency to follow)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        marks[root] = Mark::Active { depth: 0 };
        while let Some((i, next)) = stack.last_mut() {
            let i = *i;
            let Some(dep) = rubric.suites[i].depends_on.get(*next) else {
                marks[i] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let Some(&j) = index.get(dep.name.as_str()) else {
                continue;
            };
            match marks[j] {
                Mark::New => {
                    marks[j] = Mark::Active { depth: stack.len() };
                    stack.push((j, 0));
                }
                Mark::Active { depth } => {
                    back_edges += 1;
                    if back_edges > MAX_BACK_EDGES || reported.len() >= MAX_CYCLES {
                        continue;
                    }
                    let cycle: Vec<usize> = stack[depth..].iter().map(|&(k, _)| k).collect();
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    if reported.insert(key) {
                        ctx.at(
                            Severity::Error,
                            "dependency-cycle",
                            dep.at,
                            cycle_message(rubric, &cycle),
                            "suites in a cycle can never count: remove one of these dependencies",
                        );
                    }
                }
                Mark::Done => {}
            }
        }
    }
}

/// Most dependency cycles reported.
const MAX_CYCLES: usize = 20;
/// Most dependencies on a suite still being visited that are examined as possible cycles.
const MAX_BACK_EDGES: usize = 200;
/// Most suite names shown in a cycle's message.
const MAX_CYCLE_NAMES: usize = 12;

/// "suite `a` depends on itself", or "`depends_on` forms a cycle: `a` -> `b` -> `a`" (long cycles abridged).
fn cycle_message(rubric: &Rubric, cycle: &[usize]) -> String {
    let name = |k: usize| format!("`{}`", rubric.suites[k].name);
    if let [only] = cycle {
        return format!("suite {} depends on itself", name(*only));
    }
    let mut shown: Vec<String> = cycle.iter().take(MAX_CYCLE_NAMES).map(|&k| name(k)).collect();
    if cycle.len() > MAX_CYCLE_NAMES {
        shown.push(format!("... ({} suites in all)", cycle.len()));
    }
    shown.push(name(cycle[0]));
    format!("`depends_on` forms a cycle: {}", shown.join(" -> "))
}

fn check_points(rubric: &Rubric, ctx: &mut Ctx<'_>) {
    for suite in &rubric.suites {
        if suite.points <= 0.0 {
            ctx.at(
                Severity::Error,
                "non-positive-points",
                suite.points_at,
                format!("suite `{}` is worth {} points: points must be positive", suite.name, suite.points),
                "give the suite a positive number of points, or remove it",
            );
        }
    }
    if let Some(super::Total { points: total, at }) = rubric.total {
        let sum: f64 = rubric.suites.iter().map(|s| s.points).sum();
        if (sum - total).abs() > 1e-9 * total.abs().max(1.0) {
            let detail: Vec<String> = rubric.suites.iter().map(|s| format!("{} ({})", s.name, s.points)).collect();
            ctx.at(
                Severity::Error,
                "points-total-mismatch",
                at,
                format!("the suites' points add up to {sum}, but `total` is {total}"),
                &format!("make the points add up to `total` or change `total`; the suites are: {}", detail.join(", ")),
            );
        }
    }
}
