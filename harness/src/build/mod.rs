//! Building submissions: the embedded template, the canonical crate, cargo under a time limit and Landlock.
//!
//! The flow of one submission, in module order:
//!
//! 1. `sources`: take only `src/**/*.rs` from the student's directory, refusing symlinks and absurd trees;
//! 2. `template` and `manifest`: put them in a crate of the cache with the grader's own `Cargo.toml`, next to
//!    the grader's own copy of the contract (embedded at compile time by `harness/build.rs`);
//! 3. `builder`: run `cargo build --offline` with a scrubbed environment and a time limit, through the
//!    `sandbox` trampoline, then copy the library out of the shared target directory;
//! 4. `cargo`: read cargo's JSON messages into a short failure summary.
//!
//! [`BuildOutcome::Failed`] is the student's fault; [`BuildError`] is the grader's.

mod builder;
mod cargo;
mod error;
mod manifest;
mod sandbox;
mod sources;
mod template;

pub use builder::{BuildOutcome, Builder, BuilderOptions, DEFAULT_BUILD_TIMEOUT};
pub use error::BuildError;
pub use sandbox::{SANDBOX_FAILED_EXIT, SANDBOX_SUBCOMMAND, exec_sandboxed_build};
pub use sources::{MAX_SOURCE_BYTES, MAX_SOURCE_FILES};
pub use template::{create_crate, template_files};
