//! The sandbox, end to end: this test binary re-executes itself as the worker.
//!
//! [`worker_trampoline`] is a test that does nothing unless `SCHEDGRADE_TEST_WORKER` names a scenario; the tests
//! spawn this binary with `sandbox::worker_trampoline --exact` and that variable, through the real
//! [`run_worker`], and the scenario plays the worker (mostly through the real [`worker_entry`]). Misbehaving
//! "student" code lives in small C and Rust libraries under `tests/fixtures/sandbox/`, compiled on first use
//! into `CARGO_TARGET_TMPDIR` (readable by `nobody`, as the worker drops to it when the tests run as root).

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use harness::sandbox::{
    ExitStatus, LayerState, Limits, RawOutcome, SandboxError, WorkerCommand, WorkerError, WorkerExit, WorkerProgram,
    check_worker_access, probe_layers, run_worker, startup_warnings,
};
use schedgrade_worker::sandbox::{self as worker_side, LoadedLibrary};
use schedgrade_worker::{WorkerContext, worker_entry};

const SCENARIO: &str = "SCHEDGRADE_TEST_WORKER";
const ARG: &str = "SCHEDGRADE_TEST_ARG";

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
            let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
            entry(|_, ctx| {
                // SAFETY: the fixture's `schedgrade_table` returns null.
                let table = unsafe { (ctx.library.table_fn())(0) };
                let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                format!("uid={uid} gid={gid} table_null={} env={}", table.is_null(), env.join(",")).into_bytes()
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
            let fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| {
                    !std::fs::read_link(e.path()).is_ok_and(|t| t.ends_with(format!("{}/fd", std::process::id())))
                })
                .map(|e| e.file_name().into_string().unwrap())
                .collect();
            out.extend(format!(" fds={}", fds.join(",")).bytes());
            raw_result(&out)
        }
        // Which network and IPC namespaces are we in (no sandbox needed to look)?
        "namespaces" => raw_result(namespaces().as_bytes()),
        // The smallest useful worker, for timing.
        "trivial" => entry(|_, ctx| {
            // SAFETY: the fixture's `schedgrade_table` returns null.
            let table = unsafe { (ctx.library.table_fn())(0) };
            vec![table.is_null() as u8]
        }),
        other => panic!("unknown scenario {other}"),
    }
}

/// The network and IPC namespaces of this process, as `net:[…] ipc:[…]`.
fn namespaces() -> String {
    let link = |ns: &str| std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap().display().to_string();
    format!("{} {}", link("net"), link("ipc"))
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

/// A file the worker must not read: in a directory of its own, but readable by `nobody` as far as permissions go.
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

/// Where fixtures live: `CARGO_TARGET_TMPDIR` when `nobody` (the workers, when the tests run as root) can reach
/// it, else a directory under the system temp dir — a checkout under `/root` (`0700`) must pass too.
fn scratch() -> &'static Path {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        if check_worker_access(&target, None).is_empty() {
            return target;
        }
        // SAFETY: geteuid has no preconditions.
        let dir = std::env::temp_dir().join(format!("schedgrade-tests-{}", unsafe { libc::geteuid() }));
        std::fs::create_dir_all(&dir).unwrap();
        make_world_readable(&dir);
        dir
    })
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

#[test]
fn worker_runs_as_nobody_with_only_the_given_environment() {
    let exit = run(&worker("identity", &fixtures().misbehave));
    let text = result_text(&exit);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert!(text.starts_with("uid=65534 gid=65534 "), "{text}");
        assert!(exit.applied.privilege_drop);
    }
    assert!(text.contains("table_null=true"), "{text}");
    let mut env: Vec<&str> = text.split("env=").nth(1).unwrap().split(',').collect();
    env.sort();
    assert_eq!(env, [schedgrade_kernel::wire::CPU_BUDGET_ENV, SCENARIO]);
}

#[test]
fn workers_get_their_own_network_and_ipc_namespaces() {
    let exit = run(&worker("namespaces", &fixtures().misbehave));
    let theirs = result_text(&exit);
    let ours = namespaces();
    let (their_net, their_ipc) = theirs.split_once(' ').unwrap();
    let (our_net, our_ipc) = ours.split_once(' ').unwrap();
    assert_eq!(their_net != our_net, exit.applied.net_namespace, "{theirs} vs {ours}");
    assert_eq!(their_ipc != our_ipc, exit.applied.ipc_namespace, "{theirs} vs {ours}");
    let active = |name: &str| probe_layers().iter().any(|l| l.layer.name() == name && l.state == LayerState::Active);
    assert_eq!(exit.applied.net_namespace, active("net-namespace"));
    assert_eq!(exit.applied.ipc_namespace, active("ipc-namespace"));
    // A fresh IPC namespace for every worker.
    let again = result_text(&run(&worker("namespaces", &fixtures().misbehave)));
    if exit.applied.ipc_namespace {
        assert_ne!(again.split_once(' ').unwrap().1, their_ipc);
    }
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
    // rusage may under-count the CPU time the kernel limited precisely.
    assert!(exit.cpu_time >= Duration::from_millis(800), "{:?}", exit.cpu_time);
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
        result_text(&run(&cmd))
    };
    assert_eq!(with("read-unsandboxed"), "read", "the control: `nobody` may read the file without the sandbox");
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

/// The pid the `grandchild` scenario printed.
fn grandchild_pid(exit: &WorkerExit) -> i32 {
    let stdout = String::from_utf8_lossy(&exit.stdout);
    let pid = stdout.split("grandchild=").nth(1).and_then(|s| s.lines().next());
    pid.unwrap_or_else(|| panic!("no pid in {stdout:?}")).parse().unwrap()
}

/// Waits up to 2 s for `pid` to be gone (reparented, it may linger a moment as a zombie until init reaps it).
fn assert_dies(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        let state = stat.as_deref().and_then(|s| s.rsplit(')').next()).and_then(|r| r.trim().chars().next());
        if matches!(state, None | Some('Z' | 'X')) {
            return;
        }
        assert!(Instant::now() < deadline, "grandchild {pid} survived the group kill: {state:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn process_group_kill_reaches_grandchildren() {
    let mut cmd = worker("grandchild", &fixtures().misbehave);
    cmd.limits.wall_ms = 300;
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::WallTimeout);
    assert_dies(grandchild_pid(&exit));
}

#[test]
fn grandchildren_left_behind_by_a_finished_worker_are_killed_at_once() {
    let mut cmd = worker("grandchild", &fixtures().misbehave);
    cmd.env.push((ARG.into(), "exit".into()));
    let exit = run(&cmd);
    assert_eq!(exit.outcome(), RawOutcome::Result(b"done".to_vec()));
    // The grandchild holds stdout and stderr open; without the kill the host would wait for its drain grace.
    assert!(exit.elapsed < Duration::from_millis(900), "{:?}", exit.elapsed);
    assert_dies(grandchild_pid(&exit));
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
    assert_eq!(layers.len(), 8);
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
