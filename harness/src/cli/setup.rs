//! What `grade` and `check` share: defaults for jobs and the cache, a worker program `nobody` can run, and the
//! sandbox warnings.

use std::path::{Path, PathBuf};

use crate::sandbox::{WorkerProgram, probe_layers, startup_warnings};

/// `--jobs`, defaulting to the number of cores.
pub fn jobs(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}

/// `--cache`, defaulting to a per-user directory under the system temp dir, private to the user (0700) and shared
/// by runs so the contract is compiled once. It is created if needed and refused
/// (after printing why, with a hint) unless the grader's user owns it and nobody else can write to it: the exit
/// code is then returned.
pub fn cache(cache: Option<PathBuf>) -> Result<PathBuf, i32> {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let cache = cache.unwrap_or_else(|| std::env::temp_dir().join(format!("schedgrade-cache-{uid}")));
    match crate::build::prepare_cache_dir(&cache) {
        Ok(()) => Ok(cache),
        Err(e @ crate::build::BuildError::UnsafeCache { .. }) => {
            eprintln!("error: {e}");
            Err(crate::exit_code::BAD_INPUT)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(crate::exit_code::INTERNAL)
        }
    }
}

/// The program workers run: the embedded `schedgrade-worker`.
pub fn worker_program() -> Result<&'static WorkerProgram, String> {
    WorkerProgram::embedded().map_err(|e| e.to_string())
}

/// The warnings to show when grading starts: missing sandbox layers.
pub fn sandbox_warnings() -> Vec<String> {
    startup_warnings(&probe_layers())
}

/// A student id from a crate directory's name: its safe characters, or `submission`.
pub fn student_id(crate_dir: &Path) -> String {
    let name = crate_dir.file_name().and_then(|n| n.to_str()).filter(|n| !n.starts_with('.')).unwrap_or("submission");
    name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect()
}

/// Builds one crate as the grader does (sandboxed, in the default cache): the worker program and the library, or
/// (after printing what went wrong) the exit code to return.
pub fn build_one(crate_dir: &Path) -> Result<(&'static WorkerProgram, PathBuf), i32> {
    use crate::build::{BuildOutcome, Builder, BuilderOptions};
    use crate::exit_code;
    let cache = cache(None)?;
    let prepared = worker_program().and_then(|worker| {
        let launcher = Builder::self_launcher().map_err(|e| e.to_string())?;
        let options = BuilderOptions { launcher: Some(launcher), ..BuilderOptions::default() };
        let builder = Builder::new(&cache, options).map_err(|e| e.to_string())?;
        Ok((worker, builder))
    });
    let (worker, builder) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(exit_code::INTERNAL);
        }
    };
    match builder.build(&student_id(crate_dir), crate_dir) {
        Ok(BuildOutcome::Built { library, .. }) => Ok((worker, library)),
        Ok(BuildOutcome::Failed { summary, .. }) => {
            println!("build failed:\n{summary}");
            Err(exit_code::BUILD_FAILED)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(exit_code::INTERNAL)
        }
    }
}
