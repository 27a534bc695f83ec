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
