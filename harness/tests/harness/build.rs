//! `harness::build`: the embedded template, the time limit, the sandbox (Landlock, capabilities, seccomp), the
//! resource limits, the neutral environment and the shared, content-addressed cache.
//!
//! Most tests share one cache under `CARGO_TARGET_TMPDIR`, so the contract is compiled once (on the first run)
//! and every submission after that is a warm build. Tests that look at the whole cache (what a build leaves
//! behind, concurrent graders, garbage collection) use caches of their own.

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use std::{env, fs};

use harness::build::{
    BuildError, BuildLimits, BuildOutcome, Builder, BuilderOptions, GC_AGE, create_crate, prepare_cache_dir,
    template_files,
};

/// Marks the arguments of the test binary re-executed as the sandbox trampoline (see [`build_trampoline`]).
const TRAMPOLINE_MARK: &str = "--schedgrade-build-trampoline";
/// Marks the arguments of the test binary re-executed, confined, as the probe (see [`build_probe`]).
const PROBE_MARK: &str = "--schedgrade-build-probe";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build").join(name)
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-tests").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-cache")
}

/// The builder every test shares: unconfined, default time limit.
fn builder() -> &'static Builder {
    static BUILDER: OnceLock<Builder> = OnceLock::new();
    BUILDER.get_or_init(|| Builder::new(cache_dir(), BuilderOptions::default()).unwrap())
}

/// This test binary acting as the `__build` trampoline, run through `program` (the binary, or a link to it).
fn launcher_via(program: &Path) -> Vec<OsString> {
    vec![
        program.into(),
        "--exact".into(),
        "build::build_trampoline".into(),
        "--quiet".into(),
        "--".into(),
        TRAMPOLINE_MARK.into(),
    ]
}

/// Options that build through the trampoline.
fn sandboxed_options() -> BuilderOptions {
    BuilderOptions { launcher: Some(launcher_via(&env::current_exe().unwrap())), ..BuilderOptions::default() }
}

/// A builder on the same cache that runs the compiler through this test binary acting as the trampoline.
fn sandboxed_builder() -> &'static Builder {
    static BUILDER: OnceLock<Builder> = OnceLock::new();
    BUILDER.get_or_init(|| Builder::new(cache_dir(), sandboxed_options()).unwrap())
}

/// Does nothing in a normal run. Re-executed by [`sandboxed_builder`] with the Landlock policy after
/// [`TRAMPOLINE_MARK`], it becomes `schedgrade __build`: confines itself, then execs the compiler.
#[test]
fn build_trampoline() {
    let mut args = env::args_os().skip_while(|arg| arg != TRAMPOLINE_MARK);
    if args.next().is_some() {
        harness::build::exec_sandboxed_build(args);
    }
}

#[track_caller]
fn expect_built(outcome: BuildOutcome) -> PathBuf {
    match outcome {
        BuildOutcome::Built { library, .. } => library,
        BuildOutcome::Failed { summary, .. } => {
            panic!("expected the submission to build, got:\n{summary}")
        }
    }
}

#[track_caller]
fn expect_failed(outcome: BuildOutcome) -> String {
    match outcome {
        BuildOutcome::Failed { summary, .. } => summary,
        BuildOutcome::Built { library, .. } => {
            panic!("expected a build failure, got `{}`", library.display())
        }
    }
}

/// Copies a fixture's tree (no symlinks in fixtures) into a scratch directory, to be modified.
fn copy_fixture(name: &str, to: &Path) {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    copy(&fixture(name), to);
}

#[test]
fn good_submission_builds_and_exports_the_abi_version() {
    let library = expect_built(builder().build("good", &fixture("good")).unwrap());
    assert_eq!(library.parent(), Some(builder().libs_dir().as_path()));
    assert_eq!(library.extension(), Some("so".as_ref()));
    // The cache is private: other local users read neither sources nor libraries.
    assert_eq!(fs::metadata(&library).unwrap().permissions().mode() & 0o022, 0);
    for dir in [builder().cache_dir().to_owned(), builder().libs_dir()] {
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700, "{}", dir.display());
    }

    // SAFETY: the fixture is our own code; its only initialiser is std's.
    let lib = unsafe { libloading::Library::new(&library) }.unwrap();
    // SAFETY: the symbol is a `u32` static (see `export_schedulers!`).
    let version = unsafe {
        let symbol = lib.get::<*const u32>(schedgrade_contract::abi::ABI_VERSION_SYMBOL.as_bytes()).unwrap();
        **symbol
    };
    assert_eq!(version, schedgrade_contract::abi::ABI_VERSION);
    // SAFETY: `schedgrade_table` has this signature (see `export_schedulers!`).
    let table = unsafe {
        let table = lib
            .get::<extern "C" fn(u32) -> *const schedgrade_contract::abi::AbiTable>(
                schedgrade_contract::abi::TABLE_SYMBOL.as_bytes(),
            )
            .unwrap();
        table(schedgrade_contract::PolicyKind::Stride as u32)
    };
    assert!(!table.is_null(), "the good fixture exports every policy");
}

#[test]
fn compile_error_fails_with_the_compiler_text_and_never_touches_a_published_library() {
    let id = "rebuilt-broken";
    let library = expect_built(builder().build(id, &fixture("good")).unwrap());
    let before = fs::metadata(&library).unwrap();

    let summary = expect_failed(builder().build(id, &fixture("compile-error")).unwrap());
    assert!(summary.contains("error[E0425]"), "{summary}");
    assert!(summary.contains("src/rr.rs"), "{summary}");
    assert!(summary.contains("undefined_one") && summary.contains("undefined_three"), "{summary}");
    assert!(!summary.contains("undefined_four"), "only the first three errors are shown:\n{summary}");
    assert!(summary.contains("2 more errors not shown"), "{summary}");
    assert!(summary.len() <= 4 * 1024, "{} bytes", summary.len());
    // Libraries are named by their sources: another run may be loading this one, so it stays, unchanged.
    let after = fs::metadata(&library).expect("a published library is never removed by a rebuild");
    assert_eq!((after.ino(), after.len()), (before.ino(), before.len()));
}

#[test]
fn symlink_under_src_is_refused() {
    let dir = scratch("symlink");
    copy_fixture("good", &dir);
    fs::create_dir(dir.join("src/extra")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join("src/extra/golden.rs")).unwrap();
    let summary = expect_failed(builder().build("symlink", &dir).unwrap());
    assert!(summary.contains("`src/extra/golden.rs` is a symbolic link"), "{summary}");

    // `src` itself as a link.
    let linked = scratch("symlinked-src");
    std::os::unix::fs::symlink(fixture("good").join("src"), linked.join("src")).unwrap();
    let summary = expect_failed(builder().build("symlinked-src", &linked).unwrap());
    assert!(summary.contains("`src` is a symbolic link"), "{summary}");
}

#[test]
fn missing_lib_rs_is_refused() {
    let summary = expect_failed(builder().build("no-lib", &fixture("no-lib")).unwrap());
    assert!(summary.contains("`src/lib.rs` is missing"), "{summary}");

    let summary = expect_failed(builder().build("no-src", &scratch("no-src")).unwrap());
    assert!(summary.contains("put your code in `src/`"), "{summary}");
}

#[test]
fn absurd_trees_are_refused_before_cargo_runs() {
    let many = scratch("many-files");
    copy_fixture("good", &many);
    for i in 0..harness::build::MAX_SOURCE_FILES {
        fs::write(many.join(format!("src/extra_{i}.rs")), "").unwrap();
    }
    let summary = expect_failed(builder().build("many-files", &many).unwrap());
    assert!(summary.contains("more than 200 `.rs` files"), "{summary}");

    let big = scratch("big-file");
    copy_fixture("good", &big);
    let line = "// padding\n";
    fs::write(big.join("src/big.rs"), line.repeat(harness::build::MAX_SOURCE_BYTES as usize / line.len() + 1)).unwrap();
    let summary = expect_failed(builder().build("big-file", &big).unwrap());
    assert!(summary.contains("exceed 5 MiB"), "{summary}");

    let weird = scratch("weird-name");
    copy_fixture("good", &weird);
    let name = <OsString as std::os::unix::ffi::OsStringExt>::from_vec(b"bad\xffname.rs".to_vec());
    fs::write(weird.join("src").join(name), "").unwrap();
    let summary = expect_failed(builder().build("weird-name", &weird).unwrap());
    assert!(summary.contains("not valid UTF-8"), "{summary}");

    let fifo = scratch("fifo");
    copy_fixture("good", &fifo);
    let path = std::ffi::CString::new(fifo.join("src/pipe.rs").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
    let summary = expect_failed(builder().build("fifo", &fifo).unwrap());
    assert!(summary.contains("`src/pipe.rs` is not a regular file"), "{summary}");
}

#[test]
fn invalid_student_id_is_a_harness_error() {
    for id in ["", "../escape", ".hidden", "a/b", "spaced id"] {
        let error = builder().build(id, &fixture("good")).unwrap_err();
        assert!(matches!(error, BuildError::InvalidStudentId { .. }), "{id:?}: {error}");
    }
}

#[test]
fn student_manifest_build_script_and_cargo_config_are_ignored() {
    // The fixture ships a Cargo.toml with a dependency that does not exist, a build.rs that panics, a
    // .cargo/config.toml with a cfg that would trigger `compile_error!` and a rust-toolchain.toml naming a
    // toolchain that does not exist. None of them may matter.
    expect_built(builder().build("foreign-files", &fixture("foreign-files")).unwrap());
}

#[test]
fn endless_compile_times_out() {
    let quick =
        Builder::new(cache_dir(), BuilderOptions { timeout: Duration::from_secs(3), ..BuilderOptions::default() })
            .unwrap();
    let outcome = quick.build("endless", &fixture("endless")).unwrap();
    let BuildOutcome::Failed { summary, duration } = outcome else { panic!("expected a timeout, got {outcome:?}") };
    assert!(summary.starts_with("build timed out after 3 s"), "{summary}");
    assert!(duration >= Duration::from_secs(3) && duration < Duration::from_secs(30), "{duration:?}");
}

#[test]
fn landlock_blocks_include_str_of_a_file_outside_the_build() {
    let secret_dir = scratch("secret");
    let secret = secret_dir.join("golden.snap");
    fs::write(&secret, "expected trace: the answer\n").unwrap();
    let submission = scratch("leaky");
    fs::create_dir(submission.join("src")).unwrap();
    fs::write(
        submission.join("src/lib.rs"),
        format!(
            "pub static LEAK: &str = include_str!({:?});\n\
             pub static ENVIRON: &[u8] = include_bytes!(\"/proc/self/environ\");\n\
             schedgrade_contract::export_schedulers! {{}}\n",
            secret.to_str().unwrap()
        ),
    )
    .unwrap();

    // Without the sandbox the leak works: this is what the test guards against.
    expect_built(builder().build("leaky", &submission).unwrap());

    // With it, the compiler cannot read the file...
    let summary = expect_failed(sandboxed_builder().build("leaky", &submission).unwrap());
    assert!(summary.contains("golden.snap") && summary.contains("Permission denied"), "{summary}");
    assert!(summary.contains("/proc/self/environ"), "{summary}");

    // ...and a legitimate submission still builds.
    let library = expect_built(sandboxed_builder().build("good-sandboxed", &fixture("good")).unwrap());
    assert!(library.is_file());
}

#[test]
fn template_is_embedded_with_its_contract() {
    let files = template_files();
    let paths: Vec<&str> = files.iter().map(|(path, _)| *path).collect();
    for expected in ["Cargo.toml", "src/lib.rs", "contract/Cargo.toml", "contract/src/lib.rs", "contract/src/abi.rs"] {
        assert!(paths.contains(&expected), "`{expected}` is not embedded: {paths:?}");
    }
    assert!(paths.is_sorted(), "{paths:?}");
    assert!(!paths.iter().any(|path| path.starts_with("target/")), "{paths:?}");
    let abi = files.iter().find(|(path, _)| *path == "contract/src/abi.rs").unwrap().1;
    let on_disk = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../student-template/contract/src/abi.rs"));
    assert_eq!(abi, on_disk.unwrap().as_slice());
}

#[test]
fn create_crate_builds_standalone_offline() {
    let dir = scratch("new-crate").join("my-solution");
    create_crate(&dir).unwrap();
    assert!(dir.join("contract/src/abi.rs").is_file());

    let error = create_crate(&dir).unwrap_err();
    assert!(matches!(error, BuildError::NotEmpty { .. }), "{error}");
    assert!(error.to_string().contains("not empty"), "{error}");

    // The crate lives inside this repository's target directory, i.e. inside a Cargo workspace it is not a member
    // of: it must build on its own anyway. A persistent target directory keeps reruns fast.
    let output = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("new-crate-target"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// The warm build time of a ten-policy submission, unconfined (environment and limits only) and through the
/// trampoline (plus Landlock, capabilities and seccomp). Run it with
/// `cargo test -p harness --test harness build::warm_build_timing -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check: run it explicitly"]
fn warm_build_timing() {
    let nonce = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos();
    for (label, builder) in [("unconfined", builder()), ("sandboxed", sandboxed_builder())] {
        builder.warm_up().unwrap();
        let mut times = Vec::new();
        for i in 0..10 {
            let id = format!("timing-{label}-{i}");
            // Sources the cache has never seen, like a new student's.
            let dir = scratch(&id);
            copy_fixture("good", &dir);
            let lib = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
            fs::write(dir.join("src/lib.rs"), format!("{lib}// {nonce} {i}\n")).unwrap();
            match builder.build(&id, &dir).unwrap() {
                BuildOutcome::Built { duration, .. } => times.push(duration),
                BuildOutcome::Failed { summary, .. } => panic!("{summary}"),
            }
        }
        times.sort();
        println!("{label} warm builds: {times:.2?}");
        println!("{label} median: {:.2?}", (times[4] + times[5]) / 2);
    }
}

/// Regression: with one package name for every submission, cargo saw a single unit, found the second build of an
/// unchanged submission "fresh" (its sources were older than the last output) and returned the library of
/// whoever had been built just before.
#[test]
fn rebuilding_an_unchanged_submission_returns_its_own_library() {
    let stride_table = |library: &Path| {
        // SAFETY: our own fixtures; `schedgrade_table` has this signature.
        unsafe {
            let lib = libloading::Library::new(library).unwrap();
            let table = lib
                .get::<extern "C" fn(u32) -> *const schedgrade_contract::abi::AbiTable>(
                    schedgrade_contract::abi::TABLE_SYMBOL.as_bytes(),
                )
                .unwrap();
            !table(schedgrade_contract::PolicyKind::Stride as u32).is_null()
        }
    };
    let first = expect_built(builder().build("unchanged-a", &fixture("good")).unwrap());
    assert!(stride_table(&first));
    // A submission exporting only FCFS, built in between.
    let other = expect_built(builder().build("unchanged-b", &fixture("foreign-files")).unwrap());
    assert!(!stride_table(&other));
    let again = expect_built(builder().build("unchanged-a", &fixture("good")).unwrap());
    assert!(stride_table(&again), "the rebuild returned another submission's library");
    // The same sources under another id, then the other fixture's sources under the first id: each build must
    // follow its sources, never a fingerprint left by another student or by an earlier version.
    let renamed = expect_built(builder().build("unchanged-c", &fixture("good")).unwrap());
    assert!(stride_table(&renamed));
    let changed = expect_built(builder().build("unchanged-a", &fixture("foreign-files")).unwrap());
    assert!(!stride_table(&changed), "a changed submission reused its old library");
}

#[test]
fn regrading_unchanged_sources_reuses_the_library() {
    let first = builder().build("regrade", &fixture("good")).unwrap();
    let BuildOutcome::Built { library, .. } = first else { panic!("expected a build, got {first:?}") };
    let before = fs::metadata(&library).unwrap().ino();
    let second = builder().build("regrade", &fixture("good")).unwrap();
    let BuildOutcome::Built { library: again, .. } = second else { panic!("expected a build") };
    assert_eq!(again, library);
    assert_eq!(fs::metadata(&again).unwrap().ino(), before, "the library was replaced");
}

/// A submission whose `src/lib.rs` is `code` followed by the empty export table.
fn submission_with(name: &str, code: &str) -> PathBuf {
    let dir = scratch(name);
    fs::create_dir(dir.join("src")).unwrap();
    fs::write(dir.join("src/lib.rs"), format!("{code}\nschedgrade_contract::export_schedulers! {{}}\n")).unwrap();
    dir
}

/// Every regular file under `dir` with its size.
fn files_under(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = fs::symlink_metadata(entry.path()).unwrap();
        if meta.is_dir() {
            files.extend(files_under(&entry.path()));
        } else {
            files.push((entry.path(), meta.len()));
        }
    }
    files
}

/// A private cache for the tests that inspect what builds leave behind; they take turns (the guard).
fn private_cache() -> (std::sync::MutexGuard<'static, ()>, PathBuf) {
    static TURN: Mutex<()> = Mutex::new(());
    let guard = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    (guard, Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-private-cache"))
}

#[track_caller]
fn assert_nothing_left_behind(cache: &Path, largest: u64) {
    let leftovers: Vec<_> = fs::read_dir(cache.join("builds")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(leftovers.is_empty(), "build directories left behind: {leftovers:?}");
    let big: Vec<_> = files_under(cache).into_iter().filter(|(_, len)| *len > largest).collect();
    assert!(big.is_empty(), "large files left in the cache: {big:?}");
}

#[test]
fn huge_static_fails_on_the_memory_limit_and_leaves_nothing_behind() {
    let (_turn, cache) = private_cache();
    let builder = Builder::new(&cache, sandboxed_options()).unwrap();
    let submission = submission_with(
        "huge-static",
        "#[used]\n#[unsafe(no_mangle)]\npub static HUGE: [u8; 2048 << 20] = [7; 2048 << 20];",
    );
    let outcome = builder.build("huge-static", &submission).unwrap();
    let BuildOutcome::Failed { summary, duration } = outcome else { panic!("expected a failure, got {outcome:?}") };
    assert!(summary.starts_with("the compiler ran out of memory: the grader gives it 1024 MiB"), "{summary}");
    assert!(summary.contains("src/lib.rs:3"), "the compiler's own error follows:\n{summary}");
    // The constant evaluator gives up at its first allocation instead of filling 4.7 GB.
    assert!(duration < Duration::from_secs(30), "{duration:?}");
    assert_nothing_left_behind(&cache, 16 << 20);
}

#[test]
fn file_size_limit_stops_a_large_library_and_leaves_nothing_behind() {
    let (_turn, cache) = private_cache();
    let limits = BuildLimits { file_bytes: 4 << 20, ..BuildLimits::DEFAULT };
    let builder = Builder::new(&cache, BuilderOptions { limits, ..sandboxed_options() }).unwrap();
    // 8 MiB of non-zero bytes: far under the memory limit, twice the file limit.
    let submission = submission_with(
        "large-static",
        "#[used]\n#[unsafe(no_mangle)]\npub static LARGE: [u8; 8 << 20] = [7; 8 << 20];",
    );
    let summary = expect_failed(builder.build("large-static", &submission).unwrap());
    assert!(
        summary.starts_with("the compiler was stopped for writing a file larger than 4 MiB, the grader's limit"),
        "{summary}"
    );
    assert_nothing_left_behind(&cache, 4 << 20);

    // Under the limit the same kind of submission builds, and only its library stays (in `libs/`).
    let small = submission_with(
        "small-static",
        "#[used]\n#[unsafe(no_mangle)]\npub static SMALL: [u8; 1 << 20] = [7; 1 << 20];",
    );
    let library = expect_built(builder.build("small-static", &small).unwrap());
    assert!(fs::metadata(&library).unwrap().len() > 1 << 20);
    assert_nothing_left_behind(&cache, 4 << 20);
}

#[test]
fn failed_and_successful_builds_leave_no_build_directory() {
    let (_turn, cache) = private_cache();
    let builder = Builder::new(&cache, sandboxed_options()).unwrap();
    expect_failed(builder.build("broken", &fixture("compile-error")).unwrap());
    assert_nothing_left_behind(&cache, 16 << 20);
    let quick =
        Builder::new(&cache, BuilderOptions { timeout: Duration::from_secs(2), ..sandboxed_options() }).unwrap();
    expect_failed(quick.build("endless", &fixture("endless")).unwrap());
    assert_nothing_left_behind(&cache, 16 << 20);
    expect_built(builder.build("good", &fixture("good")).unwrap());
    assert_nothing_left_behind(&cache, 16 << 20);
}

/// Variables a build could read through `option_env!` that would reveal the grader's accounts and paths.
const REVEALING: [&str; 10] = [
    "HOME",
    "PATH",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO",
    "RUSTC",
    "CARGO_MANIFEST_DIR",
    "USER",
    "LD_LIBRARY_PATH",
];

#[test]
fn option_env_reveals_nothing_of_the_grader() {
    let entries: String = REVEALING.iter().map(|name| format!("({name:?}, option_env!({name:?})),")).collect();
    let submission = submission_with(
        "env-leak",
        &format!(
            "static VARS: &[(&str, Option<&str>)] = &[{entries}];\n\
             #[unsafe(no_mangle)]\n\
             pub extern \"C\" fn leak(out: *mut u8, len: usize) -> usize {{\n\
                 let text = format!(\"{{VARS:?}}\");\n\
                 let n = text.len().min(len);\n\
                 unsafe {{ std::ptr::copy_nonoverlapping(text.as_ptr(), out, n) }};\n\
                 n\n\
             }}"
        ),
    );
    let real_home = env::var("HOME").unwrap_or_default();
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().unwrap().stdout;
    let sysroot = String::from_utf8(sysroot).unwrap().trim().to_owned();
    for (label, builder) in [("unconfined", builder()), ("sandboxed", sandboxed_builder())] {
        let library = expect_built(builder.build("env-leak", &submission).unwrap());
        // SAFETY: the submission above; `leak` has this signature.
        let seen = unsafe {
            let lib = libloading::Library::new(&library).unwrap();
            let leak = lib.get::<extern "C" fn(*mut u8, usize) -> usize>(b"leak").unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            let n = leak(buf.as_mut_ptr(), buf.len());
            String::from_utf8(buf[..n].to_vec()).unwrap()
        };
        for absent in REVEALING.iter().filter(|name| !["HOME", "PATH"].contains(name)) {
            assert!(seen.contains(&format!("({absent:?}, None)")), "{label}: `{absent}` is visible: {seen}");
        }
        let builds = builder.cache_dir().join("builds");
        assert!(seen.contains(&format!("(\"HOME\", Some(\"{}/", builds.display())), "{label}: {seen}");
        assert!(seen.contains("(\"PATH\", Some(\"/usr/bin:/bin\"))"), "{label}: {seen}");
        for secret in [sysroot.as_str(), "rustup", ".cargo"] {
            assert!(!seen.contains(secret), "{label}: `{secret}` leaked: {seen}");
        }
        if real_home.len() > 1 && !builds.starts_with(&real_home) {
            assert!(!seen.contains(&real_home), "{label}: the grader's HOME leaked: {seen}");
        }
    }
}

#[test]
fn a_linker_error_shows_no_path_of_the_grader() {
    let submission = submission_with(
        "link-error",
        "#[link(name = \"schedgrade_no_such_library\")]\nunsafe extern \"C\" { fn missing(); }\n\
         #[unsafe(no_mangle)]\npub extern \"C\" fn call() { unsafe { missing() } }",
    );
    let summary = expect_failed(sandboxed_builder().build("link-error", &submission).unwrap());
    assert!(summary.contains("schedgrade_no_such_library"), "{summary}");
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().unwrap().stdout;
    let sysroot = String::from_utf8(sysroot).unwrap().trim().to_owned();
    let cache = cache_dir().to_str().unwrap().to_owned();
    for path in [sysroot, cache] {
        assert!(!summary.contains(&path), "`{path}` is shown:\n{summary}");
    }
}

/// Marks the arguments of the test binary re-executed in another directory by [`a_relative_cache_path_works`].
const RELATIVE_MARK: &str = "--schedgrade-build-relative-cache";

/// Does nothing in a normal run. Re-executed with [`RELATIVE_MARK`] (in a directory of its own), builds the
/// `good` fixture in the cache `./relative` and prints the outcome.
#[test]
fn build_in_a_relative_cache() {
    if env::args_os().any(|arg| arg == RELATIVE_MARK) {
        let builder = Builder::new("relative", BuilderOptions::default()).unwrap();
        println!("outcome: {:?}", builder.build("relative", &fixture("good")).unwrap());
        std::process::exit(0);
    }
}

#[test]
fn a_relative_cache_path_works() {
    let dir = scratch("relative-cache");
    let output = Command::new(env::current_exe().unwrap())
        .args(["--exact", "build::build_in_a_relative_cache", "--nocapture", "--", RELATIVE_MARK])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let library = dir.join("relative/libs");
    assert!(stdout.contains(&format!("outcome: Built {{ library: \"{}/", library.display())), "{stdout}");
}

#[test]
fn other_builds_and_libraries_are_unreadable_from_a_build() {
    let other = expect_built(sandboxed_builder().build("someone-else", &fixture("good")).unwrap());
    // What a concurrent build of another student looks like while it runs.
    let running = sandboxed_builder().cache_dir().join("builds/zz-running-build");
    fs::create_dir_all(running.join("src")).unwrap();
    fs::write(running.join("src/lib.rs"), "// another student's code\n").unwrap();
    for (name, target) in [("peek-build", running.join("src/lib.rs")), ("peek-library", other.clone())] {
        let submission =
            submission_with(name, &format!("pub static PEEK: &[u8] = include_bytes!({:?});", target.to_str().unwrap()));
        let summary = expect_failed(sandboxed_builder().build(name, &submission).unwrap());
        assert!(summary.contains("Permission denied"), "{name}: {summary}");
    }
    fs::remove_dir_all(&running).unwrap();
}

#[test]
fn concurrent_builders_on_one_cache_share_one_library() {
    // A fresh cache: the two also race to compile the contract.
    let cache = scratch("concurrent-cache");
    let builds = std::thread::scope(|scope| {
        let handles: Vec<_> = ["alice", "bob"]
            .map(|id| {
                let cache = &cache;
                scope.spawn(move || Builder::new(cache, sandboxed_options()).unwrap().build(id, &fixture("good")))
            })
            .into_iter()
            .collect();
        handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect::<Vec<_>>()
    });
    let libraries: Vec<PathBuf> = builds.into_iter().map(expect_built).collect();
    assert_eq!(libraries[0], libraries[1], "the same sources give the same library");
    let published: Vec<_> = fs::read_dir(cache.join("libs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(published.len(), 1, "one library, no temporary copy: {published:?}");
    assert_eq!(fs::read_dir(cache.join("contract")).unwrap().count(), 1, "one compiled contract");
    assert_nothing_left_behind(&cache, 16 << 20);
}

#[test]
fn a_grader_elsewhere_finds_the_same_library_without_building() {
    let library = expect_built(sandboxed_builder().build("relocated", &fixture("good")).unwrap());
    // Another checkout: its trampoline lives elsewhere (here, nowhere: any build it started would fail to spawn).
    let elsewhere = scratch("relocated-grader").join("schedgrade");
    let options = BuilderOptions { launcher: Some(launcher_via(&elsewhere)), ..BuilderOptions::default() };
    let other = Builder::new(cache_dir(), options).unwrap();
    assert_eq!(expect_built(other.build("relocated-again", &fixture("good")).unwrap()), library);
    // A library built without the sandbox is never taken for a confined one (nor the other way round).
    let unconfined = expect_built(builder().build("relocated", &fixture("good")).unwrap());
    assert_ne!(unconfined, library);
}

#[test]
fn a_cache_others_can_write_or_own_is_refused() {
    let refused = |dir: &Path, why: &str| {
        let error = Builder::new(dir, BuilderOptions::default()).unwrap_err();
        assert!(matches!(error, BuildError::UnsafeCache { .. }), "{error}");
        let text = error.to_string();
        assert!(text.contains(why) && text.contains("= hint: pass `--cache DIR`"), "{text}");
    };
    let root = scratch("unsafe-caches");
    let open = root.join("open");
    fs::create_dir(&open).unwrap();
    for (mode, shown) in [(0o777, "mode is 777"), (0o775, "mode is 775"), (0o757, "mode is 757")] {
        fs::set_permissions(&open, fs::Permissions::from_mode(mode)).unwrap();
        refused(&open, shown);
    }
    let link = root.join("link");
    std::os::unix::fs::symlink(&open, &link).unwrap();
    refused(&link, "symbolic link");

    // The command line refuses it with exit code 3, before building anything.
    let output = Command::new(env!("CARGO_BIN_EXE_schedgrade"))
        .args(["check", "examples/submissions/reference-solution", "--cache"])
        .arg(&open)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("refusing the build cache") && stderr.contains("= hint:"), "{stderr}");

    // A missing cache is created, private to the grader; an existing safe one is accepted, and made private.
    let fresh = root.join("deep/fresh");
    prepare_cache_dir(&fresh).unwrap();
    // SAFETY: geteuid has no preconditions.
    assert_eq!(fs::metadata(&fresh).unwrap().uid(), unsafe { libc::geteuid() });
    assert_eq!(fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o700);
    fs::set_permissions(&fresh, fs::Permissions::from_mode(0o755)).unwrap();
    prepare_cache_dir(&fresh).unwrap();
    assert_eq!(fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o700, "an old 0755 cache is tightened");

    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED (not root): a cache owned by another user; run the tests as root to cover it");
        return;
    }
    let theirs = root.join("theirs");
    fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    refused(&theirs, "belongs to uid 65534");
}

#[test]
fn garbage_collection_spares_libraries_while_any_builder_has_the_cache_open() {
    let cache = scratch("gc-cache");
    drop(Builder::new(&cache, BuilderOptions::default()).unwrap());
    let libs = cache.join("libs");
    let aged = |name: &str| {
        let path = libs.join(name);
        fs::write(&path, "library").unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - GC_AGE - Duration::from_secs(3600)).unwrap();
        path
    };
    let old = aged("0old.so");
    let fresh = libs.join("1fresh.so");
    fs::write(&fresh, "library").unwrap();
    let temp = libs.join(".tmp-interrupted");
    fs::write(&temp, "half a library").unwrap();
    let leftover = cache.join("builds/interrupted");
    fs::create_dir_all(leftover.join("out")).unwrap();

    // Alone with the cache: collected. (Other tests of this binary fork workers; a fork shares the lock of a builder
    // dropped a moment earlier until the child closes its descriptors, so "alone" may take a few tries.)
    let alone = |gone: &Path| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let builder = Builder::new(&cache, BuilderOptions::default()).unwrap();
            if !gone.exists() || std::time::Instant::now() > deadline {
                return builder;
            }
            drop(builder);
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let first = alone(&old);
    assert!(!old.exists() && !temp.exists() && !leftover.exists());
    assert!(fresh.exists(), "a recently used library is kept");

    // Another builder has it open: nothing is collected, however old.
    let old = aged("2old.so");
    let second = Builder::new(&cache, BuilderOptions::default()).unwrap();
    assert!(old.exists(), "collected while another builder had the cache open");
    drop((first, second));
    drop(alone(&old));
    assert!(!old.exists());
}

/// Does nothing in a normal run. Re-executed through the trampoline with [`PROBE_MARK`], it reports what the
/// confinement lets it do, one `probe: NAME=RESULT` line each, and exits.
#[test]
fn build_probe() {
    // The trampoline's own arguments hold the probe's command line too: act only once it has exec'd the probe.
    let args: Vec<OsString> = env::args_os().collect();
    if !args.iter().any(|arg| arg == PROBE_MARK) || args.iter().any(|arg| arg == TRAMPOLINE_MARK) {
        return;
    }
    let result = |ret: libc::c_long| {
        if ret >= 0 { "ok".to_owned() } else { std::io::Error::last_os_error().raw_os_error().unwrap().to_string() }
    };
    // SAFETY: each call either fails or creates a resource that the immediate exit below releases. `ptrace` only
    // peeks at a process it does not trace (ESRCH when allowed), so it can never make this process a tracee.
    let probes = unsafe {
        [
            ("socket-inet", result(libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) as libc::c_long)),
            ("socket-unix", result(libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) as libc::c_long)),
            ("ptrace", result(libc::ptrace(libc::PTRACE_PEEKUSER, 1, 0, 0))),
            ("unshare", result(libc::unshare(libc::CLONE_NEWUSER) as libc::c_long)),
            ("clone3", result(libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0usize))),
            ("setsid", result(libc::setsid() as libc::c_long)),
            ("prlimit-other", result(libc::syscall(libc::SYS_prlimit64, 1, libc::RLIMIT_NOFILE, 0usize, 0usize))),
            ("x32", result(libc::syscall(0x4000_0000 | libc::SYS_getpid))),
            ("seccomp-mode", libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0).to_string()),
            ("no-new-privs", libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0).to_string()),
            ("cap-sys-resource", libc::prctl(libc::PR_CAPBSET_READ, 24 /* CAP_SYS_RESOURCE */, 0, 0, 0).to_string()),
            (
                "read-etc-hostname",
                fs::read("/etc/hostname").map_or_else(|e| e.raw_os_error().unwrap().to_string(), |_| "ok".to_owned()),
            ),
        ]
    };
    for (name, outcome) in probes {
        println!("probe: {name}={outcome}");
    }
    std::process::exit(0);
}

#[test]
fn the_trampoline_confines_what_it_runs() {
    let exe = env::current_exe().unwrap();
    let mut command = Command::new(&exe);
    command.args(launcher_via(&exe).into_iter().skip(1));
    for read in
        [exe.as_path(), Path::new("/usr/lib"), Path::new("/lib"), Path::new("/lib64"), Path::new("/etc/ld.so.cache")]
    {
        command.arg("--read").arg(read);
    }
    let output = command
        .arg("--")
        .arg(&exe)
        .args(["--exact", "build::build_probe", "--nocapture", "--test-threads=1", "--", PROBE_MARK])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let probes: std::collections::BTreeMap<&str, &str> =
        stdout.lines().filter_map(|line| line.split_once("probe: ")?.1.split_once('=')).collect();
    let (eperm, enosys, eacces) = (libc::EPERM.to_string(), libc::ENOSYS.to_string(), libc::EACCES.to_string());
    let mut expected = vec![
        ("socket-inet", eperm.as_str()),
        ("socket-unix", "ok"),
        ("ptrace", &eperm),
        ("unshare", &eperm),
        ("clone3", &enosys),
        ("setsid", &eperm),
        ("prlimit-other", &eperm),
        ("seccomp-mode", "2"),
        ("no-new-privs", "1"),
        ("read-etc-hostname", &eacces),
    ];
    if cfg!(target_arch = "x86_64") {
        expected.push(("x32", &eperm));
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        expected.push(("cap-sys-resource", "0"));
    }
    for (name, want) in expected {
        assert_eq!(
            probes.get(name).copied(),
            Some(want),
            "{name}\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
