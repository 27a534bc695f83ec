//! The Rust toolchain the grader compiles with, and the neutral environment the compiler runs in.
//!
//! The toolchain is resolved once, with the grader's own environment: `rustc --print sysroot` answers through
//! rustup's proxy when there is one, and the real compiler is then `<sysroot>/bin/rustc`. Builds run that binary
//! directly, so they need neither rustup nor `RUSTUP_HOME`, `CARGO_HOME` or the grader's `HOME`, and nothing of
//! them can reach a submission through `env!`/`option_env!`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::BuildError;

/// The `PATH` of every build: where the C compiler driver `rustc` links with (`cc`) lives on every distribution
/// we know. The directory of the grader's `cc` is put first when it lives elsewhere.
const SYSTEM_PATH: &str = "/usr/bin:/bin";

/// The resolved compiler.
#[derive(Clone, Debug)]
pub(crate) struct Toolchain {
    /// `<sysroot>/bin/rustc`.
    pub(crate) rustc: PathBuf,
    /// The toolchain's root.
    pub(crate) sysroot: PathBuf,
    /// `rustc -vV`: release, commit and LLVM version. Part of every fingerprint.
    pub(crate) version: String,
    /// The `PATH` builds run with.
    pub(crate) path: OsString,
    /// Directories to read besides the system ones: the directory of a `cc` outside them.
    pub(crate) extra_read: Vec<PathBuf>,
}

impl Toolchain {
    /// Asks `rustc` (a program name looked up on `PATH`, or a path) for its sysroot and version. Runs from `/`, so
    /// a `rust-toolchain.toml` in the grader's working directory does not choose the compiler.
    pub(crate) fn resolve(rustc: &OsStr) -> Result<Toolchain, BuildError> {
        let sysroot = PathBuf::from(ask(rustc, &["--print", "sysroot"])?.trim_end());
        let real = sysroot.join("bin/rustc");
        if !real.is_file() {
            return Err(BuildError::Toolchain {
                message: format!(
                    "`{} --print sysroot` names `{}`, which has no `bin/rustc`",
                    rustc.display(),
                    sysroot.display()
                ),
            });
        }
        // The version of the binary builds run, not of a proxy in front of it.
        let version = ask(real.as_os_str(), &["-vV"])?;
        let (path, extra_read) = match find_on_path("cc") {
            Some(dir) if !SYSTEM_PATH.split(':').any(|system| Path::new(system) == dir) => {
                let mut path = dir.clone().into_os_string();
                path.push(":");
                path.push(SYSTEM_PATH);
                (path, vec![dir])
            }
            _ => (OsString::from(SYSTEM_PATH), Vec::new()),
        };
        Ok(Toolchain { rustc: real, sysroot, version, path, extra_read })
    }

    /// What the compiler must read of the toolchain: the `rustc` binary, and `lib/` (its driver library, the
    /// standard library, `rust-lld`). Not `bin/` as a whole, nor `share/`.
    pub(crate) fn read_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.rustc.clone(), self.sysroot.join("lib")];
        paths.extend(self.extra_read.iter().cloned());
        paths
    }

    /// The whole environment of a build whose private directory is `dir`: `PATH`, `HOME` and `TMPDIR` (both inside
    /// `dir`) and `LC_ALL`. Nothing is inherited from the grader.
    pub(crate) fn environment(&self, dir: &Path) -> Vec<(OsString, OsString)> {
        vec![
            ("PATH".into(), self.path.clone()),
            ("HOME".into(), dir.join("home").into()),
            ("TMPDIR".into(), dir.join("tmp").into()),
            ("LC_ALL".into(), "C".into()),
        ]
    }
}

/// Runs `program args` (from `/`) and returns its stdout.
fn ask(program: &OsStr, args: &[&str]) -> Result<String, BuildError> {
    let shown = || format!("{} {}", program.display(), args.join(" "));
    let output = Command::new(program)
        .args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BuildError::Spawn { program: program.display().to_string(), source })?;
    if !output.status.success() {
        return Err(BuildError::Toolchain {
            message: format!(
                "`{}` failed ({}): {}",
                shown(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    String::from_utf8(output.stdout)
        .map_err(|_| BuildError::Toolchain { message: format!("`{}` printed something that is not UTF-8", shown()) })
}

/// The first directory of the grader's `PATH` holding an executable `name`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).filter(|dir| dir.is_absolute()).find(|dir| {
        std::fs::metadata(dir.join(name)).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}
