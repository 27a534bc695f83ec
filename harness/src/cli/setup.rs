//! What `grade` and `check` share: defaults for jobs and the cache, a worker program `nobody` can run, and the
//! sandbox warnings.

use std::path::{Path, PathBuf};

use crate::grade::execute::reachable_worker_program;
use crate::sandbox::{probe_layers, startup_warnings};

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

/// The program workers run: this binary, or a copy `nobody` can reach (see [`reachable_worker_program`]).
pub fn worker_program(cache: &Path) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the `schedgrade` binary: {e}"))?;
    reachable_worker_program(&exe, cache)
}

/// The warnings to show when grading starts: missing sandbox layers.
pub fn sandbox_warnings() -> Vec<String> {
    startup_warnings(&probe_layers())
}
