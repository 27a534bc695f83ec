//! The fixture submissions in `examples/submissions/` graded in one batch against `grading.yaml`, each checked
//! against the verdicts `examples/expected-verdicts.yaml` declares for it. Then a second batch with `--jobs 1`
//! over a few of them must write byte-identical per-student reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harness::grade::{BatchOptions, BatchOutcome, Silent, Submission, discover_submissions, grade, plan};
use harness::report::write_all;
use harness::rubric::{Rubric, load_rubric};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    default: Vec<String>,
    #[serde(default)]
    tests: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    require: Vec<String>,
    detail: Option<String>,
    #[serde(default)]
    forbid: Texts,
    #[serde(default)]
    full_marks: bool,
}

/// One text or a list of texts.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Texts {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Texts {
    fn all(&self) -> &[String] {
        match self {
            Texts::None => &[],
            Texts::One(text) => std::slice::from_ref(text),
            Texts::Many(texts) => texts,
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

fn rubric() -> Rubric {
    let mut rubric = load_rubric(&repo().join("grading.yaml")).expect("grading.yaml loads");
    // Faster limits: the misbehaving fixtures hit them on every test of their suite.
    rubric.limits.cpu_ms = 1000;
    rubric.limits.wall_ms = 1000;
    rubric
}

fn run(rubric: &Rubric, submissions: Vec<Submission>, jobs: usize, cache: &Path) -> BatchOutcome {
    let plan = plan(rubric, |_| true, None).expect("the bundled rubric plans");
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_schedgrade"));
    let worker_program = harness::sandbox::WorkerProgram::embedded().expect("the embedded worker");
    let options = BatchOptions {
        jobs,
        cache: cache.to_owned(),
        worker_program,
        build_launcher: Some(vec![binary.into_os_string(), "__build".into()]),
    };
    grade(rubric, plan, submissions, &options, Vec::new(), &Silent).expect("the batch runs")
}

fn check(batch: &BatchOutcome, expected: &BTreeMap<String, Expected>) -> Vec<String> {
    let mut problems = Vec::new();
    for student in &batch.students {
        let id = &student.submission.id;
        let Some(expect) = expected.get(id) else {
            problems.push(format!("{id}: no entry in examples/expected-verdicts.yaml"));
            continue;
        };
        let mut seen = Vec::new();
        for (test, outcome) in batch.plan.tests.iter().zip(&student.tests) {
            let verdict = outcome.verdict();
            let allowed = expect
                .tests
                .iter()
                .find(|(text, _)| test.name.contains(text.as_str()))
                .map_or(&expect.default, |(_, v)| v);
            if !allowed.iter().any(|a| a == verdict.name()) {
                problems.push(format!(
                    "{id} {}: got `{}` ({}), expected one of {allowed:?}",
                    test.name,
                    verdict.name(),
                    verdict.summary()
                ));
            }
            let summary = match verdict {
                harness::verdict::Verdict::BuildFailed { log } => log.clone(),
                harness::verdict::Verdict::WrongTrace { divergence } => {
                    format!("{}\n{}", verdict.summary(), divergence.render())
                }
                other => other.summary(),
            };
            if let Some(detail) = &expect.detail
                && !verdict.passed()
                && verdict.name() != "not-implemented"
                && !summary.contains(detail.as_str())
            {
                problems.push(format!("{id} {}: `{summary}` does not mention `{detail}`", test.name));
            }
            for forbidden in expect.forbid.all().iter().filter(|f| summary.contains(f.as_str())) {
                problems.push(format!("{id} {}: leaked {forbidden:?}", test.name));
            }
            seen.push(verdict.name());
        }
        for required in &expect.require {
            if !seen.contains(&required.as_str()) {
                problems.push(format!("{id}: never got `{required}`"));
            }
        }
        if expect.full_marks && (student.score.total - student.score.max).abs() > 1e-9 {
            problems.push(format!("{id}: scored {} of {}", student.score.total, student.score.max));
        }
    }
    for id in expected.keys() {
        if !batch.students.iter().any(|s| &s.submission.id == id) {
            problems.push(format!("{id}: declared but not in examples/submissions"));
        }
    }
    problems
}

#[test]
fn fixture_submissions_get_their_declared_verdicts_for_any_jobs() {
    let repo = repo();
    let source = std::fs::read_to_string(repo.join("examples/expected-verdicts.yaml")).expect("readable");
    let expected: BTreeMap<String, Expected> = serde_saphyr::from_str(&source).expect("valid expectations");
    let rubric = rubric();
    let submissions = discover_submissions(&repo.join("examples/submissions")).expect("fixtures exist");
    assert!(submissions.len() >= 15, "one fixture per fault, plus the reference and the template");
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
    let _ = std::fs::remove_dir_all(&scratch);
    // Private to this checkout: another checkout's tests must not touch these libraries.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures-cache");

    let parallel = run(&rubric, submissions.clone(), 2, &cache);
    let problems = check(&parallel, &expected);
    assert!(problems.is_empty(), "{} fixture problem(s):\n{}", problems.len(), problems.join("\n"));
    write_all(&parallel, &scratch.join("jobs2")).expect("reports are written");

    let few: Vec<Submission> = submissions
        .into_iter()
        .filter(|s| ["reference-solution", "rr-tie-bug", "panics", "compile-error"].contains(&s.id.as_str()))
        .collect();
    let serial = run(&rubric, few.clone(), 1, &cache);
    write_all(&serial, &scratch.join("jobs1")).expect("reports are written");
    for submission in &few {
        for file in ["report.md", "results.json"] {
            let read =
                |jobs: &str| std::fs::read(scratch.join(jobs).join(&submission.id).join(file)).expect("report exists");
            assert!(read("jobs1") == read("jobs2"), "{}/{file} differs between --jobs 1 and --jobs 2", submission.id);
        }
    }
    let gradebook = std::fs::read_to_string(scratch.join("jobs2/gradebook.csv")).expect("gradebook");
    assert!(gradebook.lines().any(|l| l.starts_with("reference-solution,110.00,110.00,")), "{gradebook}");
    assert!(
        gradebook.lines().any(|l| l.starts_with("compile-error,0.00,110.00,") && l.ends_with(",build-failed")),
        "{gradebook}"
    );
}
