//! Running untrusted student code in a sandboxed worker process.
//!
//! Every test case runs in a fresh worker: the `schedgrade` binary re-executed with a hidden subcommand, which
//! loads the student's `cdylib` and runs one simulation. Whatever the student code does (loop, crash, abort,
//! exhaust memory, fork, open files, connect sockets, exit early, print garbage) becomes a [`RawOutcome`] for
//! that test, never a harness crash, and never touches another test.
//!
//! # Table of contents
//!
//! | item | side | what it does |
//! |---|---|---|
//! | [`Limits`] | host | CPU, wall, memory, output, result, file-size and open-file limits of one run, with defaults |
//! | [`WorkerCommand`] | host | the program, arguments, environment, stdin payload and limits of one run |
//! | [`run_worker`] | host | spawns the worker in a fresh sandbox, enforces the limits, collects a [`WorkerExit`] |
//! | [`WorkerExit`] / [`ExitStatus`] | host | what happened: exit status, timeouts, output, result bytes, violation |
//! | [`WorkerExit::outcome`] / [`RawOutcome`] | host | the one classification the grader turns into a verdict |
//! | [`probe_layers`] / [`LayerStatus`] | host | which sandbox layers work on this machine (for `schedgrade doctor`) |
//! | [`startup_warnings`] | host | the warnings to print when grading starts with a layer missing |
//! | [`check_worker_access`] | host | checks that the worker binary and a library are reachable by an unprivileged uid |
//! | [`WORKER_UID_BASE`] / [`is_worker_uid`] | host | the uid range of workers when grading as root |
//! | [`worker_side`] | worker | the steps the worker takes, in order: read payload, enter sandbox, load, narrow, report |
//! | [`SandboxError`] | host | harness failures only (cannot spawn, cannot create a pipe), never student behaviour |
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
//! 3. creates the result pipe (its write end becomes fd 3 in the child) and the stdin/stdout/stderr pipes;
//! 4. spawns the worker with an empty environment (plus [`WorkerCommand::env`]) and working directory `/`, and
//!    registers its process group with [`crate::shutdown`] until it is reaped (a stopping grader kills it).
//!
//! In the child, between `fork` and `exec` (async-signal-safe code only):
//!
//! 1. a new process group (`setpgid(0, 0)`), so the host can kill the worker and everything it forked;
//! 2. the result pipe moved to fd 3, and every descriptor above 3 marked close-on-exec (the grader may have
//!    inherited some without the flag, such as a jobserver's pipes);
//! 3. the shared network namespace (`setns`, best effort), then `unshare` of the planned namespaces (IPC, PID,
//!    mount; and user and network when not root), which must succeed: the next steps must not touch the
//!    grader's own namespaces;
//! 4. not root: the user namespace's maps, so that the worker is the unprivileged uid [`WORKER_UID_BASE`] inside
//!    (the grader's uid outside);
//! 5. the private root: a read-only tmpfs holding only the system library directories, `/etc/ld.so.cache`, the
//!    worker program (at `/schedgrade-worker`) and the files in [`WorkerCommand::expose`], made `/` with
//!    `pivot_root` (no test case, golden trace, home directory or `/proc` exists);
//! 6. with a PID namespace, the namespace's init: the first child, pid 1, which detaches the old root, drops to
//!    the worker's uid and idles; it dies with this process and takes everything in the namespace with it
//!    (`isolation.rs`);
//! 7. rlimits: `RLIMIT_CPU` (soft = ⌈cpu_ms/1000⌉ s, hard = soft + 1 s, so `SIGXCPU` marks a CPU timeout),
//!    `RLIMIT_AS`, `RLIMIT_FSIZE`, `RLIMIT_NOFILE`, `RLIMIT_CORE` = 0;
//! 8. when running as root: `setgroups([])`, `setgid(uid)`, `setuid(uid)` with the leased uid;
//! 9. `prctl(PR_SET_PDEATHSIG, SIGKILL)` (after `setuid`, which clears it), then a check that the parent is
//!    still the one that forked (otherwise the child exits at once);
//! 10. with a PID namespace, the worker is the second child, pid 2 (it cannot be pid 1: an init ignores
//!     `SIGXCPU` and `SIGABRT`); this process stays behind as its *keeper*, which waits for it and ends exactly as
//!     it did (exit code or signal, and a `rusage` that includes the worker's), so the host sees no difference;
//! 11. last, in the worker, an empty signal mask (the grader blocks its stop signals, and a mask survives `exec`).
//!
//! In the worker, after `exec` ([`worker_side`], driven by [`crate::worker::worker_entry`]):
//!
//! 1. read the whole stdin payload;
//! 2. [`worker_side::enter_before_load`]: a `SIGSYS` handler that reports violations on fd 3, Landlock
//!    (read-only access to the system library directories, `/etc/ld.so.cache` and the one library; nothing
//!    writable; no TCP bind or connect; no signals or abstract sockets outside the sandbox), then a seccomp
//!    deny-list (process creation, exec, sockets, ptrace, namespaces, io_uring, signals to other processes, ...);
//! 3. [`worker_side::load_library`]: `dlopen` the library (never unloaded) and check its ABI version;
//! 4. [`worker_side::narrow_after_load`]: a seccomp allow-list of the few syscalls a running scheduler needs;
//! 5. run the student code, then [`worker_side::write_result`] and `_exit` (no student destructor runs).
//!
//! Back in the host, a single `poll(2)` loop feeds stdin, drains stdout, stderr (each capped at
//! [`Limits::output_kib`], the rest read and discarded) and the result channel (capped at [`Limits::result_mib`]),
//! and watches a pidfd and the wall clock. On the wall limit or an exceeded cap it kills the whole process group;
//! when the worker exits it kills the group too (leftover grandchildren, and the init of its PID namespace, so
//! the whole namespace), drains the pipes and reaps it with `wait4` (exit status, CPU time, peak memory: the
//! keeper's, which mirror the worker's). Kernels before 5.3 (no pidfd) fall back to noticing the exit by
//! the pipes closing.
//!
//! # What the grader must ensure
//!
//! - When grading as root, the worker runs as a uid of the worker range that owns no file: the worker binary and
//!   the student library must be readable by others (`o+r` on the library, `o+rx` on the binary), and, where
//!   the mount namespace layer is missing, every directory above them searchable (`o+x`; `/root` is `0700`).
//!   [`check_worker_access`] checks all of it. No other process may use the range
//!   [`WORKER_UID_BASE`]`..+`[`WORKER_UID_COUNT`].
//! - Paths passed in [`WorkerCommand::args`] must be absolute (the worker runs in `/`), and every file the worker
//!   opens by path must be in [`WorkerCommand::expose`]: nothing else of the host exists in its root.
//! - The host process must ignore `SIGPIPE` (every Rust binary does by default): a worker that dies before
//!   reading its stdin makes the payload write fail with `EPIPE`, which is handled.
//! - [`run_worker`] must be called on a thread that outlives the call (it does, it blocks): the parent-death
//!   signal fires when the *thread* that forked the worker exits.
//! - The worker must stay single-threaded until student code runs: Landlock restricts only the calling thread
//!   (ABI 7 has no whole-process flag), and the seccomp filters forbid creating threads later.
//! - Nothing secret (expected traces, other students' results) may be in the stdin payload: student code shares
//!   the worker's address space and can read anything the worker holds. For the same reason the result bytes
//!   are untrusted: student code can write its own frames on fd 3 (a forged result must still be checked like
//!   any other; a second frame shows as `bad-result`).
//! - `RUST_BACKTRACE=1` in [`WorkerCommand::env`] gives students backtraces; printing one opens the library to
//!   read its symbols, which the allow-list permits only when Landlock is enforced (otherwise: a violation).
//!
//! # The result channel
//!
//! Fd 3 carries frames `b"SG" tag:u8 len:u32-le payload` (see `protocol`). A well-behaved worker writes one
//! optional `S` frame (what the sandbox enforced), then exactly one `R` frame (the result) or `E` frame (a
//! worker-side error with a kind, such as `abi-mismatch`), then exits. The `SIGSYS` handler appends a `V` frame
//! naming the denied syscall. Anything else is reported as a protocol problem (`bad-result`).

mod error;
mod host;
mod isolation;
mod outcome;
mod probe;
mod protocol;
mod syscalls;
pub mod worker_side;
mod worker_uid;

use std::ffi::OsString;
use std::path::PathBuf;

pub use error::{LoadError, SandboxError, SetupError};
pub use host::{AppliedLayers, ExitStatus, WorkerExit, run_worker, signal_name};
pub use outcome::RawOutcome;
pub use probe::{Layer, LayerState, LayerStatus, check_worker_access, probe_layers, startup_warnings};
pub use protocol::WorkerError;
pub use worker_uid::{LOCK_DIR, WORKER_UID_BASE, WORKER_UID_COUNT, fallback_lock_dir, is_worker_uid};

/// The exit code of a worker killed by the sandbox's `SIGSYS` handler after it reported a violation.
pub const VIOLATION_EXIT_CODE: i32 = 159;

/// `nobody` / `nogroup` on Debian. Workers no longer run as `nobody` (see [`WORKER_UID_BASE`]); kept as the
/// owner that permission checks are phrased for.
pub const NOBODY: u32 = 65534;

/// Resource limits of one worker run.
///
/// Defaults (see [`Limits::default`]): CPU 2000 ms, wall 5000 ms, memory 512 MiB, output 64 KiB per stream,
/// result 64 MiB, files 0 KiB, 32 open files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// CPU time. Enforced by `RLIMIT_CPU`, so rounded up to whole seconds: the soft limit (`SIGXCPU`) is
    /// ⌈cpu_ms/1000⌉ s, the hard limit (`SIGKILL`) one second later.
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
            result_mib: 64,
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

    /// The `RLIMIT_CPU` hard limit in seconds: the soft limit + 1.
    pub fn cpu_hard_secs(&self) -> u64 {
        self.cpu_soft_secs() + 1
    }
}

/// One worker run: what to execute, what to send it, and its limits.
#[derive(Clone, Debug)]
pub struct WorkerCommand {
    /// The worker program, normally the `schedgrade` binary itself (`std::env::current_exe()`). Made absolute
    /// if relative.
    pub program: PathBuf,
    /// Its arguments (for `schedgrade`: the hidden subcommand and the absolute library path).
    pub args: Vec<OsString>,
    /// The only environment variables the worker gets; the grader's own environment is never passed on.
    pub env: Vec<(OsString, OsString)>,
    /// Files the worker opens by path (the student library). The worker's private root holds nothing of the
    /// host but the system libraries, these files and [`WorkerCommand::program`], each bound read-only at its own
    /// path; a file that does not exist is left out. (Once the worker gets its program and library as descriptors,
    /// this is empty.)
    pub expose: Vec<PathBuf>,
    /// Written to the worker's stdin, which is then closed.
    pub stdin_payload: Vec<u8>,
    /// Resource limits.
    pub limits: Limits,
}

impl WorkerCommand {
    /// A command running `program` with `args`, no environment, an empty payload and default limits.
    pub fn new(program: impl Into<PathBuf>, args: impl IntoIterator<Item = impl Into<OsString>>) -> WorkerCommand {
        WorkerCommand {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            expose: Vec::new(),
            stdin_payload: Vec::new(),
            limits: Limits::default(),
        }
    }
}
