//! Taking a submission's sources: only `src/**/*.rs`, checked before anything is copied.
//!
//! Everything else the student ships is ignored. The checks turn a malicious or broken upload into a clear build
//! failure: a symlink could smuggle any file of the grader's machine into the build (through `include_str!` or a
//! module path), and a huge tree could exhaust the disk. Nothing here follows a symlink: entries are inspected
//! with `symlink_metadata` and files are opened with `O_NOFOLLOW`.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// At most this many `.rs` files are taken.
pub const MAX_SOURCE_FILES: usize = 200;
/// At most this many bytes of `.rs` files are taken, in total.
pub const MAX_SOURCE_BYTES: u64 = 5 * 1024 * 1024;
/// At most this many entries under `src/` are looked at, taken or not.
const MAX_ENTRIES: usize = 2_000;
/// At most this many directory levels under `src/`.
const MAX_DEPTH: usize = 8;
/// At most this many bytes in one file or directory name.
const MAX_NAME_LEN: usize = 100;

/// One source file of a submission.
#[derive(Debug)]
pub(crate) struct SourceFile {
    /// Path relative to `src/`, with `/` separators.
    pub(crate) path: String,
    pub(crate) contents: Vec<u8>,
}

/// Reads `student_dir/src/**/*.rs`; `Err` is the build-failure message shown to the student.
pub(crate) fn collect(student_dir: &Path) -> Result<Vec<SourceFile>, String> {
    let src = student_dir.join("src");
    match fs::symlink_metadata(&src) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(
                "`src` is a symbolic link; the grader never follows links: make `src/` a real directory".to_owned()
            );
        }
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err("`src` is not a directory; put your code in `src/`, starting with `src/lib.rs`".to_owned());
        }
        Err(e) => {
            return Err(format!(
                "cannot read `src/` ({e}); put your code in `src/`, starting with `src/lib.rs` (see `schedgrade new`)"
            ));
        }
    }
    let mut walk = Walk { files: Vec::new(), entries: 0, bytes: 0 };
    walk.dir(&src, "", 0)?;
    if !walk.files.iter().any(|f| f.path == "lib.rs") {
        return Err("`src/lib.rs` is missing; the grader builds your crate from `src/lib.rs`, which must invoke \
             `schedgrade_contract::export_schedulers!` (see `schedgrade new`)"
            .to_owned());
    }
    walk.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(walk.files)
}

struct Walk {
    files: Vec<SourceFile>,
    entries: usize,
    bytes: u64,
}

impl Walk {
    /// `rel` is the directory's path relative to `src/` ("" for `src/` itself, else ending in `/`).
    fn dir(&mut self, dir: &Path, rel: &str, depth: usize) -> Result<(), String> {
        let shown = |name: &str| format!("src/{rel}{name}");
        let entries = fs::read_dir(dir).map_err(|e| format!("cannot read `src/{rel}`: {e}"))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read `src/{rel}`: {e}"))?;
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(format!(
                    "`src/` holds more than {MAX_ENTRIES} files and directories; submit only your `.rs` sources"
                ));
            }
            let name = entry.file_name();
            let lossy = name.to_string_lossy();
            // `DirEntry::file_type` does not follow symlinks.
            let file_type = entry.file_type().map_err(|e| format!("cannot inspect `{}`: {e}", shown(&lossy)))?;
            if file_type.is_symlink() {
                return Err(format!(
                    "`{}` is a symbolic link; the grader never follows links: replace it with the file itself",
                    shown(&lossy)
                ));
            }
            if !file_type.is_dir() && !file_type.is_file() {
                return Err(format!(
                    "`{}` is not a regular file or directory (a FIFO, socket or device?); remove it",
                    shown(&lossy)
                ));
            }
            // Hidden entries (`.git`, editor files) are never taken, so nothing in them can reach the build.
            if lossy.starts_with('.') {
                continue;
            }
            let is_source = file_type.is_file() && name.as_encoded_bytes().ends_with(b".rs");
            if !file_type.is_dir() && !is_source {
                continue;
            }
            let name = check_name(&name).map_err(|why| format!("`{}` {why}", shown(&lossy)))?;
            if file_type.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    return Err(format!("`{}` is nested more than {MAX_DEPTH} directories deep", shown(name)));
                }
                self.dir(&entry.path(), &format!("{rel}{name}/"), depth + 1)?;
            } else {
                self.file(&entry.path(), format!("{rel}{name}"))?;
            }
        }
        Ok(())
    }

    fn file(&mut self, path: &Path, rel: String) -> Result<(), String> {
        if self.files.len() >= MAX_SOURCE_FILES {
            return Err(format!(
                "`src/` holds more than {MAX_SOURCE_FILES} `.rs` files; the limit is {MAX_SOURCE_FILES}"
            ));
        }
        let too_big = || format!("the `.rs` files under `src/` exceed {} MiB in total", MAX_SOURCE_BYTES >> 20);
        // O_NOFOLLOW: the entry might have been swapped for a link since it was listed. O_NONBLOCK: same for a FIFO.
        let mut file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| format!("cannot read `src/{rel}`: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("cannot read `src/{rel}`: {e}"))?;
        if !meta.is_file() {
            return Err(format!("`src/{rel}` is not a regular file; remove it"));
        }
        let budget = MAX_SOURCE_BYTES - self.bytes;
        if meta.len() > budget {
            return Err(too_big());
        }
        let mut contents = Vec::with_capacity(meta.len() as usize);
        (&mut file).take(budget + 1).read_to_end(&mut contents).map_err(|e| format!("cannot read `src/{rel}`: {e}"))?;
        if contents.len() as u64 > budget {
            return Err(too_big());
        }
        self.bytes += contents.len() as u64;
        self.files.push(SourceFile { path: rel, contents });
        Ok(())
    }
}

/// Accepts names a Rust module file could sensibly have.
fn check_name(name: &std::ffi::OsStr) -> Result<&str, String> {
    let Some(name) = name.to_str() else {
        return Err("has a name that is not valid UTF-8; rename it with ASCII letters, digits and `_`".to_owned());
    };
    if name.len() > MAX_NAME_LEN {
        return Err(format!("has a name longer than {MAX_NAME_LEN} bytes; rename it"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        return Err(
            "has a name with characters other than ASCII letters, digits, `_`, `-` and `.`; rename it".to_owned()
        );
    }
    Ok(name)
}
