//! The build cache: one private directory per user, shared safely by any number of graders of any version.
//!
//! # Layout
//!
//! ```text
//! <cache>/                 0700, owned by the grader's user (checked on every open; a looser mode is tightened)
//!   lock                   flock(2)ed shared by every open `Builder`, exclusively by garbage collection
//!   locks/<name>           flock(2)ed exclusively while one library or contract is looked up or built
//!   contract/<fp>/         the embedded contract (`src/`) and its `rlib` (`lib/`); immutable once `ready` exists
//!   libs/<fp>.so           one built library, named by the fingerprint of everything it was built from
//!   builds/<name>/         one build's private directory (sources, output, HOME, TMPDIR), removed when it ends
//! ```
//!
//! # Why several graders can share it
//!
//! Entries are content-addressed: a fingerprint names everything an entry was built from (see `fingerprint`),
//! never where the grader's binary lives. A library is published by copying it to a temporary name in `libs/`
//! and hard-linking that to its final name, which fails rather than replaces if the name exists; a final name is
//! never written again. So a library a run is about to load is never removed or replaced, two checkouts of the
//! grader reuse each other's libraries instead of rebuilding them, and two builds of the same fingerprint are
//! serialised by its lock file: the second finds the first's library.
//!
//! Garbage collection runs when a `Builder` opens the cache and no other `Builder` (in any process) has it open:
//! it then holds `lock` exclusively, so nobody is building or about to load anything it removes. It removes
//! libraries and contracts unused for [`GC_AGE`] (every use refreshes their modification time), and whatever an
//! interrupted build left behind.

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::BuildError;

/// The mode of the cache and of everything in it: the grader's alone. Other local users must not read students'
/// sources or libraries; workers receive their library from the grader, not by path.
const CACHE_MODE: u32 = 0o700;
/// A published library: read-only, for everyone who can reach it (only the grader's user, and the worker that gets
/// it bound into its private root).
const LIBRARY_MODE: u32 = 0o444;

/// How long an unused library or contract is kept.
pub const GC_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The subdirectories the builder creates and uses.
const SUBDIRS: [&str; 4] = ["libs", "locks", "contract", "builds"];

/// Checks that `dir` is a safe build cache, creating it (and its parents) if it does not exist: a real directory
/// (not a symbolic link), owned by the grader's effective user, and not writable by group or others. A cache that
/// someone else owns or can write could hand the grader a library they built, or read every student's sources.
pub fn prepare_cache_dir(dir: &Path) -> Result<(), BuildError> {
    let unsafe_cache = |problem: String| BuildError::UnsafeCache { path: dir.to_owned(), problem };
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(BuildError::io("create", parent))?;
            }
            match fs::DirBuilder::new().mode(CACHE_MODE).create(dir) {
                // Created now: the umask may have narrowed the mode, never widened it.
                Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(CACHE_MODE))
                    .map_err(BuildError::io("chmod", dir))?,
                // Another grader created it first: check theirs like any existing one.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(BuildError::io("create", dir)(e)),
            }
        }
        Err(e) => return Err(BuildError::io("inspect", dir)(e)),
        Ok(_) => {}
    }
    check_owned_private_dir(dir).map_err(unsafe_cache)?;
    // A cache of an older grader (0755: readable by everyone) is made private; the check above proved it is ours
    // and nobody else could write into it.
    let mode = fs::symlink_metadata(dir).map_err(BuildError::io("inspect", dir))?.mode() & 0o777;
    if mode != CACHE_MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(CACHE_MODE)).map_err(BuildError::io("chmod", dir))?;
    }
    Ok(())
}

/// `Err` says why `dir` is not a directory the grader alone controls.
fn check_owned_private_dir(dir: &Path) -> Result<(), String> {
    let meta = fs::symlink_metadata(dir).map_err(|e| format!("it cannot be inspected ({e})"))?;
    if meta.file_type().is_symlink() {
        return Err("it is a symbolic link, which whoever made it can point anywhere".to_owned());
    }
    if !meta.is_dir() {
        return Err("it is not a directory".to_owned());
    }
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("it belongs to uid {}, not to the grader's uid {me}", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "its mode is {:03o}: group or others can write into it, so its contents cannot be trusted",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// An open cache. While it is open, garbage collection by another process cannot run.
#[derive(Debug)]
pub(crate) struct Cache {
    root: PathBuf,
    /// Held shared for as long as the cache is open.
    _open: File,
}

impl Cache {
    /// Checks (see [`prepare_cache_dir`]) and opens the cache at `root`, collecting garbage if nobody else has it
    /// open.
    pub(crate) fn open(root: &Path) -> Result<Cache, BuildError> {
        // Builds run in their own directory: every path handed to them must be absolute.
        let root = &std::path::absolute(root).map_err(BuildError::io("locate", root))?;
        prepare_cache_dir(root)?;
        for sub in SUBDIRS {
            let dir = root.join(sub);
            match fs::DirBuilder::new().mode(CACHE_MODE).create(&dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(BuildError::io("create", &dir)(e)),
                _ => {}
            }
            check_owned_private_dir(&dir).map_err(|problem| BuildError::UnsafeCache { path: dir.clone(), problem })?;
            // An older grader made `libs/` 0755; the umask may have narrowed a new directory (harmless) or not.
            fs::set_permissions(&dir, fs::Permissions::from_mode(CACHE_MODE)).map_err(BuildError::io("chmod", &dir))?;
        }
        let open = open_lock_file(&root.join("lock"))?;
        if flock(&open, libc::LOCK_EX | libc::LOCK_NB).is_ok() {
            let cache = Cache { root: root.to_owned(), _open: open };
            cache.collect_garbage();
            flock(&cache._open, libc::LOCK_SH).map_err(BuildError::io("lock", root.join("lock")))?;
            return Ok(cache);
        }
        flock(&open, libc::LOCK_SH).map_err(BuildError::io("lock", root.join("lock")))?;
        Ok(Cache { root: root.to_owned(), _open: open })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn libs_dir(&self) -> PathBuf {
        self.root.join("libs")
    }

    /// Where the library with fingerprint `fingerprint` is (or will be) published.
    pub(crate) fn library(&self, fingerprint: &str) -> PathBuf {
        self.libs_dir().join(format!("{fingerprint}.so"))
    }

    pub(crate) fn contract_dir(&self, fingerprint: &str) -> PathBuf {
        self.root.join("contract").join(fingerprint)
    }

    pub(crate) fn builds_dir(&self) -> PathBuf {
        self.root.join("builds")
    }

    /// Blocks until this process holds `locks/<name>` exclusively; released when the returned file is dropped.
    pub(crate) fn lock(&self, name: &str) -> Result<File, BuildError> {
        let path = self.root.join("locks").join(name);
        let file = open_lock_file(&path)?;
        flock(&file, libc::LOCK_EX).map_err(BuildError::io("lock", &path))?;
        Ok(file)
    }

    /// Publishes the file at `built` (a library the build left in its own directory) as `libs/<fingerprint>.so`:
    /// a copy, so that nothing the build may still hold open can change it later. Returns the final path; if it
    /// exists already, that file is kept and the copy discarded.
    pub(crate) fn publish(&self, built: &Path, fingerprint: &str, max_bytes: u64) -> Result<PathBuf, BuildError> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let library = self.library(fingerprint);
        let temp = self.libs_dir().join(format!(
            ".tmp-{fingerprint}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        // The build controlled its directory: the library may have been replaced by a link to a secret or by a
        // FIFO. Open it without following links or blocking, and take only a regular file of sane size.
        let mut source = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(built)
            .map_err(|_| BuildError::MissingLibrary { path: built.to_owned() })?;
        let meta = source.metadata().map_err(BuildError::io("inspect", built))?;
        if !meta.is_file() || meta.len() > max_bytes {
            return Err(BuildError::MissingLibrary { path: built.to_owned() });
        }
        let mut copy = || -> io::Result<()> {
            let mut target = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
            io::copy(&mut io::Read::take(&mut source, max_bytes), &mut target)?;
            // Readable by the worker's uid, which reaches it only through the bind in its private root: the cache
            // directory (0700) keeps every other user out. Set explicitly, whatever the umask.
            target.set_permissions(fs::Permissions::from_mode(LIBRARY_MODE))?;
            Ok(())
        };
        let result = copy().map_err(BuildError::io("copy the library to", &temp)).and_then(|()| {
            match fs::hard_link(&temp, &library) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                    Err(BuildError::io("publish the library as", &library)(e))
                }
                _ => Ok(library),
            }
        });
        let _ = fs::remove_file(&temp);
        result
    }

    /// A published library is used again: refreshed like [`Cache::touch`], and given [`LIBRARY_MODE`] if an older
    /// grader published it with another (the worker must be able to open its bind).
    pub(crate) fn reuse_library(&self, library: &Path) -> Result<(), BuildError> {
        let mode = fs::metadata(library).map_err(BuildError::io("inspect", library))?.permissions().mode() & 0o7777;
        if mode != LIBRARY_MODE {
            fs::set_permissions(library, fs::Permissions::from_mode(LIBRARY_MODE))
                .map_err(BuildError::io("chmod", library))?;
        }
        self.touch(library)
    }

    /// Whatever is at `path` (a library or a contract's `ready` mark) was used just now: garbage collection keeps
    /// it for another [`GC_AGE`].
    pub(crate) fn touch(&self, path: &Path) -> Result<(), BuildError> {
        File::open(path)
            .and_then(|file| file.set_modified(SystemTime::now()))
            .map_err(BuildError::io("update the modification time of", path))
    }

    /// Runs with `lock` held exclusively: no other `Builder` has the cache open. Failures are ignored; the next
    /// collection tries again.
    fn collect_garbage(&self) {
        let old = |path: &Path| {
            fs::symlink_metadata(path)
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > GC_AGE))
        };
        for entry in entries(&self.libs_dir()) {
            let name = entry.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if name.starts_with(".tmp-") || old(&entry) {
                let _ = fs::remove_file(&entry);
            }
        }
        for entry in entries(&self.root.join("contract")) {
            if !entry.join("ready").is_file() || old(&entry.join("ready")) {
                let _ = fs::remove_dir_all(&entry);
            }
        }
        // Nobody holds a lock file or owns a build directory while collection runs.
        for entry in entries(&self.root.join("locks")) {
            let _ = fs::remove_file(&entry);
        }
        for entry in entries(&self.builds_dir()) {
            let _ = fs::remove_dir_all(&entry);
        }
    }
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir).map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default()
}

fn open_lock_file(path: &Path) -> Result<File, BuildError> {
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(BuildError::io("open", path))
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock(2) on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A private directory for one build, under `builds/`: removed (whatever the build left in it) when dropped.
#[derive(Debug)]
pub(crate) struct BuildDir {
    path: PathBuf,
}

impl BuildDir {
    /// Creates `builds/<name>` with `src/`, `out/`, `home/` and `tmp/`, removing what an interrupted build of the
    /// same name left. The caller holds the lock that makes `name` its own.
    pub(crate) fn create(cache: &Cache, name: &str) -> Result<BuildDir, BuildError> {
        let path = cache.builds_dir().join(name);
        match fs::remove_dir_all(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(BuildError::io("remove", &path)(e)),
            _ => {}
        }
        fs::DirBuilder::new().mode(0o700).create(&path).map_err(BuildError::io("create", &path))?;
        let dir = BuildDir { path };
        for sub in ["src", "out", "home", "tmp"] {
            let sub = dir.path.join(sub);
            fs::DirBuilder::new().mode(0o700).create(&sub).map_err(BuildError::io("create", &sub))?;
        }
        Ok(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BuildDir {
    fn drop(&mut self) {
        // A failure leaves the directory to the next garbage collection.
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Writes `files` (relative path with `/` separators, contents) under `dir`, creating directories as needed.
pub(crate) fn write_tree<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<(), BuildError> {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(BuildError::io("create", parent))?;
        }
        fs::write(&path, bytes).map_err(BuildError::io("write", &path))?;
    }
    Ok(())
}
