//! The rubric loader and its lint, over fixture trees under `tests/fixtures/rubric/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::case::{MAX_GRADED_CASE_BYTES, Severity};
use harness::rubric::budget::reference_cost;
use harness::rubric::{Limits, Scoring, Visibility, grading_schema, lint, load_rubric};
use schedgrade_contract::PolicyKind;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rubric")
}

#[test]
fn clean_rubric_loads_and_lints_clean() {
    let rubric = load_rubric(&fixtures().join("clean/grading.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rubric.root, fixtures().join("clean"));
    assert_eq!(rubric.total.map(|t| (t.points, t.at.line, t.at.column)), Some((30.0, 2, 8)));
    assert_eq!(rubric.limits, Limits { cpu_ms: 1000, memory_mib: 256, ..Limits::default() });
    assert_eq!(
        Limits::default(),
        Limits { cpu_ms: 2000, wall_ms: 5000, memory_mib: 512, output_kib: 64, build_seconds: 120 }
    );

    let names: Vec<&str> = rubric.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["fcfs", "rr"]);
    let fcfs = &rubric.suites[0];
    assert_eq!(
        (fcfs.policy, fcfs.points, fcfs.scoring, fcfs.visibility),
        (Some(PolicyKind::Fcfs), 10.0, Scoring::PerTest, Visibility::Visible)
    );
    assert_eq!(fcfs.case_files(), vec![fixtures().join("clean/testcases/fcfs/a.yaml")]);
    let rr = &rubric.suites[1];
    assert_eq!((rr.scoring, rr.visibility), (Scoring::AllOrNothing, Visibility::AfterDueDate));
    assert_eq!(rr.case_files(), vec![fixtures().join("clean/testcases/rr/deep/b.yaml")], "`**` spans directories");
    assert_eq!(rr.depends_on.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["fcfs"]);
    assert_eq!((rr.cases[0].at.line, rr.cases[0].at.column), (13, 13));

    let findings = lint(&rubric, &rubric.root);
    assert!(findings.is_empty(), "{}", findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"));
}

/// (file relative to the fixture tree, line, column, severity, code, message)
type Finding = (&'static str, u32, u32, Severity, &'static str, &'static str);

const LINT_TABLE: &[Finding] = &[
    (
        "grading.yaml",
        1,
        8,
        Severity::Error,
        "points-total-mismatch",
        "the suites' points add up to 20, but `total` is 100",
    ),
    (
        "grading.yaml",
        11,
        9,
        Severity::Error,
        "case-in-two-suites",
        "`testcases/fcfs/shared.yaml` is counted in suites `fcfs` and `rr`",
    ),
    (
        "grading.yaml",
        12,
        13,
        Severity::Error,
        "non-positive-points",
        "suite `rr` is worth 0 points: points must be positive",
    ),
    ("grading.yaml", 13, 24, Severity::Error, "unknown-dependency", "`depends_on` names an unknown suite `fcfss`"),
    (
        "grading.yaml",
        15,
        13,
        Severity::Error,
        "glob-matches-nothing",
        "`testcases/none/*.yaml` matches no `.yaml` file",
    ),
    (
        "grading.yaml",
        21,
        18,
        Severity::Error,
        "dependency-cycle",
        "`depends_on` forms a cycle: `loop-a` -> `loop-b` -> `loop-a`",
    ),
    (
        "testcases/fcfs/nosnap.yaml",
        1,
        1,
        Severity::Error,
        "missing-golden-trace",
        "`testcases/fcfs/nosnap.yaml` has no golden trace `testcases/fcfs/nosnap.snap`",
    ),
    (
        "testcases/orphan/lonely.yaml",
        1,
        1,
        Severity::Warning,
        "case-in-no-suite",
        "`testcases/orphan/lonely.yaml` is in no suite",
    ),
    (
        "testcases/rr/broken.yaml",
        1,
        12,
        Severity::Error,
        "case-fails-to-load",
        "case of suite `rr` does not load: missing `quantum` in `scheduler` (and 2 more problems)",
    ),
    (
        "testcases/rr/wrong-policy.yaml",
        3,
        11,
        Severity::Error,
        "policy-mismatch",
        "this case uses policy `fcfs`, but suite `rr` targets `rr`",
    ),
];

#[test]
fn lint_finds_every_class_of_problem() {
    let root = fixtures().join("lint");
    let rubric = load_rubric(&root.join("grading.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let findings = lint(&rubric, &rubric.root);
    let got: Vec<(String, u32, u32, Severity, &str, &str)> = findings
        .iter()
        .map(|f| {
            let file = f.path.strip_prefix(&root).unwrap_or(&f.path).to_string_lossy().replace('\\', "/");
            (file, f.line.unwrap_or(0), f.column.unwrap_or(0), f.severity, f.code, f.message.as_str())
        })
        .collect();
    let expected: Vec<(String, u32, u32, Severity, &str, &str)> =
        LINT_TABLE.iter().map(|&(file, l, c, s, code, m)| (file.to_string(), l, c, s, code, m)).collect();
    assert_eq!(got, expected, "\n{}", findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n\n"));
    for f in &findings {
        assert!(f.hint.as_deref().is_some_and(|h| !h.is_empty()), "every finding says what to do: {f}");
    }
    // Findings point at the exact text in grading.yaml.
    let cycle = findings.iter().find(|f| f.code == "dependency-cycle").unwrap();
    assert_eq!(cycle.snippet.as_ref().map(|s| s.text.as_str()), Some("    depends_on: [loop-a]"));
    let unknown = findings.iter().find(|f| f.code == "unknown-dependency").unwrap();
    assert_eq!(unknown.hint.as_deref(), Some("did you mean `fcfs`?"));
}

#[test]
fn lint_findings_serialize_to_json() {
    let rubric = load_rubric(&fixtures().join("lint/grading.yaml")).unwrap();
    let findings = lint(&rubric, &rubric.root);
    let json = serde_json::to_value(&findings).unwrap();
    let orphan = json.as_array().unwrap().iter().find(|f| f["code"] == "case-in-no-suite").unwrap();
    assert_eq!(orphan["severity"], "warning");
    assert_eq!((orphan["line"].as_u64(), orphan["column"].as_u64()), (Some(1), Some(1)));
    assert!(orphan["path"].as_str().unwrap().ends_with("testcases/orphan/lonely.yaml"));
}

/// (line, column, code, message)
type Problem = (u32, u32, &'static str, &'static str);

const LOAD_ERRORS: &[(&str, &[Problem])] = &[
    ("unknown-key.yaml", &[(4, 5, "unknown-key", "unknown key `point` in a suite")]),
    (
        "semantic.yaml",
        &[
            (1, 19, "too-small", "`cpu_ms` must be at least 1, found 0"),
            (1, 31, "wrong-type", "`wall_ms` must be a whole number, found the string `fast`"),
            (6, 14, "unknown-value", "unknown `scoring` value `per_test`"),
            (7, 11, "duplicate-name", "duplicate suite name `fcfs`"),
            (8, 13, "bad-glob", "the glob `../outside/*.yaml` leaves the directory of grading.yaml"),
            (8, 34, "bad-glob", "the glob `/abs/*.yaml` is an absolute path"),
            (10, 17, "unknown-value", "unknown `visibility` value `secret`"),
            (11, 5, "missing-key", "missing `points` in this suite"),
            (11, 11, "bad-name", "invalid suite name `bad name!`"),
            (12, 13, "unknown-policy", "unknown policy `fifo`"),
            (13, 12, "empty-list", "`cases` must not be empty"),
        ],
    ),
];

#[test]
fn rubric_errors_have_positions_and_hints() {
    for (file, expected) in LOAD_ERRORS {
        let err = load_rubric(&fixtures().join("errors").join(file)).unwrap_err();
        let got: Vec<(u32, u32, &str, &str)> = err
            .diagnostics
            .iter()
            .map(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0), d.code, d.message.as_str()))
            .collect();
        assert_eq!(got, *expected, "{file}:\n{err}");
        for d in &err.diagnostics {
            assert!(d.hint.is_some(), "{d}");
        }
    }
    let err = load_rubric(&fixtures().join("errors/unknown-key.yaml")).unwrap_err();
    assert_eq!(err.first().hint.as_deref(), Some("did you mean `points`?"));
    let err = load_rubric(&fixtures().join("errors/semantic.yaml")).unwrap_err();
    assert_eq!(err.diagnostics[2].hint.as_deref(), Some("did you mean `per-test`?"));
    let err = load_rubric(&fixtures().join("errors/missing.yaml")).unwrap_err();
    assert_eq!((err.first().code, err.first().line), ("io", None));
}

#[test]
fn schema_grading_is_up_to_date() {
    let schema = grading_schema();
    assert_eq!(schema.pointer("/required/0"), Some(&"suites".into()));
    assert_eq!(schema.pointer("/definitions/Suite/additionalProperties"), Some(&false.into()));
    super::case::check_schema("grading.schema.json", &schema);
}

#[test]
fn globs_match_like_the_shell() {
    let dir = std::env::temp_dir().join(format!("schedgrade-rubric-globs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for file in
        ["t/a1.yaml", "t/a22.yaml", "t/b.yaml", "t/.hidden.yaml", "t/x/deep/c.yaml", "t/.git/d.yaml", "t/notes.txt"]
    {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "").unwrap();
    }
    let grading = dir.join("grading.yaml");
    std::fs::write(
        &grading,
        "suites:\n  - { name: q, cases: [\"t/a?.yaml\"], points: 1 }\n  - { name: star, cases: [\"t/*\"], points: 1 }\n  - { name: all, cases: [\"./t/**/*.yaml\"], points: 1 }\n",
    )
    .unwrap();
    let rubric = load_rubric(&grading).unwrap_or_else(|e| panic!("{e}"));
    let rel = |i: usize| -> Vec<String> {
        rubric.suites[i]
            .case_files()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/"))
            .collect()
    };
    assert_eq!(rel(0), ["t/a1.yaml"], "`?` is exactly one character");
    assert_eq!(
        rel(1),
        ["t/a1.yaml", "t/a22.yaml", "t/b.yaml"],
        "`*` stays in one directory, skips hidden files and non-YAML"
    );
    assert_eq!(
        rel(2),
        ["t/a1.yaml", "t/a22.yaml", "t/b.yaml", "t/x/deep/c.yaml"],
        "`**` spans directories but not hidden ones"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh private directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("schedgrade-rubric-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("testcases")).unwrap();
    dir
}

/// Copies bundled cases (with their golden traces) into `dir/testcases/`.
fn copy_cases(dir: &Path, cases: &[&str]) {
    for case in cases {
        for ext in ["yaml", "snap"] {
            let from = repo().join("testcases").join(format!("{case}.{ext}"));
            let to =
                dir.join("testcases").join(format!("{}.{ext}", Path::new(case).file_name().unwrap().to_str().unwrap()));
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        }
    }
}

fn lint_dir(dir: &Path, grading: &str) -> Vec<harness::case::Diagnostic> {
    std::fs::write(dir.join("grading.yaml"), grading).unwrap();
    let rubric = load_rubric(&dir.join("grading.yaml")).unwrap_or_else(|e| panic!("{e}"));
    lint(&rubric, &rubric.root)
}

fn show(findings: &[harness::case::Diagnostic]) -> String {
    findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n\n")
}

#[test]
fn reference_cost_counts_exactly_the_golden_trace() {
    let rubric = load_rubric(&repo().join("grading.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let mut cases = 0;
    for path in rubric.suites.iter().flat_map(|s| s.case_files()) {
        let source = std::fs::read_to_string(&path).unwrap();
        let cost = reference_cost(&source, &path, &rubric.limits).unwrap().expect("the reference has every policy");
        let golden = harness::grade::golden::load_golden(&path).unwrap();
        let bytes: u64 = golden.trace.iter().map(|l| l.len() as u64 + 1).sum();
        assert_eq!((cost.events, cost.trace_bytes), (golden.trace.len() as u64, bytes), "{}", path.display());
        assert_eq!((cost.stopped, cost.source_bytes), (None, source.len() as u64), "{}", path.display());
        assert!(cost.cpu.is_some_and(|t| t > Duration::ZERO), "{}: {cost:?}", path.display());
        assert_eq!(
            cost.memory_estimate(),
            16 * cost.source_bytes + 3 * cost.trace_bytes,
            "the documented estimate (PARSE_BYTES_PER_SOURCE_BYTE, KEPT_BYTES_PER_TRACE_BYTE)"
        );
        cases += 1;
    }
    assert_eq!(cases, 158);
}

#[test]
fn lint_reports_cases_the_reference_needs_over_a_quarter_of_the_limits_for() {
    let dir = scratch("budget");
    copy_cases(&dir, &["fcfs/fcfs-convoy-effect", "scale/fcfs-many-300"]);
    let suites = "suites: [{ name: fcfs, policy: fcfs, cases: [\"testcases/*.yaml\"], points: 10 }]\n";
    assert_eq!(show(&lint_dir(&dir, suites)), "", "the default limits are ample");

    // The memory estimate is deterministic: fcfs-many-300 is 19188 bytes of YAML with a 80 KiB trace.
    let findings = lint_dir(&dir, &format!("limits: {{ memory_mib: 1 }}\n{suites}"));
    assert_eq!(findings.len(), 1, "{}", show(&findings));
    let f = &findings[0];
    assert_eq!(
        (f.code, f.severity, f.line, f.column),
        ("reference-too-much-memory", Severity::Error, Some(1), Some(1))
    );
    assert_eq!(f.path, dir.join("testcases/fcfs-many-300.yaml"));
    assert!(f.message.starts_with("the reference needs about 0."), "{f}");
    assert!(f.message.contains("more than 25% of `limits.memory_mib` (1 MiB)"), "{f}");
    assert!(
        f.hint.as_deref().is_some_and(|h| h.starts_with("raise `limits.memory_mib` in grading.yaml to at least 3 MiB")),
        "{f}"
    );

    // 1 ms: over a quarter for any case, and the 300-process case needs more than the whole millisecond.
    let findings = lint_dir(&dir, &format!("limits: {{ cpu_ms: 1 }}\n{suites}"));
    let slow: Vec<&str> =
        findings.iter().filter(|f| f.code == "reference-too-slow").map(|f| f.message.as_str()).collect();
    assert_eq!(slow.len(), 2, "{}", show(&findings));
    assert!(
        slow[1].starts_with(
            "the reference needs more than the whole `limits.cpu_ms` (1 ms) of CPU on `testcases/fcfs-many-300.yaml`"
        ),
        "{}",
        slow[1]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lint_stops_a_runaway_reference_at_the_limit() {
    let dir = scratch("runaway");
    // 10^12 ticks: a timeout every tick with a quantum of 1; the MLFQ boost timer every tick.
    let cases = [
        (
            "rr-forever",
            "scheduler: { policy: rr, quantum: 1 }\nprocesses: [{ name: A, bursts: [cpu 1000000000000] }, { name: B, bursts: [cpu 1000000000000] }]\n",
        ),
        (
            "mlfq-forever",
            "scheduler: { policy: mlfq, quanta: [1000000000000], boost: 1 }\nprocesses: [{ name: A, bursts: [cpu 1000000000000] }]\n",
        ),
    ];
    for (name, text) in cases {
        std::fs::write(dir.join(format!("testcases/{name}.yaml")), text).unwrap();
        std::fs::write(dir.join(format!("testcases/{name}.snap")), "").unwrap();
    }
    let started = std::time::Instant::now();
    let findings =
        lint_dir(&dir, "limits: { cpu_ms: 300 }\nsuites: [{ name: all, cases: [\"testcases/*.yaml\"], points: 1 }]\n");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let got: Vec<(&str, &str)> =
        findings.iter().map(|f| (f.path.file_name().unwrap().to_str().unwrap(), f.code)).collect();
    assert_eq!(
        got,
        [("mlfq-forever.yaml", "reference-too-slow"), ("rr-forever.yaml", "reference-too-slow")],
        "{}",
        show(&findings)
    );
    for f in &findings {
        assert!(f.message.contains("more than the whole `limits.cpu_ms` (300 ms)"), "{f}");
        assert!(f.message.contains("every submission would time out"), "{f}");
    }

    // The trace's memory estimate ends the run too, long before the CPU limit.
    let findings = lint_dir(
        &dir,
        "limits: { cpu_ms: 1000000, memory_mib: 4 }\nsuites: [{ name: all, cases: [\"testcases/rr-*.yaml\"], points: 1 }]\n",
    );
    let codes: Vec<&str> = findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.code).collect();
    assert_eq!(codes, ["reference-too-much-memory"], "{}", show(&findings));
    let f = findings.iter().find(|f| f.code == "reference-too-much-memory").unwrap();
    assert!(f.message.contains("more than the whole `limits.memory_mib` (4 MiB)"), "{f}");
    assert!(f.message.contains("estimated from its 134 bytes of YAML"), "{f}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cases_over_the_graded_size_limit_are_refused_where_they_cross_it() {
    let dir = scratch("too-large");
    let mut text = String::from("scheduler: { policy: fcfs }\nprocesses:\n");
    let mut i = 0;
    while text.len() <= MAX_GRADED_CASE_BYTES {
        text.push_str(&format!("  - {{ name: P{i:06}, arrival: {i}, bursts: [cpu 1] }}\n"));
        i += 1;
    }
    std::fs::write(dir.join("testcases/big.yaml"), &text).unwrap();
    std::fs::write(dir.join("testcases/big.snap"), "").unwrap();
    let line = text[..MAX_GRADED_CASE_BYTES].matches('\n').count() as u32 + 1;
    let column = (MAX_GRADED_CASE_BYTES - text[..MAX_GRADED_CASE_BYTES].rfind('\n').unwrap()) as u32;
    let findings = lint_dir(&dir, "suites: [{ name: fcfs, cases: [\"testcases/*.yaml\"], points: 1 }]\n");
    let got: Vec<_> = findings.iter().map(|f| (f.code, f.line, f.column)).collect();
    assert_eq!(got, [("case-too-large", Some(line), Some(column))], "{}", show(&findings));
    assert!(findings[0].message.contains(&format!("the case is {} bytes, more than the 1048576 bytes", text.len())));
    assert!(findings[0].hint.as_deref().is_some_and(|h| h.contains("split the workload")));

    // The grader's loader refuses it the same way; `run` (no grading) still loads it.
    let rubric = load_rubric(&dir.join("grading.yaml")).unwrap();
    let err = harness::grade::plan(&rubric, |_| true, None).unwrap_err();
    assert!(err.to_string().contains(&format!("big.yaml:{line}:{column}: the case is")), "{err}");
    assert!(harness::case::load_case(&dir.join("testcases/big.yaml")).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
