//! The host side: spawn a worker in a fresh sandbox, feed it, watch it, and collect what it left.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use schedgrade_kernel::wire::{
    CPU_BUDGET_ENV, LIBRARY_FD, LIBRARY_IN_ROOT, LIBRARY_PATH_ENV, NOTIFY_FD, RESULT_FD, WorkerError,
    cpu_soft_limit_secs, decode, loading_marker_end,
};

use super::WorkerCommand;
use super::error::SandboxError;
use super::isolation::{self, RootPlan, UserMap, WorkerRoot};
use super::memwatch::MemWatch;
use super::probe::{NamespacePlan, namespace_plan};
use super::worker_uid::lease;

/// Extra wall-clock time before the loading marker: reading and parsing the request is the grader's work. The
/// student's wall-clock limit starts at the marker.
const PREPARE_WALL: Duration = Duration::from_secs(10);
/// Extra CPU seconds in the limit the host sets; the worker lowers it to its own use so far plus the test's
/// budget before any student code runs.
const PREPARE_CPU_SECS: u64 = 10;

/// How long the host keeps draining pipes after the worker exited or was killed.
const DRAIN_GRACE: Duration = Duration::from_millis(1000);
/// Bytes read from a pipe per `read(2)`.
const READ_CHUNK: usize = 64 * 1024;

/// How the worker process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Exited(i32),
    /// It was killed by this signal.
    Signaled {
        /// The signal number.
        signal: i32,
        /// Its name, such as `SIGSEGV`.
        name: &'static str,
    },
}

/// The host-side sandbox layers that were applied to one run (Landlock and seccomp are reported by the worker
/// itself, see [`WorkerExit::sandbox_report`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppliedLayers {
    /// A new user namespace (only when not root).
    pub user_namespace: bool,
    /// A new network namespace: no interface but a down loopback.
    pub net_namespace: bool,
    /// A new IPC namespace: no System V IPC or POSIX message queues shared with the host.
    pub ipc_namespace: bool,
    /// The worker runs as an unprivileged uid (only when the grader runs as root).
    pub privilege_drop: bool,
    /// A new PID namespace: the worker is its pid 2 and sees no other process.
    pub pid_namespace: bool,
    /// A new mount namespace whose root holds only the system libraries and the worker's own files.
    pub mount_namespace: bool,
    /// The uid (and gid) the worker ran as, leased to it alone (only when the grader runs as root).
    pub worker_uid: Option<u32>,
}

/// Everything the host observed of one worker run. Classify it with [`WorkerExit::outcome`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerExit {
    /// How the process ended.
    pub status: ExitStatus,
    /// The wall-clock limit expired and the host killed the process group.
    pub wall_timed_out: bool,
    /// The CPU limit was hit: `SIGXCPU` (soft limit), or `SIGKILL` with the CPU time at the hard limit.
    pub cpu_timed_out: bool,
    /// stdout or stderr exceeded [`super::Limits::output_kib`]; the host killed the process group.
    pub output_exceeded: bool,
    /// The result channel exceeded [`super::Limits::result_mib`]; the host killed the process group.
    pub result_exceeded: bool,
    /// The payload of the single `R` frame on the result channel, raw and untrusted.
    pub result: Option<Vec<u8>>,
    /// An `E` frame: the worker reported an error instead of a result (such as `abi-mismatch`).
    pub error: Option<WorkerError>,
    /// The `L` frame: the CPU time (µs) the worker used before student code could run. `None`: the worker ended
    /// before it could load any student code, so whatever happened is the grader's.
    pub loading: Option<u64>,
    /// The `E` frame came after the `L` frame, so student code may have forged it.
    pub error_after_loading: bool,
    /// The host saw a request for memory that would take the worker past [`super::Limits::memory_mib`].
    pub memory_limit_reached: bool,
    /// The syscall the seccomp filter denied, from the `SIGSYS` handler's `V` frame.
    pub violation: Option<String>,
    /// The worker's `S` frame: what Landlock and seccomp enforced, such as `landlock=7:full seccomp=on`.
    pub sandbox_report: Option<String>,
    /// How the result channel broke the protocol (garbage, truncated frame, extra frame, over the size limit).
    pub protocol_problem: Option<String>,
    /// The first [`super::Limits::output_kib`] KiB of stdout.
    pub stdout: Vec<u8>,
    /// The first [`super::Limits::output_kib`] KiB of stderr.
    pub stderr: Vec<u8>,
    /// Wall-clock time from spawn to reaping.
    pub elapsed: Duration,
    /// User + system CPU time of the worker (from `wait4`).
    pub cpu_time: Duration,
    /// Peak resident set size in KiB (from `wait4`).
    pub max_rss_kib: u64,
    /// The host-side layers applied.
    pub applied: AppliedLayers,
}

/// The conventional name of signal `signal`, such as `SIGSEGV`; `SIGRT` for real-time signals, `SIG?` otherwise.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSTKFLT => "SIGSTKFLT",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGPWR => "SIGPWR",
        libc::SIGSYS => "SIGSYS",
        s if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&s) => "SIGRT",
        _ => "SIG?",
    }
}

/// Runs one worker to completion under `cmd.limits` and reports what happened.
///
/// Student misbehaviour never makes this fail: it shows in the returned [`WorkerExit`]. Errors are harness
/// failures only (a pipe or the process cannot be created, waiting fails). Blocks the calling thread, which must
/// stay alive until the call returns (the worker's parent-death signal is tied to it).
pub fn run_worker(cmd: &WorkerCommand) -> Result<WorkerExit, SandboxError> {
    let limits = cmd.limits;
    let plan = namespace_plan();
    let start = Instant::now();

    let (result_read, result_write) = pipe().map_err(|source| SandboxError::Pipe { what: "result", source })?;
    let library = match &cmd.library {
        Some(path) => {
            Some(std::fs::File::open(path).map_err(|source| SandboxError::Library { path: path.clone(), source })?)
        }
        None => None,
    };
    let (watch_host, watch_child) =
        socketpair().map_err(|source| SandboxError::Pipe { what: "memory-watch", source })?;
    super::memwatch::pass_credentials(&watch_host)
        .map_err(|source| SandboxError::Pipe { what: "memory-watch", source })?;
    // Isolation (see `isolation.rs`): a uid of its own (returned when this function returns, after reaping), and
    // a private root holding the library at a fixed path and the files it is given by path.
    let uid =
        if plan.drop_privileges { Some(lease().map_err(|message| SandboxError::WorkerUid { message })?) } else { None };
    let exposed: Vec<&std::path::Path> = cmd.expose.iter().map(|p| p.as_path()).collect();
    let worker_root = plan.mount.then(|| plan.root.for_worker(cmd.library.as_deref(), &exposed));
    // Where the worker finds the library: in its private root, or else through its descriptor.
    let library_path =
        if worker_root.is_some() { LIBRARY_IN_ROOT.to_owned() } else { format!("/proc/self/fd/{LIBRARY_FD}") };

    // The program is executed by descriptor (`PreExec::exec`); std only forks, sets up stdio and the process group.
    let mut command = Command::new("/");
    command.current_dir("/").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let exec = Exec::new(cmd, &library_path)?;
    let library_fd = library.as_ref().map_or(-1, |f| f.as_raw_fd());
    let fds = ChildFds { result: result_write.as_raw_fd(), library: library_fd, notify: watch_child.as_raw_fd() };
    let pre_exec = PreExec::new(&limits, plan, fds, exec, uid.as_ref().map(|u| u.uid()), worker_root);
    // SAFETY: `PreExec::run` only makes async-signal-safe raw syscalls on data prepared before the fork.
    unsafe { command.pre_exec(move || pre_exec.run()) };

    // Registered for its whole life: a stopping grader kills it (see `crate::shutdown`).
    let gate = crate::shutdown::spawn_gate();
    let mut child =
        command.spawn().map_err(|source| SandboxError::Spawn { program: cmd.program.name().into(), source })?;
    drop(result_write);
    drop(library);
    drop(watch_child);
    let pid = child.id() as libc::pid_t;
    let registration = gate.register(pid);
    let mut group = Group { pgid: pid, killed: false };

    let stdin = child.stdin.take().map(OwnedFd::from);
    let stdout = child.stdout.take().map(OwnedFd::from);
    let stderr = child.stderr.take().map(OwnedFd::from);
    let output_cap = usize::try_from(limits.output_kib.saturating_mul(1024)).unwrap_or(usize::MAX);
    let result_cap = usize::try_from(limits.result_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
    let mut io = Io {
        stdin: stdin.map(|fd| (fd, 0usize)),
        payload: &cmd.stdin_payload,
        sinks: [Sink::new(stdout, output_cap), Sink::new(stderr, output_cap), Sink::new(Some(result_read), result_cap)],
        pidfd: pidfd_open(pid),
        memwatch: MemWatch::new(watch_host, limits.memory_mib.saturating_mul(1024 * 1024)),
    };
    for fd in io.fds() {
        set_nonblocking(fd);
    }

    let watch = io.watch(&mut group, start + PREPARE_WALL, Duration::from_millis(limits.wall_ms), pid);
    group.kill();
    drop(registration);
    let (raw_status, rusage) = wait4(pid).map_err(|source| SandboxError::Wait { pid, source })?;
    let elapsed = start.elapsed();

    let status = if libc::WIFSIGNALED(raw_status) {
        let signal = libc::WTERMSIG(raw_status);
        ExitStatus::Signaled { signal, name: signal_name(signal) }
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(raw_status))
    };
    let cpu_time = timeval(rusage.ru_utime) + timeval(rusage.ru_stime);
    let [stdout, stderr, result] = io.sinks;
    let decoded = decode(&result.kept, result.exceeded());
    // The soft limit the worker set before loading (see `set_cpu_budget`): its use so far plus the budget. Only the
    // kernel's rusage says whether it was reached: a `SIGXCPU` or `SIGKILL` the student raised itself is a crash.
    // (rusage under-counts the CPU time the kernel limits by, by 5-15% on a loaded VM, hence the wide margin: a raised
    // signal at two thirds of the limit is still called a timeout, which costs an attacker the CPU time anyway.)
    let soft_secs = cpu_soft_limit_secs(limits.cpu_ms, decoded.loading.unwrap_or(0));
    let past_soft_limit = cpu_time.mul_f64(1.5) >= Duration::from_secs(soft_secs);
    let cpu_timed_out = match status {
        ExitStatus::Signaled { signal: libc::SIGXCPU, .. } => past_soft_limit,
        ExitStatus::Signaled { signal: libc::SIGKILL, .. } => !watch.killed_running && past_soft_limit,
        ExitStatus::Exited(_) | ExitStatus::Signaled { .. } => false,
    };
    Ok(WorkerExit {
        status,
        wall_timed_out: watch.wall_timed_out,
        cpu_timed_out,
        output_exceeded: stdout.exceeded() || stderr.exceeded(),
        result_exceeded: result.exceeded(),
        result: decoded.result,
        error: decoded.error,
        loading: decoded.loading,
        error_after_loading: decoded.error_after_loading,
        memory_limit_reached: io.memwatch.limit_reached,
        violation: decoded.violation,
        sandbox_report: decoded.report,
        protocol_problem: decoded.problem,
        stdout: stdout.kept,
        stderr: stderr.kept,
        elapsed,
        cpu_time,
        max_rss_kib: u64::try_from(rusage.ru_maxrss).unwrap_or(0),
        applied: AppliedLayers {
            user_namespace: plan.user,
            net_namespace: plan.net,
            ipc_namespace: plan.ipc,
            privilege_drop: plan.drop_privileges,
            pid_namespace: plan.pid,
            mount_namespace: plan.mount,
            worker_uid: uid.as_ref().map(|u| u.uid()),
        },
    })
}

/// Everything the child does between `fork` and `exec`, prepared in the parent so that the child only makes raw
/// syscalls (the parent may be multi-threaded: no allocation, no locks).
struct PreExec {
    fds: ChildFds,
    exec: Exec,
    parent: libc::pid_t,
    unshare_flags: libc::c_int,
    shared_net: RawFd,
    /// Above the highest descriptor the grader may have open (for kernels without `close_range`).
    fd_ceiling: RawFd,
    /// The uid and gid to drop to (the grader runs as root).
    worker_uid: Option<u32>,
    rlimits: [(RlimitResource, libc::rlimit); 5],
    // Isolation, see `isolation.rs`.
    user_map: Option<&'static UserMap>,
    root: Option<(&'static RootPlan, WorkerRoot)>,
    pid_namespace: bool,
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type RlimitResource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type RlimitResource = libc::c_int;

impl PreExec {
    fn new(
        limits: &super::Limits,
        plan: &'static NamespacePlan,
        fds: ChildFds,
        exec: Exec,
        worker_uid: Option<u32>,
        worker_root: Option<WorkerRoot>,
    ) -> PreExec {
        let both = |n: u64| libc::rlimit { rlim_cur: n, rlim_max: n };
        let cpu_soft = limits.cpu_soft_secs() + PREPARE_CPU_SECS;
        PreExec {
            fds,
            exec,
            // SAFETY: getpid has no preconditions.
            parent: unsafe { libc::getpid() },
            unshare_flags: plan.flags,
            shared_net: plan.shared_net.as_ref().map_or(-1, |fd| fd.as_raw_fd()),
            fd_ceiling: open_file_ceiling(),
            worker_uid,
            rlimits: [
                (libc::RLIMIT_CPU, libc::rlimit { rlim_cur: cpu_soft, rlim_max: cpu_soft + 1 }),
                (libc::RLIMIT_AS, both(limits.memory_mib.saturating_mul(1024 * 1024))),
                (libc::RLIMIT_FSIZE, both(limits.file_size_kib.saturating_mul(1024))),
                (libc::RLIMIT_NOFILE, both(limits.open_files.max(4))),
                (libc::RLIMIT_CORE, both(0)),
            ],
            user_map: plan.user_map.as_ref(),
            root: worker_root.map(|worker| (&plan.root, worker)),
            pid_namespace: plan.pid,
        }
    }

    /// Runs in the child. Async-signal-safe: raw syscalls only.
    fn run(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on plain data; every pointer is valid for the call.
        unsafe {
            // Namespaces first, while the shared namespace's descriptor still has its number. The shared network
            // namespace is best effort (the host probed it once; a failure here only loses a layer).
            if self.shared_net >= 0 {
                libc::setns(self.shared_net, libc::CLONE_NEWNET);
            }
            // ---- isolation (see `isolation.rs`) ----
            // Not best effort: the mount and PID steps below must not run in the grader's own namespaces.
            if self.unshare_flags != 0 {
                check(libc::unshare(self.unshare_flags))?;
            }
            // The process group was set by `Command::process_group(0)`, before this runs. First move the three
            // descriptors the worker needs out of the way (any of them may be 3, 4 or 5), then put them in place.
            let high = |fd: RawFd| if fd < 0 { Ok(-1) } else { check_fd(libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10)) };
            let result = high(self.fds.result)?;
            let library = high(self.fds.library)?;
            let notify = high(self.fds.notify)?;
            let program = high(self.exec.program_fd)?;
            check(libc::dup2(result, RESULT_FD))?;
            if library >= 0 {
                check(libc::dup2(library, LIBRARY_FD))?;
            }
            check(libc::dup2(notify, NOTIFY_FD))?;
            // Descriptors the grader inherited without close-on-exec (a make jobserver, a CI runner's pipes)
            // must not reach the worker: mark everything above fd 5 close-on-exec. (Not close: the standard
            // library reports exec failures through one of them.)
            if libc::syscall(libc::SYS_close_range, NOTIFY_FD + 1, libc::c_uint::MAX, libc::CLOSE_RANGE_CLOEXEC) != 0 {
                for fd in NOTIFY_FD + 1..self.fd_ceiling {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            if let Some(map) = self.user_map {
                map.write()?;
            }
            if let Some((plan, worker)) = &self.root {
                // With a PID namespace, its init detaches the old root, off the worker's path.
                plan.enter(worker, !self.pid_namespace)?;
            }
            // Before RLIMIT_NOFILE, which may leave no descriptor number free.
            let keeper_pidfd = if self.pid_namespace { isolation::own_pidfd() } else { -1 };
            // Before dropping privileges: the init needs them to detach the old root.
            let init = if self.pid_namespace {
                isolation::start_init(keeper_pidfd, self.root.is_some(), self.worker_uid)?
            } else {
                0
            };
            // ---- end isolation ----
            for (resource, limit) in &self.rlimits {
                check(libc::setrlimit(*resource, limit))?;
            }
            if let Some(uid) = self.worker_uid {
                check(libc::setgroups(0, std::ptr::null()))?;
                check(libc::setgid(uid))?;
                check(libc::setuid(uid))?;
            }
            // Last: setuid clears the parent-death signal.
            check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0))?;
            if libc::getppid() != self.parent {
                // The parent died between fork and prctl: nobody will reap or watch us.
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            // ---- isolation (see `isolation.rs`) ----
            if self.pid_namespace {
                // Returns only in the worker; this process stays behind as its keeper.
                isolation::fork_worker(init, keeper_pidfd)?;
            }
            // The grader blocks its stop signals, and the mask would survive exec.
            isolation::unblock_all_signals()?;
            // ---- end isolation ----
            self.exec.exec(program)
        }
    }
}

/// The host's descriptors that become the worker's fds 3 (result), 4 (library, or -1) and 5 (memory watch).
struct ChildFds {
    result: RawFd,
    library: RawFd,
    notify: RawFd,
}

/// `argv` and `envp` of the worker, built before the fork, and the program's descriptor: the child only calls
/// `execveat` on them.
struct Exec {
    program_fd: RawFd,
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

// SAFETY: the pointers point into `_strings`, which `Exec` owns and never changes; they are only read, in the child.
unsafe impl Send for Exec {}
// SAFETY: as above; nothing mutates an `Exec` after it is built.
unsafe impl Sync for Exec {}

impl Exec {
    fn new(cmd: &WorkerCommand, library_path: &str) -> Result<Exec, SandboxError> {
        let invalid = |what: &str| SandboxError::Spawn {
            program: cmd.program.name().into(),
            source: io::Error::new(io::ErrorKind::InvalidInput, format!("{what} contains a NUL byte")),
        };
        let cstring = |bytes: Vec<u8>, what: &str| CString::new(bytes).map_err(|_| invalid(what));
        let mut argv = vec![cstring(cmd.program.name().as_bytes().to_vec(), "the program name")?];
        for arg in &cmd.args {
            argv.push(cstring(arg.as_bytes().to_vec(), "an argument")?);
        }
        let budget = (CPU_BUDGET_ENV.into(), cmd.limits.cpu_ms.to_string().into());
        let library = (LIBRARY_PATH_ENV.into(), library_path.into());
        let mut envp = Vec::new();
        for (key, value) in cmd.env.iter().chain([&budget, &library]) {
            let mut entry = key.as_bytes().to_vec();
            entry.push(b'=');
            entry.extend_from_slice(value.as_bytes());
            envp.push(cstring(entry, "an environment variable")?);
        }
        let pointers =
            |strings: &[CString]| strings.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect::<Vec<_>>();
        let (argv_ptrs, envp_ptrs) = (pointers(&argv), pointers(&envp));
        argv.extend(envp);
        Ok(Exec { program_fd: cmd.program.fd().as_raw_fd(), _strings: argv, argv: argv_ptrs, envp: envp_ptrs })
    }

    /// Replaces the child with the program on `program_fd`. Returns only on failure. Async-signal-safe.
    fn exec(&self, program_fd: RawFd) -> io::Result<()> {
        // SAFETY: null-terminated arrays of pointers to NUL-terminated strings that outlive the call.
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                program_fd,
                c"".as_ptr(),
                self.argv.as_ptr(),
                self.envp.as_ptr(),
                libc::AT_EMPTY_PATH,
            );
        }
        Err(io::Error::last_os_error())
    }
}

fn check_fd(ret: libc::c_int) -> io::Result<RawFd> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

/// The soft `RLIMIT_NOFILE` of the grader, capped at 65536: no descriptor of ours is at or above it.
fn open_file_ceiling() -> RawFd {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: valid out-pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 65536;
    }
    limit.rlim_cur.min(65536) as RawFd
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// The worker's process group; killing it kills the worker and anything it forked.
struct Group {
    pgid: libc::pid_t,
    killed: bool,
}

impl Group {
    /// `SIGKILL`s the whole group. Only called before the leader is reaped, so the pgid cannot have been reused.
    fn kill(&mut self) {
        // SAFETY: kill has no memory preconditions; ESRCH (group already gone) is fine.
        unsafe { libc::kill(-self.pgid, libc::SIGKILL) };
        self.killed = true;
    }
}

/// Bytes read from one of the worker's pipes: the first `cap` kept, the rest counted and discarded.
struct Sink {
    fd: Option<OwnedFd>,
    kept: Vec<u8>,
    cap: usize,
    total: usize,
}

impl Sink {
    fn new(fd: Option<OwnedFd>, cap: usize) -> Sink {
        Sink { fd, kept: Vec::new(), cap, total: 0 }
    }

    fn exceeded(&self) -> bool {
        self.total > self.cap
    }

    /// One non-blocking read; closes the pipe at EOF or on an error.
    fn read_once(&mut self, buf: &mut [u8]) {
        let Some(fd) = &self.fd else { return };
        // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            let n = n as usize;
            let keep = n.min(self.cap.saturating_sub(self.kept.len()));
            self.kept.extend_from_slice(&buf[..keep]);
            self.total = self.total.saturating_add(n);
        } else if n == 0 || !matches!(io::Error::last_os_error().raw_os_error(), Some(libc::EAGAIN | libc::EINTR)) {
            self.fd = None;
        }
    }
}

/// The host ends of the worker's pipes, and its pidfd.
struct Io<'a> {
    /// The stdin pipe and how much of the payload was written.
    stdin: Option<(OwnedFd, usize)>,
    payload: &'a [u8],
    /// stdout, stderr, result channel.
    sinks: [Sink; 3],
    /// `None` on kernels before 5.3: the host then notices the exit by the pipes closing.
    pidfd: Option<OwnedFd>,
    /// The worker's big allocations.
    memwatch: MemWatch,
}

/// What the watch loop saw.
struct Watch {
    wall_timed_out: bool,
    /// The host sent `SIGKILL` while the worker was still running (wall timeout or output limit).
    killed_running: bool,
}

impl Io<'_> {
    fn fds(&self) -> Vec<RawFd> {
        let stdin = self.stdin.as_ref().map(|(fd, _)| fd.as_raw_fd());
        let sinks = self.sinks.iter().filter_map(|s| s.fd.as_ref().map(|fd| fd.as_raw_fd()));
        stdin.into_iter().chain(sinks).collect()
    }

    /// Writes as much of the payload as the pipe takes; closes stdin when done or when the worker stopped reading.
    fn write_stdin(&mut self) {
        let Some((fd, written)) = &mut self.stdin else {
            return;
        };
        while *written < self.payload.len() {
            let rest = &self.payload[*written..];
            // SAFETY: `rest` is valid for `rest.len()` bytes of reads.
            let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
            if n >= 0 {
                *written += n as usize;
                continue;
            }
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => return,
                _ => break, // EPIPE: the worker is gone or closed stdin; nothing more to send.
            }
        }
        self.stdin = None;
    }

    /// The poll loop: feeds stdin, drains the three pipes, watches the pidfd and the wall clock. Returns once the
    /// worker exited (or was killed) and its pipes are drained, or the drain grace period ran out.
    ///
    /// The wall-clock limit starts when the loading marker arrives (`wall` after it); before that the deadline is
    /// `prepare_deadline`.
    fn watch(&mut self, group: &mut Group, prepare_deadline: Instant, wall: Duration, pid: libc::pid_t) -> Watch {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut wall_timed_out = false;
        let mut killed_running = false;
        let mut exited = false;
        let mut deadline = prepare_deadline;
        let mut marker_seen = false;
        self.write_stdin();
        loop {
            let over_limit = self.sinks.iter().any(Sink::exceeded);
            if over_limit && !group.killed {
                killed_running |= !exited;
                group.kill();
                deadline = deadline.min(Instant::now() + DRAIN_GRACE);
            }
            let pipes_open = self.sinks.iter().any(|s| s.fd.is_some());
            if !pipes_open && (exited || group.killed || self.pidfd.is_none()) {
                if self.pidfd.is_none() && !exited && !group.killed {
                    // No pidfd: the pipes closed, the exit follows; poll waitpid until the deadline.
                    if wait_exit_without_pidfd(pid, deadline) {
                        (wall_timed_out, killed_running) = (true, true);
                    }
                }
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                if group.killed || exited {
                    break; // Drain grace over: something outside the group holds a pipe.
                }
                wall_timed_out = true;
                killed_running = true;
                group.kill();
                deadline = now + DRAIN_GRACE;
                continue;
            }

            let mut pollfds = Vec::with_capacity(5);
            if let Some((fd, _)) = &self.stdin {
                pollfds.push(libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLOUT, revents: 0 });
            }
            for sink in &self.sinks {
                if let Some(fd) = &sink.fd {
                    pollfds.push(libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 });
                }
            }
            if let Some(fd) = self.pidfd.as_ref().filter(|_| !exited) {
                pollfds.push(libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 });
            }
            for fd in self.memwatch.fds() {
                pollfds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
            }
            let timeout = (deadline - now).as_millis().saturating_add(1).min(i32::MAX as u128) as libc::c_int;
            // SAFETY: `pollfds` is a valid array of `pollfds.len()` entries.
            let n = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, timeout) };
            if n <= 0 {
                continue; // Timeout (re-checked above) or EINTR.
            }
            for pfd in pollfds.iter().filter(|p| p.revents != 0) {
                if self.memwatch.handle(pfd.fd) {
                    continue;
                }
                if self.stdin.as_ref().is_some_and(|(fd, _)| fd.as_raw_fd() == pfd.fd) {
                    self.write_stdin();
                } else if self.pidfd.as_ref().is_some_and(|fd| fd.as_raw_fd() == pfd.fd) {
                    exited = true;
                    self.stdin = None;
                    // Kill what the worker left behind, so that its pipes close.
                    group.kill();
                    deadline = Instant::now() + DRAIN_GRACE;
                } else if let Some(sink) =
                    self.sinks.iter_mut().find(|s| s.fd.as_ref().is_some_and(|fd| fd.as_raw_fd() == pfd.fd))
                {
                    sink.read_once(&mut buf);
                }
                if !marker_seen && !group.killed && loading_marker_end(&self.sinks[2].kept).is_some() {
                    marker_seen = true;
                    deadline = Instant::now() + wall;
                }
            }
        }
        Watch { wall_timed_out, killed_running }
    }
}

/// Without a pidfd: waits for `pid` to exit until `deadline`, polling `waitpid(WNOHANG)` every 10 ms without
/// reaping it. Returns true if the deadline passed first (the caller kills the group).
fn wait_exit_without_pidfd(pid: libc::pid_t, deadline: Instant) -> bool {
    loop {
        // SAFETY: `info` is a valid out-pointer; WNOWAIT leaves the child to be reaped by `wait4`.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let ret = unsafe {
            libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT)
        };
        // SAFETY: si_pid is valid to read for a waitid result.
        if ret == 0 && unsafe { info.si_pid() } == pid {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        let ms = (deadline - now).as_millis().min(10) as libc::c_int;
        // SAFETY: poll with no fds is a sleep.
        unsafe { libc::poll(std::ptr::null_mut(), 0, ms.max(1)) };
    }
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is valid for two ints.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 returned two fresh fds that we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is valid for two ints.
    check(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) })?;
    // SAFETY: socketpair returned two fresh fds that we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

/// A pidfd for `pid`, or `None` before Linux 5.3 (or under a seccomp policy that forbids it).
fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes plain integers and returns a new fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a non-negative return is a fresh fd.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Reaps `pid`, returning its raw status and resource usage.
fn wait4(pid: libc::pid_t) -> io::Result<(libc::c_int, libc::rusage)> {
    let mut status = 0;
    // SAFETY: `rusage` is plain data; zero is a valid bit pattern.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid out-pointers.
        let ret = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if ret == pid {
            return Ok((status, rusage));
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}
