//! Errors of the worker side. Student misbehaviour is never an error here: it is an outcome the host observes.

use std::io;
use std::path::PathBuf;

/// The worker could not enter its sandbox (worker side). Reported to the host as an `E` frame of kind
/// `sandbox-setup`.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Installing the `SIGSYS` handler failed.
    #[error("cannot install the `SIGSYS` handler: {0}; this is a bug in `schedgrade`, please report it")]
    Signal(io::Error),
    /// Building or applying the Landlock ruleset failed (an unsupported kernel is not an error: it is reported as
    /// not enforced).
    #[error("cannot apply the landlock ruleset: {0}; run `schedgrade doctor` to see which layers work here")]
    Landlock(String),
    /// Building or applying a seccomp filter failed.
    #[error(
        "cannot apply the `{stage}` seccomp filter: {message}; run `schedgrade doctor` to see which layers work here"
    )]
    Seccomp {
        /// `x32-guard` or `allow-list`.
        stage: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The host did not find every filter installed in the worker's `/proc/<pid>/status`.
    #[error(
        "the host did not find the worker's seccomp filters in place; run `schedgrade doctor` to see which layers \
         work here"
    )]
    NotApplied,
    /// The CPU budget could not be set.
    #[error("cannot set the worker's CPU limit: {0}; run `schedgrade doctor` to see which layers work here")]
    CpuBudget(io::Error),
}

/// The student library could not be loaded or does not speak this grader's ABI (worker side).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `dlopen` failed: missing file, not an ELF shared object, wrong architecture, unresolved symbol, denied by
    /// the sandbox, ...
    #[error("cannot load the library `{path}`: {reason}; check that it is a `cdylib` built for this machine")]
    Open {
        /// The library.
        path: PathBuf,
        /// `dlerror()`'s text.
        reason: String,
    },
    /// A required symbol is not exported.
    #[error(
        "the library `{path}` does not export `{symbol}`; invoke `schedgrade_contract::export_schedulers!` once in \
         `lib.rs`"
    )]
    MissingSymbol {
        /// The library.
        path: PathBuf,
        /// The missing symbol.
        symbol: &'static str,
    },
    /// `SCHEDGRADE_ABI_VERSION` differs from this grader's.
    #[error(
        "the library `{path}` was built against ABI version {found}, but this grader speaks version {expected}; \
         rebuild it against the grader's `schedgrade-contract`"
    )]
    AbiMismatch {
        /// The library.
        path: PathBuf,
        /// The library's version.
        found: u32,
        /// [`schedgrade_contract::abi::ABI_VERSION`].
        expected: u32,
    },
}

impl LoadError {
    /// The stable kebab-case kind of this error: `load-error`, `missing-symbol` or `abi-mismatch`.
    pub fn kind(&self) -> &'static str {
        match self {
            LoadError::Open { .. } => "load-error",
            LoadError::MissingSymbol { .. } => "missing-symbol",
            LoadError::AbiMismatch { .. } => "abi-mismatch",
        }
    }
}
