//! The worker side: the steps a worker takes, in this order, before and around running student code.
//!
//! 1. [`read_payload`]: read stdin to EOF (before anything untrusted is in the process);
//! 2. [`set_cpu_budget`]: charge the student only from here on: the CPU limit becomes what the worker has used so
//!    far plus the test's budget;
//! 3. [`enter_sandbox`]: install the `SIGSYS` violation reporter, restrict the filesystem and network with
//!    Landlock, install the one seccomp allow-list ([`ALLOWED_SYSCALLS`]; on x86_64 also a guard against x32
//!    syscalls), check in `/proc/self/status` that the kernel really applied the filters, and write an `S` frame
//!    saying what was enforced;
//! 4. [`write_loading_marker`]: an `L` frame, the last word the host believes about a grader fault: from here on
//!    student code may run (library constructors run inside `dlopen`) and may write frames of its own;
//! 5. [`load_library`]: `dlopen` the student library from fd [`LIBRARY_FD`], leak it so it is never unloaded, and
//!    check `SCHEDGRADE_ABI_VERSION` and `schedgrade_table`;
//! 6. run the student code, then [`write_result`] and `_exit` without running destructors.
//!
//! [`crate::worker_entry`] does exactly this. Call these functions from the worker's only thread: Landlock
//! restricts the calling thread only (the seccomp filters are synchronised to every thread), and the allow-list
//! forbids creating threads.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope,
};
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use schedgrade_contract::abi::{ABI_VERSION, ABI_VERSION_SYMBOL, AbiTable, TABLE_SYMBOL};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};

use schedgrade_kernel::wire::{
    HEADER_LEN, LIBRARY_FD, LIBRARY_PATH_ENV, NOTIFY_FD, RESULT_FD, TAG_ERROR, TAG_LOADING, TAG_REPORT, TAG_RESULT,
    TAG_VIOLATION, VIOLATION_EXIT_CODE, header,
};

use crate::error::{LoadError, SetupError};
use crate::syscalls;

/// Paths the worker may read after [`enter_before_load`], besides the student library: what the dynamic loader
/// needs to `dlopen` a Rust or C `cdylib`. Missing ones are skipped.
pub const SYSTEM_READ_PATHS: [&str; 5] = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache"];

/// The Landlock ABI this code was written and tested against; newer kernels are used at this level.
const LANDLOCK_ABI: ABI = ABI::V7;
/// The first Landlock ABI with TCP bind/connect rules.
pub const LANDLOCK_ABI_NET: i32 = 4;
/// The first Landlock ABI with signal and abstract-socket scoping.
pub const LANDLOCK_ABI_SCOPE: i32 = 6;

/// Set once Landlock restricts the filesystem: read-only `openat` is then safe to allow after loading.
static LANDLOCK_FS: AtomicBool = AtomicBool::new(false);

/// The syscalls the worker may make once it is in its sandbox ([`enter_sandbox`]), from `dlopen` (the library's
/// constructors are student code) to its exit; every other one is a violation. There is no earlier, laxer filter:
/// no student code ever runs outside this one.
///
/// Found by running C and Rust libraries that compute, allocate, sleep, print, panic with a backtrace, abort and
/// overflow their stack under the filter (the tests do); "needed" below means a test fails without it. Denied
/// on purpose (they are simply absent): process and thread creation, `exec`, `ptrace`, `seccomp`, `prctl` (death
/// signal, dumpability, seccomp mode), `setrlimit`/`prlimit64`, `setpriority`, the `sched_set*` family,
/// `ioprio_set`, sockets, namespaces and mounts, `kill`/`tgkill` aimed at any other process.
///
/// Besides these, with conditions on the arguments: `rt_sigaction` except on `SIGSYS` (needed: Rust's `SIGSEGV`
/// handler resets itself before re-faulting, `abort` resets `SIGABRT`); `kill` and `tgkill` on the worker itself
/// (needed: `abort`); and, only when Landlock restricts the filesystem, `openat` without write flags (needed: the
/// backtrace printer reads the library's symbols; Landlock decides which files).
#[rustfmt::skip]
pub const ALLOWED_SYSCALLS: &[&str] = &[
    // Output (needed: printing, the result frame) and I/O on descriptors the worker already has (needed by
    // `dlopen`: `pread64` of the ELF headers).
    "write", "read", "readv", "writev", "lseek", "pread64",
    // Needed by glibc's first `printf` (`newfstatat` on stdout; `fstat` before glibc 2.33) and by the backtrace
    // printer (`statx`, `readlink` of /proc/self/exe, `getcwd` to shorten paths, `close`).
    "fstat", "newfstatat", "statx", "readlink", "getcwd", "close",
    // Memory (needed: `brk` for the main heap, `mmap`/`munmap`/`mremap` for large blocks, `mprotect` to grow
    // secondary heaps, `madvise` when freeing).
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
    // Locks (needed: std's stdout lock and `Once`), signals (needed: returning from a handler, `abort` masking
    // signals), `getpid`/`gettid` (needed: `abort`, Rust's panic message names the thread id).
    "futex", "rt_sigreturn", "rt_sigprocmask", "sigaltstack", "getpid", "gettid",
    // Time (usually the vDSO answers without a syscall), sleeping (needed: a sleeping student must reach the wall
    // timeout, not a violation), the kernel's restart of an interrupted sleep, yielding, randomness (needed:
    // `HashMap`'s seed).
    "clock_gettime", "clock_getres", "gettimeofday", "clock_nanosleep", "nanosleep", "restart_syscall",
    "sched_yield", "getrandom",
    // Leaving.
    "exit", "exit_group",
];

/// The architecture of the running process, for seccompiler.
pub fn target_arch() -> TargetArch {
    #[cfg(target_arch = "aarch64")]
    return TargetArch::aarch64;
    #[cfg(target_arch = "riscv64")]
    return TargetArch::riscv64;
    #[cfg(not(any(target_arch = "aarch64", target_arch = "riscv64")))]
    TargetArch::x86_64
}

/// The kernel's Landlock ABI version, or a negative errno (`-ENOSYS`: not built in, `-EOPNOTSUPP`: disabled).
pub fn landlock_abi() -> i32 {
    const VERSION: u32 = 1;
    // SAFETY: with a null attribute and size 0, this syscall only returns the ABI version.
    let v = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, VERSION) };
    if v < 0 { -io::Error::last_os_error().raw_os_error().unwrap_or(libc::ENOSYS) } else { v as i32 }
}

/// How much of the Landlock ruleset the kernel enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LandlockLevel {
    /// Every requested restriction.
    Full,
    /// Some (an older kernel: no TCP rules before ABI 4, no scoping before ABI 6).
    Partial,
    /// None (Landlock unavailable).
    None,
}

/// What [`enter_before_load`] enforced; also sent to the host as the `S` frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enforcement {
    /// The kernel's Landlock ABI version (negative errno when unavailable).
    pub landlock_abi: i32,
    /// How much of the ruleset is enforced.
    pub landlock: LandlockLevel,
    /// Whether the seccomp deny-list is installed (always true when [`enter_before_load`] returned `Ok`).
    pub seccomp: bool,
}

impl fmt::Display for Enforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.landlock {
            LandlockLevel::Full => "full",
            LandlockLevel::Partial => "partial",
            LandlockLevel::None => "none",
        };
        write!(
            f,
            "landlock=abi{}:{level} seccomp={}",
            self.landlock_abi.max(0),
            if self.seccomp { "on" } else { "off" }
        )
    }
}

/// Reads the whole stdin payload. Step 1.
pub fn read_payload() -> io::Result<Vec<u8>> {
    let mut payload = Vec::new();
    io::stdin().lock().read_to_end(&mut payload)?;
    Ok(payload)
}

/// Charges the student only from now on. Step 2.
///
/// Sets the soft `RLIMIT_CPU` to `budget_ms` rounded up to whole seconds plus the whole seconds of CPU time this
/// process has used so far (reading and parsing the request, which is the grader's work; `RLIMIT_CPU` counts in
/// seconds, so less than a second of it is not credited), and the hard limit one second above; both stay within
/// the limits the host set. [`schedgrade_kernel::wire::cpu_soft_limit_secs`] is the formula, shared with the host. Returns the CPU time used so far, in microseconds, for the `L` frame. Must
/// run before [`enter_sandbox`]: the allow-list forbids changing limits.
pub fn set_cpu_budget(budget_ms: u64) -> io::Result<u64> {
    // SAFETY: plain out-parameters.
    let (used_us, current) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Err(io::Error::last_os_error());
        }
        let us = |tv: libc::timeval| tv.tv_sec.max(0) as u64 * 1_000_000 + tv.tv_usec.max(0) as u64;
        let mut current = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_CPU, &mut current) != 0 {
            return Err(io::Error::last_os_error());
        }
        (us(usage.ru_utime) + us(usage.ru_stime), current)
    };
    let soft = schedgrade_kernel::wire::cpu_soft_limit_secs(budget_ms, used_us);
    let limit = libc::rlimit { rlim_cur: soft.min(current.rlim_max), rlim_max: (soft + 1).min(current.rlim_max) };
    // SAFETY: a valid rlimit; lowering limits needs no privilege.
    if unsafe { libc::setrlimit(libc::RLIMIT_CPU, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(used_us)
}

/// Enters the sandbox, before any student code is in the process. Step 3.
///
/// Installs the `SIGSYS` handler that turns a seccomp trap into a `V` frame on fd 3 and exit code
/// [`VIOLATION_EXIT_CODE`]; applies Landlock (read-only [`SYSTEM_READ_PATHS`] and the library on [`LIBRARY_FD`];
/// nothing writable; no TCP; scoped signals and abstract sockets), best effort on older kernels; installs the
/// seccomp allow-list [`ALLOWED_SYSCALLS`]; hands the memory watch's listener to the host, which checks in `/proc`
/// that the kernel reports every filter installed; then writes an `S` frame with the returned [`Enforcement`].
pub fn enter_sandbox() -> Result<Enforcement, SetupError> {
    let landlock_abi = landlock_abi();
    install_sigsys_handler().map_err(SetupError::Signal)?;
    let landlock = apply_landlock()?;
    LANDLOCK_FS.store(landlock != LandlockLevel::None, Ordering::SeqCst);
    let listener = crate::memwatch::install()?;
    if let Some(guard) = x32_guard() {
        apply(guard, "x32-guard")?;
    }
    apply(allow_list()?, "allow-list")?;
    // The host reads this process's `Seccomp:` and `Seccomp_filters:` in /proc (not in the worker's private root)
    // and says whether every filter is in place: trust the kernel's account, not return codes.
    if !crate::memwatch::hand_over(listener)? {
        return Err(SetupError::NotApplied);
    }
    let enforcement = Enforcement { landlock_abi, landlock, seccomp: true };
    // The host learns the same from a missing `S` frame if this fails; no reason to stop here.
    let _ = write_frame(TAG_REPORT, enforcement.to_string().as_bytes());
    Ok(enforcement)
}

/// The number of seccomp filters [`enter_sandbox`] installs: the memory watch, the allow-list, and on x86_64 the
/// x32 guard. The host checks the worker has at least this many more than the grader itself.
pub const INSTALLED_FILTERS: u32 = if cfg!(target_arch = "x86_64") { 3 } else { 2 };

/// Checks that the library can be opened where [`load_library`] will look, before any student code runs: a library
/// the worker cannot reach is the grader's failure (a permission or a private root gone wrong), never the student's.
pub fn check_library_reachable() -> Result<(), LoadError> {
    let path = library_path();
    let mut magic = [0u8; 4];
    std::fs::File::open(&path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .map_err(|e| LoadError::Open { path, reason: e.to_string() })
}

/// Where [`load_library`] finds the library: [`LIBRARY_PATH_ENV`], or the descriptor's `/proc` link.
fn library_path() -> PathBuf {
    std::env::var_os(LIBRARY_PATH_ENV)
        .map_or_else(|| PathBuf::from(format!("/proc/self/fd/{LIBRARY_FD}")), PathBuf::from)
}

/// Tells the host that student code may run from now on. Step 4. `preload_cpu_us` is what [`set_cpu_budget`]
/// returned: the host adds it to the student's CPU budget when it judges a CPU timeout.
pub fn write_loading_marker(preload_cpu_us: u64) -> io::Result<()> {
    write_frame(TAG_LOADING, preload_cpu_us.to_string().as_bytes())
}

/// The `schedgrade_table` function of a submission.
pub type TableFn = unsafe extern "C" fn(policy: u32) -> *const AbiTable;

/// A loaded student library. It is never unloaded: the `Library` is leaked, so its code stays mapped for the
/// life of the worker.
#[derive(Clone, Copy, Debug)]
pub struct LoadedLibrary {
    library: &'static Library,
    table: TableFn,
    abi_version: u32,
}

impl LoadedLibrary {
    /// The library's `schedgrade_table` function. Calling it runs student code.
    pub fn table_fn(&self) -> TableFn {
        self.table
    }

    /// The ABI version the library exports (equal to [`ABI_VERSION`]).
    pub fn abi_version(&self) -> u32 {
        self.abi_version
    }

    /// The underlying library, to look up other symbols.
    pub fn library(&self) -> &'static Library {
        self.library
    }
}

/// Loads the student library the host passed on [`LIBRARY_FD`] (by the path in [`LIBRARY_PATH_ENV`], which names
/// the same file) with `dlopen(RTLD_NOW | RTLD_LOCAL)`, never to be
/// unloaded, and checks that it exports `SCHEDGRADE_ABI_VERSION` equal to [`ABI_VERSION`] and `schedgrade_table`.
/// Step 5.
///
/// Loading runs the library's constructors: call it after [`enter_sandbox`] and [`write_loading_marker`].
pub fn load_library() -> Result<LoadedLibrary, LoadError> {
    let path = std::env::var_os(LIBRARY_PATH_ENV)
        .map_or_else(|| PathBuf::from(format!("/proc/self/fd/{LIBRARY_FD}")), PathBuf::from);
    let path = path.as_path();
    let owned = || PathBuf::from("the submitted library");
    // SAFETY: loading runs the library's initialisers; that is student code, which the sandbox contains.
    let library = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }
        .map_err(|e| LoadError::Open { path: owned(), reason: dl_reason(&e) })?;
    let library: &'static Library = Box::leak(Box::new(library));
    // SAFETY: the symbol is declared as a `u32` static by the contract; a library lying about it is read as 4 bytes.
    let version = unsafe { library.get::<*const u32>(ABI_VERSION_SYMBOL.as_bytes()) }
        .map_err(|_| LoadError::MissingSymbol { path: owned(), symbol: ABI_VERSION_SYMBOL })?;
    // SAFETY: dlsym returned the address of the symbol, which is mapped.
    let found = unsafe { std::ptr::read_unaligned(*version) };
    if found != ABI_VERSION {
        return Err(LoadError::AbiMismatch { path: owned(), found, expected: ABI_VERSION });
    }
    // SAFETY: the contract declares `schedgrade_table` with this signature (checked by the ABI version).
    let table = unsafe { library.get::<TableFn>(TABLE_SYMBOL.as_bytes()) }
        .map_err(|_| LoadError::MissingSymbol { path: owned(), symbol: TABLE_SYMBOL })?;
    Ok(LoadedLibrary { library, table: *table, abi_version: found })
}

fn dl_reason(error: &libloading::Error) -> String {
    use std::error::Error;
    error.source().map_or_else(|| error.to_string(), ToString::to_string)
}

/// Sends the result: exactly one `R` frame on fd 3. Step 5. Exit right after (with `_exit`).
pub fn write_result(bytes: &[u8]) -> io::Result<()> {
    write_frame(TAG_RESULT, bytes)
}

/// Sends an error instead of a result: an `E` frame with a kebab-case `kind` (such as [`LoadError::kind`],
/// `sandbox-setup` or `bad-payload`) and a message.
pub fn write_error(kind: &str, message: &str) -> io::Result<()> {
    write_frame(TAG_ERROR, format!("{kind}\n{message}").as_bytes())
}

fn write_frame(tag: u8, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| io::Error::other("a result frame holds at most 4 GiB"))?;
    write_all_raw(RESULT_FD, &header(tag, len))?;
    write_all_raw(RESULT_FD, payload)
}

/// `write(2)` until done; async-signal-safe (no allocation on success or on error).
fn write_all_raw(fd: RawFd, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for `bytes.len()` bytes of reads.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(err);
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

fn install_sigsys_handler() -> io::Result<()> {
    // SAFETY: a zeroed sigaction is valid; the handler is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigsys as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigfillset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The `SIGSYS` handler: writes a `V` frame naming the trapped syscall to fd 3, a line to stderr, and exits with
/// [`VIOLATION_EXIT_CODE`]. Async-signal-safe: raw `write` and `_exit` on stack buffers only.
extern "C" fn on_sigsys(_signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler; for SIGSYS it holds the syscall number.
    let nr = unsafe { (*info).si_syscall() } as i64;
    let mut name = [0u8; 32];
    let len = match syscalls::name(nr) {
        Some(known) => {
            let n = known.len().min(name.len());
            name[..n].copy_from_slice(&known.as_bytes()[..n]);
            n
        }
        None => unknown_syscall_name(nr, &mut name),
    };
    let name = &name[..len];
    let mut frame = [0u8; HEADER_LEN + 32];
    frame[..HEADER_LEN].copy_from_slice(&header(TAG_VIOLATION, len as u32));
    frame[HEADER_LEN..HEADER_LEN + len].copy_from_slice(name);
    let _ = write_all_raw(RESULT_FD, &frame[..HEADER_LEN + len]);
    let _ = write_all_raw(2, b"\nschedgrade: sandbox violation: the forbidden syscall `");
    let _ = write_all_raw(2, name);
    let _ = write_all_raw(2, b"` was denied\n");
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(VIOLATION_EXIT_CODE) }
}

/// Writes `syscall-<nr>` into `out`, returning its length. No allocation.
fn unknown_syscall_name(nr: i64, out: &mut [u8; 32]) -> usize {
    const PREFIX: &[u8] = b"syscall-";
    out[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 20];
    let mut n = nr.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let d = &digits[i..];
    out[PREFIX.len()..PREFIX.len() + d.len()].copy_from_slice(d);
    PREFIX.len() + d.len()
}

fn apply_landlock() -> Result<LandlockLevel, SetupError> {
    let err = |e: &dyn fmt::Display| SetupError::Landlock(e.to_string());
    let dir_read: BitFlags<AccessFs> = AccessFs::ReadFile | AccessFs::ReadDir;
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(LANDLOCK_ABI))
        .and_then(|r| r.handle_access(AccessNet::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.scope(Scope::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.create())
        .map_err(|e| err(&e))?;
    for path in SYSTEM_READ_PATHS.iter().map(Path::new) {
        // A path that does not exist grants nothing.
        let Ok(fd) = PathFd::new(path) else { continue };
        let access = if path.is_dir() { dir_read } else { AccessFs::ReadFile.into() };
        ruleset = ruleset.add_rule(PathBeneath::new(fd, access)).map_err(|e| err(&e))?;
    }
    // The library, by the descriptor the host passed: the worker never learns where it lives.
    // SAFETY: the host opens LIBRARY_FD before exec and nothing in the worker closes it.
    let library = unsafe { std::os::fd::BorrowedFd::borrow_raw(LIBRARY_FD) };
    ruleset = ruleset.add_rule(PathBeneath::new(library, AccessFs::ReadFile)).map_err(|e| err(&e))?;
    let status = ruleset.restrict_self().map_err(|e| err(&e))?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => LandlockLevel::Full,
        RulesetStatus::PartiallyEnforced => LandlockLevel::Partial,
        RulesetStatus::NotEnforced => LandlockLevel::None,
    })
}

fn apply(program: BpfProgram, stage: &'static str) -> Result<(), SetupError> {
    seccompiler::apply_filter_all_threads(&program).map_err(|e| SetupError::Seccomp { stage, message: e.to_string() })
}

fn syscall_number(name: &str) -> Option<i64> {
    syscalls::number(name).map(i64::from)
}

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, SetupError> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value).map_err(|e| seccomp_error("rules", e))
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, SetupError> {
    SeccompRule::new(conditions).map_err(|e| seccomp_error("rules", e))
}

fn seccomp_error(stage: &'static str, e: impl fmt::Display) -> SetupError {
    SetupError::Seccomp { stage, message: e.to_string() }
}

fn own_pid() -> u64 {
    // SAFETY: getpid has no preconditions.
    u64::from(unsafe { libc::getpid() } as u32)
}

/// Rules for the syscalls named in `names` that exist on this architecture, each matching unconditionally.
fn unconditional(names: &[&str]) -> BTreeMap<i64, Vec<SeccompRule>> {
    names.iter().filter_map(|n| syscall_number(n)).map(|nr| (nr, Vec::new())).collect()
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
    stage: &'static str,
) -> Result<BpfProgram, SetupError> {
    SeccompFilter::new(rules, mismatch, matched, target_arch())
        .and_then(BpfProgram::try_from)
        .map_err(|e| seccomp_error(stage, e))
}

fn allow_list() -> Result<BpfProgram, SetupError> {
    let pid = own_pid();
    let mut rules = unconditional(ALLOWED_SYSCALLS);
    rules.insert(libc::SYS_rt_sigaction, vec![rule(vec![cond(0, SeccompCmpOp::Ne, libc::SIGSYS as u64)?])?]);
    rules.insert(libc::SYS_kill, vec![rule(vec![cond(0, SeccompCmpOp::Eq, pid)?])?]);
    // Handing the memory watch's listener to the host, on that one socket (closed before any student code runs).
    rules.insert(libc::SYS_sendmsg, vec![rule(vec![cond(0, SeccompCmpOp::Eq, NOTIFY_FD as u64)?])?]);
    rules.insert(libc::SYS_tgkill, vec![rule(vec![cond(0, SeccompCmpOp::Eq, pid)?])?]);
    // Descriptor flags and duplicates (needed: `dlopen`, std's I/O). Not `F_SETOWN`/`F_SETSIG`: signals to others.
    let fcntl_commands =
        [libc::F_GETFD, libc::F_SETFD, libc::F_GETFL, libc::F_SETFL, libc::F_DUPFD, libc::F_DUPFD_CLOEXEC];
    let fcntl_rules = fcntl_commands
        .iter()
        .map(|&command| rule(vec![cond(1, SeccompCmpOp::Eq, command as u64)?]))
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_fcntl, fcntl_rules);
    if LANDLOCK_FS.load(Ordering::SeqCst) {
        // Read-only opens only; Landlock decides which files.
        let writing = (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND) as u64;
        rules.insert(libc::SYS_openat, vec![rule(vec![cond(2, SeccompCmpOp::MaskedEq(writing), 0)?])?]);
    }
    compile(rules, SeccompAction::Trap, SeccompAction::Allow, "allow-list")
}

/// On x86_64, x32 syscalls (numbers with bit 30 set) would slip past a deny-list written with x86_64 numbers:
/// trap them all. `None` elsewhere.
fn x32_guard() -> Option<BpfProgram> {
    #[cfg(target_arch = "x86_64")]
    {
        use seccompiler::sock_filter;
        const BPF_LD_W_ABS: u16 = 0x20;
        const BPF_JGE_K: u16 = 0x05 | 0x30;
        const BPF_RET_K: u16 = 0x06;
        let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
        Some(vec![
            op(BPF_LD_W_ABS, 0, 0, 0), // seccomp_data.nr
            op(BPF_JGE_K, 0, 1, 0x4000_0000),
            op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_TRAP),
            op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_ALLOW),
        ])
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_syscall_has_a_number_here() {
        for name in ALLOWED_SYSCALLS {
            #[cfg(target_arch = "x86_64")]
            assert!(syscall_number(name).is_some(), "{name} is unknown on x86_64");
            let _ = name;
        }
    }

    #[test]
    fn filters_compile() {
        allow_list().unwrap();
    }

    #[test]
    fn unknown_syscalls_are_named_by_number() {
        let mut out = [0u8; 32];
        let n = unknown_syscall_name(1234, &mut out);
        assert_eq!(&out[..n], b"syscall-1234");
    }
}
