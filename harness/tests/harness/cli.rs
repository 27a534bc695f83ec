//! The `schedgrade` binary, end to end: outputs, exit codes and error messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

fn schedgrade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedgrade")).args(args).current_dir(repo()).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn run_prints_exactly_the_golden_rendering() {
    let out = schedgrade(&["run", "testcases/rr/rr-silberschatz-q4.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let golden = std::fs::read_to_string(repo().join("testcases/rr/rr-silberschatz-q4.snap")).expect("golden exists");
    let body = harness::grade::golden::snapshot_body(&golden);
    assert_eq!(stdout(&out).trim_end(), body.trim_end());
    for section in ["== trace ==", "== gantt ==", "== metrics ==", "cpu0"] {
        assert!(stdout(&out).contains(section), "missing {section}");
    }
}

#[test]
fn run_json_and_summary_formats_have_the_documented_keys() {
    let out = schedgrade(&["run", "testcases/rr/rr-silberschatz-q4.yaml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid json");
    for key in ["processes", "averages", "segments", "summary", "trace"] {
        assert!(json.get(key).is_some(), "missing `{key}`");
    }
    let first = &json["processes"][0];
    for key in ["name", "arrival", "first_run", "completion", "turnaround", "waiting", "response", "cpu_time"] {
        assert!(first.get(key).is_some(), "process lacks `{key}`");
    }
    assert!((json["averages"]["waiting"].as_f64().unwrap() - 17.0 / 3.0).abs() < 1e-9);
    let segment = &json["segments"][0];
    assert_eq!((segment["kind"].as_str(), segment["process"].as_str()), (Some("run"), Some("P1")));
    for key in ["makespan", "cpu_utilization", "throughput", "context_switches", "switch_overhead", "events"] {
        assert!(json["summary"].get(key).is_some(), "summary lacks `{key}`");
    }

    let out = schedgrade(&["run", "testcases/rr/rr-silberschatz-q4.yaml", "--format", "summary"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid json");
    let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["averages", "summary"]);
}

#[test]
fn a_deadlocked_run_exits_0_with_its_report() {
    let case = "testcases/sync/sync-partial-deadlock.yaml";
    let out = schedgrade(&["run", case]);
    assert_eq!(out.status.code(), Some(0), "a deadlock is the workload's outcome, not a failure: {}", stderr(&out));
    assert!(
        stdout(&out).contains("outcome: deadlock at t=5: cycle B -> A -> B; blocked A (n, owner B), B (m, owner A)"),
        "{}",
        stdout(&out)
    );
    let out = schedgrade(&["run", case, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid json");
    assert_eq!(json["outcome"], "deadlock");
    assert_eq!(
        json["deadlock"],
        serde_json::json!({
            "time": 5,
            "cycle": ["B", "A"],
            "blocked": [
                { "name": "A", "waits_for": "n", "held_by": "B" },
                { "name": "B", "waits_for": "m", "held_by": "A" },
            ],
        })
    );
    let blocked = json["trace"].as_array().unwrap().iter().find(|e| e["to"] == "blocked" && e["reason"] == "lock");
    assert_eq!(blocked.unwrap()["owner"], "B", "the JSON events name the object and its owner");

    // The same run in a sandboxed worker, with a student's round robin: the worker reports the deadlock as an
    // outcome, and the trace is the golden one.
    let out = schedgrade(&["run", case, "--impl", "examples/submissions/reference-solution"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let golden = std::fs::read_to_string(repo().join("testcases/sync/sync-partial-deadlock.snap")).unwrap();
    let body = harness::grade::golden::snapshot_body(&golden);
    assert_eq!(stdout(&out).trim_end(), body.trim_end());
}

#[test]
fn bad_case_reports_file_line_column_and_hint_with_exit_3() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-bad-case");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.yaml");
    std::fs::write(&path, "scheduler: { policy: rr, quantum: 0 }\nprocesses:\n  - { name: A, bursts: [cpu 3] }\n")
        .unwrap();
    let out = schedgrade(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(harness::exit_code::BAD_INPUT));
    let err = stderr(&out);
    assert!(err.contains("bad.yaml:1:35"), "{err}");
    assert!(err.contains("quantum") && err.contains("hint"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_arguments_exit_2_and_schema_prints_json() {
    assert_eq!(schedgrade(&["frobnicate"]).status.code(), Some(harness::exit_code::USAGE));
    let out = schedgrade(&["schema", "grading"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json schema");
    assert!(schema.get("properties").is_some() || schema.get("$schema").is_some());
}

#[test]
fn new_creates_a_crate_once() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-new");
    let _ = std::fs::remove_dir_all(&dir);
    let out = schedgrade(&["new", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("src/rr.rs").exists() && dir.join("contract/src/abi.rs").exists());
    let again = schedgrade(&["new", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(harness::exit_code::BAD_INPUT));
    assert!(stderr(&again).contains("not empty") || stderr(&again).contains("exists"), "{}", stderr(&again));
}

#[test]
fn check_shows_the_first_divergence_and_counts() {
    let out = schedgrade(&["check", "examples/submissions/rr-tie-bug", "--filter", "rr/rr-stallings-q1"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(harness::exit_code::TESTS_FAILED), "{text}\n{}", stderr(&out));
    assert!(text.contains("FAIL testcases/rr/rr-stallings-q1 (wrong-trace)"), "{text}");
    assert!(text.contains("expected (reference)") && text.contains("actual (submission)"), "{text}");
    assert!(text.contains("hint:"), "{text}");
    assert!(text.contains("PASS testcases/rr/rr-stallings-q1-preempted-first"), "{text}");
    assert!(text.trim_end().ends_with("1 passed, 1 failed"), "{text}");

    let out = schedgrade(&["check", "examples/submissions/reference-solution", "--filter", "srtf/srtf-silberschatz"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).trim_end().ends_with("1 passed, 0 failed"), "{}", stdout(&out));
}

#[test]
fn lint_accepts_the_bundled_rubric() {
    let out = schedgrade(&["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 errors"), "{}", stderr(&out));
}

#[test]
fn run_with_a_student_crate_prints_the_submission_trace() {
    let out = schedgrade(&["run", "testcases/rr/rr-stallings-q1.yaml", "--impl", "examples/submissions/rr-tie-bug"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("== trace ==") && text.contains("== gantt ==") && text.contains("== metrics =="), "{text}");
    // The tie bug: at t=2 the timed-out A is dispatched again instead of the newly arrived B.
    let trace = harness::trace::text::extract_trace(&text).expect("a trace section");
    assert_eq!(
        trace[6].split_whitespace().collect::<Vec<_>>(),
        ["2", "cpu0", "A", "ready", "->", "running", "dispatch", "slice=1"]
    );

    let missing = schedgrade(&["run", "testcases/rr/rr-stallings-q1.yaml", "--impl", "examples/submissions/panics"]);
    assert_eq!(missing.status.code(), Some(harness::exit_code::TESTS_FAILED));
    assert!(stdout(&missing).contains("does not export the `rr` policy"), "{}", stdout(&missing));
}

/// A private course directory: one fcfs case with its golden trace, and `grading` as its rubric.
fn course(name: &str, grading: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-gate-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("testcases/fcfs")).unwrap();
    std::fs::create_dir_all(dir.join("submissions/alice/src")).unwrap();
    for ext in ["yaml", "snap"] {
        let from = repo().join(format!("testcases/fcfs/fcfs-convoy-effect.{ext}"));
        std::fs::copy(from, dir.join(format!("testcases/fcfs/a.{ext}"))).unwrap();
    }
    std::fs::write(dir.join("grading.yaml"), grading).unwrap();
    dir
}

const SUITE_A: &str = "  - { name: a, cases: [\"testcases/fcfs/*.yaml\"], points: 10";

#[test]
fn grade_and_check_refuse_a_rubric_with_lint_errors_before_building_anything() {
    // (name, grading.yaml, location of the error, its message)
    let broken: [(&str, String, &str, &str); 4] = [
        (
            "total",
            format!("total: 100\nsuites:\n{SUITE_A} }}\n"),
            "grading.yaml:1:8",
            "the suites' points add up to 10, but `total` is 100",
        ),
        (
            "unknown-dependency",
            format!("suites:\n{SUITE_A}, depends_on: [b] }}\n"),
            "grading.yaml:2:75",
            "`depends_on` names an unknown suite `b`",
        ),
        (
            "self-dependency",
            format!("suites:\n{SUITE_A}, depends_on: [a] }}\n"),
            "grading.yaml:2:75",
            "suite `a` depends on itself",
        ),
        (
            "cycle",
            format!(
                "suites:\n{SUITE_A}, depends_on: [b] }}\n  - {{ name: b, cases: [\"testcases/fcfs/*.yaml\"], points: 1, depends_on: [a] }}\n"
            ),
            "grading.yaml:3:",
            "`depends_on` forms a cycle",
        ),
    ];
    for (name, grading, at, message) in &broken {
        let dir = course(name, grading);
        let (out_dir, cache) = (dir.join("out"), dir.join("cache"));
        let config = dir.join("grading.yaml");
        let submissions = dir.join("submissions");
        let args = [
            "grade",
            submissions.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ];
        let out = schedgrade(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(harness::exit_code::BAD_INPUT), "{name}: {err}");
        assert!(err.contains(&format!("error: {}", dir.join(at).display())), "{name}: the position `{at}`:\n{err}");
        assert!(err.contains(message) && err.contains("= hint:"), "{name}:\n{err}");
        assert!(err.contains("`schedgrade grade` does not run a rubric with errors"), "{name}:\n{err}");
        assert!(!out_dir.exists() && !cache.exists(), "{name}: nothing is built or written");

        // `lint` prints the same diagnostics.
        let lint = schedgrade(&["lint", "--config", config.to_str().unwrap()]);
        assert_eq!(lint.status.code(), Some(harness::exit_code::TESTS_FAILED), "{name}");
        let first = err.split("\n\n").next().unwrap();
        assert!(stderr(&lint).contains(first), "{name}: lint says\n{}\ngrade says\n{first}", stderr(&lint));

        let check = schedgrade(&[
            "check",
            dir.join("submissions/alice").to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ]);
        assert_eq!(check.status.code(), Some(harness::exit_code::BAD_INPUT), "{name}: {}", stderr(&check));
        assert!(stderr(&check).contains(message), "{name}: {}", stderr(&check));
        assert!(stdout(&check).is_empty() && !cache.exists(), "{name}: `check` builds nothing");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn grade_is_not_blocked_by_lint_warnings() {
    let dir = course("warning", &format!("suites:\n{SUITE_A} }}\n"));
    std::fs::create_dir_all(dir.join("testcases/orphan")).unwrap();
    std::fs::copy(dir.join("testcases/fcfs/a.yaml"), dir.join("testcases/orphan/b.yaml")).unwrap();
    let lint = schedgrade(&["lint", "--config", dir.join("grading.yaml").to_str().unwrap()]);
    assert_eq!(lint.status.code(), Some(0), "{}", stderr(&lint));
    assert!(stderr(&lint).contains("`testcases/orphan/b.yaml` is in no suite"), "{}", stderr(&lint));
    assert!(stderr(&lint).contains("0 errors, 1 warnings"), "{}", stderr(&lint));
    // An empty submissions directory: the first thing after the lint gate that can stop `grade`.
    std::fs::remove_dir_all(dir.join("submissions/alice")).unwrap();
    let out = schedgrade(&[
        "grade",
        dir.join("submissions").to_str().unwrap(),
        "--config",
        dir.join("grading.yaml").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(harness::exit_code::BAD_INPUT), "{err}");
    assert!(err.contains("has no submissions") && !err.contains("lint error"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
