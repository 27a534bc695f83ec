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
        "cannot start the worker `{program}`: {source}; run `schedgrade doctor` to see which sandbox layers work here"
    )]
    Spawn {
        /// The worker program.
        program: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The embedded worker could not be put in a memory file.
    #[error("cannot prepare the worker program: {reason}; check that memory files are allowed (`vm.memfd_noexec`)")]
    Embedded {
        /// The OS error.
        reason: String,
    },
    /// The library the grader built cannot be opened: the grader's fault, never the student's.
    #[error("cannot open the built library `{path}`: {source}; was the cache directory changed during grading?")]
    Library {
        /// The library.
        path: PathBuf,
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
