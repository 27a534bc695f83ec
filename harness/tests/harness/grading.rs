//! Scoring, judging and golden-trace parsing: the pure parts of grading, without workers.

use std::path::PathBuf;

use harness::diff::first_divergence;
use harness::grade::golden::{Golden, snapshot_body};
use harness::grade::judge::{judge_response, malformed_response};
use harness::grade::protocol::{FaultKind, WorkerEnd, WorkerResponse};
use harness::grade::{Plan, PlannedSuite, score};
use harness::rubric::{Visibility, load_rubric};
use harness::verdict::Verdict;

fn golden(lines: &[&str]) -> Golden {
    Golden { path: PathBuf::from("x.snap"), trace: lines.iter().map(|l| l.to_string()).collect(), gantt: Vec::new() }
}

fn response(end: WorkerEnd, trace: &[&str]) -> WorkerResponse {
    WorkerResponse { end, trace: trace.iter().map(|l| l.to_string()).collect(), gantt: String::new(), text: None }
}

#[test]
fn identical_traces_pass_and_the_first_difference_is_located() {
    let expected = golden(&["a", "b", "c", "d"]);
    assert_eq!(judge_response(&response(WorkerEnd::Completed, &["a", "b", "c", "d"]), &expected), Verdict::Passed);
    let Verdict::WrongTrace { divergence } =
        judge_response(&response(WorkerEnd::Completed, &["a", "b", "x", "d"]), &expected)
    else {
        panic!("expected wrong-trace")
    };
    assert_eq!((divergence.index, divergence.context.clone()), (2, vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(divergence.expected, ["c", "d"]);
    assert_eq!(divergence.actual, ["x", "d"]);
    let rendered = divergence.render();
    assert!(rendered.contains("expected (reference)") && rendered.contains("actual (submission)"), "{rendered}");
    assert!(rendered.contains("first difference at event 3 of 4"), "{rendered}");
}

#[test]
fn a_deadlocked_run_is_judged_on_its_trace_like_a_completed_one() {
    let expected = golden(&["a", "b"]);
    let deadlock = || WorkerEnd::Deadlock { time: 5, cycle: vec!["B".into(), "A".into()] };
    assert_eq!(judge_response(&response(deadlock(), &["a", "b"]), &expected), Verdict::Passed);
    assert!(matches!(judge_response(&response(deadlock(), &["a", "c"]), &expected), Verdict::WrongTrace { .. }));
    // A deadlock the golden run did not have shows up in the trace, as its first missing or extra line.
    assert!(matches!(judge_response(&response(deadlock(), &["a"]), &expected), Verdict::WrongTrace { .. }));
}

#[test]
fn a_truncated_trace_diverges_where_it_ends() {
    let d = first_divergence(&["a", "b", "c"], &["a", "b"]).expect("differs");
    assert_eq!((d.index, d.actual.len(), d.expected.clone(), d.actual_len), (2, 0, vec!["c".to_owned()], 2));
    assert!(d.render().contains("trace ends after 2 events"), "{}", d.render());
    assert!(first_divergence::<&str, &str>(&[], &[]).is_none());
}

#[test]
fn every_worker_end_maps_to_its_verdict() {
    let g = golden(&["a"]);
    let fault = |kind| WorkerEnd::Faulted { time: 3, hook: "pick_next".into(), kind, message: "boom".into() };
    let cases = [
        (fault(FaultKind::Panicked), "panicked"),
        (fault(FaultKind::NotImplemented), "not-implemented"),
        (fault(FaultKind::Rejected), "contract-violation"),
        (fault(FaultKind::Protocol), "abi-mismatch"),
        (WorkerEnd::Violated { time: 1, hook: "time_slice".into(), message: "0".into() }, "contract-violation"),
        (WorkerEnd::AbiMismatch { message: "v2".into() }, "abi-mismatch"),
        (WorkerEnd::MissingPolicy { policy: "rr".into() }, "not-implemented"),
    ];
    for (end, name) in cases {
        let verdict = judge_response(&response(end.clone(), &[]), &g);
        assert_eq!(verdict.name(), name, "{end:?}");
    }
    let verdict = judge_response(&response(fault(FaultKind::Panicked), &[]), &g);
    assert!(verdict.summary().contains("`pick_next`") && verdict.summary().contains("t=3"), "{}", verdict.summary());
    assert_eq!(malformed_response("eof").name(), "no-result");
    assert!(!Verdict::HarnessError { message: String::new() }.gradable());
}

#[test]
fn verdict_names_are_stable_and_unique() {
    let mut names = Verdict::NAMES.to_vec();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Verdict::NAMES.len());
    assert!(Verdict::NAMES.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
}

#[test]
fn insta_snapshot_bodies_are_read_after_the_header() {
    let snap = "---\nsource: x.rs\ninput_file: a.yaml\n---\ncase: a\n\n== trace ==\n     0 -  A new -> ready arrival\n\n== gantt ==\ncpu0 |A|\n";
    let body = snapshot_body(snap);
    assert!(body.starts_with("case: a"));
    assert_eq!(harness::trace::text::extract_trace(body), Some(vec!["     0 -  A new -> ready arrival"]));
    assert_eq!(harness::trace::text::extract_gantt(body), Some(vec!["cpu0 |A|"]));
}

/// A rubric with per-test, all-or-nothing and dependent suites, scored from hand-made verdicts.
#[test]
fn scoring_follows_the_rubric_rules() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    for name in ["a1", "a2", "a3", "b1", "b2", "c1"] {
        std::fs::write(
            dir.join(format!("cases/{name}.yaml")),
            "scheduler: {policy: fcfs}\nprocesses: [{name: P, bursts: [cpu 1]}]\n",
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("grading.yaml"),
        "suites:\n  - {name: a, cases: [\"cases/a*.yaml\"], points: 9}\n  - {name: b, cases: [\"cases/b*.yaml\"], points: 4, scoring: all-or-nothing}\n  - {name: c, cases: [\"cases/c*.yaml\"], points: 5, depends_on: [b], visibility: hidden}\n",
    )
    .unwrap();
    let rubric = load_rubric(&dir.join("grading.yaml")).expect("rubric loads");
    let plan = Plan {
        suites: vec![
            PlannedSuite { name: "a".into(), visibility: Visibility::Visible, tests: vec![0, 1, 2] },
            PlannedSuite { name: "b".into(), visibility: Visibility::Visible, tests: vec![3, 4] },
            PlannedSuite { name: "c".into(), visibility: Visibility::Hidden, tests: vec![5] },
        ],
        tests: Vec::new(),
    };
    let fail = || Verdict::Crashed { signal: "SIGSEGV".into() };
    let verdicts = vec![Verdict::Passed, fail(), Verdict::Passed, Verdict::Passed, fail(), Verdict::Passed];
    let s = score(&rubric, &plan, &verdicts);
    let points: Vec<f64> = s.suites.iter().map(|x| x.points).collect();
    assert_eq!(points, [6.0, 0.0, 0.0], "per-test 2/3 of 9; b not all passed; c blocked by b");
    assert_eq!(s.suites[2].blocked_by, ["b"]);
    assert_eq!((s.total, s.max), (6.0, 18.0));
    assert_eq!(s.status.name(), "graded");

    let all = vec![Verdict::Passed; 6];
    assert_eq!(score(&rubric, &plan, &all).total, 18.0);
    let mut broken = all.clone();
    broken[0] = Verdict::HarnessError { message: "spawn failed".into() };
    assert_eq!(score(&rubric, &plan, &broken).status.name(), "not-gradable");
}

fn tempdir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("grading-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every verdict as students read it, in one snapshot: a change of wording shows up in review.
#[test]
fn every_verdict_renders_for_students() {
    use harness::report::markdown::failure_details;
    use harness::untrusted::Budget;
    use harness::verdict::Clock;
    let divergence = first_divergence(
        &["     0 cpu0  A ready -> running   dispatch slice=2"],
        &["     0 cpu0  B ready -> running   dispatch slice=2"],
    )
    .expect("differs");
    let verdicts = [
        Verdict::Passed,
        Verdict::WrongTrace { divergence },
        Verdict::Timeout { cpu_ms: 2000, wall_ms: 5000, clock: Clock::Cpu },
        Verdict::Crashed { signal: "SIGSEGV".into() },
        Verdict::Panicked {
            hook: "pick_next".into(),
            message: "index out of bounds (at src/rr.rs:12:9) (at t=4)".into(),
        },
        Verdict::NotImplemented {
            hook: "new".into(),
            message: "not yet implemented: rr (at src/rr.rs:30:9) (at t=0)".into(),
        },
        Verdict::ContractViolation {
            hook: "time_slice".into(),
            message: "returned `Some(0)` for `P1` (at t=0)".into(),
        },
        Verdict::MemoryLimit { limit_mib: 512 },
        Verdict::OutputLimit { limit_kib: 64 },
        Verdict::NoResult { detail: "the worker exited with code 0 without sending a result".into() },
        Verdict::SandboxViolation { syscall: "socket".into() },
        Verdict::AbiMismatch { message: "built against ABI 2, the grader speaks ABI 1".into() },
        Verdict::BuildFailed { log: "error[E0308]: mismatched types\n --> src/lib.rs:9:28".into() },
        Verdict::HarnessError { message: "cannot spawn the worker".into() },
    ];
    let mut names: Vec<&str> = verdicts.iter().map(Verdict::name).collect();
    names.dedup();
    assert_eq!(names, Verdict::NAMES, "an example of every verdict, in the documented order");
    let gantt = vec!["cpu0  |A    |B  |".to_owned(), "      0     2   3".to_owned()];
    let mut budget = Budget::report();
    let rendered: String = verdicts
        .iter()
        .map(|v| {
            let details = failure_details(
                v,
                Some("RR puts every newly ready process at the tail."),
                &gantt,
                Some("cpu0  |B    |A  |\n      0     2   3"),
                &mut budget,
            );
            format!("## {}\n{details}\n", v.name())
        })
        .collect();
    insta::assert_snapshot!("every_verdict", rendered);
}
