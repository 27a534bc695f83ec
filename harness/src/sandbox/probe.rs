//! Which sandbox layers work on this machine, found by trying each one in a forked child.

use std::fmt;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

use super::isolation::{RootPlan, UserMap, WorkerRoot};
use super::worker_uid::{WORKER_UID_BASE, lease, lock_dir_in_use};
use schedgrade_worker::sandbox::{LANDLOCK_ABI_NET, LANDLOCK_ABI_SCOPE, landlock_abi};

/// One layer of the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// A new user namespace: lets an unprivileged grader create the other namespaces.
    UserNamespace,
    /// A new network namespace: the worker sees no network interface.
    NetNamespace,
    /// A new IPC namespace: no System V IPC or POSIX message queue shared with the host.
    IpcNamespace,
    /// A new PID namespace per worker: it sees no other process, and everything in it dies with it.
    PidNamespace,
    /// A new mount namespace per worker whose root holds only the system libraries and the worker's own files.
    MountNamespace,
    /// CPU, address-space, file-size, open-file and core-dump rlimits.
    Rlimits,
    /// Running the worker as an unprivileged uid when the grader runs as root.
    PrivilegeDrop,
    /// A uid of its own for every concurrent worker (when the grader runs as root).
    WorkerUid,
    /// `PR_SET_PDEATHSIG`: the worker dies with the grader.
    ParentDeathSignal,
    /// Landlock: read-only access to system libraries and the one student library, no TCP, scoped signals.
    Landlock,
    /// seccomp-bpf: the deny-list before loading, the allow-list after, violations reported by `SIGSYS`.
    Seccomp,
}

impl Layer {
    /// Every layer, in the order `doctor` lists them.
    pub const ALL: [Layer; 11] = [
        Layer::UserNamespace,
        Layer::NetNamespace,
        Layer::IpcNamespace,
        Layer::PidNamespace,
        Layer::MountNamespace,
        Layer::Rlimits,
        Layer::PrivilegeDrop,
        Layer::WorkerUid,
        Layer::ParentDeathSignal,
        Layer::Landlock,
        Layer::Seccomp,
    ];

    /// The stable kebab-case name of the layer.
    pub fn name(self) -> &'static str {
        match self {
            Layer::UserNamespace => "user-namespace",
            Layer::NetNamespace => "net-namespace",
            Layer::IpcNamespace => "ipc-namespace",
            Layer::PidNamespace => "pid-namespace",
            Layer::MountNamespace => "mount-namespace",
            Layer::Rlimits => "rlimits",
            Layer::PrivilegeDrop => "privilege-drop",
            Layer::WorkerUid => "worker-uid",
            Layer::ParentDeathSignal => "parent-death-signal",
            Layer::Landlock => "landlock",
            Layer::Seccomp => "seccomp",
        }
    }

    /// What grading loses without this layer.
    fn consequence(self) -> &'static str {
        match self {
            Layer::UserNamespace => "an unprivileged grader cannot create network and IPC namespaces",
            Layer::NetNamespace => "only seccomp (and Landlock) keep student code off the network",
            Layer::IpcNamespace => {
                "student code could reach System V IPC objects of the host (seccomp still denies the syscalls after loading)"
            }
            Layer::PidNamespace => {
                "student code sees every process of the machine, and a process it leaves behind may outlive the grader"
            }
            Layer::MountNamespace => {
                "student code can stat and list paths outside Landlock's rules: the grader's install path, and the size \
                 and time of every test case and golden trace"
            }
            Layer::Rlimits => {
                "CPU and memory limits are not enforced by the kernel; only the wall-clock timeout remains"
            }
            Layer::PrivilegeDrop => "student code runs with the grader's privileges",
            Layer::WorkerUid => {
                "concurrent workers share one uid, so one student's code could lower the limits or priority of \
                 another's"
            }
            Layer::ParentDeathSignal => "workers may outlive a grader that is killed",
            Layer::Landlock => {
                "student code can read any file the worker's user can read, including other submissions and expected traces"
            }
            Layer::Seccomp => "student code can fork, exec, open sockets and make any syscall",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a layer works here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerState {
    /// It works and every worker gets it.
    Active,
    /// Part of it works (such as Landlock without network rules).
    Partial,
    /// Not needed in this setting (such as dropping privileges when not root).
    NotNeeded,
    /// It does not work here: grading runs without it.
    Missing,
}

impl LayerState {
    /// The stable kebab-case name of the state.
    pub fn name(self) -> &'static str {
        match self {
            LayerState::Active => "active",
            LayerState::Partial => "partial",
            LayerState::NotNeeded => "not-needed",
            LayerState::Missing => "missing",
        }
    }
}

/// The state of one layer on this machine, with a one-line explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerStatus {
    /// The layer.
    pub layer: Layer,
    /// Whether it works.
    pub state: LayerState,
    /// How it was tested and what was found.
    pub detail: String,
}

impl fmt::Display for LayerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<20} {:<10} {}", self.layer.name(), self.state.name(), self.detail)
    }
}

/// Tests every layer on this machine, each in a forked child that really applies it. Takes a few milliseconds;
/// the result is computed once per process and cached.
pub fn probe_layers() -> Vec<LayerStatus> {
    static LAYERS: OnceLock<Vec<LayerStatus>> = OnceLock::new();
    LAYERS.get_or_init(probe_all).clone()
}

/// The warnings to print when grading starts: one line per layer that is missing or partial, saying what
/// grading loses. Empty when every layer works.
pub fn startup_warnings(layers: &[LayerStatus]) -> Vec<String> {
    layers
        .iter()
        .filter(|l| matches!(l.state, LayerState::Missing | LayerState::Partial))
        .map(|l| {
            format!(
                "sandbox layer `{}` is {} ({}): {}; run `schedgrade doctor` for details",
                l.layer,
                l.state.name(),
                l.detail,
                l.layer.consequence()
            )
        })
        .collect()
}

/// The namespaces every worker gets, decided once per process.
#[derive(Debug)]
pub(crate) struct NamespacePlan {
    /// The `unshare(2)` flags the child passes (0 for none).
    pub flags: libc::c_int,
    /// As root: an empty network namespace created once and joined by every worker with `setns(2)`. Creating one
    /// per worker costs about 1 ms, plus a teardown in a kernel worker that competes with the next tests.
    pub shared_net: Option<OwnedFd>,
    pub user: bool,
    pub net: bool,
    pub ipc: bool,
    /// A PID namespace per worker (`CLONE_NEWPID` is in `flags`; see [`super::isolation`]).
    pub pid: bool,
    /// A private root per worker (`CLONE_NEWNS` is in `flags`; see [`super::isolation`]).
    pub mount: bool,
    /// The fixed part of the private root.
    pub root: RootPlan,
    /// Not root, in a user namespace: the uid and gid maps the child writes.
    pub user_map: Option<UserMap>,
    /// The grader runs as root: the child drops to a worker uid of its own.
    pub drop_privileges: bool,
}

pub(crate) fn namespace_plan() -> &'static NamespacePlan {
    static PLAN: OnceLock<NamespacePlan> = OnceLock::new();
    PLAN.get_or_init(|| {
        // SAFETY: geteuid has no preconditions.
        let root_user = unsafe { libc::geteuid() } == 0;
        let root = RootPlan::system();
        let empty = root.for_worker(None, &[]);
        let try_flags = |flags: libc::c_int| run_in_child(|| unshare_code(flags)) == 0;
        if root_user {
            let shared_net = shared_net_namespace();
            let ipc = try_flags(libc::CLONE_NEWIPC);
            let pid = run_in_child(|| pid_namespace_code(0)) == 0;
            let mount = run_in_child(|| private_root_code(0, None, &root, &empty)) == 0;
            let flags = flag(ipc, libc::CLONE_NEWIPC) | flag(pid, libc::CLONE_NEWPID) | flag(mount, libc::CLONE_NEWNS);
            let net = shared_net.is_some();
            return NamespacePlan {
                flags,
                shared_net,
                user: false,
                net,
                ipc,
                pid,
                mount,
                root,
                user_map: None,
                drop_privileges: true,
            };
        }
        let user = libc::CLONE_NEWUSER;
        let (net, ipc) = if try_flags(user | libc::CLONE_NEWNET | libc::CLONE_NEWIPC) {
            (true, true)
        } else {
            (try_flags(user | libc::CLONE_NEWNET), try_flags(user | libc::CLONE_NEWIPC))
        };
        let pid = run_in_child(|| pid_namespace_code(user)) == 0;
        let map = UserMap::for_grader();
        let mount = run_in_child(|| private_root_code(user, Some(&map), &root, &empty)) == 0;
        let flags = flag(net, libc::CLONE_NEWNET)
            | flag(ipc, libc::CLONE_NEWIPC)
            | flag(pid, libc::CLONE_NEWPID)
            | flag(mount, libc::CLONE_NEWNS);
        let flags = if flags != 0 { flags | user } else { 0 };
        NamespacePlan {
            flags,
            shared_net: None,
            user: flags != 0,
            net,
            ipc,
            pid,
            mount,
            root,
            user_map: (flags != 0).then_some(map),
            drop_privileges: false,
        }
    })
}

fn flag(on: bool, flag: libc::c_int) -> libc::c_int {
    if on { flag } else { 0 }
}

/// Child-side probe: `unshare(user | CLONE_NEWPID)`, then a child in the new namespace must be its pid 1.
fn pid_namespace_code(user: libc::c_int) -> libc::c_int {
    // SAFETY: raw syscalls; the grandchild only calls getpid and _exit.
    unsafe {
        if libc::unshare(user | libc::CLONE_NEWPID) != 0 {
            return errno();
        }
        let child = libc::fork();
        if child < 0 {
            return errno();
        }
        if child == 0 {
            libc::_exit(if libc::getpid() == 1 { 0 } else { 1 });
        }
        let mut status = 0;
        libc::waitpid(child, &mut status, 0);
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 { 0 } else { libc::EINVAL }
    }
}

/// Child-side probe: `unshare(user | CLONE_NEWNS)`, the uid map if given, the private root, then a check that
/// the old root is gone (`/proc` is not in the new one) and the system libraries are there.
fn private_root_code(user: libc::c_int, map: Option<&UserMap>, root: &RootPlan, worker: &WorkerRoot) -> libc::c_int {
    // SAFETY: raw syscalls on data prepared before the fork.
    unsafe {
        if libc::unshare(user | libc::CLONE_NEWNS) != 0 {
            return errno();
        }
        if let Some(map) = map
            && let Err(e) = map.write()
        {
            return e.raw_os_error().unwrap_or(libc::EINVAL);
        }
        if let Err(e) = root.enter(worker, true) {
            return e.raw_os_error().unwrap_or(libc::EINVAL);
        }
        let mut st: libc::stat = std::mem::zeroed();
        if libc::stat(c"/proc/self".as_ptr(), &mut st) == 0 || libc::stat(c"/usr/lib".as_ptr(), &mut st) != 0 {
            return libc::EINVAL;
        }
        0
    }
}

/// Creates an empty network namespace and returns a descriptor that keeps it alive: a child unshares it and
/// waits, the parent opens `/proc/<child>/ns/net` and kills the child. `None` if any step fails.
fn shared_net_namespace() -> Option<OwnedFd> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: raw syscalls; the child only makes raw syscalls and never returns.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return None;
        }
        let (read_end, write_end) = (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]));
        let pid = libc::fork();
        if pid < 0 {
            return None;
        }
        if pid == 0 {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
            if libc::unshare(libc::CLONE_NEWNET) == 0 {
                libc::write(write_end.as_raw_fd(), b"x".as_ptr().cast(), 1);
                loop {
                    libc::pause();
                }
            }
            libc::_exit(1);
        }
        drop(write_end);
        let mut byte = 0u8;
        let ready = libc::read(read_end.as_raw_fd(), (&raw mut byte).cast(), 1) == 1;
        let fd = if ready {
            let path = format!("/proc/{pid}/ns/net\0");
            libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC)
        } else {
            -1
        };
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        (fd >= 0).then(|| OwnedFd::from_raw_fd(fd))
    }
}

/// Child-side probe: `unshare(flags)`, returning 0 or the errno.
fn unshare_code(flags: libc::c_int) -> libc::c_int {
    // SAFETY: unshare takes a plain integer.
    if unsafe { libc::unshare(flags) } == 0 { 0 } else { errno() }
}

fn errno() -> libc::c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(255)
}

/// Forks, runs `probe` in the child and returns its result (the child's exit code, 0..=255; 256 + signal if it
/// was killed; -1 if fork failed).
///
/// `probe` runs in a fork of a possibly multi-threaded process: it must only make raw syscalls (no allocation,
/// no locks, no panics).
fn run_in_child(probe: impl Fn() -> libc::c_int) -> libc::c_int {
    // SAFETY: the child only runs `probe` (raw syscalls, per the contract above) and `_exit`s.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return -1;
        }
        if pid == 0 {
            libc::_exit(probe() & 0xff);
        }
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 {
            if errno() != libc::EINTR {
                return -1;
            }
        }
        if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 256 + libc::WTERMSIG(status) }
    }
}

fn strerror(code: libc::c_int) -> String {
    match code {
        -1 => "fork failed".to_owned(),
        c if c > 256 => format!("the probe was killed by {}", super::signal_name(c - 256)),
        c => std::io::Error::from_raw_os_error(c).to_string(),
    }
}

fn status(layer: Layer, state: LayerState, detail: impl Into<String>) -> LayerStatus {
    LayerStatus { layer, state, detail: detail.into() }
}

fn probe_all() -> Vec<LayerStatus> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let plan = namespace_plan();
    let mut out = Vec::new();

    let userns = run_in_child(|| unshare_code(libc::CLONE_NEWUSER));
    out.push(match (root, userns) {
        (true, 0) => {
            status(Layer::UserNamespace, LayerState::NotNeeded, "works, but root creates the other namespaces directly")
        }
        (true, e) => status(
            Layer::UserNamespace,
            LayerState::NotNeeded,
            format!("unshare(CLONE_NEWUSER): {}; root does not need it", strerror(e)),
        ),
        (false, 0) => status(
            Layer::UserNamespace,
            LayerState::Active,
            "unshare(CLONE_NEWUSER) works; workers create their namespaces inside one",
        ),
        (false, e) => {
            status(Layer::UserNamespace, LayerState::Missing, format!("unshare(CLONE_NEWUSER): {}", strerror(e)))
        }
    });
    for (layer, on, flag, name) in [
        (Layer::NetNamespace, plan.net, libc::CLONE_NEWNET, "CLONE_NEWNET"),
        (Layer::IpcNamespace, plan.ipc, libc::CLONE_NEWIPC, "CLONE_NEWIPC"),
    ] {
        let via = if plan.user { " inside a new user namespace" } else { "" };
        out.push(if on && layer == Layer::NetNamespace && plan.shared_net.is_some() {
            status(
                layer,
                LayerState::Active,
                "one empty network namespace, created once per grader process, joined by every worker with setns",
            )
        } else if on {
            status(layer, LayerState::Active, format!("unshare({name}) works{via}; every worker gets a fresh one"))
        } else {
            let user = if root { 0 } else { libc::CLONE_NEWUSER };
            let e = run_in_child(|| unshare_code(user | flag));
            status(layer, LayerState::Missing, format!("unshare({name}): {}", strerror(e)))
        });
    }
    out.push(probe_pid_namespace(plan, root));
    out.push(probe_mount_namespace(plan, root));

    let rl = run_in_child(|| {
        let cpu = libc::rlimit { rlim_cur: 1, rlim_max: 2 };
        let mem = libc::rlimit { rlim_cur: 1 << 30, rlim_max: 1 << 30 };
        let mut got = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: valid pointers to plain structs.
        unsafe {
            if libc::setrlimit(libc::RLIMIT_CPU, &cpu) != 0 || libc::setrlimit(libc::RLIMIT_AS, &mem) != 0 {
                return errno();
            }
            if libc::getrlimit(libc::RLIMIT_CPU, &mut got) != 0 || got.rlim_cur != 1 || got.rlim_max != 2 {
                return libc::EINVAL;
            }
        }
        0
    });
    out.push(if rl == 0 {
        status(Layer::Rlimits, LayerState::Active, "RLIMIT_CPU (soft < hard) and RLIMIT_AS set and read back")
    } else {
        status(Layer::Rlimits, LayerState::Missing, format!("setrlimit: {}", strerror(rl)))
    });

    let drop_privileges = || {
        // SAFETY: raw syscalls on plain data.
        unsafe {
            let uid = WORKER_UID_BASE;
            if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(uid) != 0 || libc::setuid(uid) != 0 {
                return errno();
            }
            if libc::getuid() != uid || libc::geteuid() != uid || libc::getegid() != uid || libc::setuid(0) == 0 {
                return libc::EINVAL;
            }
        }
        0
    };
    if root {
        let e = run_in_child(drop_privileges);
        out.push(if e == 0 {
            status(
                Layer::PrivilegeDrop,
                LayerState::Active,
                "workers run as an unprivileged uid with no supplementary groups, and cannot regain root",
            )
        } else {
            status(
                Layer::PrivilegeDrop,
                LayerState::Missing,
                format!("setgroups/setgid/setuid({WORKER_UID_BASE}): {}", strerror(e)),
            )
        });
    } else {
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        out.push(status(
            Layer::PrivilegeDrop,
            LayerState::NotNeeded,
            format!("the grader is not root; outside their user namespace, workers run as uid {uid}"),
        ));
    }
    out.push(probe_worker_uid(root, plan));

    let pdeath = run_in_child(|| {
        if root {
            let e = drop_privileges();
            if e != 0 {
                return e;
            }
        }
        let mut sig: libc::c_int = 0;
        // SAFETY: prctl with plain integers and a valid out-pointer.
        unsafe {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return errno();
            }
            if libc::prctl(libc::PR_GET_PDEATHSIG, &mut sig as *mut libc::c_int as libc::c_ulong, 0, 0, 0) != 0 {
                return errno();
            }
        }
        if sig == libc::SIGKILL { 0 } else { libc::EINVAL }
    });
    out.push(if pdeath == 0 {
        status(
            Layer::ParentDeathSignal,
            LayerState::Active,
            if root {
                "PR_SET_PDEATHSIG=SIGKILL set after the privilege drop and read back"
            } else {
                "PR_SET_PDEATHSIG=SIGKILL set and read back"
            },
        )
    } else {
        status(Layer::ParentDeathSignal, LayerState::Missing, format!("prctl(PR_SET_PDEATHSIG): {}", strerror(pdeath)))
    });

    out.push(probe_landlock());
    out.push(probe_seccomp());
    out
}

fn probe_pid_namespace(plan: &NamespacePlan, root: bool) -> LayerStatus {
    if plan.pid {
        let via = if plan.user { ", inside its user namespace" } else { "" };
        return status(
            Layer::PidNamespace,
            LayerState::Active,
            format!(
                "every worker is pid 2 of its own PID namespace{via}, under an idle init that dies with the grader; it \
                 sees no other process"
            ),
        );
    }
    let e = run_in_child(|| pid_namespace_code(if root { 0 } else { libc::CLONE_NEWUSER }));
    status(Layer::PidNamespace, LayerState::Missing, format!("unshare(CLONE_NEWPID): {}", strerror(e)))
}

fn probe_mount_namespace(plan: &NamespacePlan, root: bool) -> LayerStatus {
    if plan.mount {
        return status(
            Layer::MountNamespace,
            LayerState::Active,
            "every worker's root holds only read-only system libraries and its own files (entered and checked)",
        );
    }
    let map = UserMap::for_grader();
    let empty = plan.root.for_worker(None, &[]);
    let (user, map) = if root { (0, None) } else { (libc::CLONE_NEWUSER, Some(&map)) };
    let e = run_in_child(|| private_root_code(user, map, &plan.root, &empty));
    status(Layer::MountNamespace, LayerState::Missing, format!("private root: {}", strerror(e)))
}

fn probe_worker_uid(root: bool, plan: &NamespacePlan) -> LayerStatus {
    if !root {
        let how = if plan.pid {
            "its PID namespace keeps it from reaching any other process"
        } else {
            "without a PID namespace, it can reach other workers and the grader"
        };
        return status(
            Layer::WorkerUid,
            LayerState::NotNeeded,
            format!("the grader is not root: every worker is uid {WORKER_UID_BASE} in its own user namespace; {how}"),
        );
    }
    match lease() {
        Ok(lease) => status(
            Layer::WorkerUid,
            LayerState::Active,
            format!(
                "one uid per concurrent worker from {WORKER_UID_BASE:#x} (leased {:#x}), reserved against other graders \
                 with flock in `{}`",
                lease.uid(),
                lock_dir_in_use().unwrap_or_default().display()
            ),
        ),
        Err(e) => status(Layer::WorkerUid, LayerState::Missing, e),
    }
}

fn probe_landlock() -> LayerStatus {
    let abi = landlock_abi();
    if abi <= 0 {
        let why = if abi == -libc::EOPNOTSUPP {
            "built into the kernel but not enabled at boot (add `landlock` to `lsm=`)"
        } else {
            "not built into this kernel"
        };
        return status(Layer::Landlock, LayerState::Missing, format!("Landlock is {why}"));
    }
    // Enforce a ruleset that handles directory reading with no rule at all, then try to list `/`.
    let e = run_in_child(|| {
        const READ_DIR: u64 = 1 << 3;
        let attr: [u64; 1] = [READ_DIR];
        // SAFETY: raw Landlock syscalls with a valid, correctly sized attribute.
        unsafe {
            let fd = libc::syscall(libc::SYS_landlock_create_ruleset, attr.as_ptr(), 8usize, 0u32);
            if fd < 0 {
                return errno();
            }
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return errno();
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, fd as libc::c_int, 0u32) != 0 {
                return errno();
            }
            let dir = libc::open(c"/".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            if dir >= 0 {
                return 200;
            }
            if errno() == libc::EACCES { 0 } else { errno() }
        }
    });
    if e != 0 {
        let why =
            if e == 200 { "a ruleset was enforced but `/` could still be listed".to_owned() } else { strerror(e) };
        return status(
            Layer::Landlock,
            LayerState::Missing,
            format!("ABI {abi} reported, but enforcing failed: {why}"),
        );
    }
    let mut missing = Vec::new();
    if abi < LANDLOCK_ABI_NET {
        missing.push(format!("TCP rules need ABI {LANDLOCK_ABI_NET}"));
    }
    if abi < LANDLOCK_ABI_SCOPE {
        missing.push(format!("signal and abstract-socket scoping need ABI {LANDLOCK_ABI_SCOPE}"));
    }
    if missing.is_empty() {
        status(
            Layer::Landlock,
            LayerState::Active,
            format!(
                "ABI {abi}: read-only libraries, nothing writable, no TCP bind/connect, scoped signals and abstract sockets (enforced and tested)"
            ),
        )
    } else {
        status(
            Layer::Landlock,
            LayerState::Partial,
            format!("ABI {abi}: filesystem rules enforced and tested; {}", missing.join(", ")),
        )
    }
}

fn probe_seccomp() -> LayerStatus {
    use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};
    const MARK: u32 = libc::ENOMSG as u32;
    let filter = SeccompFilter::new(
        [(libc::SYS_getppid, vec![])].into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(MARK),
        schedgrade_worker::sandbox::target_arch(),
    )
    .and_then(BpfProgram::try_from);
    let program = match filter {
        Ok(program) => program,
        Err(e) => {
            return status(Layer::Seccomp, LayerState::Missing, format!("cannot compile a filter: {e}"));
        }
    };
    let e = run_in_child(|| {
        let prog = libc::sock_fprog { len: program.len() as u16, filter: program.as_ptr() as *mut libc::sock_filter };
        let trap = libc::SECCOMP_RET_TRAP;
        // SAFETY: raw seccomp/prctl syscalls with valid pointers into `program` (allocated before the fork).
        unsafe {
            if libc::syscall(libc::SYS_seccomp, libc::SECCOMP_GET_ACTION_AVAIL, 0, &trap) != 0 {
                return errno();
            }
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return errno();
            }
            if libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &prog) != 0 {
                return errno();
            }
            if libc::syscall(libc::SYS_getppid) != -1 {
                return 200;
            }
        }
        if errno() == MARK as libc::c_int { 0 } else { libc::EINVAL }
    });
    match e {
        0 => status(
            Layer::Seccomp,
            LayerState::Active,
            "a filter was installed and denied a syscall; SECCOMP_RET_TRAP is available",
        ),
        200 => status(Layer::Seccomp, LayerState::Missing, "a filter was installed but did not deny its syscall"),
        e => status(Layer::Seccomp, LayerState::Missing, format!("seccomp: {}", strerror(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_partial_layers_warn_with_their_consequence() {
        let layers = [
            status(Layer::Landlock, LayerState::Missing, "Landlock is not built into this kernel"),
            status(Layer::Seccomp, LayerState::Active, "works"),
            status(Layer::PrivilegeDrop, LayerState::NotNeeded, "not root"),
            status(Layer::NetNamespace, LayerState::Partial, "half"),
        ];
        let warnings = startup_warnings(&layers);
        assert_eq!(warnings.len(), 2);
        assert_eq!(
            warnings[0],
            "sandbox layer `landlock` is missing (Landlock is not built into this kernel): student code can read any \
             file the worker's user can read, including other submissions and expected traces; run `schedgrade \
             doctor` for details"
        );
        assert!(warnings[1].starts_with("sandbox layer `net-namespace` is partial (half)"));
    }
}
