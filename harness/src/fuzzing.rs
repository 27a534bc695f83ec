//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), also replayed by `cargo test`.
//!
//! `#[doc(hidden)] pub` so that the fuzz crate, outside the workspace, and the integration tests can call them:
//! each takes arbitrary bytes, runs them through a loader or decoder exactly as the grader does, then uses the
//! result the way the grader does (renders every error, lints a rubric, judges a response). A panic, a hang or an
//! unbounded allocation anywhere below is a bug. Nothing here is part of the grader's interface.
//!
//! | target | path through the grader |
//! |---|---|
//! | [`case_loader`] | bytes → [`crate::case::parse_case_bytes`] → rendered diagnostics |
//! | [`rubric_loader`] | bytes → `grading.yaml` in a fixed tree → [`crate::rubric::lint`] → rendered diagnostics |
//! | [`worker_result`] | bytes → result-channel frames → [`crate::sandbox::WorkerExit::outcome`] → [`crate::grade::execute::judge_raw`] → [`crate::grade::judge::judge_response`] |

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::grade::execute::judge_raw;
use crate::grade::golden::Golden;
use crate::grade::judge::judge_response;
use crate::sandbox::{AppliedLayers, ExitStatus, WorkerExit};
use crate::verdict::Verdict;
use schedgrade_kernel::wire as protocol;

/// Loads `data` as a test case file, and renders the errors if it is refused.
pub fn case_loader(data: &[u8]) {
    match crate::case::parse_case_bytes(data.to_vec(), Path::new("testcases/fuzz/fuzz-case.yaml")) {
        Ok(case) => {
            assert!(!case.processes.is_empty(), "a loaded case has processes");
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "a refused case says why");
            let _ = e.to_string();
        }
    }
}

/// Loads `data` as `grading.yaml` at the top of `root` (a tree made by [`make_rubric_tree`]), lints it against the
/// case files there, and renders every diagnostic.
pub fn rubric_loader(data: &[u8], root: &Path) {
    match crate::rubric::parse_rubric_bytes(data.to_vec(), &root.join("grading.yaml")) {
        Ok(rubric) => {
            for finding in crate::rubric::lint(&rubric, &rubric.root) {
                let _ = finding.to_string();
            }
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "a refused rubric says why");
            let _ = e.to_string();
        }
    }
}

/// Case files of the tree [`rubric_loader`] lints against: a few directories deep (globs with `**` walk them), one
/// hidden, one case that does not load and one without a golden trace.
const TREE: &[(&str, &str)] = &[
    ("testcases/fcfs/one.yaml", "scheduler: { policy: fcfs }\nprocesses: [{ name: P1, bursts: [cpu 5] }]\n"),
    ("testcases/fcfs/one.snap", "---\nsource: fuzz\n---\n== trace ==\n     0 -     P1 new -> ready       arrival\n"),
    (
        "testcases/rr/a/b/c/d/e/f/two.yaml",
        "scheduler: { policy: rr, quantum: 2 }\nprocesses: [{ name: P, bursts: [cpu 3] }]\n",
    ),
    ("testcases/rr/a/b/c/d/e/f/two.snap", "---\nsource: fuzz\n---\n== trace ==\n"),
    ("testcases/rr/a/b/broken.yaml", "scheduler: { policy: rr, quantum: 0 }\n"),
    ("testcases/.hidden/three.yaml", "scheduler: { policy: sjf }\nprocesses: [{ name: P, bursts: [cpu 1] }]\n"),
    ("other/notes.txt", "not a case\n"),
];

/// Writes the tree [`rubric_loader`] needs under `root` (which must exist).
pub fn make_rubric_tree(root: &Path) -> std::io::Result<()> {
    for (path, text) in TREE {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// A private directory for the fuzz targets' rubric tree, made once per process (libFuzzer runs one input after
/// another in one process).
pub fn rubric_tree_for_process() -> &'static Path {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("schedgrade-fuzz-rubric-{}", std::process::id()));
        make_rubric_tree(&root).expect("cannot create the fuzzing tree in the temporary directory");
        root
    })
}

/// The golden trace [`worker_result`] judges against.
const GOLDEN: &[&str] = &[
    "     0 -     P1 new -> ready       arrival",
    "     0 cpu0  P1 ready -> running   dispatch",
    "     5 cpu0  P1 running -> exit    exit",
];

/// Flags in the first byte of a [`worker_result`] input.
const TRUNCATED: u8 = 1;
/// The host saw an allocation cross the memory limit.
const MEMORY_LIMIT: u8 = 16;
/// The rest of the input is one result payload: frame it with the right length (so that mutations of the JSON are
/// not all lost to a length mismatch).
const WRAP: u8 = 2;

/// Treats `data` as what a worker wrote on its result channel, and takes it through the grader's path: frame
/// decoding, the classification of the run, JSON decoding of the response, and the verdict.
///
/// The first byte selects: bit 0 the "over the cap" flag, bit 1 wrapping the rest in one `R` frame, bits 2-3 how
/// the worker ended (exit 0, exit 1, `SIGABRT`, `SIGXCPU`), bit 4 the host's memory-limit observation.
pub fn worker_result(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let framed;
    let bytes = if flags & WRAP != 0 {
        framed = [&protocol::header(protocol::TAG_RESULT, rest.len() as u32)[..], rest].concat();
        &framed[..]
    } else {
        rest
    };
    let decoded = protocol::decode(bytes, flags & TRUNCATED != 0);
    let status = match (flags >> 2) & 3 {
        0 => ExitStatus::Exited(0),
        1 => ExitStatus::Exited(1),
        2 => ExitStatus::Signaled { signal: libc::SIGABRT, name: "SIGABRT" },
        _ => ExitStatus::Signaled { signal: libc::SIGXCPU, name: "SIGXCPU" },
    };
    let exit = WorkerExit {
        status,
        wall_timed_out: false,
        cpu_timed_out: matches!(status, ExitStatus::Signaled { signal: libc::SIGXCPU, .. }),
        output_exceeded: false,
        result_exceeded: flags & TRUNCATED != 0,
        result: decoded.result,
        error: decoded.error,
        loading: decoded.loading,
        error_after_loading: decoded.error_after_loading,
        memory_limit_reached: flags & MEMORY_LIMIT != 0,
        violation: decoded.violation,
        sandbox_report: decoded.report,
        protocol_problem: decoded.problem,
        stdout: Vec::new(),
        stderr: Vec::new(),
        elapsed: Duration::ZERO,
        cpu_time: Duration::ZERO,
        max_rss_kib: 0,
        applied: AppliedLayers::default(),
    };
    let golden = Golden {
        path: PathBuf::from("testcases/fuzz/fuzz-case.snap"),
        trace: GOLDEN.iter().map(|l| l.to_string()).collect(),
        gantt: Vec::new(),
    };
    let verdict = match judge_raw(exit.outcome(), &crate::rubric::Limits::default()) {
        Ok(response) => judge_response(&response, &golden),
        Err(verdict) => verdict,
    };
    render(&verdict);
}

/// Uses a verdict the way reports do.
fn render(verdict: &Verdict) {
    let _ = verdict.summary();
    let _ = serde_json::to_string(verdict).expect("a verdict always serialises");
    if let Verdict::WrongTrace { divergence } = verdict {
        let _ = divergence.render();
    }
}
