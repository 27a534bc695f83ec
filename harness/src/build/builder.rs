//! Building submissions into `cdylib`s, one at a time, in a shared cache.
//!
//! # Cache layout
//!
//! ```text
//! <cache>/
//!   lock             flock(2)ed during every build, so two graders can share a cache
//!   contract/        the embedded contract crate, rewritten only when the grader's copy changes
//!   target/          the one CARGO_TARGET_DIR: the contract is compiled once, then reused by every submission
//!   tmp/             TMPDIR of the compiler and linker, emptied before each build
//!   crates/<id>/     the canonical Cargo.toml (package `submission_<hash of id>`) plus the student's src/**/*.rs
//!   libs/<id>.so     the built library, copied out of target/ right after its build (mode 0644, dir 0755)
//! ```
//!
//! Builds are serialised (a mutex, plus the `flock` for other processes): cargo locks the target directory anyway,
//! and the cache's files (`crates/<id>`, `libs/`) are only ever written by the build holding the lock. Each
//! submission has its own package name (see `manifest`), so cargo never mistakes one for another, and its library
//! is copied out to `libs/` right after its build and removed from `target/`.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::BuildError;
use super::cargo::{self, CargoRun, SUMMARY_MAX_BYTES};
use super::manifest::{WARM_UP_LIB, manifest, package_name};
use super::sandbox::{SANDBOX_FAILED_EXIT, SANDBOX_SUBCOMMAND, SandboxPolicy};
use super::sources::{self, SourceFile};
use super::template::{contract_files, sync_tree};

/// The default time limit of one submission's build.
pub const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(120);

/// The time limit of compiling the contract into a cold cache (not charged to any submission).
const WARM_UP_TIMEOUT: Duration = Duration::from_secs(600);

/// The crate that compiles the contract; its name cannot be a student id (those never start with `.`).
const WARM_UP_CRATE: &str = ".warm-up";

/// Environment variables passed through to cargo. Everything else is dropped: `RUSTFLAGS`, `RUSTC_WRAPPER`,
/// `CARGO_*` and friends would change what gets built.
const KEPT_ENV: &[&str] = &["PATH", "HOME", "USER", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "CARGO_HOME"];

/// What the sandboxed build may read besides the toolchain (`$RUSTUP_HOME`, `$CARGO_HOME/bin`, `$CARGO_HOME/config*`)
/// and the contract: the C toolchain and libraries the linker needs, and the dynamic loader's cache. Deliberately
/// not `/etc` as a whole (`/etc/shadow`, host keys: the grader may run as root), not `/proc` (the environment and
/// command line of the grader's processes), not all of `$CARGO_HOME` (registry credentials). Cargo, rustc and the
/// linker work without them; a missing path is skipped.
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/rustup",
];

/// How a [`Builder`] runs cargo.
#[derive(Clone, Debug)]
pub struct BuilderOptions {
    /// The time limit of one build; past it the build's whole process group is killed.
    pub timeout: Duration,
    /// The sandbox launcher, e.g. `[<schedgrade binary>, "__build"]` (see [`Builder::self_launcher`]). The
    /// builder appends the Landlock policy and the cargo command line. `None` runs cargo unconfined.
    pub launcher: Option<Vec<OsString>>,
    /// The cargo program.
    pub cargo: OsString,
}

impl Default for BuilderOptions {
    fn default() -> BuilderOptions {
        BuilderOptions { timeout: DEFAULT_BUILD_TIMEOUT, launcher: None, cargo: OsString::from("cargo") }
    }
}

/// The result of building one submission. A submission that does not compile is an outcome, not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildOutcome {
    /// The library is ready for the workers.
    Built {
        /// `<cache>/libs/<id>.so`.
        library: PathBuf,
        /// Wall time of writing the crate, compiling and copying the library out; not the wait for another
        /// build, nor the one-off compilation of the contract.
        duration: Duration,
    },
    /// The submission did not build.
    Failed {
        /// What went wrong, for the student: the compiler's first errors, or why the sources were refused, or the
        /// time limit. At most about 4 KiB.
        summary: String,
        /// Wall time of the attempt.
        duration: Duration,
    },
}

/// Builds submissions in a cache directory, one at a time.
#[derive(Debug)]
pub struct Builder {
    cache: PathBuf,
    options: BuilderOptions,
    /// Serialises builds within the process; the `flock` on `lock_file` does it across processes.
    state: Mutex<State>,
    lock_file: File,
}

#[derive(Debug, Default)]
struct State {
    warmed_up: bool,
}

/// Held while a build runs.
struct Exclusive<'a> {
    state: MutexGuard<'a, State>,
    fd: i32,
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        // SAFETY: flock(2) on a descriptor we own.
        unsafe { libc::flock(self.fd, libc::LOCK_UN) };
    }
}

impl Builder {
    /// Opens (creating it if needed) the build cache at `cache` and writes the embedded contract into it. `cache`
    /// and `cache/libs` are made world-readable (0755): the workers that load the libraries run as `nobody`.
    pub fn new(cache: impl Into<PathBuf>, options: BuilderOptions) -> Result<Builder, BuildError> {
        let cache = cache.into();
        for dir in [cache.clone(), cache.join("libs")] {
            create_dir(&dir)?;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).map_err(BuildError::io("chmod", &dir))?;
        }
        for dir in ["crates", "target", "tmp"] {
            create_dir(&cache.join(dir))?;
        }
        let lock_path = cache.join("lock");
        let lock_file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(BuildError::io("open", &lock_path))?;
        let builder = Builder { cache, options, state: Mutex::new(State::default()), lock_file };
        {
            let _exclusive = builder.lock()?;
            let contract = contract_files();
            sync_tree(&builder.contract_dir(), contract.iter().map(|(rel, bytes)| (*rel, bytes.as_slice())))?;
        }
        Ok(builder)
    }

    /// The launcher that re-executes the running binary as `<exe> __build`; the binary must route that
    /// subcommand to [`exec_sandboxed_build`](super::exec_sandboxed_build).
    pub fn self_launcher() -> Result<Vec<OsString>, BuildError> {
        let exe = std::env::current_exe().map_err(BuildError::io("locate", "the running executable"))?;
        Ok(vec![exe.into_os_string(), OsString::from(SANDBOX_SUBCOMMAND)])
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        &self.cache
    }

    /// Where built libraries are copied: `<cache>/libs`.
    pub fn libs_dir(&self) -> PathBuf {
        self.cache.join("libs")
    }

    fn contract_dir(&self) -> PathBuf {
        self.cache.join("contract")
    }

    fn target_dir(&self) -> PathBuf {
        self.cache.join("target")
    }

    fn crate_dir(&self, id: &str) -> PathBuf {
        self.cache.join("crates").join(id)
    }

    fn lock(&self) -> Result<Exclusive<'_>, BuildError> {
        // A poisoned lock only means another build panicked; the cache on disk is still consistent.
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let fd = self.lock_file.as_raw_fd();
        // SAFETY: flock(2) on a descriptor we own.
        if unsafe { libc::flock(fd, libc::LOCK_EX) } != 0 {
            return Err(BuildError::io("lock", self.cache.join("lock"))(std::io::Error::last_os_error()));
        }
        Ok(Exclusive { state, fd })
    }

    /// Compiles the contract into the cache, if it is not already; returns how long that took. [`Builder::build`]
    /// does this on its first call, outside the submission's time limit.
    pub fn warm_up(&self) -> Result<Duration, BuildError> {
        let mut exclusive = self.lock()?;
        self.warm_up_locked(&mut exclusive)
    }

    fn warm_up_locked(&self, exclusive: &mut Exclusive<'_>) -> Result<Duration, BuildError> {
        let start = Instant::now();
        if exclusive.state.warmed_up {
            return Ok(Duration::ZERO);
        }
        let lib = SourceFile { path: "lib.rs".to_owned(), contents: WARM_UP_LIB.as_bytes().to_vec() };
        let crate_dir = self.write_crate(WARM_UP_CRATE, &[lib])?;
        let run = self.run_cargo(&crate_dir, &package_name(WARM_UP_CRATE), WARM_UP_TIMEOUT)?;
        match run.status {
            Some(status) if status.success() => {}
            Some(status) => return Err(self.cargo_error(status, &run)),
            None => {
                return Err(BuildError::ContractTimeout { seconds: WARM_UP_TIMEOUT.as_secs() });
            }
        }
        exclusive.state.warmed_up = true;
        Ok(start.elapsed())
    }

    /// Builds the submission in `student_dir` (only its `src/**/*.rs` is used) for student `id`, and copies the
    /// library to `<cache>/libs/<id>.so`. Blocks while another build runs.
    pub fn build(&self, id: &str, student_dir: &Path) -> Result<BuildOutcome, BuildError> {
        check_id(id)?;
        let start = Instant::now();
        let failed = |summary: String| Ok(BuildOutcome::Failed { summary, duration: start.elapsed() });
        let sources = match sources::collect(student_dir) {
            Ok(sources) => sources,
            Err(message) => return failed(message),
        };

        let mut exclusive = self.lock()?;
        self.warm_up_locked(&mut exclusive)?;
        // Re-grading unchanged sources reuses the library: same sources, manifest and contract, same build.
        let library = self.libs_dir().join(format!("{id}.so"));
        let stamp = self.libs_dir().join(format!("{id}.fingerprint"));
        let fingerprint = fingerprint(&package_name(id), &sources, &self.options);
        if library.is_file() && fs::read_to_string(&stamp).ok().as_deref() == Some(fingerprint.as_str()) {
            return Ok(BuildOutcome::Built { library, duration: start.elapsed() });
        }
        // A library from an earlier build of this student must not outlive a failed rebuild.
        for stale in [&library, &stamp] {
            match fs::remove_file(stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(BuildError::io("remove", stale)(e));
                }
                _ => {}
            }
        }
        // The time limit and the reported duration cover this submission only, not the wait or the warm-up.
        let start = Instant::now();
        let failed = |summary: String| Ok(BuildOutcome::Failed { summary, duration: start.elapsed() });
        let crate_dir = self.write_crate(id, &sources)?;
        let name = package_name(id);
        let timeout = self.options.timeout;
        let run = self.run_cargo(&crate_dir, &name, timeout)?;
        let status = match run.status {
            None => {
                return failed(format!(
                    "build timed out after {}; the grader stops compiling a submission after that long: look for a \
                     constant, macro or type that never finishes compiling",
                    seconds(timeout)
                ));
            }
            Some(status) => status,
        };
        if status.success() {
            let library = self.copy_out(id, &name, &run)?;
            fs::write(&stamp, &fingerprint).map_err(BuildError::io("write", &stamp))?;
            return Ok(BuildOutcome::Built { library, duration: start.elapsed() });
        }
        if !run.errors.is_empty() {
            return failed(error_summary(&run));
        }
        // No compiler diagnostic, yet rustc failed on the submission (a crash, a linker error cargo reports itself).
        if run.stderr.contains(&format!("could not compile `{name}`")) {
            return failed(cargo::cap(
                format!("the submission did not compile:\n{}", run.stderr.trim_end()),
                SUMMARY_MAX_BYTES,
            ));
        }
        Err(self.cargo_error(status, &run))
    }

    /// Writes `crates/<id>/`: the canonical manifest and exactly `sources` under `src/`.
    fn write_crate(&self, id: &str, sources: &[SourceFile]) -> Result<PathBuf, BuildError> {
        let crate_dir = self.crate_dir(id);
        create_dir(&crate_dir)?;
        let path = crate_dir.join("Cargo.toml");
        let manifest = manifest(&package_name(id));
        if fs::read(&path).ok().as_deref() != Some(manifest.as_bytes()) {
            fs::write(&path, manifest).map_err(BuildError::io("write", &path))?;
        }
        let src = crate_dir.join("src");
        create_dir(&src)?;
        sync_tree(&src, sources.iter().map(|f| (f.path.as_str(), f.contents.as_slice())))?;
        Ok(crate_dir)
    }

    /// Builds the crate in `crate_dir`, whose library target is `name`.
    fn run_cargo(&self, crate_dir: &Path, name: &str, timeout: Duration) -> Result<CargoRun, BuildError> {
        // Whatever a killed build left in TMPDIR goes now.
        let tmp = self.cache.join("tmp");
        fs::remove_dir_all(&tmp).map_err(BuildError::io("empty", &tmp))?;
        create_dir(&tmp)?;
        let manifest = crate_dir.join("Cargo.toml");
        let cargo_args: Vec<OsString> = [
            OsStr::new("build"),
            OsStr::new("--offline"),
            OsStr::new("--lib"),
            OsStr::new("--color=never"),
            OsStr::new("--message-format=json"),
            OsStr::new("--manifest-path"),
            manifest.as_os_str(),
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        let (mut command, program) = match &self.options.launcher {
            None => {
                let mut command = Command::new(&self.options.cargo);
                command.args(&cargo_args);
                (command, self.options.cargo.clone())
            }
            Some(launcher) => {
                let (program, prefix) = launcher.split_first().ok_or_else(|| BuildError::Sandbox {
                    message: "the sandbox launcher command is empty".to_owned(),
                })?;
                let mut command = Command::new(program);
                command.args(prefix).args(self.sandbox_policy(crate_dir).to_args(&self.options.cargo, &cargo_args));
                (command, program.clone())
            }
        };
        command.env_clear();
        for key in KEPT_ENV {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        command
            .env("CARGO_TARGET_DIR", self.target_dir())
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_NET_OFFLINE", "true")
            .env("TMPDIR", &tmp)
            .env("LC_ALL", "C");
        // Cargo reads `.cargo/config.toml` in every ancestor of its working directory, and rustup reads
        // `rust-toolchain.toml` there: from `/`, only the grader's own `$CARGO_HOME` configuration applies.
        command.current_dir("/");
        cargo::run(command, &program.to_string_lossy(), name, timeout)
    }

    /// What the sandboxed build may touch: the toolchain and system libraries (read), the contract (read), and the
    /// submission's own crate and the shared target directory (read and write). Nothing else: not the student's
    /// upload, not other submissions, not the test cases or golden traces.
    fn sandbox_policy(&self, crate_dir: &Path) -> SandboxPolicy {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let from_env_or_home = |key: &str, dir: &str| {
            std::env::var_os(key).map(PathBuf::from).or_else(|| home.as_ref().map(|home| home.join(dir)))
        };
        let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
        read.extend(from_env_or_home("RUSTUP_HOME", ".rustup"));
        if let Some(cargo_home) = from_env_or_home("CARGO_HOME", ".cargo") {
            read.extend(["bin", "config.toml", "config"].map(|name| cargo_home.join(name)));
        }
        // A cargo given by absolute path may live in a toolchain of its own (`/opt/rust/bin/cargo`): allow its
        // `bin/` and `lib/` (the sysroot).
        let cargo = Path::new(&self.options.cargo);
        if cargo.is_absolute()
            && let Some(prefix) = cargo.canonicalize().ok().and_then(|p| Some(p.parent()?.parent()?.to_owned()))
        {
            read.extend([prefix.join("bin"), prefix.join("lib")]);
        }
        read.push(self.contract_dir());
        let write = vec![crate_dir.to_owned(), self.target_dir(), self.cache.join("tmp"), PathBuf::from("/dev/null")];
        SandboxPolicy { read, write }
    }

    fn cargo_error(&self, status: std::process::ExitStatus, run: &CargoRun) -> BuildError {
        if self.options.launcher.is_some() && status.code() == Some(SANDBOX_FAILED_EXIT) {
            return BuildError::Sandbox { message: run.stderr.trim().to_owned() };
        }
        let mut output = run.stderr.trim().to_owned();
        if output.len() > SUMMARY_MAX_BYTES {
            let mut start = output.len() - SUMMARY_MAX_BYTES;
            while !output.is_char_boundary(start) {
                start += 1;
            }
            output = format!("[...]{}", &output[start..]);
        }
        BuildError::Cargo { status, output, cache: self.cache.clone() }
    }

    /// Copies the freshly built library `lib<name>.so` to `libs/<id>.so` (atomically, mode 0644), then removes
    /// it from the target directory: that keeps the cache small, keeps one submission's build from reading
    /// another's library, and cargo simply rebuilds an output it no longer finds.
    fn copy_out(&self, id: &str, name: &str, run: &CargoRun) -> Result<PathBuf, BuildError> {
        let file_name = format!("lib{name}.so");
        let debug = self.target_dir().join("debug");
        let built = run
            .artifacts
            .iter()
            .find(|path| path.file_name() == Some(OsStr::new(&file_name)))
            .cloned()
            .unwrap_or_else(|| debug.join(&file_name));
        if !built.is_file() {
            return Err(BuildError::MissingLibrary { path: built });
        }
        let libs = self.libs_dir();
        let library = libs.join(format!("{id}.so"));
        let partial = libs.join(format!(".{id}.so.partial"));
        fs::copy(&built, &partial).map_err(BuildError::io("copy the library to", &partial))?;
        fs::set_permissions(&partial, fs::Permissions::from_mode(0o644)).map_err(BuildError::io("chmod", &partial))?;
        fs::rename(&partial, &library).map_err(BuildError::io("rename the library to", &library))?;
        for output in [built, debug.join(&file_name), debug.join("deps").join(&file_name)] {
            match fs::remove_file(&output) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(BuildError::io("remove", &output)(e));
                }
                _ => {}
            }
        }
        Ok(library)
    }
}

fn create_dir(dir: &Path) -> Result<(), BuildError> {
    fs::DirBuilder::new().recursive(true).mode(0o755).create(dir).map_err(BuildError::io("create", dir))
}

/// Student ids name directories and files in the cache.
fn check_id(id: &str) -> Result<(), BuildError> {
    let valid = (1..=100).contains(&id.len())
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b'+'));
    if valid { Ok(()) } else { Err(BuildError::InvalidStudentId { id: id.to_owned() }) }
}

fn error_summary(run: &CargoRun) -> String {
    let mut summary = run.errors.join("\n\n");
    let hidden = run.error_count.saturating_sub(run.errors.len());
    if hidden > 0 {
        let plural = if hidden == 1 { "" } else { "s" };
        summary.push_str(&format!(
            "\n\n({hidden} more error{plural} not shown; run `cargo build` in your crate to see them all)"
        ));
    }
    cargo::cap(summary, SUMMARY_MAX_BYTES)
}

fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// What a build depends on: the grader version, how cargo is run (the sandbox launcher included: a library built
/// without Landlock must not stand in for one built under it), the generated manifest, the embedded contract and
/// template, and every source file (path and bytes). Equal fingerprints give equal libraries.
fn fingerprint(package: &str, sources: &[SourceFile], options: &BuilderOptions) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    (&options.launcher, &options.cargo).hash(&mut hasher);
    manifest(package).hash(&mut hasher);
    super::template_files().hash(&mut hasher);
    for file in sources {
        (&file.path, &file.contents).hash(&mut hasher);
    }
    format!("{:016x} {} files\n", hasher.finish(), sources.len())
}
