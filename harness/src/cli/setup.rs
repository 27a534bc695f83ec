//! What `grade` and `check` share: defaults for jobs and the cache, a worker program `nobody` can run, and the
//! sandbox warnings.

use std::path::{Path, PathBuf};

use crate::sandbox::{check_worker_access, probe_layers, startup_warnings};

/// `--jobs`, defaulting to the number of cores.
pub fn jobs(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}

/// `--cache`, defaulting to a per-user directory under the system temp dir, reachable by `nobody` (workers read
/// the libraries from it) and shared by runs so the contract is compiled once.
pub fn cache(cache: Option<PathBuf>) -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    cache.unwrap_or_else(|| std::env::temp_dir().join(format!("schedgrade-cache-{uid}")))
}

/// The program workers run: this binary, or a copy of it in the cache when `nobody` cannot reach it (a grader
/// installed under `/root`, which is `0700`).
pub fn worker_program(cache: &Path) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the `schedgrade` binary: {e}"))?;
    if check_worker_access(&exe, None).is_empty() {
        return Ok(exe);
    }
    let bin = cache.join("bin");
    let copy = bin.join("schedgrade-worker");
    let copy_it = || -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&bin)?;
        std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))?;
        let temp = bin.join(format!("schedgrade-worker.{}", std::process::id()));
        std::fs::copy(&exe, &temp)?;
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&temp, &copy)
    };
    copy_it().map_err(|e| format!("cannot copy the worker binary to `{}`: {e}", copy.display()))?;
    match check_worker_access(&copy, None).as_slice() {
        [] => Ok(copy),
        problems => Err(problems.join("; ")),
    }
}

/// The warnings to show when grading starts: missing sandbox layers.
pub fn sandbox_warnings() -> Vec<String> {
    startup_warnings(&probe_layers())
}
