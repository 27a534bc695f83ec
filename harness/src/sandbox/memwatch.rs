//! The host's side of the memory watch (see the worker's `memwatch`): receive the listener of the worker's filter,
//! and for each big `mmap`/`mremap`, read the worker's size from `/proc` and note whether the request crosses the
//! address-space limit. This observation, not anything on the worker's stderr, is what makes a `memory-limit`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

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
}

impl MemWatch {
    pub(crate) fn new(socket: OwnedFd, limit_bytes: u64) -> MemWatch {
        MemWatch { socket: Some(socket), listener: None, limit_bytes, limit_reached: false }
    }

    /// The descriptors to poll for input.
    pub(crate) fn fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.socket.iter().chain(&self.listener).map(|fd| fd.as_raw_fd())
    }

    /// Handles readiness of one of [`MemWatch::fds`]; returns false if `fd` is not ours.
    pub(crate) fn handle(&mut self, fd: RawFd) -> bool {
        if self.socket.as_ref().is_some_and(|s| s.as_raw_fd() == fd) {
            let socket = self.socket.take().expect("checked above");
            // One message, then the worker closes its end: done with the socket either way.
            self.listener = receive_fd(socket.as_raw_fd());
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

/// `VmSize` of `pid` in bytes, from `/proc/<pid>/status`.
fn vm_size_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmSize:"))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Receives one descriptor sent with `SCM_RIGHTS`, if the message holds one.
fn receive_fd(socket: RawFd) -> Option<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = [0u64; 4];
    // SAFETY: msghdr over buffers that outlive the call; the received fd is new and ours.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        if libc::recvmsg(socket, &mut msg, libc::MSG_CMSG_CLOEXEC | libc::MSG_DONTWAIT) <= 0 {
            return None;
        }
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null() || (*cmsg).cmsg_level != libc::SOL_SOCKET || (*cmsg).cmsg_type != libc::SCM_RIGHTS {
            return None;
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>());
        Some(OwnedFd::from_raw_fd(fd))
    }
}
