//! Golden traces: the reference's output on every case under `testcases/` must equal the insta snapshot stored
//! next to it (`foo.yaml` → `foo.snap`). Under `CI=true` a difference or a missing snapshot fails; locally insta
//! writes `foo.snap.new` for `cargo insta review`. Worked examples also assert their published numbers (`expect:`).
//! `SCHEDGRADE_GOLDEN_FILTER=rr/` limits the run to cases whose path contains that text (for example when
//! accepting new snapshots with `INSTA_UPDATE=always` without touching anyone else's).

use std::path::{Path, PathBuf};

use harness::case::{Case, ExpectedOutcome, discover_cases, load_case};
use harness::policy::{reference_table, run_case};
use harness::sim::RunEnd;
use harness::trace::{Metrics, Recorder, text};

fn testcases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testcases")
}

fn render_reference(case: &Case) -> (String, Metrics, RunEnd) {
    let table = reference_table(case.scheduler.policy).expect("the reference implements every policy");
    let mut recorder = Recorder::default();
    let result = run_case(case, table, &mut recorder);
    let metrics = Metrics::compute(case, &result);
    (text::render(case, &recorder.events, &recorder.segments, &metrics, &result.end), metrics, result.end)
}

/// Checks a worked example's published numbers; returns the mismatches.
fn check_expectations(case: &Case, metrics: &Metrics) -> Vec<String> {
    let Some(expect) = &case.expect else { return Vec::new() };
    let mut problems = Vec::new();
    let mut close = |what: &str, published: Option<f64>, ours: f64| {
        if let Some(published) = published
            && (published - ours).abs() > 0.005 + 1e-9
        {
            problems.push(format!("{what}: published {published}, reference gives {ours:.4}"));
        }
    };
    close("average turnaround", expect.avg_turnaround, metrics.averages.turnaround);
    close("average waiting", expect.avg_waiting, metrics.averages.waiting);
    close("average response", expect.avg_response, metrics.averages.response);
    if let Some(makespan) = expect.makespan
        && makespan != metrics.summary.makespan
    {
        problems.push(format!("makespan: published {makespan}, reference gives {}", metrics.summary.makespan));
    }
    for (name, completion) in &expect.completion {
        let ours = metrics.processes.iter().find(|p| &p.name == name).and_then(|p| p.completion);
        if ours != Some(*completion) {
            problems.push(format!("completion of {name}: published {completion}, reference gives {ours:?}"));
        }
    }
    problems
}

#[test]
fn every_case_matches_its_golden_trace_and_published_numbers() {
    let root = testcases();
    let cases = discover_cases(&root).expect("testcases/ is readable");
    assert!(cases.len() >= 100, "expected at least 100 bundled cases, found {}", cases.len());
    let filter = std::env::var("SCHEDGRADE_GOLDEN_FILTER").unwrap_or_default();
    let cases: Vec<_> = cases.into_iter().filter(|p| p.to_string_lossy().contains(&filter)).collect();
    let mut failures = Vec::new();
    for path in &cases {
        let case = match load_case(path) {
            Ok(case) => case,
            Err(e) => {
                failures.push(format!("{}: does not load:\n{e}", path.display()));
                continue;
            }
        };
        let (rendered, metrics, end) = render_reference(&case);
        // A case that deadlocks says so (`expect: { outcome: deadlock }`), so that no workload deadlocks by mistake.
        let want = case.expect.as_ref().and_then(|e| e.outcome).unwrap_or(ExpectedOutcome::Completed);
        let got = match end {
            RunEnd::Completed => Some(ExpectedOutcome::Completed),
            RunEnd::Deadlock(_) => Some(ExpectedOutcome::Deadlock),
            RunEnd::Faulted { .. } | RunEnd::Violated(_) => None,
        };
        if got != Some(want) {
            failures.push(format!(
                "{}: the reference should end `{}`, but: {}",
                path.display(),
                want.as_str(),
                text::describe_end_in(&case, &end)
            ));
        }
        if render_reference(&case).0 != rendered {
            failures.push(format!("{}: two runs gave different traces (rule S2)", path.display()));
        }
        for problem in check_expectations(&case, &metrics) {
            failures.push(format!("{}: {problem}", path.display()));
        }
        let name = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 case names").to_owned();
        let dir = path.parent().expect("cases live in a directory").to_owned();
        let input = path.strip_prefix(root.parent().unwrap_or(&root)).unwrap_or(path).to_owned();
        let outcome = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => dir,
                prepend_module_to_snapshot => false,
                omit_expression => true,
                input_file => input,
            }, {
                insta::assert_snapshot!(name, rendered);
            });
        });
        if outcome.is_err() {
            failures.push(format!("{}: differs from its golden trace (see the diff above)", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden-trace problem(s):\n{}\n  = hint: if the change is intended, accept it with `cargo insta review`",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_snapshot_belongs_to_a_case() {
    let mut orphans = Vec::new();
    let mut pending = Vec::new();
    let mut stack = vec![testcases()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable testcases dir") {
            let path = entry.expect("readable entry").path();
            let name = path.to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".snap") && !path.with_extension("yaml").exists() {
                orphans.push(name);
            } else if name.ends_with(".snap.new") {
                pending.push(name);
            }
        }
    }
    orphans.sort();
    assert!(orphans.is_empty(), "orphaned golden traces (no matching .yaml): {orphans:#?}\n  = hint: delete them");
    if std::env::var_os("CI").is_some() {
        assert!(pending.is_empty(), "unreviewed snapshots: {pending:#?}\n  = hint: run `cargo insta review`");
    }
}
