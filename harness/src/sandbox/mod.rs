//! Running untrusted student code in a sandboxed worker process.
//!
//! Every test case runs in a fresh worker: the `schedgrade-worker` program (crate `worker/`), which holds the
//! kernel and the contract but no reference code and no expected trace, loads the student's `cdylib` and runs one
//! simulation. Whatever the student code does (loop, crash, abort, exhaust memory, fork, open files, connect
//! sockets, exit early, print garbage, forge frames, touch other processes) becomes a [`RawOutcome`] for that
//! test, decided from what the host observed, never a harness crash, and never touches another test.
//!
//! # Table of contents
//!
//! | item | side | what it does |
//! |---|---|---|
//! | [`Limits`] | host | CPU, wall, memory, output, result, file-size and open-file limits of one run, with defaults |
//! | [`WorkerProgram`] | host | the worker executable, embedded in `schedgrade` and run from a sealed memory file |
//! | [`WorkerCommand`] | host | the program, library, arguments, environment, stdin payload and limits of one run |
//! | [`run_worker`] | host | spawns the worker in a fresh sandbox, enforces the limits, collects a [`WorkerExit`] |
//! | [`WorkerExit`] / [`ExitStatus`] | host | what happened: exit status, timeouts, output, frames, memory evidence |
//! | [`WorkerExit::outcome`] / [`RawOutcome`] | host | the one classification the grader turns into a verdict |
//! | [`probe_layers`] / [`LayerStatus`] | host | which sandbox layers work on this machine (for `schedgrade doctor`) |
//! | [`startup_warnings`] | host | the warnings to print when grading starts with a layer missing |
//! | [`SandboxError`] | host | harness failures only (cannot spawn, cannot open the library), never student behaviour |
//! | [`WORKER_UID_BASE`] / [`is_worker_uid`] | host | the uid range of workers when grading as root |
//! | `schedgrade_worker::sandbox` | worker | the steps the worker takes, in order (see below) |
//!
//! # The sandbox, step by step
//!
//! In the parent, [`run_worker`]:
//!
//! 1. decides once per process which namespaces the workers get: as root, one empty network namespace created
//!    then and joined by every worker (a fresh one costs about 1 ms per worker, plus a teardown that competes
//!    with the next tests) and a fresh IPC, PID and mount namespace per worker; otherwise fresh ones inside a
//!    user namespace; and resolves the fixed part of the private root (`isolation.rs`);
//! 2. as root, leases the worker a uid of its own ([`WORKER_UID_BASE`] + slot, `worker_uid.rs`), returned after
//!    the worker is reaped;
//! 3. opens the student library read-only (a library it cannot open is its own failure, [`SandboxError::Library`],
//!    never the student's), creates the result pipe, the memory-watch socket and the stdin/stdout/stderr pipes;
//! 4. forks, with `argv` and the environment (only [`WorkerCommand::env`], the CPU budget and the library's path)
//!    prepared in advance, and registers the process group with [`crate::shutdown`] until it is reaped (a stopping
//!    grader kills it).
//!
//! In the child, between `fork` and `exec` (async-signal-safe code only):
//!
//! 1. a new process group (`setpgid(0, 0)`), so the host can kill the worker and everything it forked;
//! 2. the shared network namespace (`setns`, best effort), then `unshare` of the planned namespaces (IPC, PID,
//!    mount; and user and network when not root), which must succeed: the next steps must not touch the
//!    grader's own namespaces;
//! 3. the result pipe on fd 3, the library on fd 4, the memory-watch socket on fd 5; every descriptor above 5
//!    marked close-on-exec (the grader may have inherited some without the flag, such as a jobserver's pipes);
//! 4. not root: the user namespace's maps, so that the worker is the unprivileged uid [`WORKER_UID_BASE`] inside
//!    (the grader's uid outside);
//! 5. the private root: a read-only tmpfs holding only the system library directories, `/etc/ld.so.cache`, the
//!    library at `/submission.so` and the files in [`WorkerCommand::expose`], made `/` with `pivot_root`; the old
//!    root is detached (no test case, golden trace, home directory or `/proc` exists);
//! 6. rlimits: `RLIMIT_CPU` (the budget plus ten seconds for the grader's preparation; the worker lowers it before
//!    loading), `RLIMIT_AS`, `RLIMIT_FSIZE`, `RLIMIT_NOFILE`, `RLIMIT_CORE` = 0;
//! 7. when running as root: `setgroups([])`, `setgid(uid)`, `setuid(uid)` with the leased uid;
//! 8. `prctl(PR_SET_PDEATHSIG, SIGKILL)` (after `setuid`, which clears it), then a check that the parent is
//!    still the one that forked (otherwise the child exits at once);
//! 9. with a PID namespace, the child splits in three (`isolation.rs`): it stays behind as the *keeper*, which
//!    waits for the worker and ends exactly as the worker did (exit code or signal, and its `rusage` includes
//!    the worker's), so the host sees no difference; its first child is the namespace's idle init, which dies
//!    with the keeper and takes everything in the namespace with it; its second child, pid 2, is the worker,
//!    which goes on (the worker cannot be pid 1: an init ignores `SIGXCPU` and `SIGABRT`);
//! 10. an empty signal mask (the grader blocks its stop signals, and a mask survives `exec`), then
//!     `execveat(fd, "", AT_EMPTY_PATH)` of the [`WorkerProgram`]: no path to the worker exists to swap or go stale.
//!
//! In the worker, after `exec` (`schedgrade_worker::worker_entry`), no student code is in the process until step 5:
//!
//! 1. read the whole stdin payload and decode the request, parsing the case (the grader's work: a failure here is
//!    an `E` frame the host believes);
//! 2. lower `RLIMIT_CPU` to the CPU time used so far (in whole seconds) plus the test's budget;
//! 3. enter the sandbox: a `SIGSYS` handler that reports violations on fd 3; Landlock (read-only access to the
//!    system library directories, `/etc/ld.so.cache` and the library on fd 4; nothing writable; no TCP; no signals
//!    or abstract sockets outside the sandbox); a seccomp filter that shows big `mmap`/`mremap` requests to the host
//!    (its listener is sent over fd 5, which is then closed); and the one seccomp allow-list, after which the worker
//!    reads `/proc/self/status` to confirm the kernel installed every filter;
//! 4. write the loading marker (`L` frame): from here on the host believes no claim of a grader fault;
//! 5. `dlopen("/proc/self/fd/4")` (constructors run here, under the allow-list) and check the ABI version;
//! 6. run the simulation with the student's policy, then write the result and `_exit` (no student destructor).
//!
//! Back in the host, a single `poll(2)` loop feeds stdin, drains stdout, stderr (each capped at
//! [`Limits::output_kib`], the rest read and discarded) and the result channel (capped at [`Limits::result_mib`]),
//! answers memory-watch notifications (reading the worker's size from `/proc` to see whether a request crosses the
//! limit), and watches a pidfd and the wall clock, which starts at the loading marker. On the wall limit or an
//! exceeded cap it kills the whole process group; when the worker exits it kills the group too (leftover
//! grandchildren, and the init of its PID namespace, so the whole namespace), drains the pipes and reaps it with
//! `wait4` (exit status, CPU time, peak memory: the keeper's, which mirror the worker's). Kernels before 5.3 (no
//! pidfd) fall back to noticing the exit by the pipes closing.
//!
//! # Evidence
//!
//! Student code shares the worker's address space, its stdout, stderr and fd 3, so [`WorkerExit::outcome`] decides
//! from what the host saw: an `E` frame counts as the grader's fault only before the loading marker; a `SIGXCPU` is a
//! CPU timeout only when `wait4`'s CPU time reached the limit; a death is a memory limit only when the host saw a
//! request cross it; nothing on stderr decides anything.
//!
//! # What the grader must ensure
//!
//! - No other process may use the worker uid range [`WORKER_UID_BASE`]`..+`[`WORKER_UID_COUNT`].
//! - Every file the worker opens by path, besides the library and the system libraries, must be in
//!   [`WorkerCommand::expose`]: nothing else of the host exists in its root.
//! - The host process must ignore `SIGPIPE` (every Rust binary does by default): a worker that dies before
//!   reading its stdin makes the payload write fail with `EPIPE`, which is handled.
//! - [`run_worker`] must be called on a thread that outlives the call (it does, it blocks): the parent-death
//!   signal fires when the *thread* that forked the worker exits.
//! - The worker must stay single-threaded: Landlock restricts only the calling thread (ABI 7 has no whole-process
//!   flag), and the allow-list forbids creating threads.
//! - Nothing secret (expected traces, other students' results) may be in the stdin payload: student code shares
//!   the worker's address space and can read anything the worker holds.
//! - `RUST_BACKTRACE=1` in [`WorkerCommand::env`] gives students backtraces; printing one opens the library to
//!   read its symbols, which the allow-list permits only when Landlock is enforced (otherwise: a violation).
//!
//! # The result channel
//!
//! Fd 3 carries frames `b"SG" tag:u8 len:u32-le payload` (see `schedgrade_kernel::wire`): an optional `S` frame
//! (what the sandbox enforced), the `L` loading marker, then exactly one `R` frame (the result) or `E` frame (an
//! error with a kind, such as `abi-mismatch`), then exit. The `SIGSYS` handler appends a `V` frame naming the
//! denied syscall. Anything else is reported as a protocol problem (`bad-result`).

mod error;
mod host;
mod isolation;
mod memwatch;
mod outcome;
mod probe;
mod program;
mod worker_uid;

use std::ffi::OsString;
use std::path::PathBuf;

pub use error::SandboxError;
pub use host::{AppliedLayers, ExitStatus, WorkerExit, run_worker, signal_name};
pub use outcome::RawOutcome;
pub use probe::{Layer, LayerState, LayerStatus, probe_layers, startup_warnings};
pub use program::WorkerProgram;
pub use schedgrade_kernel::wire::{VIOLATION_EXIT_CODE, WorkerError};
pub use worker_uid::{LOCK_DIR, WORKER_UID_BASE, WORKER_UID_COUNT, fallback_lock_dir, is_worker_uid};

/// Resource limits of one worker run.
///
/// Defaults (see [`Limits::default`]): CPU 2000 ms, wall 5000 ms, memory 512 MiB, output 64 KiB per stream,
/// result 4 MiB, files 0 KiB, 32 open files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// CPU time of student code. Enforced by `RLIMIT_CPU`, so rounded up to whole seconds: the worker sets the soft
    /// limit (`SIGXCPU`) to ⌈cpu_ms/1000⌉ s plus the whole seconds it used before loading, the hard limit (`SIGKILL`)
    /// one second later (see `schedgrade_kernel::wire::cpu_soft_limit_secs`).
    pub cpu_ms: u64,
    /// Wall-clock time from spawn to exit; on expiry the whole process group is killed. Also catches sleeping.
    pub wall_ms: u64,
    /// Address space (`RLIMIT_AS`), in MiB. Includes the worker binary and its libraries (about 20 MiB).
    pub memory_mib: u64,
    /// Bytes kept of stdout and of stderr, each, in KiB. A worker printing more is killed (`output-limit`).
    pub output_kib: u64,
    /// Bytes accepted on the result channel, in MiB. More is a protocol problem (`bad-result`).
    pub result_mib: u64,
    /// Largest file the worker may write (`RLIMIT_FSIZE`), in KiB. Landlock forbids writing files anyway.
    pub file_size_kib: u64,
    /// Highest file descriptor number + 1 (`RLIMIT_NOFILE`).
    pub open_files: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            cpu_ms: 2000,
            wall_ms: 5000,
            memory_mib: 512,
            output_kib: 64,
            result_mib: 4,
            file_size_kib: 0,
            open_files: 32,
        }
    }
}

impl Limits {
    /// The `RLIMIT_CPU` soft limit in seconds: ⌈cpu_ms/1000⌉, at least 1.
    pub fn cpu_soft_secs(&self) -> u64 {
        self.cpu_ms.div_ceil(1000).max(1)
    }
}

/// One worker run: what to execute, what to send it, and its limits.
#[derive(Clone, Debug)]
pub struct WorkerCommand {
    /// The worker program, normally [`WorkerProgram::embedded`].
    pub program: &'static WorkerProgram,
    /// The student library, opened by the host and passed to the worker as fd 4 (and, in a private root, bound at
    /// `/submission.so`: the worker never sees its path).
    /// A library that cannot be opened is the grader's failure ([`SandboxError::Library`]).
    pub library: Option<PathBuf>,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The only environment variables the worker gets, besides its CPU budget; the grader's own environment is
    /// never passed on.
    pub env: Vec<(OsString, OsString)>,
    /// Other files the worker may open by path (tests use it; grading needs none). The worker's private root holds
    /// nothing of the host but the system libraries, the library and these files, each bound read-only at its own
    /// path; a file that does not exist is left out.
    pub expose: Vec<PathBuf>,
    /// Written to the worker's stdin, which is then closed.
    pub stdin_payload: Vec<u8>,
    /// Resource limits.
    pub limits: Limits,
}

impl WorkerCommand {
    /// A command running `program` on `library`, with no arguments, no environment, an empty payload and default
    /// limits.
    pub fn new(program: &'static WorkerProgram, library: Option<PathBuf>) -> WorkerCommand {
        WorkerCommand {
            program,
            library,
            args: Vec::new(),
            env: Vec::new(),
            expose: Vec::new(),
            stdin_payload: Vec::new(),
            limits: Limits::default(),
        }
    }
}
