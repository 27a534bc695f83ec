//! The sandbox, end to end: this test binary re-executes itself as the worker.
//!
//! [`worker_trampoline`] is a test that does nothing unless `SCHEDGRADE_TEST_WORKER` names a scenario; the tests
//! spawn this binary with `sandbox::worker_trampoline --exact` and that variable, through the real
//! [`run_worker`], and the scenario plays the worker (mostly through the real [`worker_entry`]). Misbehaving
//! "student" code lives in small C and Rust libraries under `tests/fixtures/sandbox/`, compiled on first use
//! into `CARGO_TARGET_TMPDIR` (readable by other users: as root, workers drop to a uid of their own).

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use harness::sandbox::{
    ExitStatus, LayerState, Limits, RawOutcome, SandboxError, WORKER_UID_BASE, WorkerCommand, WorkerError, WorkerExit,
    WorkerProgram, is_worker_uid, probe_layers, run_worker, startup_warnings,
};
use schedgrade_worker::sandbox::{self as worker_side, LoadedLibrary};
use schedgrade_worker::{WorkerContext, worker_entry};

const SCENARIO: &str = "SCHEDGRADE_TEST_WORKER";
const ARG: &str = "SCHEDGRADE_TEST_ARG";
const TAG: &str = "SCHEDGRADE_TEST_TAG";

// ---------------------------------------------------------------------------------------------------------------
// The worker side.

/// Plays the worker when spawned by a test; a no-op in a normal test run.
#[test]
fn worker_trampoline() {
    let Some(scenario) = std::env::var_os(SCENARIO) else {
        return;
    };
    let arg = std::env::var_os(ARG).unwrap_or_default();
    scenario_main(scenario.to_str().unwrap(), &arg);
}

/// The real entry point with the payload passed through and `run` deciding the result.
fn entry(run: impl FnOnce(Vec<u8>, WorkerContext) -> Vec<u8>) -> ! {
    worker_entry(Ok, run)
}

/// Writes `result` as a worker that skipped the sandbox would (marker, then result) and exits.
fn raw_result(result: &[u8]) -> ! {
    let _ = worker_side::write_loading_marker(0);
    let _ = worker_side::write_result(result);
    // SAFETY: _exit never returns.
    unsafe { libc::_exit(0) }
}

/// Calls the fixture function `name`, which takes no argument and returns a `long`.
fn call(library: &LoadedLibrary, name: &[u8]) -> i64 {
    // SAFETY: every `sg_*`/`rs_*` fixture function without arguments has this signature.
    unsafe {
        let f = library.library().get::<unsafe extern "C" fn() -> i64>(name).expect("fixture function");
        f()
    }
}

fn scenario_main(scenario: &str, arg: &OsString) -> ! {
    match scenario {
        // The real entry point with a well-behaved closure: reverse the payload.
        "echo" => entry(|payload, _| payload.iter().rev().copied().collect()),
        // Call one fixture function inside the full sandbox and return its value.
        "call" => entry(|_, ctx| call(&ctx.library, arg.as_bytes()).to_string().into_bytes()),
        // Who are we, what do we see?
        "identity" => {
            // Credentials do not change from here on; `getuid` is not on the allow-list.
            // SAFETY: plain getters.
            let (uid, gid, pid, ppid) = unsafe { (libc::getuid(), libc::getgid(), libc::getpid(), libc::getppid()) };
            entry(|_, ctx| {
                if arg == "hold" {
                    // Long enough for concurrent workers to overlap.
                    std::thread::sleep(Duration::from_millis(500));
                }
                // SAFETY: the fixture's `schedgrade_table` returns null.
                let table = unsafe { (ctx.library.table_fn())(0) };
                let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                format!(
                    "uid={uid} gid={gid} pid={pid} ppid={ppid} table_null={} env={}",
                    table.is_null(),
                    env.join(",")
                )
                .into_bytes()
            })
        }
        // Landlock alone (before the allow-list): can our own Rust code read `arg`?
        "read-after-landlock" => {
            let _ = worker_side::read_payload();
            worker_side::enter_sandbox().unwrap();
            let outcome = match std::fs::read(arg) {
                Ok(_) => "read".to_owned(),
                Err(e) => format!("errno={}", e.raw_os_error().unwrap_or(0)),
            };
            raw_result(outcome.as_bytes())
        }
        // The full sandbox: can student C code open `arg`?
        "read-in-student-code" => entry(|_, ctx| {
            let path = CString::new(arg.as_bytes()).unwrap();
            // SAFETY: `sg_read_file` takes a C string.
            let errno = unsafe {
                let f = ctx
                    .library
                    .library()
                    .get::<unsafe extern "C" fn(*const libc::c_char) -> i64>(b"sg_read_file")
                    .unwrap();
                f(path.as_ptr())
            };
            format!("errno={errno}").into_bytes()
        }),
        // `prepare` fails: an `E` frame of its own kind, before any student code.
        "prepare-error" => worker_entry(
            |_| Err::<(), _>(WorkerError { kind: "bad-payload".into(), message: "cannot decode the test case".into() }),
            |_, _| Vec::new(),
        ),
        // No sandbox at all: the control for the two scenarios above.
        "read-unsandboxed" => {
            let outcome = if std::fs::read(arg).is_ok() { "read" } else { "failed" };
            raw_result(outcome.as_bytes())
        }
        // Fork a grandchild before the sandbox (it sleeps forever), then sleep in student code.
        "grandchild" => {
            // SAFETY: the child only makes raw syscalls.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // The test finds it by this name: its pid here means nothing in the test's PID namespace.
                let tag = CString::new(std::env::var(TAG).unwrap_or_default()).unwrap();
                // SAFETY: PR_SET_NAME takes a C string (truncated to 15 bytes).
                unsafe { libc::prctl(libc::PR_SET_NAME, tag.as_ptr()) };
                loop {
                    // SAFETY: pause has no preconditions.
                    unsafe { libc::pause() };
                }
            }
            println!("grandchild={pid}");
            if arg == "exit" {
                entry(|_, _| b"done".to_vec())
            }
            entry(|_, ctx| call(&ctx.library, b"sg_sleep").to_string().into_bytes())
        }
        // Write garbage on fd 3, then a proper result.
        "garbage" => entry(|_, ctx| call(&ctx.library, b"sg_garbage").to_string().into_bytes()),
        // Echo the payload, followed by the descriptors open at start (other than the one listing them).
        "fds" => {
            let mut out = worker_side::read_payload().unwrap();
            // No /proc in the worker's root: ask each descriptor number below the limit (32).
            // SAFETY: F_GETFD on any number is harmless.
            let fds: Vec<String> =
                (0..32).filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0).map(|fd| fd.to_string()).collect();
            out.extend(format!(" fds={}", fds.join(",")).bytes());
            raw_result(&out)
        }
        // Which namespaces are we in (no sandbox needed to look)?
        "namespaces" => {
            let answer = namespaces_by_pidfd();
            if arg == "hold" {
                // Namespace numbers are reused once freed: hold ours while another worker looks at its own.
                std::thread::sleep(Duration::from_millis(500));
            }
            raw_result(answer.as_bytes())
        }
        // What does `stat` (which Landlock does not restrict) tell student code about each line of `arg`?
        "stat-paths" => entry(|_, _| {
            let answers: Vec<String> = arg
                .to_str()
                .unwrap()
                .lines()
                .map(|path| {
                    let c_path = CString::new(path).unwrap();
                    // SAFETY: valid C string and out-pointer.
                    let mut st: libc::stat = unsafe { std::mem::zeroed() };
                    match unsafe { libc::stat(c_path.as_ptr(), &mut st) } {
                        0 => format!("{path}=found"),
                        _ => format!("{path}=errno{}", std::io::Error::last_os_error().raw_os_error().unwrap_or(0)),
                    }
                })
                .collect();
            answers.join("\n").into_bytes()
        }),
        // The smallest useful worker, for timing.
        "trivial" => entry(|_, ctx| {
            // SAFETY: the fixture's `schedgrade_table` returns null.
            let table = unsafe { (ctx.library.table_fn())(0) };
            vec![table.is_null() as u8]
        }),
        other => panic!("unknown scenario {other}"),
    }
}

/// The namespaces [`namespaces`] names, in that order.
const NAMESPACES: [&str; 4] = ["net", "ipc", "pid", "mnt"];

/// The inode numbers of this process's namespaces ([`NAMESPACES`]), from `/proc/self/ns`.
fn namespaces() -> Vec<u64> {
    use std::os::unix::fs::MetadataExt;
    NAMESPACES.iter().map(|ns| std::fs::metadata(format!("/proc/self/ns/{ns}")).unwrap().ino()).collect()
}

/// The same as [`namespaces`], space-separated, without `/proc` (which the worker's root lacks): from the
/// `PIDFD_GET_*_NAMESPACE` ioctls (Linux 6.11), or `unsupported`.
fn namespaces_by_pidfd() -> String {
    use std::os::unix::fs::MetadataExt;
    // _IO(PIDFS_IOCTL_MAGIC = 0xFF, n) from <linux/pidfd.h>: net 4, ipc 2, pid 5, mnt 3.
    let requests = [0xFF04, 0xFF02, 0xFF05, 0xFF03];
    // SAFETY: raw syscalls; every fd returned is wrapped at once.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) } as i32;
    if pidfd < 0 {
        return "unsupported".into();
    }
    let mut inodes = Vec::new();
    for request in requests {
        // SAFETY: an ioctl without argument on our pidfd.
        let fd = unsafe { libc::ioctl(pidfd, request, 0) };
        if fd < 0 {
            return "unsupported".into();
        }
        // SAFETY: a fresh fd owned from here on.
        let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        inodes.push(file.metadata().unwrap().ino().to_string());
    }
    inodes.join(" ")
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures.

struct Fixtures {
    misbehave: PathBuf,
    wrong_abi: PathBuf,
    no_symbol: PathBuf,
    rust: PathBuf,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let out = scratch().join("sandbox-fixtures");
        std::fs::create_dir_all(&out).unwrap();
        make_world_readable(&out);
        let c = |name: &str| {
            build(&out, name, |src, dst| {
                Command::new("gcc").args(["-shared", "-fPIC", "-O1", "-o"]).arg(dst).arg(src).status()
            })
        };
        Fixtures {
            misbehave: c("misbehave.c"),
            wrong_abi: c("wrong_abi.c"),
            no_symbol: c("no_symbol.c"),
            rust: build(&out, "rust_student.rs", |src, dst| {
                let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
                Command::new(rustc)
                    .args(["--edition", "2024", "--crate-type", "cdylib", "-o"])
                    .arg(dst)
                    .arg(src)
                    .status()
            }),
        }
    })
}

/// Builds `tests/fixtures/sandbox/<name>` into `out/<stem>.so` unless an up-to-date one is there; atomically, as
/// several test processes may build at once.
fn build(
    out: &Path,
    name: &str,
    compile: impl Fn(&Path, &Path) -> std::io::Result<std::process::ExitStatus>,
) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sandbox").join(name);
    let dst = out.join(Path::new(name).with_extension("so"));
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    if modified(&dst).is_some_and(|d| Some(d) > modified(&src)) {
        return dst;
    }
    let tmp = out.join(format!("{name}.{}.tmp", std::process::id()));
    let status = compile(&src, &tmp).unwrap_or_else(|e| panic!("cannot run the compiler for {name}: {e}"));
    assert!(status.success(), "compiling {name} failed");
    make_world_readable(&tmp);
    std::fs::rename(&tmp, &dst).unwrap();
    dst
}

/// A file the worker must not read: in a directory of its own, but readable by anyone as far as permissions go.
fn secret_file() -> PathBuf {
    static SECRET: OnceLock<PathBuf> = OnceLock::new();
    SECRET
        .get_or_init(|| {
            let dir = scratch().join("sandbox-secret");
            std::fs::create_dir_all(&dir).unwrap();
            make_world_readable(&dir);
            let file = dir.join("expected-trace.txt");
            if !file.exists() {
                std::fs::write(&file, "the golden trace").unwrap();
            }
            make_world_readable(&file);
            file
        })
        .clone()
}

/// Where fixtures live: this checkout's `CARGO_TARGET_TMPDIR`. Workers get their program and library by
/// descriptor (and bound into their private root), so no other user needs to reach it.
fn scratch() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// The program workers run: this test binary, executed by descriptor like the grader's embedded worker.
fn worker_exe() -> &'static WorkerProgram {
    static EXE: OnceLock<WorkerProgram> = OnceLock::new();
    EXE.get_or_init(|| WorkerProgram::open(&std::env::current_exe().unwrap()).expect("this test binary"))
}

/// `chmod 0755`, unless we do not own it (the tests run again as another user).
fn make_world_readable(path: &Path) {
    let mode = path.metadata().unwrap().permissions().mode() & 0o7777;
    if mode != 0o755 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The host side.

fn worker(scenario: &str, library: &Path) -> WorkerCommand {
    // This module's path inside the test crate, wherever the crate root puts it.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let mut cmd = WorkerCommand::new(worker_exe(), Some(library.to_owned()));
    cmd.args = [format!("{module}::worker_trampoline").as_str(), "--exact", "--nocapture", "--test-threads=1", "-q"]
        .map(OsString::from)
        .to_vec();
    cmd.env.push((SCENARIO.into(), scenario.into()));
    cmd
}

fn calling(function: &str, library: &Path) -> WorkerCommand {
    let mut cmd = worker("call", library);
    cmd.env.push((ARG.into(), function.into()));
    cmd
}

fn run(cmd: &WorkerCommand) -> WorkerExit {
    let exit = run_worker(cmd).expect("the harness itself failed");
    eprintln!(
        "{:?} -> {} in {:?} (cpu {:?}), stderr: {}",
        cmd.env.iter().map(|(k, v)| format!("{}={}", k.display(), v.display())).collect::<Vec<_>>(),
        exit.outcome(),
        exit.elapsed,
        exit.cpu_time,
        String::from_utf8_lossy(&exit.stderr)
    );
    exit
}

fn result_text(exit: &WorkerExit) -> String {
    match exit.outcome() {
        RawOutcome::Result(bytes) => String::from_utf8(bytes).unwrap(),
        other => panic!("expected a result, got {other}; stderr: {}", String::from_utf8_lossy(&exit.stderr)),
    }
}

#[test]
fn well_behaved_worker_returns_its_result_intact() {
    let mut cmd = worker("echo", &fixtures().misbehave);
    // Larger than a pipe buffer: stdin must be fed while the host also drains.
    cmd.stdin_payload = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let exit = run(&cmd);
    let expected: Vec<u8> = cmd.stdin_payload.iter().rev().copied().collect();
    assert_eq!(exit.outcome(), RawOutcome::Result(expected));
    assert_eq!(exit.status, ExitStatus::Exited(0));
    assert_eq!(exit.protocol_problem, None);
    let report = exit.sandbox_report.expect("the worker reports what it enforced");
    assert!(report.contains("seccomp=on"), "{report}");
    let landlock = probe_layers().into_iter().find(|l| l.layer.name() == "landlock").unwrap();
    if landlock.state == LayerState::Active {
        assert!(report.contains(":full"), "{report}");
    }
}

#[test]
fn concurrent_workers_get_their_own_payload_and_only_fds_0_to_5() {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                scope.spawn(move || {
                    let mut cmd = worker("fds", &fixtures().misbehave);
                    cmd.stdin_payload = format!("payload-{i}").into_bytes();
                    result_text(&run(&cmd))
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            let text = handle.join().unwrap();
            let (payload, fds) = text.split_once(' ').unwrap();
            assert_eq!(payload, format!("payload-{i}"));
            let mut fds: Vec<u32> = fds.trim_start_matches("fds=").split(',').map(|f| f.parse().unwrap()).collect();
            fds.sort();
            assert_eq!(fds, [0, 1, 2, 3, 4, 5], "{text}");
        }
    });
}

/// The `key=value` field `key` of a scenario's answer.
fn field<'a>(text: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key}=");
    text.split(' ').find_map(|f| f.strip_prefix(prefix.as_str())).unwrap_or_else(|| panic!("no `{key}` in {text}"))
}

#[test]
fn worker_runs_as_an_unprivileged_uid_with_only_the_given_environment() {
    let exit = run(&worker("identity", &fixtures().misbehave));
    let text = result_text(&exit);
    let uid: u32 = field(&text, "uid").parse().unwrap();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert!(exit.applied.privilege_drop);
        assert!(is_worker_uid(uid), "{text}");
        assert_eq!(field(&text, "gid"), uid.to_string(), "{text}");
        assert_eq!(exit.applied.worker_uid, Some(uid));
    } else if exit.applied.user_namespace && exit.applied.mount_namespace {
        // The grader's uid outside, an unprivileged one inside.
        assert_eq!(uid, WORKER_UID_BASE, "{text}");
    }
    assert!(text.contains("table_null=true"), "{text}");
    let mut env: Vec<&str> = text.split("env=").nth(1).unwrap().split(',').collect();
    env.sort();
    assert_eq!(env, [schedgrade_kernel::wire::CPU_BUDGET_ENV, schedgrade_kernel::wire::LIBRARY_PATH_ENV, SCENARIO]);
}

#[test]
fn a_worker_sees_no_other_process() {
    let exit = run(&worker("identity", &fixtures().misbehave));
    let text = result_text(&exit);
    if !exit.applied.pid_namespace {
        eprintln!("no PID namespace on this machine: skipping ({text})");
        return;
    }
    // Pid 1 is the namespace's idle init; the parent, and the grader, are outside.
    assert_eq!((field(&text, "pid"), field(&text, "ppid")), ("2", "0"), "{text}");
    // Signalling anyone else, even the namespace's init, is a violation.
    let mut cmd = calling("sg_add", &fixtures().misbehave);
    cmd.env.push(("SG_ON_LOAD".into(), "kill".into()));
    assert_eq!(run(&cmd).outcome(), RawOutcome::SandboxViolation { syscall: "kill".into() });
}

/// The soft `RLIMIT_NOFILE`, nice value and CPU affinity mask of process `pid`.
fn limits_of(pid: libc::pid_t) -> (u64, i32, Vec<bool>) {
    // SAFETY: valid out-pointers; plain getters on our own child.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        assert_eq!(libc::prlimit(pid, libc::RLIMIT_NOFILE, std::ptr::null(), &mut limit), 0);
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, pid as libc::id_t);
        let mut cpus: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(libc::sched_getaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &mut cpus), 0);
        let mask = (0..libc::CPU_SETSIZE as usize).map(|cpu| libc::CPU_ISSET(cpu, &cpus)).collect();
        (limit.rlim_cur, nice, mask)
    }
}

#[test]
fn a_constructor_cannot_lower_the_limits_priority_or_affinity_of_another_process() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root && !probe_layers().iter().any(|l| l.layer.name() == "pid-namespace" && l.state == LayerState::Active) {
        eprintln!("not root and no PID namespace here: workers share the grader's uid and can reach it; skipping");
        return;
    }
    // The victim is this test's own child, of this test's uid: as an unprivileged grader, the uid its workers have
    // outside their user namespace.
    let mut victim = Command::new("sleep").arg("60").spawn().expect("`sleep` runs");
    let pid = victim.id() as libc::pid_t;
    let before = limits_of(pid);
    let mut cmd = calling("sg_neighbours", &fixtures().misbehave);
    cmd.env.push(("SG_ON_LOAD".into(), "neighbours".into()));
    cmd.env.push(("SG_TARGET".into(), pid.to_string().into()));
    let exit = run(&cmd);
    let after = limits_of(pid);
    let _ = victim.kill();
    let _ = victim.wait();
    assert_eq!(after, before, "the worker changed process {pid}");
    // The allow-list is in place before the constructor runs: the first attack is a violation.
    assert_eq!(exit.outcome(), RawOutcome::SandboxViolation { syscall: "prlimit64".into() });
}

#[test]
fn concurrent_workers_get_distinct_uids() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: workers are told apart by their PID namespaces, not by uid; skipping");
        return;
    }
    let uids: Vec<(u32, Option<u32>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut cmd = worker("identity", &fixtures().misbehave);
                    cmd.env.push((ARG.into(), "hold".into()));
                    let exit = run(&cmd);
                    (field(&result_text(&exit), "uid").parse().unwrap(), exit.applied.worker_uid)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (uid, leased) in &uids {
        assert!(is_worker_uid(*uid) && *leased == Some(*uid), "{uids:?}");
    }
    let mut distinct: Vec<u32> = uids.iter().map(|(uid, _)| *uid).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), uids.len(), "workers alive at the same time shared a uid: {uids:?}");
}

#[test]
fn workers_get_their_own_namespaces() {
    let exit = run(&worker("namespaces", &fixtures().misbehave));
    let theirs = result_text(&exit);
    if theirs == "unsupported" {
        eprintln!("this kernel has no PIDFD_GET_*_NAMESPACE ioctls (Linux 6.11): cannot look from inside; skipping");
        return;
    }
    let theirs: Vec<u64> = theirs.split(' ').map(|n| n.parse().unwrap()).collect();
    let ours = namespaces();
    let applied = [
        exit.applied.net_namespace,
        exit.applied.ipc_namespace,
        exit.applied.pid_namespace,
        exit.applied.mount_namespace,
    ];
    for (i, name) in NAMESPACES.iter().enumerate() {
        assert_eq!(theirs[i] != ours[i], applied[i], "{name}: {theirs:?} vs {ours:?}");
    }
    let active = |name: &str| probe_layers().iter().any(|l| l.layer.name() == name && l.state == LayerState::Active);
    for (i, layer) in ["net-namespace", "ipc-namespace", "pid-namespace", "mount-namespace"].iter().enumerate() {
        assert_eq!(applied[i], active(layer), "{layer}");
    }
    // A fresh IPC, PID and mount namespace for every worker (as root, the network namespace is shared). Numbers
    // of freed namespaces are reused, so compare two workers alive at the same time.
    let [first, second] = std::thread::scope(|scope| {
        let hold = || {
            let mut cmd = worker("namespaces", &fixtures().misbehave);
            cmd.env.push((ARG.into(), "hold".into()));
            let text = result_text(&run(&cmd));
            text.split(' ').map(|n| n.parse().unwrap()).collect::<Vec<u64>>()
        };
        let handles = [scope.spawn(hold), scope.spawn(hold)];
        handles.map(|h| h.join().unwrap())
    });
    for i in 1..4 {
        if applied[i] {
            assert_ne!(first[i], second[i], "{}", NAMESPACES[i]);
        }
    }
}

#[test]
fn test_cases_the_grader_and_home_directories_do_not_exist_for_a_worker() {
    if !probe_layers().iter().any(|l| l.layer.name() == "mount-namespace" && l.state == LayerState::Active) {
        eprintln!("no private root on this machine (see `schedgrade doctor`): skipping");
        return;
    }
    // The library in a directory of its own, outside the repository: a worker's root shows the directories
    // above the files it is given by path, and the fixtures live under the repository's target directory.
    let dir = std::env::temp_dir().join(format!("schedgrade-hidden-paths-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    make_world_readable(&dir);
    let library = dir.join("misbehave.so");
    std::fs::copy(&fixtures().misbehave, &library).unwrap();
    make_world_readable(&library);

    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let hidden: Vec<PathBuf> = vec![
        repo.join("testcases"),
        repo.join("testcases/rr/rr-silberschatz-q4.snap"),
        repo.join("grading.yaml"),
        PathBuf::from(env!("CARGO_BIN_EXE_schedgrade")),
        std::env::current_exe().unwrap(),
        library.clone(),
        secret_file(),
        PathBuf::from("/work"),
        PathBuf::from("/root"),
        PathBuf::from("/home"),
        PathBuf::from("/proc/self/exe"),
        PathBuf::from("/etc/passwd"),
    ];
    // Where the old root hung until the PID namespace's init detached it: nobody may search it, whenever one looks.
    let old_root = PathBuf::from("/.old-root/work");
    let visible = [
        PathBuf::from(schedgrade_kernel::wire::LIBRARY_IN_ROOT),
        PathBuf::from("/usr/lib"),
        PathBuf::from("/etc/ld.so.cache"),
    ];
    let mut cmd = worker("stat-paths", &library);
    let lines: Vec<String> =
        hidden.iter().chain(&visible).chain([&old_root]).map(|p| p.display().to_string()).collect();
    cmd.env.push((ARG.into(), lines.join("\n").into()));
    let exit = run(&cmd);
    let text = result_text(&exit);
    std::fs::remove_dir_all(&dir).unwrap();
    let answer = |path: &Path| {
        let prefix = format!("{}=", path.display());
        let line = text.lines().find_map(|l| l.strip_prefix(prefix.as_str()));
        line.unwrap_or_else(|| panic!("{}: no answer in {text}", path.display())).to_owned()
    };
    assert!(repo.join("testcases").is_dir() && Path::new(env!("CARGO_BIN_EXE_schedgrade")).exists());
    for path in &hidden {
        let host = if path.exists() { "exists on the host" } else { "absent on the host too" };
        assert_eq!(answer(path), format!("errno{}", libc::ENOENT), "{} ({host}) is visible: {text}", path.display());
    }
    for path in &visible {
        assert_eq!(answer(path), "found", "{text}");
    }
    let refused = [format!("errno{}", libc::ENOENT), format!("errno{}", libc::EACCES)];
    assert!(refused.contains(&answer(&old_root)), "{text}");
}

#[test]
fn infinite_loop_is_a_cpu_timeout() {
    // A generous wall limit: on a loaded machine the loop may get half a core.
    let mut cmd = calling("sg_loop", &fixtures().misbehave);
    cmd.limits = Limits { cpu_ms: 1000, wall_ms: 20_000, ..Limits::default() };
    let exit = run(&cmd);
    let context = format!("{:?} after {:?} of CPU, loading marker {:?}", exit.status, exit.cpu_time, exit.loading);
    assert_eq!(exit.outcome(), RawOutcome::CpuTimeout, "{context}");
    assert!(matches!(exit.status, ExitStatus::Signaled { name: "SIGXCPU", .. }), "{context}");
    // rusage under-counts the CPU time the kernel limited precisely, by up to 15-25% on a loaded VM: the host's own
    // rule accepts two thirds of the limit (see `run_worker`).
    assert!(exit.cpu_time.mul_f64(1.5) >= Duration::from_millis(1000), "{:?}", exit.cpu_time);
    assert!(!exit.wall_timed_out);
}

#[test]
fn ignoring_sigxcpu_still_ends_in_a_cpu_timeout() {
    let mut cmd = calling("sg_loop_ignoring_xcpu", &fixtures().misbehave);
    cmd.limits = Limits { cpu_ms: 1000, wall_ms: 20_000, ..Limits::default() };
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::CpuTimeout);
    assert!(matches!(exit.status, ExitStatus::Signaled { name: "SIGKILL", .. }), "{:?}", exit.status);
    assert!(!exit.wall_timed_out);
}

#[test]
fn sleeping_forever_is_a_wall_timeout() {
    let mut cmd = calling("sg_sleep", &fixtures().misbehave);
    cmd.limits = Limits { cpu_ms: 10_000, wall_ms: 300, ..Limits::default() };
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::WallTimeout);
    assert!(matches!(exit.status, ExitStatus::Signaled { name: "SIGKILL", .. }));
    assert!(exit.elapsed >= Duration::from_millis(300) && exit.elapsed < Duration::from_secs(2), "{:?}", exit.elapsed);
}

#[test]
fn null_dereference_crashes_with_sigsegv() {
    let exit = run(&calling("sg_segv", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::Crashed { signal: libc::SIGSEGV, signal_name: "SIGSEGV" });
}

#[test]
fn stack_overflow_is_a_crash_not_a_violation() {
    let exit = run(&calling("sg_recurse", &fixtures().misbehave));
    let RawOutcome::Crashed { signal_name, .. } = exit.outcome() else { panic!("{}", exit.outcome()) };
    assert!(["SIGSEGV", "SIGABRT"].contains(&signal_name), "{signal_name}");
}

#[test]
fn abort_crashes_with_sigabrt() {
    let exit = run(&calling("sg_abort", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::Crashed { signal: libc::SIGABRT, signal_name: "SIGABRT" });
}

#[test]
fn huge_allocation_is_a_memory_limit() {
    let mut cmd = calling("rs_alloc_huge", &fixtures().rust);
    cmd.limits.memory_mib = 256;
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::MemoryLimit);
    assert!(exit.memory_limit_reached, "the host saw the request itself");
}

#[test]
fn fork_is_a_sandbox_violation_naming_the_syscall() {
    let exit = run(&calling("sg_fork", &fixtures().misbehave));
    let RawOutcome::SandboxViolation { syscall } = exit.outcome() else { panic!("{}", exit.outcome()) };
    assert!(["clone", "clone3", "fork"].contains(&syscall.as_str()), "{syscall}");
    assert!(
        String::from_utf8_lossy(&exit.stderr)
            .contains(&format!("sandbox violation: the forbidden syscall `{syscall}`"))
    );
}

#[test]
fn misbehaving_while_loading_is_a_sandbox_violation() {
    let on_load = |what: &str| {
        let mut cmd = calling("sg_add", &fixtures().misbehave);
        cmd.env.push(("SG_ON_LOAD".into(), what.into()));
        match run(&cmd).outcome() {
            RawOutcome::SandboxViolation { syscall } => syscall,
            other => panic!("{what}: {other}"),
        }
    };
    assert!(["clone", "clone3", "fork"].contains(&on_load("fork").as_str()));
    // pthread_create blocks every signal around clone3, so the kernel kills with SIGSYS unreported.
    assert!(["clone", "clone3", "unknown"].contains(&on_load("thread").as_str()));
    assert_eq!(on_load("x32"), format!("syscall-{}", 0x4000_0000 | 39));
    assert_eq!(on_load("sigsys"), "rt_sigaction");
    // Nothing a constructor does may reach another process, or switch a sandbox layer off.
    assert_eq!(on_load("kill"), "kill");
    assert_eq!(on_load("pdeathsig"), "prctl");
    assert_eq!(on_load("seccomp"), "seccomp");
    assert_eq!(on_load("prlimit"), "prlimit64");
    assert_eq!(on_load("setpriority"), "setpriority");
    assert_eq!(on_load("affinity"), "sched_setaffinity");
    // The control: loading alone is fine.
    assert_eq!(result_text(&run(&calling("sg_add", &fixtures().misbehave))), "42");
}

#[test]
fn a_forged_grader_error_after_loading_is_the_students_no_result() {
    let mut cmd = calling("sg_add", &fixtures().misbehave);
    cmd.env.push(("SG_ON_LOAD".into(), "forge-error".into()));
    let exit = run(&cmd);
    assert!(exit.error_after_loading);
    assert!(matches!(exit.outcome(), RawOutcome::BadResult { .. }), "{}", exit.outcome());
}

#[test]
fn printing_the_allocators_failure_text_is_a_crash_not_a_memory_limit() {
    let mut cmd = calling("sg_add", &fixtures().misbehave);
    cmd.env.push(("SG_ON_LOAD".into(), "fake-oom".into()));
    let exit = run(&cmd);
    assert!(!exit.memory_limit_reached);
    assert_eq!(exit.outcome(), RawOutcome::Crashed { signal: libc::SIGABRT, signal_name: "SIGABRT" });
}

#[test]
fn raising_sigxcpu_is_a_crash_not_a_cpu_timeout() {
    let mut cmd = calling("sg_add", &fixtures().misbehave);
    cmd.env.push(("SG_ON_LOAD".into(), "xcpu".into()));
    assert_eq!(run(&cmd).outcome(), RawOutcome::Crashed { signal: libc::SIGXCPU, signal_name: "SIGXCPU" });
}

#[test]
fn syscalls_off_the_allow_list_are_violations_after_loading() {
    // Harmless, allowed before loading, but not on the allow-list.
    let exit = run(&calling("sg_getuid", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::SandboxViolation { syscall: "getuid".into() });
    let exit = run(&calling("sg_open_write", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::SandboxViolation { syscall: "openat".into() });
    assert!(!Path::new("/tmp/schedgrade-sandbox-must-not-exist").exists());
}

#[test]
fn c_stdio_works_inside_the_sandbox() {
    let exit = run(&calling("sg_printf", &fixtures().misbehave));
    assert_eq!(result_text(&exit), "7");
    assert!(String::from_utf8_lossy(&exit.stdout).contains("hello from C 42\n"));
}

#[test]
fn tcp_connect_is_a_sandbox_violation() {
    let exit = run(&calling("sg_connect", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::SandboxViolation { syscall: "socket".into() });
}

#[test]
fn landlock_denies_reading_files_outside_the_allowed_set() {
    let secret = secret_file();
    let with = |scenario: &str| {
        let mut cmd = worker(scenario, &fixtures().misbehave);
        cmd.env.push((ARG.into(), secret.clone().into()));
        // In the worker's private root, or the control could not see it either.
        cmd.expose.push(secret.clone());
        result_text(&run(&cmd))
    };
    assert_eq!(with("read-unsandboxed"), "read", "the control: the worker may read the file without Landlock");
    let landlock = probe_layers().into_iter().find(|l| l.layer.name() == "landlock").unwrap();
    if landlock.state == LayerState::Missing {
        eprintln!("landlock is missing here; skipping the sandboxed reads");
        return;
    }
    assert_eq!(with("read-after-landlock"), format!("errno={}", libc::EACCES));
    assert_eq!(with("read-in-student-code"), format!("errno={}", libc::EACCES));
}

#[test]
fn exit_without_result_is_no_result() {
    let exit = run(&calling("sg_exit0", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::NoResult { exit_code: 0 });
}

#[test]
fn flooding_stdout_is_an_output_limit() {
    let exit = run(&calling("sg_spam", &fixtures().misbehave));
    assert_eq!(exit.outcome(), RawOutcome::OutputLimit);
    assert_eq!(exit.stdout.len(), 64 * 1024, "exactly the cap is kept");
}

#[test]
fn garbage_on_the_result_channel_is_a_bad_result() {
    let exit = run(&worker("garbage", &fixtures().misbehave));
    let RawOutcome::BadResult { problem } = exit.outcome() else { panic!("{}", exit.outcome()) };
    assert!(problem.contains("unexpected bytes"), "{problem}");
}

#[test]
fn an_oversized_result_is_a_bad_result() {
    let mut cmd = worker("echo", &fixtures().misbehave);
    cmd.stdin_payload = vec![b'x'; 3 << 20];
    cmd.limits.result_mib = 1;
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::BadResult { problem: "the result channel exceeded its size limit".into() });
    assert_eq!(exit.result, None);
}

/// A `grandchild` scenario whose grandchild is named `tag` (at most 15 bytes), unique in this test process.
fn grandchild(tag: &str) -> WorkerCommand {
    let mut cmd = worker("grandchild", &fixtures().misbehave);
    cmd.env.push((TAG.into(), tag.into()));
    cmd
}

/// A process name no other test uses.
fn unique_tag(test: &str) -> String {
    format!("{test}{}", std::process::id() % 1_000_000)
}

/// Waits up to 2 s for every process named `tag` to be gone (reparented, it may linger a moment as a zombie).
/// The grandchild's pid is in the worker's PID namespace: the test finds it by name.
fn assert_dies(exit: &WorkerExit, tag: &str) {
    let stdout = String::from_utf8_lossy(&exit.stdout);
    assert!(stdout.contains("grandchild="), "the grandchild was not forked: {stdout:?}");
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let alive: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim_end() == tag))
            .filter(|e| {
                let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                let state = stat.rsplit(')').next().and_then(|r| r.trim().chars().next());
                !matches!(state, None | Some('Z' | 'X'))
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if alive.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "grandchild `{tag}` survived the group kill: pids {alive:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn process_group_kill_reaches_grandchildren() {
    let tag = unique_tag("gc-wall");
    let mut cmd = grandchild(&tag);
    cmd.limits.wall_ms = 300;
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::WallTimeout);
    assert_dies(&exit, &tag);
}

#[test]
fn grandchildren_left_behind_by_a_finished_worker_are_killed_at_once() {
    let tag = unique_tag("gc-exit");
    let mut cmd = grandchild(&tag);
    cmd.env.push((ARG.into(), "exit".into()));
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::Result(b"done".to_vec()));
    // The grandchild holds stdout and stderr open; without the kill the host would wait for its drain grace.
    assert!(exit.elapsed < Duration::from_millis(900), "{:?}", exit.elapsed);
    assert_dies(&exit, &tag);
}

#[test]
fn wrong_abi_version_is_an_abi_mismatch() {
    let exit = run(&worker("echo", &fixtures().wrong_abi));
    let RawOutcome::LoadFailed(error) = exit.outcome() else { panic!("{}", exit.outcome()) };
    assert_eq!(error.kind, "abi-mismatch");
    assert!(error.message.contains("ABI version 999") && error.message.contains("version 1"), "{}", error.message);
}

#[test]
fn missing_abi_symbol_is_reported() {
    let exit = run(&worker("echo", &fixtures().no_symbol));
    let RawOutcome::LoadFailed(error) = exit.outcome() else { panic!("{}", exit.outcome()) };
    assert_eq!(error.kind, "missing-symbol");
    assert!(error.message.contains("`SCHEDGRADE_ABI_VERSION`"), "{}", error.message);
}

#[test]
fn an_error_before_loading_is_a_worker_error() {
    let exit = run(&worker("prepare-error", &fixtures().misbehave));
    let expected = WorkerError { kind: "bad-payload".into(), message: "cannot decode the test case".into() };
    assert_eq!(exit.outcome(), RawOutcome::WorkerError(expected));
    assert_eq!(exit.status, ExitStatus::Exited(schedgrade_worker::entry::EXIT_PAYLOAD));
}

#[test]
fn a_missing_library_is_the_graders_failure() {
    let cmd = worker("echo", &fixtures().misbehave.with_file_name("does-not-exist.so"));
    let err = run_worker(&cmd).unwrap_err();
    assert!(matches!(err, SandboxError::Library { .. }), "{err}");
    assert!(err.to_string().contains("does-not-exist.so"), "{err}");
}

#[test]
fn a_library_that_is_not_elf_is_a_load_failure() {
    let bogus = scratch().join("not-a-library.so");
    std::fs::write(&bogus, "this is not an ELF file").unwrap();
    let exit = run(&worker("echo", &bogus));
    let RawOutcome::LoadFailed(error) = exit.outcome() else { panic!("{}", exit.outcome()) };
    assert_eq!(error.kind, "load-error");
}

#[test]
fn rust_panic_with_backtrace_works_inside_the_sandbox() {
    let mut cmd = calling("rs_panic", &fixtures().rust);
    cmd.env.push(("RUST_BACKTRACE".into(), "1".into()));
    let exit = run(&cmd);
    assert_eq!(result_text(&exit), "1", "the panic was caught");
    let stderr = String::from_utf8_lossy(&exit.stderr);
    assert!(stderr.contains("boom from student code"), "{stderr}");
    assert!(stderr.contains("stack backtrace:") && stderr.contains("rs_panic"), "{stderr}");
    assert!(String::from_utf8_lossy(&exit.stdout).contains("student: about to panic"));
}

#[test]
fn rust_library_doing_real_work_runs_inside_the_sandbox() {
    let exit = run(&calling("rs_work", &fixtures().rust));
    assert_eq!(result_text(&exit), (97 + 10_000 + 7).to_string());
}

/// The process that runs student code holds nothing worth stealing: no reference policy, so a submission cannot
/// find the reference's tables in its own address space and return them.
#[test]
fn worker_binary_holds_no_reference() {
    let bytes = WorkerProgram::embedded_bytes();
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    // The control: crate names do appear in symbols, so their absence below means something.
    assert!(contains(b"schedgrade_kernel"), "the worker binary keeps its symbols; this check needs them");
    assert!(!contains(b"schedgrade_reference"), "the worker binary contains reference code");
    assert!(!contains(b"harness"), "the worker binary contains grader code");
}

#[test]
fn a_missing_worker_program_is_a_harness_error() {
    let err = WorkerProgram::open(Path::new("/nonexistent/schedgrade")).unwrap_err();
    assert!(matches!(err, SandboxError::Spawn { .. }), "{err}");
    assert!(err.to_string().starts_with("cannot start the worker `/nonexistent/schedgrade`"), "{err}");
}

#[test]
fn every_layer_is_probed_and_missing_ones_warn() {
    let layers = probe_layers();
    assert_eq!(layers.len(), 11);
    for layer in &layers {
        eprintln!("{layer}");
    }
    let warnings = startup_warnings(&layers);
    let missing = layers.iter().filter(|l| matches!(l.state, LayerState::Missing | LayerState::Partial)).count();
    assert_eq!(warnings.len(), missing, "{warnings:?}");
}

/// Per-spawn overhead: `cargo test --release -p harness --test harness sandbox::spawn_overhead -- --ignored
/// --nocapture`.
#[test]
#[ignore = "a measurement, not a test"]
fn spawn_overhead() {
    let cmd = worker("trivial", &fixtures().misbehave);
    let mut times: Vec<Duration> = (0..200)
        .map(|_| run_worker(&cmd).unwrap())
        .inspect(|exit| assert_eq!(exit.outcome(), RawOutcome::Result(vec![1])))
        .map(|exit| exit.elapsed)
        .collect();
    times.sort();
    eprintln!(
        "spawn+load+trivial run+exit over {} runs: median {:?}, p10 {:?}, p90 {:?}",
        times.len(),
        times[100],
        times[20],
        times[180]
    );
}
