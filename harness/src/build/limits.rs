//! Resource limits of the compiler: memory, file size, no core dumps, death with the grader.
//!
//! They are set between `fork` and `exec` of the build's first process (the trampoline, or the compiler when
//! unconfined), so `rustc`, the C compiler driver and the linker all inherit them. Soft and hard limits are equal;
//! the trampoline drops the capability that would let a root build raise them.
//!
//! # The numbers
//!
//! Measured on 2 shared Intel Xeon cores (24 GB, Linux 6.18), rustc 1.95.0, 2026-11-29, peak over the build's
//! processes:
//!
//! | submission                               | `VmData` (what `RLIMIT_DATA` counts) | `VmPeak` | RSS    | output |
//! |------------------------------------------|---------------------------------------:|---------:|-------:|-------:|
//! | the ten-policy `good` fixture            | 132 MB                                  | 508 MB   | 148 MB | 1.3 MB |
//! | the reference solution (ten policies)    | 144 MB                                  | 519 MB   | 154 MB | 1.3 MB |
//! | a 256 MiB non-zero `static`              | 1270 MB                                 | 1571 MB  | 670 MB | 269 MB |
//!
//! - Memory is bounded with `RLIMIT_DATA`, not `RLIMIT_AS`: since Linux 4.7 it counts every private writable
//!   mapping (heap, `mmap`ed buffers, thread stacks) but not the address space `rustc` and LLVM only reserve, nor
//!   the mapped toolchain libraries, which make `VmPeak` 3.5× the real use and would grow with the number of
//!   threads and malloc arenas. 1 GiB is 7× a normal build. A 2 GiB `static` then fails at once, in the constant
//!   evaluator ("tried to allocate more memory than available to compiler", after using 36 MB) instead of
//!   using 4.7 GB; a compiler or linker allocation that fails aborts the process, which the builder reports as
//!   running out of memory.
//! - Files are bounded with `RLIMIT_FSIZE` at 64 MiB, 50× a normal library; a `static` large enough to pass the
//!   memory limit but not this one makes the compiler or linker die of `SIGXFSZ`, which the builder reports.
//! - `RLIMIT_CORE` is 0: a compiler killed by a limit must not write a core dump of its gigabyte of memory.
//! - The parent-death signal is `SIGKILL`: a build does not outlive the grader thread that started it.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// The limits of one build's processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildLimits {
    /// `RLIMIT_DATA` of each process, in bytes.
    pub memory_bytes: u64,
    /// `RLIMIT_FSIZE`: the largest file a process may write, in bytes.
    pub file_bytes: u64,
}

impl BuildLimits {
    /// The defaults (see the module documentation for why).
    pub const DEFAULT: BuildLimits = BuildLimits { memory_bytes: 1 << 30, file_bytes: 64 << 20 };
}

impl Default for BuildLimits {
    fn default() -> BuildLimits {
        BuildLimits::DEFAULT
    }
}

/// Makes `command` start with these limits.
pub(crate) fn apply(command: &mut Command, limits: BuildLimits) {
    // Never above the grader's own hard limits: an unprivileged process cannot raise them.
    let capped = |resource, value: u64| {
        let mut current = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes the struct it is given.
        if unsafe { libc::getrlimit(resource, &mut current) } == 0 { value.min(current.rlim_max) } else { value }
    };
    let memory_bytes = capped(libc::RLIMIT_DATA, limits.memory_bytes);
    let file_bytes = capped(libc::RLIMIT_FSIZE, limits.file_bytes);
    // SAFETY: between fork and exec the closure only makes async-signal-safe system calls (setrlimit, prctl) on
    // values captured by copy; it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            for (resource, value) in
                [(libc::RLIMIT_DATA, memory_bytes), (libc::RLIMIT_FSIZE, file_bytes), (libc::RLIMIT_CORE, 0)]
            {
                let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `bytes` in MiB, for messages.
pub(crate) fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}
