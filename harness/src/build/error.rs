//! Harness failures of the build stage.
//!
//! A submission that does not build is never an error here: it is [`BuildOutcome::Failed`](super::BuildOutcome).
//! A `BuildError` means the grader itself could not do its job (an unwritable cache, no toolchain, a sandbox that
//! cannot be set up), so the submission is "not gradable" rather than wrong.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Why the build stage of the harness failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A file-system operation on the grader's own files failed.
    #[error("cannot {action} `{}`: {source}; check that the path exists and is writable by the grader", path.display())]
    Io {
        /// What the harness was doing, e.g. "write".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// `schedgrade new` was pointed at a directory that already holds something.
    #[error("`{}` already exists and is not empty; choose a new directory name, or remove it first", path.display())]
    NotEmpty {
        /// The directory that was asked for.
        path: PathBuf,
    },

    /// The student id cannot be used as a file name in the cache.
    #[error(
        "student id `{id}` is not valid; use 1 to 100 ASCII letters, digits, `-`, `_`, `.`, `@` or \
         `+`, not starting with `.`"
    )]
    InvalidStudentId {
        /// The id that was rejected.
        id: String,
    },

    /// The compiler (or the sandbox launcher) could not be started.
    #[error(
        "cannot run `{program}`: {source}; install the Rust toolchain (`rustup`) and make sure `rustc` is on `PATH`"
    )]
    Spawn {
        /// The program that failed to start.
        program: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The toolchain could not be resolved: `rustc` did not say where it lives or which version it is.
    #[error("cannot use the Rust toolchain: {message}; check that `rustc --print sysroot` works for the grader's user")]
    Toolchain {
        /// What went wrong.
        message: String,
    },

    /// The build cache is not a directory the grader alone controls.
    #[error(
        "refusing the build cache `{}`: {problem}\n  = hint: pass `--cache DIR` with a directory of your own, or \
         remove `{}` and run again (it is recreated, private to your user)",
        path.display(),
        path.display()
    )]
    UnsafeCache {
        /// The directory refused.
        path: PathBuf,
        /// Why.
        problem: String,
    },

    /// The Landlock trampoline could not confine the build.
    #[error(
        "the build sandbox could not be set up: {message}; check that the kernel has Landlock enabled (`landlock` in \
         `/sys/kernel/security/lsm`, or `lsm=landlock,...` on the kernel command line) and that `__build` is wired \
         to `exec_sandboxed_build`"
    )]
    Sandbox {
        /// What the trampoline reported.
        message: String,
    },

    /// The compiler failed in a way that is the grader's fault, not the submission's: the contract or the canary
    /// did not build, or the linker is missing.
    #[error(
        "the compiler failed without a fault in the submission ({status}):\n{output}\nthis is a grader problem: \
         check the toolchain (`rustc`, and `cc` for linking) and the build cache `{}`",
        cache.display()
    )]
    Compiler {
        /// The compiler's exit status.
        status: ExitStatus,
        /// The end of its diagnostics.
        output: String,
        /// The build cache in use.
        cache: PathBuf,
    },

    /// Compiling the contract into a cold cache did not finish in time.
    #[error("compiling the contract took more than {seconds} s; check the machine's load, then retry")]
    ContractTimeout {
        /// The time limit.
        seconds: u64,
    },

    /// The compiler reported success but the library is not where it should be (or is not a regular file).
    #[error("the compiler succeeded but left no library at `{}`; this is a grader problem: report it", path.display())]
    MissingLibrary {
        /// Where the library was expected.
        path: PathBuf,
    },
}

impl BuildError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> BuildError {
        let path = path.into();
        move |source| BuildError::Io { action, path, source }
    }
}
