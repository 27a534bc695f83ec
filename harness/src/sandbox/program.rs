//! The program a worker runs, held open as a file descriptor and executed with `execveat(fd, "", AT_EMPTY_PATH)`.
//!
//! The grader's own worker ([`WorkerProgram::embedded`]) is the `schedgrade-worker` binary embedded in this one at
//! build time (see `harness/build.rs`), copied once per grader process into a sealed memory file: nothing on disk
//! can be swapped, deleted or made stale by another grader, and the worker's user needs no path to it.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::OnceLock;

use super::error::SandboxError;

include!(concat!(env!("OUT_DIR"), "/worker.rs"));

/// An executable, open read-only.
#[derive(Debug)]
pub struct WorkerProgram {
    fd: OwnedFd,
    /// `argv[0]` and the name in messages.
    name: String,
}

impl WorkerProgram {
    /// The grader's worker: the embedded `schedgrade-worker`, in a sealed memory file created on first use.
    pub fn embedded() -> Result<&'static WorkerProgram, SandboxError> {
        static EMBEDDED: OnceLock<Result<WorkerProgram, String>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| sealed_copy(WORKER_BINARY).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|reason| SandboxError::Embedded { reason: reason.clone() })
    }

    /// Another program, such as a test binary playing the worker.
    pub fn open(path: &Path) -> Result<WorkerProgram, SandboxError> {
        let file = std::fs::File::open(path).map_err(|source| SandboxError::Spawn { program: path.into(), source })?;
        Ok(WorkerProgram { fd: file.into(), name: path.display().to_string() })
    }

    /// The descriptor to execute.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// The program's name, for `argv[0]` and messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bytes of the embedded worker, for checking what it contains.
    pub fn embedded_bytes() -> &'static [u8] {
        WORKER_BINARY
    }
}

/// Copies `bytes` into a memory file, seals it against any change, and reopens it read-only (`execve` refuses a file
/// that is open for writing).
fn sealed_copy(bytes: &[u8]) -> io::Result<WorkerProgram> {
    const MFD_EXEC: libc::c_uint = 0x10;
    let name = c"schedgrade-worker";
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: a valid C string and flags; a non-negative return is a new fd we own.
    let mut raw = unsafe { libc::memfd_create(name.as_ptr(), flags | MFD_EXEC) };
    if raw < 0 {
        // Kernels before 6.3 do not know MFD_EXEC; their memory files are executable anyway.
        raw = unsafe { libc::memfd_create(name.as_ptr(), flags) };
    }
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh fd from memfd_create.
    let writable = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut file = std::fs::File::from(writable);
    file.write_all(bytes)?;
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: fcntl on our own fd.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let reopened = std::fs::File::open(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    drop(file);
    Ok(WorkerProgram { fd: reopened.into(), name: "schedgrade-worker".to_owned() })
}
