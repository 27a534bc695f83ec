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
//! | `case-too-large` | error | the case file, where it passes [`crate::case::MAX_GRADED_CASE_BYTES`] |
//! | `reference-too-slow` | error | the case file: the reference needs more than [`REFERENCE_BUDGET_FRACTION`] of `limits.cpu_ms` |
//! | `reference-too-much-memory` | error | the case file: the same for `limits.memory_mib` (an estimate) |
//! | `reference-not-measured` | warning | the case file: no thread CPU clock on this machine |
//!
//! The reference's cost is measured in [`super::budget`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::case::{Diagnostic, Pos, Severity, Source, check_graded_size, closest, read_source, walk_files};

use rayon::prelude::*;

use super::budget::{self, Cost, REFERENCE_BUDGET_FRACTION, Stopped};
use super::{At, Limits, Rubric, Suite};

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
    lint_selected(rubric, root, |_| true)
}

/// [`lint`], checking the cases of only the suites `keep` selects (`check` keeps the visible ones: a student's copy
/// of the course may lack the hidden cases). The rubric-wide checks (overlaps, orphans, dependencies, points) are
/// always made.
pub fn lint_selected(rubric: &Rubric, root: &Path, keep: impl Fn(&Suite) -> bool) -> Vec<LintFinding> {
    let mut ctx = Ctx { rubric: Source::new(&rubric.source, &rubric.path), findings: Vec::new() };

    // Globs that match nothing; which suite (and glob) counts each case.
    let mut owner: BTreeMap<PathBuf, (usize, At)> = BTreeMap::new();
    for (si, suite) in rubric.suites.iter().enumerate() {
        let mut in_suite: BTreeSet<&PathBuf> = BTreeSet::new();
        for glob in &suite.cases {
            if glob.matches.is_empty() && keep(suite) {
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

    // Per case, in parallel: golden trace, size, loading, policy, and what the reference needs.
    let cases: Vec<(&PathBuf, usize, At)> =
        owner.iter().filter(|(_, (si, _))| keep(&rubric.suites[*si])).map(|(c, &(si, at))| (c, si, at)).collect();
    let per_case: Vec<Vec<LintFinding>> =
        cases.par_iter().map(|&(case, si, glob_at)| check_case(rubric, root, case, si, glob_at)).collect();
    ctx.findings.extend(per_case.into_iter().flatten());

    check_dependencies(rubric, &mut ctx);
    check_points(rubric, &mut ctx);

    let mut findings = ctx.findings;
    findings.sort_by(|a, b| (&a.path, a.line, a.column, a.code).cmp(&(&b.path, b.line, b.column, b.code)));
    findings
}

/// The findings of one case counted by suite `si` (through the glob at `glob_at`).
fn check_case(rubric: &Rubric, root: &Path, case: &Path, si: usize, glob_at: At) -> Vec<LintFinding> {
    let suite = &rubric.suites[si];
    let mut findings = Vec::new();
    let snap = case.with_extension("snap");
    if !snap.is_file() {
        findings.push(file_finding(
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
            findings.push(load_failure(*d, suite.name.as_str(), 0));
            return findings;
        }
    };
    if let Err(e) = check_graded_size(&text, case) {
        // Too large to grade: parsing and running it would only cost time.
        findings.extend(e.diagnostics);
        return findings;
    }
    let (loaded, policy_pos, cost) = match budget::measure(&text, case, &rubric.limits) {
        Ok(measured) => measured,
        Err(e) => {
            let others = e.diagnostics.len() - 1;
            findings.push(load_failure(e.diagnostics[0].clone(), &suite.name, others));
            return findings;
        }
    };
    if let Some(want) = suite.policy
        && loaded.scheduler.policy != want
    {
        let have = loaded.scheduler.policy.as_str();
        let message = format!("this case uses policy `{have}`, but suite `{}` targets `{}`", suite.name, want.as_str());
        let hint = format!(
            "move the case to a `{have}` suite, or fix its policy (it is counted in `{}` by the glob on line {} of {})",
            suite.name,
            glob_at.line,
            rubric.path.display()
        );
        let src = Source::new(&text, case);
        let pos = if policy_pos.is_unknown() { Pos { line: 1, col: 1, offset: 0, len: 1 } } else { policy_pos };
        findings.push(src.error("policy-mismatch", pos, message, Some(hint)));
    }
    if let Some(cost) = cost {
        findings.extend(budget_findings(case, root, &cost, &rubric.limits));
    }
    findings
}

/// The reference's CPU time and memory estimate against [`REFERENCE_BUDGET_FRACTION`] of the limits.
fn budget_findings(case: &Path, root: &Path, cost: &Cost, limits: &Limits) -> Vec<LintFinding> {
    let mut findings = Vec::new();
    let name = show(case, root);
    let percent = REFERENCE_BUDGET_FRACTION * 100.0;
    let how = "fewer processes, fewer or shorter bursts, longer quanta, or split it in two";
    let needed = |value: f64| (value / REFERENCE_BUDGET_FRACTION).ceil() as u64;
    let cpu_budget = limits.cpu_ms as f64 * REFERENCE_BUDGET_FRACTION;
    match cost.cpu {
        None => findings.push(file_finding(
            Severity::Warning,
            "reference-not-measured",
            case,
            format!("cannot measure the reference's CPU time on `{name}`: this machine has no thread CPU clock"),
            "run `schedgrade lint` on Linux to check the case against `limits.cpu_ms`".to_string(),
        )),
        Some(_) if cost.stopped == Some(Stopped::Cpu) => findings.push(file_finding(
            Severity::Error,
            "reference-too-slow",
            case,
            format!(
                "the reference needs more than the whole `limits.cpu_ms` ({} ms) of CPU on `{name}` (stopped there \
                 after {} trace events): every submission would time out",
                limits.cpu_ms, cost.events
            ),
            format!("shrink the case ({how})"),
        )),
        Some(cpu) if cpu.as_secs_f64() * 1000.0 > cpu_budget => {
            let ms = cpu.as_secs_f64() * 1000.0;
            findings.push(file_finding(
                Severity::Error,
                "reference-too-slow",
                case,
                format!(
                    "the reference needs {ms:.1} ms of CPU on `{name}` (parse, simulate, render the trace), more than \
                     {percent}% of `limits.cpu_ms` ({} ms): honest submissions could time out",
                    limits.cpu_ms
                ),
                format!(
                    "raise `limits.cpu_ms` in grading.yaml to at least {} ms, or shrink the case ({how})",
                    needed(ms)
                ),
            ));
        }
        Some(_) => {}
    }
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let memory = cost.memory_estimate();
    if cost.stopped == Some(Stopped::Memory) {
        findings.push(file_finding(
            Severity::Error,
            "reference-too-much-memory",
            case,
            format!(
                "the reference needs more than the whole `limits.memory_mib` ({} MiB) on `{name}` (estimated from its \
                 {} of YAML and the {} of trace it rendered before it was stopped)",
                limits.memory_mib,
                size(cost.source_bytes),
                size(cost.trace_bytes)
            ),
            format!("shrink the case ({how})"),
        ));
    } else if mib(memory) > limits.memory_mib as f64 * REFERENCE_BUDGET_FRACTION {
        findings.push(file_finding(
            Severity::Error,
            "reference-too-much-memory",
            case,
            format!(
                "the reference needs about {:.1} MiB of memory on `{name}` (estimated from its {} of YAML and its {} \
                 trace), more than {percent}% of `limits.memory_mib` ({} MiB)",
                mib(memory),
                size(cost.source_bytes),
                size(cost.trace_bytes),
                limits.memory_mib
            ),
            format!(
                "raise `limits.memory_mib` in grading.yaml to at least {} MiB, or shrink the case ({how})",
                needed(mib(memory))
            ),
        ));
    }
    findings
}

/// `812 bytes`, `18.7 KiB`, `1.33 MiB`.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.2} MiB", bytes as f64 / 1_048_576.0),
    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cost(cpu_ms: u64, stopped: Option<Stopped>) -> Cost {
        Cost {
            cpu: Some(Duration::from_micros(cpu_ms * 1000 + 400)),
            source_bytes: 2048,
            trace_bytes: 4096,
            events: 64,
            stopped,
        }
    }

    #[test]
    fn reference_cpu_is_judged_against_a_quarter_of_the_limit() {
        let (root, case) = (Path::new("/course"), Path::new("/course/testcases/rr/big.yaml"));
        let limits = Limits { cpu_ms: 1000, ..Limits::default() };
        assert_eq!(budget_findings(case, root, &cost(249, None), &limits), []);
        let findings = budget_findings(case, root, &cost(300, None), &limits);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(
            (f.code, f.severity, f.path.as_path(), f.line, f.column),
            ("reference-too-slow", Severity::Error, case, Some(1), Some(1))
        );
        assert_eq!(
            f.message,
            "the reference needs 300.4 ms of CPU on `testcases/rr/big.yaml` (parse, simulate, render the trace), more \
             than 25% of `limits.cpu_ms` (1000 ms): honest submissions could time out"
        );
        assert!(
            f.hint
                .as_deref()
                .unwrap()
                .starts_with("raise `limits.cpu_ms` in grading.yaml to at least 1202 ms, or shrink the case")
        );

        let stopped = budget_findings(case, root, &cost(1000, Some(Stopped::Cpu)), &limits);
        assert_eq!(stopped.len(), 1);
        assert!(stopped[0].message.starts_with("the reference needs more than the whole `limits.cpu_ms` (1000 ms)"));
        assert!(stopped[0].hint.as_deref().unwrap().starts_with("shrink the case"));
    }

    #[test]
    fn reference_memory_is_judged_against_a_quarter_of_the_limit() {
        let (root, case) = (Path::new("/course"), Path::new("/course/big.yaml"));
        // 16 × 2048 + 3 × 4096 = 45,056 bytes: within a quarter of 1 MiB, over a quarter of nothing.
        let c = cost(1, None);
        assert_eq!(c.memory_estimate(), 45_056);
        assert_eq!(budget_findings(case, root, &c, &Limits { memory_mib: 1, ..Limits::default() }), []);
        let small = Limits { memory_mib: 0, ..Limits::default() };
        let findings = budget_findings(case, root, &c, &small);
        assert_eq!(findings.iter().map(|f| f.code).collect::<Vec<_>>(), ["reference-too-much-memory"]);
        assert!(
            findings[0].message.contains("(estimated from its 2.0 KiB of YAML and its 4.0 KiB trace)"),
            "{}",
            findings[0]
        );
    }
}
