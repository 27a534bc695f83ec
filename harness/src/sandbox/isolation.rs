//! The pre-exec steps that keep a worker from seeing or touching anything outside itself: a private root
//! directory (mount namespace), a user namespace's uid map (unprivileged graders), and a PID namespace.
//!
//! Everything here that runs in the child (between `fork` and `exec`) is async-signal-safe: raw syscalls on data
//! prepared in the parent, no allocation, no locks.
//!
//! # The PID namespace, and why the worker is not its init
//!
//! `unshare(CLONE_NEWPID)` only moves the caller's future children. So the child `std` forked (call it the
//! *keeper*) unshares, then forks twice: the first child becomes pid 1 of the new namespace (the *init*,
//! [`start_init`], forked before the keeper drops its privileges), the second is pid 2, the worker
//! ([`fork_worker`]), which returns from `pre_exec` and is executed. The worker cannot be pid 1: the kernel ignores
//! every signal an init has no handler for unless it comes from an ancestor namespace, so a pid-1 worker would
//! survive `SIGXCPU` at the soft CPU limit and turn `abort()`'s `SIGABRT` into a `SIGSEGV`.
//!
//! - The init detaches the old root (see below), drops to the worker's uid, then does nothing: it closes every
//!   descriptor, blocks every signal and sleeps. When it dies, the kernel kills everything left in the namespace,
//!   whatever those processes did to their own death signals or process groups. It dies with the keeper
//!   (`PR_SET_PDEATHSIG`; a pidfd on the keeper catches a keeper that died before the death signal was set), and
//!   with the worker's process group, which the host kills after every run. The namespaces' teardown happens in
//!   its exit, after the host has seen the keeper end.
//! - The keeper closes every descriptor (so that `std`'s exec-status pipe reports the worker's `exec`, and only the
//!   worker holds the stdio pipes and the result channel), blocks every signal, waits for the worker with `wait4`
//!   and then ends exactly as it did: the same exit code, or the same signal (raised again with its default
//!   action; `RLIMIT_CORE` is 0 and the keeper is not dumpable, so nothing is dumped). The host sees the keeper
//!   as the worker: its status, and its `rusage`, which includes the reaped worker's CPU time and peak memory.
//!
//! # The private root
//!
//! In a new mount namespace the child makes every mount private, mounts a small tmpfs on `/tmp` (or another
//! existing directory, if `/tmp` holds a file to bind), and builds the worker's whole file system in it, read-only:
//! bind mounts of the system library directories (`/usr`, and `/lib`, `/lib64`, `/bin`, ... as symlinks on a
//! merged-`/usr` system, as bind mounts otherwise) and of `/etc/ld.so.cache`; the worker program at
//! `/submission.so` (the student library; the worker program itself is executed from a descriptor); and the files the worker is given by path, at their own paths (see
//! [`super::WorkerCommand::expose`]). Then the tmpfs becomes `/` (`pivot_root`) and the old root, left hanging at
//! `/.old-root` (mode 0 on a read-only file system: nobody may search it), is detached by the init, off the
//! worker's path (or at once without a PID namespace). Test
//! cases, golden traces, the grader's install path, `/proc`, `/home`, `/root`, other students' files: none of it
//! exists for the worker, so `stat`, `readlink` and `access` (which Landlock does not restrict) learn nothing about
//! them.

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Existing directories the private root's tmpfs may be mounted on before it becomes `/`: the first that exists
/// and holds none of the files to bind.
const STAGING: [&CStr; 3] = [c"/tmp", c"/mnt", c"/dev"];
/// The entries of `/` that may hold the system's programs and libraries; each is recreated as a symlink or a
/// read-only bind mount, whichever it is on the host.
const SYSTEM_ENTRIES: [&str; 7] = ["usr", "lib", "lib64", "lib32", "libx32", "bin", "sbin"];
/// The dynamic loader's cache: without it `dlopen` searches only the default directories.
const LD_SO_CACHE: &str = "etc/ld.so.cache";
/// Where the worker program is bound in the private root, so that its path on the host (the grader's install
/// path) stays unknown.
/// The student library's name in the private root (see `schedgrade_kernel::wire::LIBRARY_IN_ROOT`).
const LIBRARY_NAME: &str = "submission.so";
/// Where the old root hangs, in the new one, until it is detached.
const DETACHED: &CStr = c"/.old-root";
const DETACHED_NAME: &CStr = c".old-root";

/// The private root's fixed part, the same for every worker: resolved once in the parent.
#[derive(Debug)]
pub(crate) struct RootPlan {
    entries: Vec<Entry>,
}

/// The part of the private root that is particular to one worker.
#[derive(Debug)]
pub(crate) struct WorkerRoot {
    staging: &'static CStr,
    exposures: Vec<Exposure>,
}

/// A file given to one worker by path, bound read-only at the same path in its private root.
#[derive(Debug)]
struct Exposure {
    /// The directories to create, parents first, relative to the new root.
    dirs: Vec<CString>,
    file: Entry,
}

#[derive(Debug)]
enum Entry {
    Dir { name: CString },
    Symlink { name: CString, target: CString },
    Bind { name: CString, source: CString, dir: bool, keep: libc::c_ulong },
}

impl RootPlan {
    /// The system directories and `/etc/ld.so.cache`, as they are on this machine.
    pub(crate) fn system() -> RootPlan {
        let mut entries = Vec::new();
        for name in SYSTEM_ENTRIES {
            let source = Path::new("/").join(name);
            let Ok(meta) = source.symlink_metadata() else { continue };
            if meta.file_type().is_symlink() {
                if let Ok(target) = std::fs::read_link(&source) {
                    entries.push(Entry::Symlink { name: c_path(Path::new(name)), target: c_path(&target) });
                }
            } else if meta.is_dir() {
                entries.push(Entry::bind(Path::new(name), &source, true));
            }
        }
        let cache = Path::new("/").join(LD_SO_CACHE);
        if cache.is_file() {
            entries.push(Entry::Dir { name: c"etc".to_owned() });
            entries.push(Entry::bind(Path::new(LD_SO_CACHE), &cache, false));
        }
        RootPlan { entries }
    }

    /// Whether `path` (absolute) is reachable through the fixed part: under `/usr`, say.
    fn covers(&self, path: &Path) -> bool {
        let first = path.components().nth(1);
        self.entries.iter().any(|e| match e {
            Entry::Symlink { name, .. } | Entry::Bind { name, dir: true, .. } => {
                first.is_some_and(|c| c.as_os_str().as_bytes() == name.as_bytes())
            }
            Entry::Bind { .. } | Entry::Dir { .. } => false,
        })
    }

    /// What one worker's private root holds besides the fixed part: `library` at `/submission.so`, and the
    /// regular files `files` (absolute paths without `.` or `..`), each at its own path; all read-only. A file that
    /// does not exist, or that a system directory already shows (under `/usr`, say), is left out.
    pub(crate) fn for_worker(&self, library: Option<&Path>, files: &[&Path]) -> WorkerRoot {
        let library =
            library.map(|p| Exposure { dirs: Vec::new(), file: Entry::bind(Path::new(LIBRARY_NAME), p, false) });
        let exposures: Vec<Exposure> =
            library.into_iter().chain(files.iter().filter_map(|path| self.exposure(path))).collect();
        // The tmpfs must not hide any file to bind: the default build cache lives under `/tmp`.
        let sources: Vec<&CStr> = self.sources().chain(Self::sources_of(&exposures)).collect();
        let staging = STAGING
            .into_iter()
            .find(|dir| {
                let dir_path = Path::new(std::ffi::OsStr::from_bytes(dir.to_bytes()));
                dir_path.is_dir()
                    && !sources
                        .iter()
                        .any(|s| Path::new(std::ffi::OsStr::from_bytes(s.to_bytes())).starts_with(dir_path))
            })
            .unwrap_or(STAGING[0]);
        WorkerRoot { staging, exposures }
    }

    fn sources(&self) -> impl Iterator<Item = &CStr> {
        self.entries.iter().filter_map(Entry::source)
    }

    fn sources_of(exposures: &[Exposure]) -> impl Iterator<Item = &CStr> {
        exposures.iter().filter_map(|e| e.file.source())
    }

    fn exposure(&self, path: &Path) -> Option<Exposure> {
        let mut parts = Vec::new();
        for component in path.components() {
            match component {
                Component::RootDir => {}
                Component::Normal(part) => parts.push(part),
                Component::CurDir | Component::ParentDir | Component::Prefix(_) => return None,
            }
        }
        let (file, dirs) = parts.split_last()?;
        if !path.is_absolute() || self.covers(path) || path.symlink_metadata().is_err() {
            return None;
        }
        let mut relative = PathBuf::new();
        let dirs = dirs
            .iter()
            .map(|dir| {
                relative.push(dir);
                c_path(&relative)
            })
            .collect();
        relative.push(file);
        Some(Exposure { dirs, file: Entry::bind(&relative, path, false) })
    }

    /// Builds the private root, with `worker`'s files, and makes it `/`. Call after `unshare(CLONE_NEWNS)`, with the
    /// privileges to mount (root, or any uid in a new user namespace). Async-signal-safe.
    ///
    /// The old root stays attached at [`DETACHED`], a directory nobody may search on a read-only file system,
    /// until it is detached: at once if `detach_now`, else by the PID namespace's init ([`start_init`]), off the
    /// worker's path (detaching waits for an RCU grace period, about 0.1 ms).
    ///
    /// # Safety
    ///
    /// Changes the mount table and root of the calling process: only for the forked child.
    pub(crate) unsafe fn enter(&self, worker: &WorkerRoot, detach_now: bool) -> io::Result<()> {
        // SAFETY: raw syscalls on C strings prepared in the parent.
        unsafe {
            let (null, no_data) = (std::ptr::null(), std::ptr::null());
            check(libc::mount(null, c"/".as_ptr(), null, libc::MS_REC | libc::MS_PRIVATE, no_data))?;
            let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            let options = c"size=64k,nr_inodes=256,mode=0755";
            let staging = worker.staging.as_ptr();
            check(libc::mount(c"schedgrade".as_ptr(), staging, c"tmpfs".as_ptr(), flags, options.as_ptr().cast()))?;
            check(libc::chdir(staging))?;
            for entry in &self.entries {
                entry.create()?;
            }
            for exposure in &worker.exposures {
                for dir in &exposure.dirs {
                    if libc::mkdir(dir.as_ptr(), 0o755) != 0 && errno() != libc::EEXIST {
                        return Err(io::Error::last_os_error());
                    }
                }
                exposure.file.create()?;
            }
            check(libc::mkdir(DETACHED_NAME.as_ptr(), 0))?;
            let read_only = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | flags;
            check(libc::mount(null, c".".as_ptr(), null, read_only, no_data))?;
            check(libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), DETACHED_NAME.as_ptr()) as libc::c_int)?;
            check(libc::chdir(c"/".as_ptr()))?;
            if detach_now {
                check(libc::umount2(DETACHED.as_ptr(), libc::MNT_DETACH))?;
            }
            Ok(())
        }
    }
}

impl Entry {
    fn source(&self) -> Option<&CStr> {
        match self {
            Entry::Bind { source, .. } => Some(source),
            Entry::Dir { .. } | Entry::Symlink { .. } => None,
        }
    }

    /// A read-only bind of `source` at `name`, keeping the source mount's `noexec` (which a user namespace may not
    /// drop).
    fn bind(name: &Path, source: &Path, dir: bool) -> Entry {
        let source = c_path(source);
        // SAFETY: zeroed statvfs is a valid out-value; `source` is a valid C string.
        let keep = unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(source.as_ptr(), &mut st) == 0 && st.f_flag & libc::ST_NOEXEC != 0 {
                libc::MS_NOEXEC
            } else {
                0
            }
        };
        Entry::Bind { name: c_path(name), source, dir, keep }
    }

    /// Creates the entry in the current directory. Async-signal-safe.
    unsafe fn create(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on C strings prepared in the parent.
        unsafe {
            match self {
                Entry::Dir { name } => check(libc::mkdir(name.as_ptr(), 0o755)),
                Entry::Symlink { name, target } => check(libc::symlink(target.as_ptr(), name.as_ptr())),
                Entry::Bind { name, source, dir, keep } => {
                    if *dir {
                        check(libc::mkdir(name.as_ptr(), 0o755))?;
                    } else {
                        let fd = libc::open(name.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC, 0o444);
                        check(fd)?;
                        libc::close(fd);
                    }
                    let (null, no_data) = (std::ptr::null(), std::ptr::null());
                    check(libc::mount(source.as_ptr(), name.as_ptr(), null, libc::MS_BIND | libc::MS_REC, no_data))?;
                    let flags =
                        libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | keep;
                    check(libc::mount(null, name.as_ptr(), null, flags, no_data))
                }
            }
        }
    }
}

/// The uid and gid maps of a worker's user namespace (unprivileged graders): inside, the worker is
/// [`super::worker_uid::WORKER_UID_BASE`], an unprivileged uid that is the grader's own outside. Formatted in the
/// parent.
#[derive(Debug)]
pub(crate) struct UserMap {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl UserMap {
    /// The maps for the grader's current effective uid and gid.
    pub(crate) fn for_grader() -> UserMap {
        let inside = super::worker_uid::WORKER_UID_BASE;
        // SAFETY: geteuid/getegid have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        UserMap {
            uid_map: format!("{inside} {uid} 1\n").into_bytes(),
            gid_map: format!("{inside} {gid} 1\n").into_bytes(),
        }
    }

    /// Writes the maps for the calling process, which has just created its user namespace. Async-signal-safe.
    ///
    /// # Safety
    ///
    /// Only for the forked child, right after `unshare(CLONE_NEWUSER)`.
    pub(crate) unsafe fn write(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on buffers prepared in the parent.
        unsafe {
            // An unprivileged process may map its gid only after giving up setgroups(2) for good.
            write_file(c"/proc/self/setgroups", b"deny")?;
            write_file(c"/proc/self/uid_map", &self.uid_map)?;
            write_file(c"/proc/self/gid_map", &self.gid_map)
        }
    }
}

/// Forks the init of the new PID namespace (call just after `unshare(CLONE_NEWPID)`, before dropping
/// privileges); see the module documentation. The init detaches the old root if `detach` (see
/// [`RootPlan::enter`]), drops to `uid` if given, then idles. `keeper_pidfd` is a pidfd on the calling process, or
/// -1. Returns the init's pid. Async-signal-safe.
///
/// # Safety
///
/// Only for the child `std` forked, from `pre_exec`.
pub(crate) unsafe fn start_init(keeper_pidfd: libc::c_int, detach: bool, uid: Option<u32>) -> io::Result<libc::pid_t> {
    // SAFETY: raw syscalls only; the init never returns.
    unsafe {
        // Neither the keeper nor the init (copies of the grader's memory) may be read by the worker's uid.
        check(libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0))?;
        let init = libc::fork();
        if init < 0 {
            return Err(io::Error::last_os_error());
        }
        if init == 0 {
            // First: `std`'s exec-status pipe is among them, and the host waits for every copy of it to close.
            close_all_but(keeper_pidfd);
            if detach {
                libc::umount2(DETACHED.as_ptr(), libc::MNT_DETACH);
            }
            if let Some(uid) = uid
                && (libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(uid) != 0 || libc::setuid(uid) != 0)
            {
                libc::_exit(1);
            }
            run_init(keeper_pidfd);
        }
        Ok(init)
    }
}

/// Forks the worker (pid 2 of the namespace whose `init` [`start_init`] started); the calling process stays behind
/// as its keeper and never returns. Returns only in the worker. Async-signal-safe.
///
/// # Safety
///
/// Only for the child `std` forked, from `pre_exec`, after [`start_init`].
pub(crate) unsafe fn fork_worker(init: libc::pid_t, keeper_pidfd: libc::c_int) -> io::Result<()> {
    // SAFETY: raw syscalls only.
    unsafe {
        let worker = libc::fork();
        if worker < 0 {
            let err = io::Error::last_os_error();
            libc::kill(init, libc::SIGKILL);
            return Err(err);
        }
        if worker == 0 {
            if keeper_pidfd >= 0 {
                libc::close(keeper_pidfd);
            }
            // Redundant with the namespace (the worker dies with the init), kept as a second line.
            check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0))?;
            return Ok(());
        }
        keep(worker)
    }
}

/// The init of a worker's PID namespace, with no descriptor left but `keeper_pidfd`: dies with the keeper, holds
/// nothing, does nothing.
unsafe fn run_init(keeper_pidfd: libc::c_int) -> ! {
    // SAFETY: raw syscalls only.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        if keeper_pidfd >= 0 {
            // The keeper may have died before the death signal was set: then nobody would ever kill us.
            let mut pfd = libc::pollfd { fd: keeper_pidfd, events: libc::POLLIN, revents: 0 };
            if libc::poll(&mut pfd, 1, 0) != 0 {
                libc::_exit(0);
            }
            libc::close(keeper_pidfd);
        }
        block_all_signals();
        loop {
            libc::pause();
        }
    }
}

/// The keeper: waits for the worker and ends the way it ended.
unsafe fn keep(worker: libc::pid_t) -> ! {
    // SAFETY: raw syscalls only.
    unsafe {
        close_everything();
        block_all_signals();
        let mut status = 0;
        while libc::wait4(worker, &mut status, 0, std::ptr::null_mut()) < 0 {
            if errno() != libc::EINTR {
                libc::_exit(KEEPER_LOST_WORKER);
            }
        }
        if libc::WIFEXITED(status) {
            libc::_exit(libc::WEXITSTATUS(status));
        }
        let signal = libc::WTERMSIG(status);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &action, std::ptr::null_mut());
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::kill(libc::getpid(), signal);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        // Only reached for a signal whose default action does not terminate, which cannot have ended the worker.
        libc::_exit(128 + signal)
    }
}

/// The keeper's exit code if `wait4` on the worker fails, which cannot happen for its own child.
const KEEPER_LOST_WORKER: libc::c_int = 125;

/// Opens a pidfd on the calling process (`-1` before Linux 5.3). Call before `RLIMIT_NOFILE` is lowered.
pub(crate) fn own_pidfd() -> libc::c_int {
    // SAFETY: raw syscalls with plain integers.
    unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) as libc::c_int }
}

/// Sets an empty signal mask: the grader blocks its stop signals, and a mask survives `exec`. Async-signal-safe.
pub(crate) fn unblock_all_signals() -> io::Result<()> {
    // SAFETY: raw syscalls on a stack-allocated set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        check(libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()))
    }
}

fn block_all_signals() {
    // SAFETY: raw syscalls on a stack-allocated set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Closes every descriptor but `keep` (none if it is negative).
fn close_all_but(keep: libc::c_int) {
    if keep < 0 {
        return close_everything();
    }
    // SAFETY: close_range with plain integers; on kernels without it the descriptors are closed one by one.
    unsafe {
        let below = keep == 0 || libc::syscall(libc::SYS_close_range, 0, keep - 1, 0) == 0;
        let above = libc::syscall(libc::SYS_close_range, keep + 1, libc::c_uint::MAX, 0) == 0;
        if !(below && above) {
            for fd in (0..65536).filter(|&fd| fd != keep) {
                libc::close(fd);
            }
        }
    }
}

fn close_everything() {
    // SAFETY: close_range with plain integers; on kernels without it the descriptors are closed one by one.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 0, libc::c_uint::MAX, 0) != 0 {
            for fd in 0..65536 {
                libc::close(fd);
            }
        }
    }
}

unsafe fn write_file(path: &CStr, bytes: &[u8]) -> io::Result<()> {
    // SAFETY: valid C string and buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        check(fd)?;
        let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if written != bytes.len() as isize {
            return Err(if written < 0 { err } else { io::Error::from_raw_os_error(libc::EIO) });
        }
        Ok(())
    }
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap_or_else(|_| c"/nonexistent".to_owned())
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

fn errno() -> libc::c_int {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
