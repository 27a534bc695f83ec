//! The worker process: what `schedgrade-worker` runs.
//!
//! The host starts the worker with the request on stdin, a result pipe on fd 3 and the student library on fd 4.
//! [`worker_entry`] then takes the sandbox steps in order (see [`crate::sandbox`]): it reads and decodes the request
//! with the grader's `prepare` closure (the grader's work, not charged to the student), enters the sandbox, writes
//! the loading marker, loads the library, hands both to the `run` closure (the simulation, which calls student
//! code), sends what it returns as the result, and exits with `_exit`, so that no destructor or `atexit` handler of
//! student code ever runs.
//!
//! `run` runs under the seccomp allow-list ([`ALLOWED_SYSCALLS`](crate::sandbox::ALLOWED_SYSCALLS)), like the
//! student code it calls: it may compute, allocate and print, but not start threads, open files for writing or
//! use sockets. A forbidden syscall made by the grader's own code there would be reported as the student's
//! `sandbox-violation`; and `run` cannot report a failure of its own, because after the marker the host believes
//! no claim of a grader fault. Whatever can fail for the grader's reasons must fail in `prepare`.

use std::io::Write;

use schedgrade_kernel::wire::{CPU_BUDGET_ENV, WorkerError};

use crate::error::SetupError;
use crate::sandbox::{
    Enforcement, LoadedLibrary, check_library_reachable, enter_sandbox, load_library, read_payload, set_cpu_budget,
    write_error, write_loading_marker, write_result,
};

/// Exit code: the result was sent.
pub const EXIT_OK: i32 = 0;
/// Exit code: the CPU budget is missing from the environment.
pub const EXIT_USAGE: i32 = 64;
/// Exit code: stdin could not be read or decoded (`E` frame of kind `bad-payload`).
pub const EXIT_PAYLOAD: i32 = 65;
/// Exit code: the sandbox could not be entered (`E` frame of kind `sandbox-setup`).
pub const EXIT_SETUP: i32 = 70;
/// Exit code: the library could not be loaded (`E` frame of kind `load-error`, `missing-symbol` or
/// `abi-mismatch`).
pub const EXIT_LOAD: i32 = 66;
/// Exit code: the result could not be written to fd 3 (the host is gone).
pub const EXIT_RESULT: i32 = 74;

/// What the grader's `run` closure gets besides the prepared request.
#[derive(Debug)]
pub struct WorkerContext {
    /// The student library, loaded and checked; its `schedgrade_table` is [`LoadedLibrary::table_fn`].
    pub library: LoadedLibrary,
    /// What the sandbox enforced (already reported to the host).
    pub enforcement: Enforcement,
}

/// The worker's main function.
///
/// Reads the payload and decodes it with `prepare`, sets the CPU budget from [`CPU_BUDGET_ENV`], enters the
/// sandbox, writes the loading marker, loads the library, calls `run` (the student code runs inside it), writes
/// what `run` returns as the result, and exits with [`EXIT_OK`]. Every failure before the marker is reported as
/// an `E` frame and a distinct exit code; a library that does not load is an `E` frame after the marker (the
/// student's `abi-mismatch`). Never returns.
pub fn worker_entry<T>(
    prepare: impl FnOnce(Vec<u8>) -> Result<T, WorkerError>,
    run: impl FnOnce(T, WorkerContext) -> Vec<u8>,
) -> ! {
    let payload = match read_payload() {
        Ok(payload) => payload,
        Err(e) => fail("bad-payload", &format!("cannot read the request from stdin: {e}"), EXIT_PAYLOAD),
    };
    let prepared = match prepare(payload) {
        Ok(prepared) => prepared,
        Err(e) => fail(&e.kind, &e.message, EXIT_PAYLOAD),
    };
    let budget = std::env::var(CPU_BUDGET_ENV).ok().and_then(|v| v.parse().ok());
    let Some(budget) = budget else {
        fail("bad-payload", &format!("`{CPU_BUDGET_ENV}` is not set to a number of milliseconds"), EXIT_USAGE)
    };
    let preload_cpu_us = match set_cpu_budget(budget) {
        Ok(us) => us,
        Err(e) => fail("sandbox-setup", &SetupError::CpuBudget(e).to_string(), EXIT_SETUP),
    };
    let enforcement = match enter_sandbox() {
        Ok(enforcement) => enforcement,
        Err(e) => fail("sandbox-setup", &e.to_string(), EXIT_SETUP),
    };
    if let Err(e) = check_library_reachable() {
        fail("library-unreachable", &e.to_string(), EXIT_SETUP);
    }
    if write_loading_marker(preload_cpu_us).is_err() {
        finish(EXIT_RESULT);
    }
    let library = match load_library() {
        Ok(library) => library,
        Err(e) => fail(e.kind(), &e.to_string(), EXIT_LOAD),
    };
    let result = run(prepared, WorkerContext { library, enforcement });
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
