//! The trampoline that confines the compiler while it compiles a submission.
//!
//! Student code cannot run at compile time (no build script, no proc macro, no dependency), but it can still *read*
//! at compile time: `include_str!("/abs/path/golden.snap")` would copy a golden trace into the library. So the
//! grader does not run the compiler directly. It re-executes its own binary as
//! `schedgrade __build <policy> -- rustc ...`; that process confines itself and then `exec`s `rustc`, so `rustc`,
//! the C compiler driver and the linker inherit the confinement. (A ruleset cannot be built safely in `pre_exec`,
//! between `fork` and `exec`: it allocates.) In order:
//!
//! 1. a Landlock ruleset (below);
//! 2. when running as root, an empty capability bounding set, so that nothing the build `exec`s has a capability:
//!    not the one to raise the resource limits the builder set (see `limits`), nor to ignore file permissions;
//! 3. the seccomp deny-list of `seccomp` (no network, no tracing, no namespaces, ...).
//!
//! The policy arguments are `--read PATH` and `--write PATH`, repeated, then `--`, then the command:
//!
//! - `--read`: read and execute files, list directories, beneath `PATH`;
//! - `--write`: everything Landlock controls beneath `PATH` (create, write, remove, rename, truncate, ...);
//! - anything else on the file system is denied. Paths that do not exist are skipped.
//!
//! TCP `bind`/`connect` are denied as well, and so are signals and abstract UNIX sockets to processes outside the
//! sandbox, on kernels that support it. The trampoline refuses to run the command if the kernel cannot enforce the
//! file-system rules at all.

use std::convert::Infallible;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, PathBeneath, PathFd, PathFdError, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope,
};

/// The hidden subcommand the grader's binary must route to [`exec_sandboxed_build`].
pub const SANDBOX_SUBCOMMAND: &str = "__build";

/// The exit status of the trampoline when it could not confine or start the command. `rustc` exits with 1 on a
/// compile error and 101 when it crashes, so the two cannot be confused.
pub const SANDBOX_FAILED_EXIT: i32 = 121;

/// The newest Landlock ABI this code was written for; older kernels get the subset they support.
const LANDLOCK_ABI: ABI = ABI::V6;

/// What the sandboxed command may touch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SandboxPolicy {
    pub(crate) read: Vec<PathBuf>,
    pub(crate) write: Vec<PathBuf>,
}

impl SandboxPolicy {
    /// The trampoline's arguments for running `program args...` under this policy.
    pub(crate) fn to_args(&self, program: &OsStr, args: &[OsString]) -> Vec<OsString> {
        let mut out = Vec::new();
        for (flag, paths) in [("--read", &self.read), ("--write", &self.write)] {
            for path in paths {
                out.push(OsString::from(flag));
                out.push(path.clone().into_os_string());
            }
        }
        out.push(OsString::from("--"));
        out.push(program.to_owned());
        out.extend(args.iter().cloned());
        out
    }

    fn parse(args: impl IntoIterator<Item = OsString>) -> Result<(SandboxPolicy, OsString, Vec<OsString>), String> {
        let mut policy = SandboxPolicy::default();
        let mut args = args.into_iter();
        loop {
            let Some(flag) = args.next() else {
                return Err("missing `--` and the command to run after the policy".to_owned());
            };
            let list = match flag.to_str() {
                Some("--") => break,
                Some("--read") => &mut policy.read,
                Some("--write") => &mut policy.write,
                _ => {
                    return Err(format!("unknown argument `{}`; expected `--read`, `--write` or `--`", flag.display()));
                }
            };
            let path = args.next().ok_or_else(|| format!("`{}` needs a path", flag.display()))?;
            list.push(PathBuf::from(path));
        }
        let program = args.next().ok_or("missing the command to run after `--`")?;
        Ok((policy, program, args.collect()))
    }
}

/// Confines the current process with Landlock, then replaces it with the command; never returns.
///
/// `args` are the arguments after the hidden subcommand: `[--read PATH | --write PATH]... -- PROGRAM [ARGS...]`.
/// Wire it as `schedgrade __build ...` (see [`SANDBOX_SUBCOMMAND`]) and call it before the process starts any
/// thread. On failure it prints the reason to stderr and exits with [`SANDBOX_FAILED_EXIT`].
pub fn exec_sandboxed_build(args: impl IntoIterator<Item = OsString>) -> ! {
    let Err(message) = try_exec(args);
    eprintln!("schedgrade {SANDBOX_SUBCOMMAND}: {message}");
    std::process::exit(SANDBOX_FAILED_EXIT)
}

fn try_exec(args: impl IntoIterator<Item = OsString>) -> Result<Infallible, String> {
    let (policy, program, args) = SandboxPolicy::parse(args)?;
    restrict_self(&policy)?;
    drop_capabilities()?;
    super::seccomp::install()?;
    let error = Command::new(&program).args(&args).exec();
    Err(format!("cannot run `{}`: {error}", program.display()))
}

/// Applies the policy to the calling thread (and so to whatever it `exec`s).
fn restrict_self(policy: &SandboxPolicy) -> Result<(), String> {
    let abi = LANDLOCK_ABI;
    let landlock_error = |e: landlock::RulesetError| format!("landlock: {e}");
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp))
        .and_then(|r| r.scope(Scope::AbstractUnixSocket | Scope::Signal))
        .and_then(|r| r.create())
        .map_err(landlock_error)?;
    for (paths, access) in [(&policy.read, AccessFs::from_read(abi)), (&policy.write, AccessFs::from_all(abi))] {
        for path in paths {
            let Some(rule) = rule_for(path, access, abi)? else {
                continue;
            };
            ruleset = ruleset.add_rule(rule).map_err(landlock_error)?;
        }
    }
    let status = ruleset.restrict_self().map_err(landlock_error)?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err("this kernel does not enforce Landlock, so compile-time file reads cannot be confined".to_owned());
    }
    if !status.no_new_privs {
        return Err("could not set `no_new_privs`".to_owned());
    }
    Ok(())
}

/// Empties the capability bounding set when running as root: after `exec`, a root process gets only the
/// capabilities still in it. Without `CAP_SETPCAP` (a root without privileges, in a container) there is nothing to
/// drop that matters, and the other layers still apply.
fn drop_capabilities() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    for capability in 0.. {
        // SAFETY: prctl(PR_CAPBSET_DROP) takes a capability number and changes only this process.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability as libc::c_ulong, 0, 0, 0) } != 0 {
            match io::Error::last_os_error().raw_os_error() {
                // Past the last capability this kernel knows.
                Some(libc::EINVAL) => return Ok(()),
                Some(libc::EPERM) => return Ok(()),
                _ => return Err(format!("cannot drop capability {capability}: {}", io::Error::last_os_error())),
            }
        }
    }
    Ok(())
}

/// A rule granting `access` beneath `path`, trimmed to file rights when `path` is a file; `None` if it is absent.
fn rule_for(path: &Path, access: BitFlags<AccessFs>, abi: ABI) -> Result<Option<PathBeneath<PathFd>>, String> {
    let fd = match PathFd::new(path) {
        Ok(fd) => fd,
        Err(PathFdError::OpenCall { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(format!("landlock: {e}")),
    };
    let is_dir = std::fs::metadata(path).map_err(|e| format!("cannot inspect `{}`: {e}", path.display()))?.is_dir();
    let access = if is_dir { access } else { access & AccessFs::from_file(abi) };
    Ok(Some(PathBeneath::new(fd, access)))
}
