//! The process exit codes of `schedgrade`. They are part of the interface: scripts and CI rely on them.

/// Everything worked, and (for `check`, `lint`) everything passed.
pub const SUCCESS: i32 = 0;
/// `check`: at least one test failed. `lint`: at least one error-level finding. `run`: the policy faulted.
pub const TESTS_FAILED: i32 = 1;
/// Bad command-line arguments (clap's own code).
pub const USAGE: i32 = 2;
/// Bad input file: a test case, `grading.yaml`, or a submission directory that cannot be read.
pub const BAD_INPUT: i32 = 3;
/// `grade`: at least one test was not gradable because of a grader failure (`harness-error`).
pub const NOT_GRADABLE: i32 = 4;
/// The grader itself failed (I/O error writing reports, cannot spawn workers, ...).
pub const INTERNAL: i32 = 5;
/// `check`: the submission did not build.
pub const BUILD_FAILED: i32 = 6;
/// Stopped by `SIGHUP` (128 + 1). The grader killed its workers and builds first; see [`crate::shutdown`].
pub const STOPPED_BY_SIGHUP: i32 = 129;
/// Stopped by `SIGINT` (128 + 2), such as Ctrl-C. The grader killed its workers and builds first.
pub const STOPPED_BY_SIGINT: i32 = 130;
/// Stopped by `SIGTERM` (128 + 15). The grader killed its workers and builds first.
pub const STOPPED_BY_SIGTERM: i32 = 143;

/// The exit code after being stopped by `signal`: 128 + the signal number, as a shell reports a death by signal.
pub fn stopped_by(signal: i32) -> i32 {
    128 + signal
}
