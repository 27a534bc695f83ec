//! The host's side of the memory watch (see the worker's `memwatch`): receive the listener of the worker's filter
//! (with the worker's credentials, attached by the kernel), check in `/proc/<pid>/status` that the worker has every
//! seccomp filter in place and answer, then, for each big `mmap`/`mremap`, read the worker's size from `/proc` and
//! note whether the request crosses the address-space limit. This observation, not anything on the worker's
//! stderr, is what makes a `memory-limit`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use schedgrade_kernel::wire::{FILTERS_MISSING, FILTERS_VERIFIED};

/// What the host saw of the worker's big allocations.
#[derive(Debug)]
pub(crate) struct MemWatch {
    /// The host's end of the socket the listener arrives on; `None` once it did (or the worker closed it).
    socket: Option<OwnedFd>,
    /// The seccomp listener.
    listener: Option<OwnedFd>,
    limit_bytes: u64,
    /// Some request would have taken the worker's address space over the limit.
    pub(crate) limit_reached: bool,
    /// The host found the worker's filters in place (`None`: the worker never asked).
    pub(crate) filters_verified: Option<bool>,
}

impl MemWatch {
    pub(crate) fn new(socket: OwnedFd, limit_bytes: u64) -> MemWatch {
        MemWatch { socket: Some(socket), listener: None, limit_bytes, limit_reached: false, filters_verified: None }
    }

    /// The descriptors to poll for input.
    pub(crate) fn fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.socket.iter().chain(&self.listener).map(|fd| fd.as_raw_fd())
    }

    /// Handles readiness of one of [`MemWatch::fds`]; returns false if `fd` is not ours.
    pub(crate) fn handle(&mut self, fd: RawFd) -> bool {
        if self.socket.as_ref().is_some_and(|s| s.as_raw_fd() == fd) {
            let socket = self.socket.take().expect("checked above");
            // One message, one answer, then the worker closes its end: done with the socket either way.
            if let Some((listener, pid)) = receive_fd(socket.as_raw_fd()) {
                let verified = filters_in_place(pid);
                self.filters_verified = Some(verified);
                let answer = if verified { FILTERS_VERIFIED } else { FILTERS_MISSING };
                // SAFETY: writing one byte from a valid buffer to our socket.
                unsafe { libc::write(socket.as_raw_fd(), [answer].as_ptr().cast(), 1) };
                self.listener = Some(listener);
            }
            true
        } else if self.listener.as_ref().is_some_and(|l| l.as_raw_fd() == fd) {
            if !self.answer_one() {
                // POLLHUP: the watched process is gone.
                self.listener = None;
            }
            true
        } else {
            false
        }
    }

    /// Receives one notification, judges it and lets the syscall continue. False if there was none to receive.
    fn answer_one(&mut self) -> bool {
        let Some(listener) = &self.listener else { return false };
        // SAFETY: zeroed plain-data structs, as the ioctl requires; the fd is a seccomp listener.
        unsafe {
            let mut notif: libc::seccomp_notif = std::mem::zeroed();
            if libc::ioctl(listener.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_RECV, &mut notif) != 0 {
                return io::Error::last_os_error().raw_os_error() == Some(libc::EINTR);
            }
            let args = notif.data.args;
            let requested =
                if notif.data.nr == libc::SYS_mremap as i32 { args[2].saturating_sub(args[1]) } else { args[1] };
            if vm_size_bytes(notif.pid).is_some_and(|size| size.saturating_add(requested) > self.limit_bytes) {
                self.limit_reached = true;
            }
            let mut response: libc::seccomp_notif_resp = std::mem::zeroed();
            response.id = notif.id;
            response.flags = libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32;
            // ENOENT: the worker was killed meanwhile; nothing to answer.
            libc::ioctl(listener.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_SEND, &mut response);
        }
        true
    }
}

/// Whether `pid` is in seccomp filter mode with the grader's own filters plus every filter the worker installs.
fn filters_in_place(pid: i32) -> bool {
    let Ok(theirs) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return false };
    let ours = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |status: &str, name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<u32>().ok())
    };
    let inherited = field(&ours, "Seccomp_filters:").unwrap_or(0);
    field(&theirs, "Seccomp:") == Some(2)
        && field(&theirs, "Seccomp_filters:")
            .is_some_and(|n| n >= inherited + schedgrade_worker::sandbox::INSTALLED_FILTERS)
}

/// Asks the kernel to attach the sender's credentials to every message received on `socket`.
pub(crate) fn pass_credentials(socket: &OwnedFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: setsockopt with a valid int option on our socket.
    let ret = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PASSCRED,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if ret == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// `VmSize` of `pid` in bytes, from `/proc/<pid>/status`.
fn vm_size_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmSize:"))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Receives one descriptor sent with `SCM_RIGHTS`, and the sender's pid from the `SCM_CREDENTIALS` the kernel
/// attached (in this process's PID namespace), if the message holds both.
fn receive_fd(socket: RawFd) -> Option<(OwnedFd, i32)> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = [0u64; 16];
    // SAFETY: msghdr over buffers that outlive the call; received fds are new and ours.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        if libc::recvmsg(socket, &mut msg, libc::MSG_CMSG_CLOEXEC | libc::MSG_DONTWAIT) <= 0 {
            return None;
        }
        let (mut fd, mut pid) = (None, None);
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            match ((*cmsg).cmsg_level, (*cmsg).cmsg_type) {
                (libc::SOL_SOCKET, libc::SCM_RIGHTS) => {
                    let raw = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>());
                    fd = Some(OwnedFd::from_raw_fd(raw));
                }
                (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) => {
                    pid = Some(std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::ucred>()).pid);
                }
                _ => {}
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
        Some((fd?, pid?))
    }
}
