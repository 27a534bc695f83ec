//! Building submissions: the embedded template, a private content-addressed cache, `rustc` confined and limited.
//!
//! The flow of one submission, in module order:
//!
//! 1. `sources`: take only `src/**/*.rs` from the student's directory, refusing symlinks and absurd trees;
//! 2. `template` and `profile`: the grader's own copy of the contract (embedded at compile time by
//!    `harness/build.rs`) and the `rustc` command lines, whatever the student ships;
//! 3. `toolchain`: the real compiler behind rustup, and the neutral environment builds run in;
//! 4. `cache` and `fingerprint`: a private directory per user, shared safely by concurrent graders, whose
//!    libraries are named by what they were built from and never replaced;
//! 5. `builder`: one build in a private directory, through the `sandbox` trampoline (Landlock, no capabilities,
//!    the `seccomp` deny-list) with `limits` (memory, file size), then the library published and the directory
//!    removed;
//! 6. `compiler`: run `rustc` with a time limit and read its JSON diagnostics into a short failure summary.
//!
//! [`BuildOutcome::Failed`] is the student's fault; [`BuildError`] is the grader's.

mod builder;
mod cache;
mod compiler;
mod error;
mod fingerprint;
mod limits;
mod profile;
mod sandbox;
mod seccomp;
mod sources;
mod template;
mod toolchain;

pub use builder::{BuildOutcome, Builder, BuilderOptions, DEFAULT_BUILD_TIMEOUT};
pub use cache::{GC_AGE, prepare_cache_dir};
pub use error::BuildError;
pub use limits::BuildLimits;
pub use sandbox::{SANDBOX_FAILED_EXIT, SANDBOX_SUBCOMMAND, exec_sandboxed_build};
pub use sources::{MAX_SOURCE_BYTES, MAX_SOURCE_FILES};
pub use template::{create_crate, template_files};
