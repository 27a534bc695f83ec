//! Letting the host see the address-space limit being reached.
//!
//! Student code shares the worker's address space and its stderr, so nothing the worker says about memory can be
//! believed. Instead, a seccomp filter hands every `mmap` of at least [`WATCHED_BYTES`] and every `mremap` to at
//! least that size to the host as a user notification: the host reads the worker's current size from `/proc`,
//! notes whether the request would cross the limit, and lets the kernel carry on (the rlimit still decides). Small
//! allocations are not watched: when glibc's heap cannot grow, `malloc` falls back to an `mmap` of at least 1 MiB,
//! which is.
//!
//! The same socket carries the host's check of the filters: the host reads the worker's `Seccomp:` and
//! `Seccomp_filters:` from `/proc/<pid>/status` (the worker's private root has no `/proc`) before it lets the worker
//! go on.

use std::io;
use std::os::fd::RawFd;

use schedgrade_kernel::wire::{FILTERS_VERIFIED, NOTIFY_FD};

use crate::error::SetupError;

/// `mmap` and `mremap` requests of at least this many bytes go to the host.
pub const WATCHED_BYTES: u32 = 1 << 20;

/// Installs the watching filter and returns its listener, for [`hand_over`].
pub fn install() -> Result<RawFd, SetupError> {
    let error = |e: io::Error| SetupError::Seccomp { stage: "memory-watch", message: e.to_string() };
    let program = filter();
    let fprog = libc::sock_fprog { len: program.len() as u16, filter: program.as_ptr().cast_mut() };
    // SAFETY: plain prctl and seccomp calls on a valid filter that outlives them.
    let listener = unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(error(io::Error::last_os_error()));
        }
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &fprog as *const libc::sock_fprog,
        )
    };
    if listener < 0 {
        return Err(error(io::Error::last_os_error()));
    }
    Ok(listener as RawFd)
}

/// Sends the listener to the host over [`NOTIFY_FD`] (the kernel attaches this process's credentials, so the host
/// knows which process to check), waits for the host's verdict on the installed filters, then closes both: nothing
/// of it stays within reach of student code. Returns whether the host found every filter in place.
pub fn hand_over(listener: RawFd) -> Result<bool, SetupError> {
    let error = |e: io::Error| SetupError::Seccomp { stage: "memory-watch", message: e.to_string() };
    let sent = send_fd(NOTIFY_FD, listener);
    let mut answer = [0u8; 1];
    // SAFETY: reading into a valid buffer; closing descriptors we own.
    let read = unsafe {
        let read = if sent.is_ok() { libc::read(NOTIFY_FD, answer.as_mut_ptr().cast(), 1) } else { -1 };
        libc::close(listener);
        libc::close(NOTIFY_FD);
        read
    };
    sent.map_err(error)?;
    Ok(read == 1 && answer[0] == FILTERS_VERIFIED)
}

/// The filter: user notification for big `mmap`/`mremap` requests of this architecture, allow everything else
/// (the allow-list, installed next, decides the rest).
fn filter() -> Vec<libc::sock_filter> {
    #[cfg(target_arch = "x86_64")]
    const ARCH: u32 = 0xC000_003E;
    #[cfg(target_arch = "aarch64")]
    const ARCH: u32 = 0xC000_00B7;
    #[cfg(target_arch = "riscv64")]
    const ARCH: u32 = 0xC000_00F3;
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x05 | 0x10;
    const JGE_K: u16 = 0x05 | 0x30;
    const RET_K: u16 = 0x06;
    // seccomp_data: nr at 0, arch at 4, args at 16 + 8 * i (little-endian: low word first).
    const fn arg_low(i: u32) -> u32 {
        16 + 8 * i
    }
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    vec![
        /* 0 */ op(LD_W_ABS, 0, 0, 4),
        /* 1 */ op(JEQ_K, 0, 11, ARCH),
        /* 2 */ op(LD_W_ABS, 0, 0, 0),
        /* 3 */ op(JEQ_K, 0, 4, libc::SYS_mmap as u32),
        /* 4 */ op(LD_W_ABS, 0, 0, arg_low(1) + 4),
        /* 5 */ op(JEQ_K, 0, 8, 0),
        /* 6 */ op(LD_W_ABS, 0, 0, arg_low(1)),
        /* 7 */ op(JGE_K, 6, 5, WATCHED_BYTES),
        /* 8 */ op(JEQ_K, 0, 4, libc::SYS_mremap as u32),
        /* 9 */ op(LD_W_ABS, 0, 0, arg_low(2) + 4),
        /* 10 */ op(JEQ_K, 0, 3, 0),
        /* 11 */ op(LD_W_ABS, 0, 0, arg_low(2)),
        /* 12 */ op(JGE_K, 1, 0, WATCHED_BYTES),
        /* 13 */ op(RET_K, 0, 0, libc::SECCOMP_RET_ALLOW),
        /* 14 */ op(RET_K, 0, 0, libc::SECCOMP_RET_USER_NOTIF),
    ]
}

/// Sends `fd` over the Unix socket `socket` (`SCM_RIGHTS`).
fn send_fd(socket: RawFd, fd: RawFd) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    // Room for one cmsghdr carrying one int, aligned as the kernel expects.
    let mut control = [0u64; 4];
    // SAFETY: msghdr and cmsg built over buffers that outlive the call; CMSG_* compute offsets within `control`.
    unsafe {
        let space = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
        if libc::sendmsg(socket, &msg, 0) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
