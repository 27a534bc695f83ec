//! Errors of the sandbox. Student misbehaviour is never an error here: it is a [`super::RawOutcome`].

use std::io;
use std::path::PathBuf;

/// A failure of the harness itself while running a worker (host side).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A pipe could not be created.
    #[error(
        "cannot create the `{what}` pipe for a worker: {source}; check the open-file limit of the grader (`ulimit -n`)"
    )]
    Pipe {
        /// Which pipe.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The worker could not be started (including a failure of the pre-exec sandbox steps).
    #[error(
        "cannot start the worker `{program}`: {source}; check that it exists and, when grading as root, that it and \
         every directory above it are readable by other users (run `schedgrade doctor`)"
    )]
    Spawn {
        /// The worker program.
        program: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// No worker uid could be reserved (grading as root).
    #[error("cannot give the worker a uid of its own: {message}")]
    WorkerUid {
        /// What went wrong, and what to do.
        message: String,
    },
    /// Waiting for the worker's pipes or its exit failed.
    #[error("cannot wait for worker {pid}: {source}; this is a bug in `schedgrade`, please report it")]
    Wait {
        /// The worker's pid.
        pid: i32,
        /// The OS error.
        source: io::Error,
    },
}

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
        /// `deny-list`, `x32-guard` or `allow-list`.
        stage: &'static str,
        /// What went wrong.
        message: String,
    },
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
