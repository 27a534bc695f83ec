//! Building submissions into `cdylib`s, any number at once, in a cache shared with other graders.
//!
//! One build, in order:
//!
//! 1. take the submission's `src/**/*.rs` (see `sources`);
//! 2. make sure the contract is compiled in the cache (once per grader version and toolchain, and proven able to
//!    link a library: see [`Builder::warm_up`]);
//! 3. fingerprint the sources with everything else the library depends on, and lock that fingerprint: a library
//!    already published under it is the answer, and a concurrent build of the same sources is waited for;
//! 4. otherwise compile in a private directory of `builds/` (sources, output, `HOME`, `TMPDIR`), confined to it,
//!    to the toolchain and to the contract, with resource limits, a seccomp deny-list and a neutral environment;
//! 5. publish the library under its fingerprint, and remove the build directory, whatever happened.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::BuildError;
use super::cache::{BuildDir, Cache, write_tree};
use super::compiler::{self, CompilerRun, SUMMARY_MAX_BYTES, cap, tail};
use super::fingerprint;
use super::limits::{self, BuildLimits, mib};
use super::profile::{CANARY_LIB, CONTRACT_RLIB, SUBMISSION_LIB, contract_args, submission_args};
use super::sandbox::{SANDBOX_FAILED_EXIT, SANDBOX_SUBCOMMAND, SandboxPolicy};
use super::sources::{self, SourceFile};
use super::template::contract_files;
use super::toolchain::Toolchain;

/// The default time limit of one submission's build.
pub const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(120);

/// The time limit of compiling the contract into a cold cache (not charged to any submission).
const CONTRACT_TIMEOUT: Duration = Duration::from_secs(600);

/// What a confined build may read besides the toolchain (see `Toolchain::read_paths`), the contract and its own
/// directory: the C compiler driver, the linker's start files and libraries, and the dynamic loader's
/// configuration. Measured with `strace -f -e trace=%file` on a build (rustc 1.95, gcc 12, Debian 12), then by
/// removing entries until the build failed: `cc`, `collect2` and `rust-lld` read `/usr/bin`, `/usr/lib/gcc` and
/// `/usr/lib/x86_64-linux-gnu`; `/usr/libexec` and `/usr/lib64` are where other distributions keep the same
/// files, and GNU `ld` (the linker where `rust-lld` is not the default) reads `/etc/ld.so.conf`. Symbolic links on
/// the way (`/usr/bin/cc` → `/etc/alternatives/cc`) need no rule. Deliberately not `/usr` as a whole
/// (`/usr/local`, `/usr/share`, `/usr/src`), nor `/etc` (`/etc/shadow`, host keys: the grader may run as root),
/// `/proc` (the environment and command line of the grader's processes), `/home`, `/root`, `/tmp`, the rest of
/// the cache, or `$CARGO_HOME`. A missing path is skipped.
const SYSTEM_READ: &[&str] = &[
    "/usr/bin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/bin",
    "/lib",
    "/lib64",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
];

/// How a [`Builder`] runs the compiler.
#[derive(Clone, Debug)]
pub struct BuilderOptions {
    /// The time limit of one build; past it the build's whole process group is killed.
    pub timeout: Duration,
    /// The sandbox launcher, e.g. `[<schedgrade binary>, "__build"]` (see [`Builder::self_launcher`]). The
    /// builder appends the Landlock policy and the compiler's command line. `None` runs the compiler without
    /// Landlock and seccomp (the environment and the resource limits still apply); such libraries are cached apart.
    pub launcher: Option<Vec<OsString>>,
    /// The `rustc` whose toolchain is used (looked up on `PATH` unless it is a path). Builds run the toolchain's
    /// real compiler, `<sysroot>/bin/rustc`, never a rustup proxy.
    pub rustc: OsString,
    /// The resource limits of every build's processes.
    pub limits: BuildLimits,
}

impl Default for BuilderOptions {
    fn default() -> BuilderOptions {
        BuilderOptions {
            timeout: DEFAULT_BUILD_TIMEOUT,
            launcher: None,
            rustc: OsString::from("rustc"),
            limits: BuildLimits::DEFAULT,
        }
    }
}

/// The result of building one submission. A submission that does not compile is an outcome, not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildOutcome {
    /// The library is ready for the workers.
    Built {
        /// `<cache>/libs/<fingerprint>.so`: never replaced or removed while it is in use.
        library: PathBuf,
        /// Wall time of writing the sources, compiling and publishing the library; not the wait for another
        /// build, nor the one-off compilation of the contract.
        duration: Duration,
    },
    /// The submission did not build.
    Failed {
        /// What went wrong, for the student: the compiler's first errors, or why the sources were refused, or the
        /// limit the compiler hit. At most about 4 KiB.
        summary: String,
        /// Wall time of the attempt.
        duration: Duration,
    },
}

/// Builds submissions in a cache directory. `build` may be called from several threads at once.
#[derive(Debug)]
pub struct Builder {
    cache: Cache,
    options: BuilderOptions,
    toolchain: Toolchain,
    /// The compiled contract's fingerprint and directory, once this builder has made sure it exists.
    contract: Mutex<Option<(String, PathBuf)>>,
}

impl Builder {
    /// Opens (creating it if needed) the build cache at `cache`, refusing a directory that is not the grader's own
    /// (see [`prepare_cache_dir`](super::prepare_cache_dir)), and resolves the toolchain.
    pub fn new(cache: impl Into<PathBuf>, options: BuilderOptions) -> Result<Builder, BuildError> {
        let cache = Cache::open(&cache.into())?;
        let toolchain = Toolchain::resolve(&options.rustc)?;
        Ok(Builder { cache, options, toolchain, contract: Mutex::new(None) })
    }

    /// The launcher that re-executes the running binary as `<exe> __build`; the binary must route that
    /// subcommand to [`exec_sandboxed_build`](super::exec_sandboxed_build).
    pub fn self_launcher() -> Result<Vec<OsString>, BuildError> {
        let exe = std::env::current_exe().map_err(BuildError::io("locate", "the running executable"))?;
        Ok(vec![exe.into_os_string(), OsString::from(SANDBOX_SUBCOMMAND)])
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        self.cache.root()
    }

    /// Where built libraries are published: `<cache>/libs`.
    pub fn libs_dir(&self) -> PathBuf {
        self.cache.libs_dir()
    }

    /// Makes sure the contract is compiled in the cache (compiling it, and linking an empty submission against
    /// it, if no grader of this version and toolchain has); returns how long that took. [`Builder::build`] does
    /// this on its first call, outside the submission's time limit.
    pub fn warm_up(&self) -> Result<Duration, BuildError> {
        let start = Instant::now();
        self.contract()?;
        Ok(start.elapsed())
    }

    /// Builds the submission in `student_dir` (only its `src/**/*.rs` is used) for student `id`. Blocks while the
    /// same sources are being built by another thread or grader, then returns their library.
    pub fn build(&self, id: &str, student_dir: &Path) -> Result<BuildOutcome, BuildError> {
        check_id(id)?;
        let start = Instant::now();
        let sources = match sources::collect(student_dir) {
            Ok(sources) => sources,
            Err(summary) => return Ok(BuildOutcome::Failed { summary, duration: start.elapsed() }),
        };
        let (contract, contract_dir) = self.contract()?;
        let fingerprint = fingerprint::library(&self.toolchain, &contract, self.confined(), &sources);
        let library = self.cache.library(&fingerprint);
        let _building = self.cache.lock(&format!("lib-{fingerprint}"))?;
        if library.is_file() {
            self.cache.reuse_library(&library)?;
            return Ok(BuildOutcome::Built { library, duration: start.elapsed() });
        }
        // The time limit and the reported duration cover this submission only, not the wait or the warm-up.
        let start = Instant::now();
        let dir = BuildDir::create(&self.cache, &fingerprint)?;
        write_tree(&dir.path().join("src"), sources.iter().map(|f: &SourceFile| (f.path.as_str(), &f.contents[..])))?;
        let policy = self.policy(&contract_dir, &[dir.path()]);
        let run = self.compile(dir.path(), submission_args(&contract_dir), &policy, self.options.timeout)?;
        let outcome = match self.judge(&run)? {
            Ok(()) => {
                let library = self.cache.publish(
                    &dir.path().join(SUBMISSION_LIB),
                    &fingerprint,
                    self.options.limits.file_bytes,
                )?;
                BuildOutcome::Built { library, duration: start.elapsed() }
            }
            Err(summary) => BuildOutcome::Failed { summary, duration: start.elapsed() },
        };
        drop(dir);
        Ok(outcome)
    }

    fn confined(&self) -> bool {
        self.options.launcher.is_some()
    }

    /// The compiled contract's fingerprint and directory, compiling it if this grader version has not yet.
    fn contract(&self) -> Result<(String, PathBuf), BuildError> {
        // A poisoned lock only means another build panicked; the cache on disk is still consistent.
        let mut known = self.contract.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = known.as_ref() {
            return Ok(known.clone());
        }
        let fingerprint = fingerprint::contract(&self.toolchain);
        let dir = self.cache.contract_dir(&fingerprint);
        let _building = self.cache.lock(&format!("contract-{fingerprint}"))?;
        let ready = dir.join("ready");
        if ready.is_file() {
            self.cache.touch(&ready)?;
        } else {
            self.compile_contract(&fingerprint, &dir)?;
            std::fs::write(&ready, &fingerprint).map_err(BuildError::io("write", &ready))?;
        }
        *known = Some((fingerprint, dir));
        Ok(known.clone().expect("just set"))
    }

    /// Compiles the contract into `dir`, then the canary against it. Any failure is the grader's.
    fn compile_contract(&self, fingerprint: &str, dir: &Path) -> Result<(), BuildError> {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(BuildError::io("remove", dir)(e)),
            _ => {}
        }
        let files = contract_files();
        let sources = files.iter().filter(|(rel, _)| rel.starts_with("src/"));
        write_tree(dir, sources.map(|(rel, bytes)| (*rel, bytes.as_slice())))?;
        let lib = dir.join(CONTRACT_RLIB);
        let lib_dir = lib.parent().expect("the rlib is in a directory");
        std::fs::create_dir_all(lib_dir).map_err(BuildError::io("create", lib_dir))?;

        let work = BuildDir::create(&self.cache, &format!("contract-{fingerprint}"))?;
        let mut policy = self.policy(dir, &[work.path(), lib_dir]);
        policy.read.retain(|path| path != dir);
        policy.read.push(dir.join("src"));
        let run = self.compile(work.path(), contract_args(dir), &policy, CONTRACT_TIMEOUT)?;
        self.expect_success(&run)?;

        // The canary: the empty submission, built exactly as submissions are.
        write_tree(&work.path().join("src"), [("lib.rs", CANARY_LIB.as_bytes())])?;
        let policy = self.policy(dir, &[work.path()]);
        let run = self.compile(work.path(), submission_args(dir), &policy, CONTRACT_TIMEOUT)?;
        self.expect_success(&run)?;
        if !work.path().join(SUBMISSION_LIB).is_file() {
            return Err(BuildError::MissingLibrary { path: work.path().join(SUBMISSION_LIB) });
        }
        Ok(())
    }

    fn expect_success(&self, run: &CompilerRun) -> Result<(), BuildError> {
        match run.status {
            None => Err(BuildError::ContractTimeout { seconds: CONTRACT_TIMEOUT.as_secs() }),
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(self.compiler_error(status, run)),
        }
    }

    /// What a confined build may touch: the toolchain and system libraries (read), the compiled contract (read),
    /// and `write` (its own directories: read and write). Nothing else: not the student's upload, not other
    /// builds or libraries, not the test cases or golden traces.
    fn policy(&self, contract_dir: &Path, write: &[&Path]) -> SandboxPolicy {
        let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
        read.extend(self.toolchain.read_paths());
        read.push(contract_dir.to_owned());
        let mut write: Vec<PathBuf> = write.iter().map(|path| path.to_path_buf()).collect();
        write.push(PathBuf::from("/dev/null"));
        SandboxPolicy { read, write }
    }

    /// Runs the compiler with `args` in `dir` (a build directory: `HOME` and `TMPDIR` are inside it).
    fn compile(
        &self,
        dir: &Path,
        args: Vec<OsString>,
        policy: &SandboxPolicy,
        timeout: Duration,
    ) -> Result<CompilerRun, BuildError> {
        let rustc = self.toolchain.rustc.as_os_str();
        let (mut command, program) = match &self.options.launcher {
            None => {
                let mut command = Command::new(rustc);
                command.args(&args);
                (command, rustc.to_owned())
            }
            Some(launcher) => {
                let (program, prefix) = launcher.split_first().ok_or_else(|| BuildError::Sandbox {
                    message: "the sandbox launcher command is empty".to_owned(),
                })?;
                let mut command = Command::new(program);
                command.args(prefix).args(policy.to_args(rustc, &args));
                (command, program.clone())
            }
        };
        command.env_clear().envs(self.toolchain.environment(dir)).current_dir(dir);
        limits::apply(&mut command, self.options.limits);
        compiler::run(command, &program.to_string_lossy(), timeout)
    }

    /// `Ok(Ok(()))` if the submission built, `Ok(Err(summary))` if it is the submission's fault, `Err` if the
    /// grader's.
    fn judge(&self, run: &CompilerRun) -> Result<Result<(), String>, BuildError> {
        let Some(status) = run.status else {
            return Ok(Err(format!(
                "build timed out after {}; the grader stops compiling a submission after that long: look for a \
                 constant, macro or type that never finishes compiling",
                seconds(self.options.timeout)
            )));
        };
        if status.success() {
            return Ok(Ok(()));
        }
        if self.confined() && status.code() == Some(SANDBOX_FAILED_EXIT) {
            return Err(BuildError::Sandbox { message: run.stderr.trim().to_owned() });
        }
        if run.errors.iter().any(|e| e.contains("linker `") && e.contains("not found")) {
            return Err(self.compiler_error(status, run));
        }
        let compiler_said = if run.errors.is_empty() { tail(&run.stderr, 1024) } else { error_summary(run) };
        let limit = |what: String| Ok(Err(self.redact(cap(format!("{what}\n\n{compiler_said}"), SUMMARY_MAX_BYTES))));
        if out_of_memory(run) {
            return limit(format!(
                "the compiler ran out of memory: the grader gives it {}, and a scheduler needs a tiny fraction of \
                 that; make large `static`s, `const`s and arrays smaller",
                mib(self.options.limits.memory_bytes)
            ));
        }
        if run.signal() == Some(libc::SIGXFSZ) {
            return limit(format!(
                "the compiler was stopped for writing a file larger than {}, the grader's limit; make large \
                 `static`s and arrays smaller",
                mib(self.options.limits.file_bytes)
            ));
        }
        if !run.errors.is_empty() {
            return Ok(Err(self.redact(error_summary(run))));
        }
        // No diagnostic, yet the compiler failed on this submission only (the canary built): it crashed on it.
        if run.signal().is_some() || status.code() == Some(101) {
            return limit(format!("the compiler crashed while compiling the submission ({status})"));
        }
        Err(self.compiler_error(status, run))
    }

    /// A summary for the student without the grader's paths: a linker error, for one, shows the linker's whole
    /// command line. Also keeps summaries identical across caches and machines.
    fn redact(&self, summary: String) -> String {
        let mut summary = summary;
        for (path, shown) in [(&self.toolchain.sysroot, "<toolchain>"), (&self.cache.root().to_path_buf(), "<cache>")] {
            if let Some(path) = path.to_str().filter(|p| p.len() > 1) {
                summary = summary.replace(path, shown);
            }
        }
        summary
    }

    fn compiler_error(&self, status: ExitStatus, run: &CompilerRun) -> BuildError {
        let output = if run.errors.is_empty() { tail(&run.stderr, SUMMARY_MAX_BYTES) } else { run.errors.join("\n") };
        BuildError::Compiler { status, output, cache: self.cache.root().to_owned() }
    }
}

/// Whether the compiler reported, or died of, a failed allocation: the constant evaluator's error, Rust's and
/// LLVM's allocation-failure messages, or the C library's `ENOMEM` text in a linker error.
fn out_of_memory(run: &CompilerRun) -> bool {
    const MARKS: [&str; 4] =
        ["more memory than available to compiler", "memory allocation of", "out of memory", "cannot allocate memory"];
    let said = |text: &str| {
        let text = text.to_ascii_lowercase();
        MARKS.iter().any(|mark| text.contains(mark))
    };
    run.errors.iter().any(|e| said(e)) || said(&run.stderr)
}

/// Student ids are checked before anything is written for them; they appear in logs and reports.
fn check_id(id: &str) -> Result<(), BuildError> {
    let valid = (1..=100).contains(&id.len())
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b'+'));
    if valid { Ok(()) } else { Err(BuildError::InvalidStudentId { id: id.to_owned() }) }
}

fn error_summary(run: &CompilerRun) -> String {
    let mut summary = run.errors.join("\n\n");
    let hidden = run.error_count.saturating_sub(run.errors.len());
    if hidden > 0 {
        let plural = if hidden == 1 { "" } else { "s" };
        summary.push_str(&format!(
            "\n\n({hidden} more error{plural} not shown; run `cargo build` in your crate to see them all)"
        ));
    }
    cap(summary, SUMMARY_MAX_BYTES)
}

fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}
