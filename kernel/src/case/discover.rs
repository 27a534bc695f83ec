//! Finding and reading input files.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Source};
use super::yaml::{MAX_FILE_BYTES, too_large};

/// A directory that could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("error: {}: cannot list the directory: {source}\n  = hint: check that the path exists and is a readable directory", path.display())]
pub struct DiscoverError {
    /// The directory (or subdirectory) that failed.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Every `*.yaml` file under `dir`, recursively, sorted by path (deterministic whatever the file system's order).
/// Hidden files and directories (name starting with `.`) are skipped. Symbolic links to files are listed; symbolic
/// links to directories are not followed (no cycles).
pub fn discover_cases(dir: &Path) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut files = walk_files(dir)?;
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    Ok(files)
}

/// Every file under `dir`, recursively, sorted; hidden entries are skipped and symbolic links to directories are not
/// followed.
pub fn walk_files(dir: &Path) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| DiscoverError { path: d.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| DiscoverError { path: d.clone(), source })?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let file_type = entry.file_type().map_err(|source| DiscoverError { path: path.clone(), source })?;
            if file_type.is_dir() {
                stack.push(path);
            } else if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a whole input file as UTF-8, refusing files over [`MAX_FILE_BYTES`] before reading them.
pub fn read_source(path: &Path) -> Result<String, Box<Diagnostic>> {
    let io_error = |e: std::io::Error| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => Some("check the path".to_string()),
            std::io::ErrorKind::PermissionDenied => Some("check the file's permissions".to_string()),
            _ => None,
        };
        Box::new(Diagnostic::file_error("io", path, format!("cannot read the file: {e}"), hint))
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    // Read at most one byte more than the limit: a file that grows while being read is still refused.
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() > MAX_FILE_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len(), |m| m.len() as usize);
        return Err(Box::new(too_large(&Source::new("", path), size)));
    }
    source_text(bytes, path)
}

/// The text of an input file read as `bytes`: [`read_source`] after the read. Refuses more than [`MAX_FILE_BYTES`]
/// and anything that is not UTF-8. `#[doc(hidden)] pub` because the fuzz targets (`fuzz/`) start here.
#[doc(hidden)]
pub fn source_text(bytes: Vec<u8>, path: &Path) -> Result<String, Box<Diagnostic>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Box::new(too_large(&Source::new("", path), bytes.len())));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
        let src = Source::new(&prefix, path);
        let pos = src.pos_of_offset(valid, 1);
        let mut d =
            src.error("not-utf8", pos, "the file is not valid UTF-8", Some("save the file as UTF-8".to_string()));
        d.snippet = None;
        Box::new(d)
    })
}
