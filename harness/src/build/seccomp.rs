//! The seccomp deny-list of a build, installed by the trampoline just before it `exec`s the compiler.
//!
//! A build runs no student code (no build script, no proc macro, no dependency), only `rustc`, the C compiler
//! driver and the linker, on hostile input. So this is a deny-list: those programs need processes, threads,
//! pipes and files, and Landlock decides which files. What no compiler needs is denied with `EPERM` for every
//! process of the build (filters are inherited across `fork` and `exec` and cannot be removed):
//!
//! - the network: `socket` of any family but `AF_UNIX`;
//! - other processes' memory and limits: `ptrace`, `process_vm_readv`/`writev`, `pidfd_getfd`, `prlimit64` on a
//!   process other than the caller, and the scheduling and I/O priority of anyone (`setpriority`, `sched_set*`,
//!   `ioprio_set`);
//! - leaving the build's process group, which the grader kills when the build ends: `setsid`, `setpgid`;
//! - namespaces and mounts (`unshare`, `setns`, `clone` with a `CLONE_NEW*` flag, the mount API, `chroot`);
//! - the kernel's other doors: `bpf`, `perf_event_open`, `userfaultfd`, the key ring, modules, `kexec`, `reboot`,
//!   swap, accounting, quotas, file handles, and `io_uring` (whose operations seccomp never sees).
//!
//! `clone3` answers `ENOSYS`: its flags are behind a pointer a filter cannot read, and the C library then falls
//! back to `clone`, whose flags it can. On x86_64 the x32 system-call numbers, which would slip past a list of
//! x86_64 numbers, are denied as a whole.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};

/// Denied whatever their arguments.
#[rustfmt::skip]
const DENIED: &[i64] = &[
    libc::SYS_ptrace, libc::SYS_process_vm_readv, libc::SYS_process_vm_writev, libc::SYS_pidfd_getfd,
    libc::SYS_setpriority, libc::SYS_sched_setscheduler, libc::SYS_sched_setparam, libc::SYS_sched_setattr,
    libc::SYS_sched_setaffinity, libc::SYS_ioprio_set,
    libc::SYS_setsid, libc::SYS_setpgid,
    libc::SYS_unshare, libc::SYS_setns, libc::SYS_mount, libc::SYS_umount2, libc::SYS_pivot_root, libc::SYS_chroot,
    libc::SYS_open_tree, libc::SYS_move_mount, libc::SYS_fsopen, libc::SYS_fsconfig, libc::SYS_fsmount,
    libc::SYS_fspick, libc::SYS_mount_setattr,
    libc::SYS_bpf, libc::SYS_perf_event_open, libc::SYS_userfaultfd, libc::SYS_keyctl, libc::SYS_add_key,
    libc::SYS_request_key, libc::SYS_kexec_load, libc::SYS_kexec_file_load, libc::SYS_init_module,
    libc::SYS_finit_module, libc::SYS_delete_module, libc::SYS_reboot, libc::SYS_swapon, libc::SYS_swapoff,
    libc::SYS_acct, libc::SYS_quotactl, libc::SYS_open_by_handle_at, libc::SYS_name_to_handle_at,
    libc::SYS_io_uring_setup, libc::SYS_io_uring_enter, libc::SYS_io_uring_register,
];

/// The `clone` flags that create namespaces.
const NAMESPACE_FLAGS: [libc::c_int; 7] = [
    libc::CLONE_NEWNS,
    libc::CLONE_NEWCGROUP,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
];

/// The filters to install, in order.
pub(crate) fn filters() -> Result<Vec<BpfProgram>, String> {
    let mut denied: BTreeMap<i64, Vec<SeccompRule>> = DENIED.iter().map(|&nr| (nr, Vec::new())).collect();
    denied.insert(libc::SYS_socket, vec![rule(0, SeccompCmpOp::Ne, libc::AF_UNIX as u64)?]);
    denied.insert(libc::SYS_prlimit64, vec![rule(0, SeccompCmpOp::Ne, 0)?]);
    let clone_rules = NAMESPACE_FLAGS
        .iter()
        .map(|&flag| rule(0, SeccompCmpOp::MaskedEq(flag as u64), flag as u64))
        .collect::<Result<Vec<_>, _>>()?;
    denied.insert(libc::SYS_clone, clone_rules);
    let mut programs = vec![
        compile(denied, SeccompAction::Errno(libc::EPERM as u32))?,
        compile(BTreeMap::from([(libc::SYS_clone3, Vec::new())]), SeccompAction::Errno(libc::ENOSYS as u32))?,
    ];
    programs.extend(x32_guard());
    Ok(programs)
}

/// Installs [`filters`] on the calling thread (and so on whatever it `exec`s). Needs `no_new_privs`, which the
/// trampoline sets first.
pub(crate) fn install() -> Result<(), String> {
    for program in filters()? {
        seccompiler::apply_filter(&program).map_err(|e| format!("seccomp: {e}"))?;
    }
    Ok(())
}

fn rule(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompRule, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value)
        .and_then(|condition| SeccompRule::new(vec![condition]))
        .map_err(|e| format!("seccomp rule: {e}"))
}

fn compile(rules: BTreeMap<i64, Vec<SeccompRule>>, matched: SeccompAction) -> Result<BpfProgram, String> {
    SeccompFilter::new(rules, SeccompAction::Allow, matched, target_arch())
        .and_then(BpfProgram::try_from)
        .map_err(|e| format!("seccomp filter: {e}"))
}

fn target_arch() -> TargetArch {
    #[cfg(target_arch = "aarch64")]
    return TargetArch::aarch64;
    #[cfg(target_arch = "riscv64")]
    return TargetArch::riscv64;
    #[cfg(not(any(target_arch = "aarch64", target_arch = "riscv64")))]
    TargetArch::x86_64
}

/// On x86_64, denies every system call numbered with the x32 bit (`0x4000_0000`). `None` elsewhere.
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
            op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
            op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_ALLOW),
        ])
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_compile() {
        assert!(super::filters().unwrap().len() >= 2);
    }
}
