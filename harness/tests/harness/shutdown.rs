//! Stopping `schedgrade grade` mid-batch leaves nothing behind: not a build, not a worker, not even one that
//! cleared its parent-death signal and ignores `SIGTERM` (the `detach` fixture).
//!
//! The test watches the grader's process tree in `/proc` while it runs, remembering every descendant it sees
//! (pid and start time), stops the grader with a signal at a chosen moment, and then requires every remembered
//! process to be gone. As root it also reserves the uids the grader's workers had (the grader's locks die with
//! it) and requires that no process of those uids remains anywhere.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::exit_code;
use harness::sandbox::is_worker_uid;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

/// A process, identified across pid reuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Id {
    pid: i32,
    start: u64,
}

/// What the test knows of one process.
#[derive(Clone, Debug)]
struct Proc {
    id: Id,
    ppid: i32,
    uid: u32,
    comm: String,
    /// The signals it ignores (`SigIgn`).
    ignored: u64,
}

/// Every process in `/proc` now (those that vanish while being read are skipped).
fn processes() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            // Fields after the parenthesised command: state ppid ... starttime is field 22 overall.
            let (comm, rest) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") "))?;
            let fields: Vec<&str> = rest.split(' ').collect();
            let ppid = fields.get(1)?.parse().ok()?;
            let start = fields.get(19)?.parse().ok()?;
            let value = |key: &str| status.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
            let uid = value("Uid:")?.split_whitespace().next()?.parse().ok()?;
            let ignored = u64::from_str_radix(value("SigIgn:")?, 16).ok()?;
            Some(Proc { id: Id { pid, start }, ppid, uid, comm: comm.to_owned(), ignored })
        })
        .collect()
}

/// The descendants of `root` in `table`.
fn descendants(root: i32, table: &[Proc]) -> Vec<Proc> {
    let mut found: Vec<Proc> = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        let children: Vec<&Proc> =
            table.iter().filter(|p| p.ppid == parent && !found.iter().any(|f| f.id == p.id)).collect();
        for p in children {
            frontier.push(p.id.pid);
            found.push(p.clone());
        }
    }
    found
}

/// Whether `id` still runs (a zombie waiting for its reaper does not).
fn alive(id: Id) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", id.pid)) else { return false };
    let Some((_, rest)) = stat.rsplit_once(") ") else { return false };
    let fields: Vec<&str> = rest.split(' ').collect();
    let same = fields.get(19).and_then(|s| s.parse::<u64>().ok()) == Some(id.start);
    same && !matches!(fields.first(), Some(&"Z" | &"X"))
}

/// A private scratch directory with a copy of `submissions` from `examples/submissions`.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str, submissions: &[&str]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("schedgrade-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for submission in submissions {
            copy_dir(&repo().join("examples/submissions").join(submission), &dir.join("submissions").join(submission));
        }
        Scratch { dir }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Starts `schedgrade grade` on the scratch copy, with a private cache.
fn start_grade(scratch: &Scratch) -> Child {
    Command::new(env!("CARGO_BIN_EXE_schedgrade"))
        .arg("grade")
        .arg(scratch.dir.join("submissions"))
        .arg("--config")
        .arg(repo().join("grading.yaml"))
        .arg("--out")
        .arg(scratch.dir.join("out"))
        .arg("--cache")
        .arg(scratch.dir.join("cache"))
        .args(["--jobs", "2"])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Watches `child`'s descendants until `ready` holds for one of them, sends `signal`, waits for the grader to
/// exit, and checks that it exited with `code` (or, if `None`, was killed by `signal`) and that none of its
/// descendants for which `must_die` holds survived. Returns the descendants seen.
fn stop_when(
    mut child: Child,
    what: &str,
    ready: impl Fn(&Proc, Duration) -> bool,
    signal: libc::c_int,
    code: Option<i32>,
    must_die: impl Fn(&Proc) -> bool,
) -> Vec<Proc> {
    let grader = child.id() as i32;
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut seen: HashMap<Id, (Proc, Instant)> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    let record = |seen: &mut HashMap<Id, (Proc, Instant)>| {
        for p in descendants(grader, &processes()) {
            seen.entry(p.id).or_insert((p, Instant::now()));
        }
    };
    loop {
        record(&mut seen);
        if seen.values().any(|(p, since)| alive(p.id) && ready(p, since.elapsed())) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the grader ended ({status}) before {what}");
        }
        assert!(Instant::now() < deadline, "no {what} within 5 minutes");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill has no memory preconditions; `grader` is our unreaped child.
    assert_eq!(unsafe { libc::kill(grader, signal) }, 0);
    let status = loop {
        record(&mut seen);
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the grader did not exit after the signal");
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = stderr.join().unwrap();
    match code {
        Some(code) => {
            assert_eq!(status.code(), Some(code), "{status}; stderr:\n{stderr}");
            assert!(stderr.contains("schedgrade: stopped by SIG"), "{stderr}");
        }
        None => assert_eq!(status.signal(), Some(signal), "{status}; stderr:\n{stderr}"),
    }

    // Killed processes vanish at once; a reparented zombie may linger until its new parent reaps it.
    let seen: Vec<Proc> = seen.into_values().map(|(p, _)| p).collect();
    let settle = Instant::now() + Duration::from_secs(2);
    let survivors = loop {
        let survivors: Vec<&Proc> = seen.iter().filter(|p| must_die(p) && alive(p.id)).collect();
        if survivors.is_empty() || Instant::now() > settle {
            break survivors;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(survivors.is_empty(), "stopped while {what}, these outlived the grader: {survivors:#?}");
    seen
}

/// As root: no process of the worker uids the stopped grader used is left anywhere on the machine, apart from this
/// test process's own workers (other tests of this binary run in parallel, and a uid the dead grader let go may have
/// been leased again here). A survivor of the grader would have been reparented away from this process.
fn assert_no_process_of_their_uids(seen: &[Proc]) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let mut uids: Vec<u32> = seen.iter().map(|p| p.uid).filter(|&u| is_worker_uid(u)).collect();
    uids.sort();
    uids.dedup();
    // Including processes the sampling missed (started just before the signal), which may still be dying.
    let settle = Instant::now() + Duration::from_secs(2);
    let left = loop {
        let table = processes();
        let ours: Vec<Id> = descendants(std::process::id() as i32, &table).into_iter().map(|p| p.id).collect();
        let left: Vec<Proc> =
            table.into_iter().filter(|p| uids.contains(&p.uid) && !ours.contains(&p.id) && alive(p.id)).collect();
        if left.is_empty() || Instant::now() > settle {
            break left;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(left.is_empty(), "processes of the grader's worker uids {uids:?} remain: {left:#?}");
}

#[test]
fn stopping_the_grader_leaves_no_build_and_no_worker_behind() {
    let scratch = Scratch::new("shutdown", &["reference-solution", "detach"]);
    let everything = |_: &Proc| true;

    // 1. Ctrl-C while the first build runs (a fresh cache: rustc compiles the contract, which takes a while).
    let is_build = |p: &Proc, _: Duration| p.comm.starts_with("rustc");
    let code = Some(exit_code::STOPPED_BY_SIGINT);
    let seen = stop_when(start_grade(&scratch), "a build ran", is_build, libc::SIGINT, code, everything);
    assert!(seen.iter().any(|p| p.comm.starts_with("rustc")), "{seen:#?}");

    // 2. SIGTERM while `detach` sleeps in a worker that cleared its death signal and ignores SIGTERM.
    const SIGTERM_BIT: u64 = 1 << (libc::SIGTERM - 1);
    let detached = |p: &Proc, running: Duration| p.ignored & SIGTERM_BIT != 0 && running > Duration::from_millis(300);
    let what = "the `detach` worker slept";
    let code = Some(exit_code::STOPPED_BY_SIGTERM);
    let seen = stop_when(start_grade(&scratch), what, detached, libc::SIGTERM, code, everything);
    assert_no_process_of_their_uids(&seen);

    // 3. SIGKILL, which the grader cannot handle: its workers still die, the `detach` one included (their PID
    //    namespaces die with the grader). Builds are not covered: nothing runs a build then (the cache is warm).
    let not_a_build = |p: &Proc| !(p.comm == "cargo" || p.comm.starts_with("rustc"));
    let seen = stop_when(start_grade(&scratch), what, detached, libc::SIGKILL, None, not_a_build);
    assert_no_process_of_their_uids(&seen);
}
