//! One uid per concurrently running worker, when the grader runs as root.
//!
//! Workers of the same grader, and of other graders on the machine, must never share a uid: a process can lower
//! the limits, priority or affinity of any process of its own uid (`prlimit64`, `setpriority(PRIO_USER)`, ...).
//! The uids come from a dedicated range, [`WORKER_UID_BASE`] + slot, gid equal to uid, no supplementary groups.
//! A grader owns a uid while it holds an exclusive `flock(2)` on the file named after it in a root-owned lock
//! directory ([`LOCK_DIR`], or [`fallback_lock_dir`]); the kernel drops the lock when the grader exits, however it
//! exits. Within one grader a uid is leased to one worker at a time and returns to the grader's pool when that
//! worker has been killed and reaped; nothing of it survives (its PID namespace died with it), so the next worker
//! may reuse it.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The first uid (and gid) of the worker range: 0x7CED_0000 = 2095906816.
///
/// The range lies in 0x7000_0000..=0x7FFD_FFFF, which systemd documents as unused (systemd.io/UIDS-GIDS): above
/// the container ranges of `systemd-nspawn` (up to 0x6FFF_FFFF), below its "foreign" range (0x7FFE_0000) and below
/// 2^31, where some programs mistake uids for negative numbers. No account or subordinate-id range
/// (`/etc/subuid`) should overlap it.
pub const WORKER_UID_BASE: u32 = 0x7CED_0000;
/// How many uids the range holds: the most workers that all graders of a machine can run at once.
pub const WORKER_UID_COUNT: u32 = 0x1_0000;
/// Where the per-uid lock files live, when `/run` exists.
pub const LOCK_DIR: &str = "/run/schedgrade/uids";

/// Whether `uid` is one of the worker uids.
pub fn is_worker_uid(uid: u32) -> bool {
    (WORKER_UID_BASE..WORKER_UID_BASE + WORKER_UID_COUNT).contains(&uid)
}

/// The lock directory used when `/run` is missing or not root's: `<temp dir>/schedgrade-uids-0`.
pub fn fallback_lock_dir() -> PathBuf {
    std::env::temp_dir().join("schedgrade-uids-0")
}

/// A uid leased to one worker; dropping it returns the uid to this grader's pool.
#[derive(Debug)]
pub(crate) struct UidLease {
    uid: u32,
}

impl UidLease {
    pub(crate) fn uid(&self) -> u32 {
        self.uid
    }
}

impl Drop for UidLease {
    fn drop(&mut self) {
        pool().free.push(self.uid);
    }
}

/// Leases a worker uid: one this grader already owns and no worker of it uses, or else the next one no grader owns.
pub(crate) fn lease() -> Result<UidLease, String> {
    let mut pool = pool();
    if let Some(uid) = pool.free.pop() {
        return Ok(UidLease { uid });
    }
    let dir = match &pool.dir {
        Some((dir, _)) => dir.as_raw_fd(),
        None => pool.dir.insert(open_lock_dir()?).0.as_raw_fd(),
    };
    while pool.next < WORKER_UID_COUNT {
        let uid = WORKER_UID_BASE + pool.next;
        pool.next += 1;
        match lock_uid(dir, uid) {
            Ok(Some(lock)) => {
                pool.locks.push(lock);
                return Ok(UidLease { uid });
            }
            Ok(None) => continue, // Another grader owns it.
            Err(e) => return Err(format!("cannot lock worker uid {uid}: {e}")),
        }
    }
    Err(format!(
        "all {WORKER_UID_COUNT} worker uids from {WORKER_UID_BASE} are in use by this and other graders; run fewer \
         graders or a smaller `--jobs`"
    ))
}

/// The lock directory this grader uses, once it has leased a uid.
pub(crate) fn lock_dir_in_use() -> Option<PathBuf> {
    pool().dir.as_ref().map(|(_, path)| path.clone())
}

struct Pool {
    /// The lock directory, opened once, and its path.
    dir: Option<(OwnedFd, PathBuf)>,
    /// The lock files of every uid this grader owns (held until it exits).
    locks: Vec<OwnedFd>,
    /// Owned uids no worker uses now.
    free: Vec<u32>,
    /// The next slot to try to own.
    next: u32,
}

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    static POOL: Mutex<Pool> = Mutex::new(Pool { dir: None, locks: Vec::new(), free: Vec::new(), next: 0 });
    POOL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `flock`s `<dir>/<uid>`: the lock file, or `None` if another grader holds it.
fn lock_uid(dir: libc::c_int, uid: u32) -> io::Result<Option<OwnedFd>> {
    let name = CString::new(uid.to_string()).expect("digits have no NUL");
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    // SAFETY: valid directory fd and C string; a non-negative return is a fresh fd we own.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags, 0o600 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh fd from openat.
    let file = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: flock on an fd we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(Some(file));
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) { Ok(None) } else { Err(err) }
}

/// Creates (0700) or opens the lock directory and checks that only root can change it. Which directory depends only
/// on `/run`, never on a failure: every grader of the machine must use the same one, or two could own one uid.
fn open_lock_dir() -> Result<(OwnedFd, PathBuf), String> {
    let run_is_roots = Path::new("/run").symlink_metadata().is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.is_dir() && m.uid() == 0 && m.mode() & 0o022 == 0
    });
    let dir = if run_is_roots { PathBuf::from(LOCK_DIR) } else { fallback_lock_dir() };
    let problem = |what: &str, e: &dyn std::fmt::Display| {
        format!(
            "cannot use `{}` to reserve worker uids: {what}: {e}; remove it, or make it a directory owned by root and \
             writable only by root",
            dir.display()
        )
    };
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| problem("cannot create its parent", &e))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(problem("cannot create it", &e)),
    }
    let path = CString::new(dir.as_os_str().as_bytes()).map_err(|e| problem("bad path", &e))?;
    // SAFETY: valid C string; O_NOFOLLOW refuses a symlink planted in its place.
    let fd =
        unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(problem("cannot open it", &io::Error::last_os_error()));
    }
    // SAFETY: fresh fd from open.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: valid fd and out-pointer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(problem("cannot stat it", &io::Error::last_os_error()));
    }
    if st.st_uid != 0 || st.st_mode & 0o022 != 0 {
        let found = format!("owner uid {}, mode {:o}", st.st_uid, st.st_mode & 0o7777);
        return Err(problem("another user could hand out uids", &found));
    }
    Ok((fd, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_below_2_pow_31_and_clear_of_root_and_nobody() {
        let last = WORKER_UID_BASE + (WORKER_UID_COUNT - 1);
        assert!(last < 0x7FFE_0000, "{last:#x}");
        assert!(is_worker_uid(WORKER_UID_BASE) && is_worker_uid(last));
        assert!(!is_worker_uid(0) && !is_worker_uid(65534 /* nobody */) && !is_worker_uid(last + 1));
    }

    #[test]
    fn a_uid_locked_elsewhere_is_skipped() {
        // flock locks belong to an open file description: a second open of the same file stands for another
        // grader.
        let dir = std::env::temp_dir().join(format!("schedgrade-uid-lock-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: valid C string.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: fresh fd.
        let dir_fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mine = lock_uid(dir_fd.as_raw_fd(), WORKER_UID_BASE).unwrap();
        assert!(mine.is_some());
        assert!(lock_uid(dir_fd.as_raw_fd(), WORKER_UID_BASE).unwrap().is_none(), "held by the first lock");
        assert!(lock_uid(dir_fd.as_raw_fd(), WORKER_UID_BASE + 1).unwrap().is_some());
        drop(mine);
        assert!(lock_uid(dir_fd.as_raw_fd(), WORKER_UID_BASE).unwrap().is_some(), "released with its file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
