//! The worker process: what the hidden `schedgrade __worker <library>` subcommand runs.
//!
//! The host ([`crate::sandbox::run_worker`]) starts the worker with the test case on stdin and a result pipe
//! on fd 3. [`worker_entry`] then takes the sandbox steps in order (see [`crate::sandbox::worker_side`]), hands
//! the payload and the loaded library to the grader's `run` closure (the simulation), sends what it returns as
//! the result, and exits with `_exit`, so that no destructor or `atexit` handler of student code ever runs.
//!
//! The `run` closure runs under the seccomp allow-list
//! ([`ALLOWED_AFTER_LOAD`](crate::sandbox::worker_side::ALLOWED_AFTER_LOAD)), like the student code it calls: it
//! may compute, allocate and print, but not start threads, open files for writing or use sockets. A forbidden
//! syscall made by the grader's own code there would be reported as the student's `sandbox-violation`.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use crate::sandbox::WorkerError;
use crate::sandbox::worker_side::{
    Enforcement, LoadedLibrary, enter_before_load, load_library, narrow_after_load, read_payload, write_error,
    write_result,
};

/// Exit code: the result was sent.
pub const EXIT_OK: i32 = 0;
/// Exit code: the arguments were not a single library path.
pub const EXIT_USAGE: i32 = 64;
/// Exit code: stdin could not be read (`E` frame of kind `bad-payload`).
pub const EXIT_PAYLOAD: i32 = 65;
/// Exit code: the sandbox could not be entered (`E` frame of kind `sandbox-setup`).
pub const EXIT_SETUP: i32 = 70;
/// Exit code: the library could not be loaded (`E` frame of kind `load-error`, `missing-symbol` or
/// `abi-mismatch`).
pub const EXIT_LOAD: i32 = 66;
/// Exit code: the result could not be written to fd 3 (the host is gone).
pub const EXIT_RESULT: i32 = 74;
/// Exit code: `run` returned an error (sent as an `E` frame of the kind it chose).
pub const EXIT_RUN: i32 = 75;

/// What the grader's `run` closure gets.
#[derive(Debug)]
pub struct WorkerContext {
    /// The stdin payload, read in full before anything else.
    pub payload: Vec<u8>,
    /// The student library, loaded and checked; its `schedgrade_table` is [`LoadedLibrary::table_fn`].
    pub library: LoadedLibrary,
    /// What the sandbox enforced (already reported to the host).
    pub enforcement: Enforcement,
}

/// The worker's main function. `args` are the arguments after the hidden subcommand: exactly one, the absolute
/// path of the student library.
///
/// Reads the payload, enters the sandbox, loads the library, narrows the sandbox, calls `run` (the student code
/// runs inside it), writes what `run` returns as the result, and exits with [`EXIT_OK`]. An `Err` from `run` (such
/// as `bad-payload` for a test case it cannot decode) and every failure before `run` are reported as an `E` frame
/// ([`crate::sandbox::RawOutcome::WorkerError`]) and a distinct exit code. Never returns.
pub fn worker_entry(args: &[OsString], run: impl FnOnce(WorkerContext) -> Result<Vec<u8>, WorkerError>) -> ! {
    let [library] = args else {
        eprintln!("usage: schedgrade __worker <library>: this subcommand is internal; use `schedgrade grade` instead");
        finish(EXIT_USAGE);
    };
    let library = Path::new(library);
    let payload = match read_payload() {
        Ok(payload) => payload,
        Err(e) => fail("bad-payload", &format!("cannot read the test case from stdin: {e}"), EXIT_PAYLOAD),
    };
    let enforcement = match enter_before_load(library) {
        Ok(enforcement) => enforcement,
        Err(e) => fail("sandbox-setup", &e.to_string(), EXIT_SETUP),
    };
    let library = match load_library(library) {
        Ok(library) => library,
        Err(e) => fail(e.kind(), &e.to_string(), EXIT_LOAD),
    };
    if let Err(e) = narrow_after_load() {
        fail("sandbox-setup", &e.to_string(), EXIT_SETUP);
    }
    let result = match run(WorkerContext { payload, library, enforcement }) {
        Ok(result) => result,
        Err(e) => fail(&e.kind, &e.message, EXIT_RUN),
    };
    if write_result(&result).is_err() {
        finish(EXIT_RESULT);
    }
    finish(EXIT_OK)
}

fn fail(kind: &str, message: &str, code: i32) -> ! {
    let _ = write_error(kind, message);
    eprintln!("schedgrade worker: {message}");
    finish(code)
}

/// Flushes the worker's own stdout and stderr and exits without running destructors or `atexit` handlers.
fn finish(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit has no preconditions and never returns.
    unsafe { libc::_exit(code) }
}
