//! Stopping the grader: `SIGTERM`, `SIGINT` and `SIGHUP` kill every live worker and build before the grader exits.
//!
//! The grader blocks the three signals in every thread ([`install`], called by the CLI before any other thread
//! exists) and one dedicated thread waits for them with `sigwait(2)`. When one arrives, that thread closes the
//! [`spawn_gate`] (no new child can start, and children being started finish registering), sends `SIGKILL` to
//! every registered process group, and exits with `128 + signal` ([`crate::exit_code::stopped_by`]).
//!
//! Whoever starts a child process group registers it for its lifetime:
//!
//! ```no_run
//! # fn spawn() -> std::process::Child { unimplemented!() }
//! let gate = harness::shutdown::spawn_gate(); // held across the spawn: a signal cannot slip in between
//! let child = spawn(); // in its own process group (`CommandExt::process_group(0)`)
//! let registration = gate.register(child.id() as libc::pid_t);
//! // ... run, kill the group when done ...
//! drop(registration); // before reaping the leader: a reaped leader's group id can be reused
//! ```
//!
//! A worker's group holds the whole worker (see [`crate::sandbox`]): its PID namespace dies with it, so killing the
//! group also kills anything the worker left behind, even a process that cleared its death signal or left the group.

use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};

use crate::exit_code;

/// The signals that stop the grader.
pub const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

/// Held for reading while a child is being started and registered; taken for writing, and never released, once
/// the grader is stopping.
static GATE: RwLock<()> = RwLock::new(());
/// The live process groups.
static GROUPS: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

/// Blocks [`STOP_SIGNALS`] in the calling thread (and so in every thread it starts later) and starts the thread
/// that handles them. Call it once, from `main`, before any other thread exists: a thread started earlier keeps
/// the signals unblocked and could be the one the kernel picks to die.
///
/// Children inherit the blocked mask through `fork` and `exec`; the worker sandbox and the build launcher
/// unblock it again ([`unblock_stop_signals`]).
pub fn install() -> std::io::Result<()> {
    let set = stop_set();
    // SAFETY: `set` is a valid, initialised signal set.
    let ret = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if ret != 0 {
        return Err(std::io::Error::from_raw_os_error(ret));
    }
    std::thread::Builder::new().name("schedgrade-signals".into()).spawn(move || wait_and_stop(set))?;
    Ok(())
}

/// Unblocks [`STOP_SIGNALS`] in the calling thread: for a child process that inherited the grader's mask.
pub fn unblock_stop_signals() {
    let set = stop_set();
    // SAFETY: `set` is a valid, initialised signal set. Async-signal-safe (a raw `rt_sigprocmask`).
    unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
}

/// Permission to start a child process group; turn it into a [`Registration`] once the child exists.
///
/// Blocks while the grader is stopping (forever: the process is about to exit). Holding it does not block other
/// spawns.
pub fn spawn_gate() -> SpawnGate {
    SpawnGate { _guard: GATE.read().unwrap_or_else(PoisonError::into_inner) }
}

/// See [`spawn_gate`].
#[must_use = "register the child's process group with `register`"]
pub struct SpawnGate {
    _guard: RwLockReadGuard<'static, ()>,
}

impl SpawnGate {
    /// Registers the process group `pgid` (the child's pid, when it leads its own group) until the returned
    /// [`Registration`] is dropped.
    pub fn register(self, pgid: libc::pid_t) -> Registration {
        GROUPS.lock().unwrap_or_else(PoisonError::into_inner).push(pgid);
        Registration { pgid }
    }
}

/// A registered live process group; dropping it unregisters the group. Drop it after killing the group and before
/// reaping its leader (once reaped, the group id may be reused by an unrelated process).
#[derive(Debug)]
#[must_use = "dropping a registration unregisters the process group at once"]
pub struct Registration {
    pgid: libc::pid_t,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut groups = GROUPS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = groups.iter().position(|&g| g == self.pgid) {
            groups.swap_remove(i);
        }
    }
}

fn stop_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset on valid signal numbers.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in STOP_SIGNALS {
            libc::sigaddset(&mut set, signal);
        }
        set
    }
}

/// The signal thread: waits for a stop signal, kills every registered group, exits.
fn wait_and_stop(set: libc::sigset_t) {
    let signal = loop {
        let mut signal = 0;
        // SAFETY: valid set and out-pointer; the signals are blocked in this thread (inherited from `install`).
        if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
            break signal;
        }
    };
    // Never released: from here on nothing new starts, and children being started finish registering first.
    let _gate = GATE.write().unwrap_or_else(PoisonError::into_inner);
    let killed = {
        let groups = GROUPS.lock().unwrap_or_else(PoisonError::into_inner);
        for &pgid in groups.iter() {
            // SAFETY: kill has no memory preconditions. Registered groups have not been reaped (see `Registration`).
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        groups.len()
    };
    eprintln!(
        "\nschedgrade: stopped by {}: killed {killed} running worker and build process group(s)",
        crate::sandbox::signal_name(signal)
    );
    // `_exit`: other threads may hold locks that `exit`'s cleanup would wait for.
    // SAFETY: _exit never returns.
    unsafe { libc::_exit(exit_code::stopped_by(signal)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        assert_eq!(exit_code::stopped_by(libc::SIGHUP), exit_code::STOPPED_BY_SIGHUP);
        assert_eq!(exit_code::stopped_by(libc::SIGINT), exit_code::STOPPED_BY_SIGINT);
        assert_eq!(exit_code::stopped_by(libc::SIGTERM), exit_code::STOPPED_BY_SIGTERM);
    }

    #[test]
    fn a_group_is_registered_until_its_registration_is_dropped() {
        // No process has this group id; nothing here sends a signal anyway.
        let pgid = libc::pid_t::MAX - 7;
        let registered = || GROUPS.lock().unwrap().contains(&pgid);
        let registration = spawn_gate().register(pgid);
        assert!(registered());
        drop(registration);
        assert!(!registered());
    }
}
