//! The canonical student template embedded in the grader, and `schedgrade new`.
//!
//! `harness/build.rs` embeds every file of `student-template/` (the contract crate included) at compile time. The
//! grader builds submissions against these copies only, so nothing a student ships — a `Cargo.toml`, a `build.rs`,
//! dependencies, `.cargo/config.toml`, a `rust-toolchain.toml` — is ever used.

use std::fs;
use std::io::{self, Write as _};
use std::path::Path;

use super::BuildError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/template.rs"));
}

/// The directory of the contract crate inside the template.
const CONTRACT_DIR: &str = "contract/";

/// Appended to the template's `Cargo.toml` by [`create_crate`]. In the grader's repository the template is a
/// workspace member and cannot say this itself; a student's copy must not attach to whatever workspace encloses it.
const STANDALONE_WORKSPACE: &str =
    "\n# This crate is its own workspace, even inside another Cargo project.\n[workspace]\n";

/// Written by [`create_crate`] when the template has no `.gitignore` of its own.
const GITIGNORE: &str = "/target\n";

/// Every file of the student template, as `(path relative to the template, contents)`, sorted by path. Paths use
/// `/` separators; `target/` is never included.
pub fn template_files() -> &'static [(&'static str, &'static [u8])] {
    embedded::TEMPLATE_FILES
}

/// The files of the contract crate, with paths relative to the contract's own directory, for the build cache.
///
/// Its `Cargo.toml` gets an empty `[workspace]` table: otherwise cargo would look for the contract's workspace in
/// every ancestor of the cache, reading whatever `Cargo.toml` it finds there (and failing under the sandbox).
pub(crate) fn contract_files() -> Vec<(&'static str, Vec<u8>)> {
    template_files()
        .iter()
        .filter_map(|(path, bytes)| {
            let rel = path.strip_prefix(CONTRACT_DIR)?;
            let bytes = if rel == "Cargo.toml" { standalone(bytes) } else { bytes.to_vec() };
            Some((rel, bytes))
        })
        .collect()
}

/// Writes a fresh copy of the student template (contract included) into `dir`, for `schedgrade new DIR`.
///
/// `dir` may exist only as an empty directory. Afterwards `cargo build` works inside `dir` on its own, offline.
pub fn create_crate(dir: &Path) -> Result<(), BuildError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) => {
            let empty = meta.is_dir() && fs::read_dir(dir).map_err(BuildError::io("read", dir))?.next().is_none();
            if !empty {
                return Err(BuildError::NotEmpty { path: dir.to_owned() });
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(BuildError::io("inspect", dir)(e)),
    }
    fs::create_dir_all(dir).map_err(BuildError::io("create", dir))?;

    let mut has_gitignore = false;
    for (rel, bytes) in template_files() {
        let path = dir.join(rel);
        if *rel == ".gitignore" {
            has_gitignore = true;
        }
        if *rel == "Cargo.toml" {
            write_new(&path, &standalone(bytes))?;
        } else {
            write_new(&path, bytes)?;
        }
    }
    if !has_gitignore {
        write_new(&dir.join(".gitignore"), GITIGNORE.as_bytes())?;
    }
    Ok(())
}

/// `manifest` with an empty `[workspace]` table, unless it has one.
fn standalone(manifest: &[u8]) -> Vec<u8> {
    let mut manifest = manifest.to_vec();
    if !String::from_utf8_lossy(&manifest).lines().any(|line| line.trim() == "[workspace]") {
        manifest.extend_from_slice(STANDALONE_WORKSPACE.as_bytes());
    }
    manifest
}

/// Creates `path` (and its parent directories); fails if it already exists.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(BuildError::io("create", parent))?;
    }
    let mut file =
        fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(BuildError::io("create", path))?;
    file.write_all(bytes).map_err(BuildError::io("write", path))
}
