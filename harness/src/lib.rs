//! # schedgrade: grade scheduling assignments by diffing simulated-kernel traces
//!
//! Students implement CPU schedulers against the contract in `schedgrade-contract`. This crate runs them inside a
//! simulated kernel, records every state transition as a trace, compares the trace with the golden trace of the
//! reference implementation, and turns the outcome into a [`verdict::Verdict`] and points. Student code runs only
//! in sandboxed worker processes; whatever it does becomes a verdict for that test.
//!
//! ## Main types
//!
//! | stage  | types                                                                                            |
//! |--------|--------------------------------------------------------------------------------------------------|
//! | load   | [`case::Case`] (a YAML test case), [`rubric::Rubric`] (`grading.yaml`)                            |
//! | plan   | [`grade::Plan`], [`grade::Submission`], [`grade::golden::Golden`] (expected trace from a `.snap`) |
//! | build  | [`build::Builder`] → a student `cdylib`                                                          |
//! | run    | [`sandbox::run_worker`] (one fresh worker per test), [`sim::simulate`] (the kernel, in the worker)|
//! | trace  | [`trace::TraceEvent`], [`trace::Segment`], [`trace::Metrics`]; [`trace::text`] is the golden format |
//! | diff   | [`diff::first_divergence`] → [`verdict::Verdict`]                                                |
//! | report | [`grade::BatchOutcome`] → [`report::write_all`]; [`grade::Reporter`] receives progress events    |
//! | text   | [`untrusted`]: everything a submission sends, bounded when stored and inert in every output      |
//!
//! ## Example: the reference on one case
//!
//! ```
//! use harness::case::parse_case;
//! use harness::policy::{reference_table, run_case};
//! use harness::trace::{Metrics, Recorder, text};
//!
//! let case = parse_case(
//!     "scheduler: { policy: rr, quantum: 4 }\n\
//!      processes:\n  - { name: P1, bursts: [cpu 24] }\n  - { name: P2, bursts: [cpu 3] }\n  - { name: P3, bursts: [cpu 3] }\n",
//!     std::path::Path::new("example.yaml"),
//! )?;
//! let table = reference_table(case.scheduler.policy).expect("the reference implements every policy");
//! let mut recorder = Recorder::default();
//! let result = run_case(&case, table, &mut recorder);
//! let metrics = Metrics::compute(&case, &result);
//! assert!((metrics.averages.waiting - 17.0 / 3.0).abs() < 1e-9); // Silberschatz's RR example
//! let lines = text::trace_lines(&case, &recorder.events);
//! assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["0", "-", "P1", "new", "->", "ready", "arrival"]);
//! # Ok::<(), harness::case::CaseError>(())
//! ```
//!
//! ## Workflow
//!
//! 1. **Load.** [`rubric::load_rubric`] reads `grading.yaml`; [`grade::plan`] expands its suites into tests,
//!    loading every case ([`case::load_case`]) and its golden trace before any student code runs.
//! 2. **Build.** [`build::Builder`] takes only `src/**/*.rs` of each submission and compiles it with the
//!    toolchain's `rustc` against the grader's embedded contract, confined (Landlock, seccomp, no capabilities),
//!    limited (time, memory, file size) and in a private directory per build, into a private content-addressed cache.
//! 3. **Run.** [`grade::grade`] runs every (submission, test) pair on a rayon pool. Each pair is one worker
//!    process ([`sandbox`]): the embedded `schedgrade-worker` program, which holds no reference, loads the library,
//!    checks its ABI version, and runs [`sim::simulate`] with the student's policy; the trace comes back on a
//!    dedicated pipe, and the verdict is decided from what the host observed.
//! 4. **Diff and score.** [`grade::judge`] compares the trace with the golden one; [`grade::score`] applies the
//!    rubric.
//! 5. **Report.** [`report::write_all`] writes the gradebook, `summary.json`, `junit.xml`, and per student
//!    `report.md` and Gradescope `results.json`. The runner never prints: reporters render [`grade::GradeEvent`]s.
//!
//! The rules of the simulation are numbered in `docs/semantics.md`; the CLI is [`cli`].

pub mod build;
pub mod cli;
pub mod diff;
pub mod exit_code;
// The fuzz targets' entry points (`fuzz/`, and their replay in the tests): not an interface.
#[doc(hidden)]
pub mod fuzzing;
pub mod grade;
pub mod policy;
pub mod report;
pub mod rubric;
pub mod sandbox;
pub mod shutdown;
pub mod untrusted;
pub mod verdict;
pub mod workload;

// The kernel crate, shared with the worker, under the names the grader has always used.
pub use schedgrade_kernel::{case, sim, trace};
