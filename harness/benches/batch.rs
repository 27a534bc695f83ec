//! `cargo bench -p harness --bench batch [-- MODE...]`: the costs of grading, for BENCHMARKS.md.
//!
//! Modes (all of them when none is given):
//!
//! - `worker [RUNS]`: one sandboxed worker per test, as `grade` runs it ([`run_test`]: spawn, load the library,
//!   run the smallest case, exit, judge), `RUNS` times (default 200) against the reference built as a submission.
//!   Prints the median, p10 and p90.
//! - `grade [SUBMISSIONS]`: the release `schedgrade grade` binary on SUBMISSIONS crates (default 50: copies of
//!   `reference/src`, every fifth one `examples/submissions/rr-tie-bug/src` so verdicts vary) × every case of
//!   `grading.yaml`, with `--jobs 1` and `--jobs 2`, each on a fresh cache (cold: the contract and every
//!   submission are compiled) and then again on the same cache (warm). Checks that both job counts write
//!   byte-identical reports (`diff -r`).
//! - `phases [SUBMISSIONS]`: the same batch through the library ([`harness::grade::grade`]) with a reporter that
//!   timestamps the events, to split the build phase (serial) from the test phase (parallel) and show the
//!   per-submission build times.
//!
//! The binary is the one cargo builds for this bench (`CARGO_BIN_EXE_schedgrade`, bench profile). Scratch
//! directories live under the system temp dir (workers run as `nobody` when the grader is root, so the cache must
//! be reachable) and are removed at the end.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use harness::build::{BuildOutcome, Builder, BuilderOptions, SANDBOX_SUBCOMMAND};
use harness::grade::execute::run_test;
use harness::grade::golden::load_golden;
use harness::grade::{BatchOptions, GradeEvent, Reporter, discover_submissions, grade, plan};
use harness::rubric::{Limits, load_rubric};
use harness::sandbox::WorkerProgram;

const SCHEDGRADE: &str = env!("CARGO_BIN_EXE_schedgrade");
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// The smallest test case (one process, one burst).
const SMALLEST_CASE: &str = "testcases/fcfs/fcfs-single-process.yaml";

fn repo() -> PathBuf {
    Path::new(REPO).canonicalize().expect("the repository")
}

/// A scratch directory under the system temp dir, world-readable (workers may run as `nobody`).
fn scratch(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("schedgrade-bench-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch dir");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod the scratch dir");
    dir
}

/// The worker program, as `grade` picks it: the embedded worker.
fn worker_program() -> &'static WorkerProgram {
    WorkerProgram::embedded().expect("the embedded worker")
}

fn launcher() -> Option<Vec<OsString>> {
    Some(vec![OsString::from(SCHEDGRADE), OsString::from(SANDBOX_SUBCOMMAND)])
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a submission dir");
    for entry in fs::read_dir(from).expect("read a source dir") {
        let entry = entry.expect("a dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy a source file");
        }
    }
}

/// `count` submission crates `s00`, `s01`, … in `dir`; every fifth one has the round-robin tie bug.
fn make_submissions(dir: &Path, count: usize) {
    let repo = repo();
    for i in 0..count {
        let src =
            if i % 5 == 4 { repo.join("examples/submissions/rr-tie-bug/src") } else { repo.join("reference/src") };
        copy_dir(&src, &dir.join(format!("s{i:02}")).join("src"));
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() - 1) * p / 100]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn worker_mode(runs: usize) {
    let root = scratch("worker");
    let builder =
        Builder::new(root.join("cache"), BuilderOptions { launcher: launcher(), ..BuilderOptions::default() })
            .expect("open the build cache");
    let warm_up = builder.warm_up().expect("compile the contract");
    let library = match builder.build("reference", &repo().join("reference")).expect("build the reference") {
        BuildOutcome::Built { library, duration } => {
            println!("contract warm-up {warm_up:.2?}, reference build {duration:.2?}");
            library
        }
        BuildOutcome::Failed { summary, .. } => panic!("{summary}"),
    };
    let program = worker_program();
    let case = repo().join(SMALLEST_CASE);
    let source = fs::read_to_string(&case).expect("read the case");
    let golden = load_golden(&case).expect("its golden trace");
    let limits = Limits::default();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let (outcome, duration) = run_test(program, &library, &source, &case, &golden, &limits);
            assert!(outcome.verdict().passed(), "{:?}", outcome.verdict());
            duration
        })
        .collect();
    times.sort();
    println!(
        "run_test({SMALLEST_CASE}) over {runs} runs: median {}, p10 {}, p90 {}, min {}, max {}",
        ms(percentile(&times, 50)),
        ms(percentile(&times, 10)),
        ms(percentile(&times, 90)),
        ms(times[0]),
        ms(times[runs - 1]),
    );
    let _ = fs::remove_dir_all(&root);
}

/// Runs `schedgrade grade`; returns the wall time, the exit code and the last line of stderr.
fn run_grade(submissions: &Path, out: &Path, cache: &Path, jobs: usize) -> (Duration, i32, String) {
    let repo = repo();
    let start = Instant::now();
    let output = Command::new(SCHEDGRADE)
        .arg("grade")
        .arg(submissions)
        .arg("--config")
        .arg(repo.join("grading.yaml"))
        .arg("--out")
        .arg(out)
        .arg("--jobs")
        .arg(jobs.to_string())
        .arg("--cache")
        .arg(cache)
        .output()
        .expect("run schedgrade grade");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or("").to_owned();
    (elapsed, output.status.code().unwrap_or(-1), last)
}

fn identical(a: &Path, b: &Path) -> String {
    let output = Command::new("diff").arg("-r").arg(a).arg(b).output().expect("run diff");
    if output.status.success() {
        "byte-identical".to_owned()
    } else {
        let text = String::from_utf8_lossy(&output.stdout);
        format!("DIFFERENT ({} lines of diff)", text.lines().count())
    }
}

fn grade_mode(count: usize) {
    let root = scratch("grade");
    let submissions = root.join("submissions");
    make_submissions(&submissions, count);
    println!("binary: {SCHEDGRADE}");
    println!("| jobs | cache | wall (s) | exit | stderr |");
    println!("|---:|---|---:|---:|---|");
    let mut walls = Vec::new();
    for jobs in [1, 2] {
        let cache = root.join(format!("cache-j{jobs}"));
        for pass in ["cold", "warm"] {
            let out = root.join(format!("out-j{jobs}-{pass}"));
            let (wall, code, last) = run_grade(&submissions, &out, &cache, jobs);
            println!("| {jobs} | {pass} | {:.2} | {code} | {last} |", wall.as_secs_f64());
            walls.push(wall.as_secs_f64());
        }
    }
    println!("speedup jobs 1 → 2: cold {:.2}×, warm {:.2}×", walls[0] / walls[2], walls[1] / walls[3]);
    for pass in ["cold", "warm"] {
        let (a, b) = (root.join(format!("out-j1-{pass}")), root.join(format!("out-j2-{pass}")));
        println!("reports of jobs 1 vs jobs 2 ({pass}): {}", identical(&a, &b));
    }
    println!("reports of cold vs warm (jobs 1): {}", identical(&root.join("out-j1-cold"), &root.join("out-j1-warm")));
    let _ = fs::remove_dir_all(&root);
}

/// Records when each grading event happens.
#[derive(Default)]
struct Timeline {
    start: Mutex<Option<Instant>>,
    builds: Mutex<Vec<Duration>>,
    builds_done: Mutex<Option<Instant>>,
    tests: Mutex<Vec<Duration>>,
    finished: Mutex<Option<Instant>>,
    passed: Mutex<usize>,
}

impl Reporter for Timeline {
    fn event(&self, event: GradeEvent<'_>) {
        let now = Instant::now();
        match event {
            GradeEvent::Started { .. } => *self.start.lock().unwrap() = Some(now),
            GradeEvent::Built { duration, .. } => {
                self.builds.lock().unwrap().push(duration);
                *self.builds_done.lock().unwrap() = Some(now);
            }
            GradeEvent::TestFinished { duration, verdict, .. } => {
                self.tests.lock().unwrap().push(duration);
                *self.passed.lock().unwrap() += usize::from(verdict.passed());
            }
            GradeEvent::Finished => *self.finished.lock().unwrap() = Some(now),
        }
    }
}

fn phases_mode(count: usize) {
    let repo = repo();
    let root = scratch("phases");
    let submissions_dir = root.join("submissions");
    make_submissions(&submissions_dir, count);
    let rubric = load_rubric(&repo.join("grading.yaml")).expect("load the rubric");
    let program = worker_program();
    println!(
        "| jobs | cache | build phase (s) | per-submission build median / max (s) | test phase (s) | tests | \
         per-test median / p90 (ms) | passed |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for jobs in [1, 2] {
        let cache = root.join(format!("cache-j{jobs}"));
        for pass in ["cold", "warm"] {
            let plan = plan(&rubric, |_| true, None).expect("plan the batch");
            let submissions = discover_submissions(&submissions_dir).expect("the submissions");
            let options =
                BatchOptions { jobs, cache: cache.clone(), worker_program: program, build_launcher: launcher() };
            let timeline = Timeline::default();
            grade(&rubric, plan, submissions, &options, Vec::new(), &timeline).expect("grade the batch");
            let start = timeline.start.lock().unwrap().expect("started");
            let built = timeline.builds_done.lock().unwrap().expect("built");
            let finished = timeline.finished.lock().unwrap().expect("finished");
            let mut builds = timeline.builds.lock().unwrap().clone();
            builds.sort();
            let mut tests = timeline.tests.lock().unwrap().clone();
            tests.sort();
            println!(
                "| {jobs} | {pass} | {:.2} | {:.2} / {:.2} | {:.2} | {} | {:.2} / {:.2} | {} |",
                (built - start).as_secs_f64(),
                percentile(&builds, 50).as_secs_f64(),
                builds[builds.len() - 1].as_secs_f64(),
                (finished - built).as_secs_f64(),
                tests.len(),
                percentile(&tests, 50).as_secs_f64() * 1e3,
                percentile(&tests, 90).as_secs_f64() * 1e3,
                timeline.passed.lock().unwrap(),
            );
        }
    }
    let _ = fs::remove_dir_all(&root);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let number = |i: usize, default: usize| args.get(i).map_or(default, |a| a.parse().expect("a number"));
    match args.first().map(String::as_str) {
        None => {
            worker_mode(200);
            grade_mode(50);
            phases_mode(50);
        }
        Some("worker") => worker_mode(number(1, 200)),
        Some("grade") => grade_mode(number(1, 50)),
        Some("phases") => phases_mode(number(1, 50)),
        Some(other) => panic!("unknown mode `{other}`: use worker, grade or phases"),
    }
}
