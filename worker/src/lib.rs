//! # schedgrade-worker: the process that runs student code
//!
//! The grader starts one worker per test (`harness::sandbox::run_worker`). The worker reads the request on stdin,
//! enters its sandbox, loads the student's `cdylib`, runs the simulated kernel with the student's policy, and sends
//! one result frame on fd 3. It links the kernel crate and the contract, and nothing else of the grader: no
//! reference policy and no golden trace is in its address space, so student code finds nothing to copy.
//!
//! | module      | what it does                                                                          |
//! |-------------|---------------------------------------------------------------------------------------|
//! | [`entry`]   | [`worker_entry`]: the steps in order, then `_exit`                                    |
//! | [`sandbox`] | each step: read the payload, Landlock and seccomp, `dlopen`, frames on the result pipe |
//! | [`memwatch`] | big `mmap`/`mremap` requests shown to the host, which judges the memory limit itself   |
//! | [`error`]   | the worker's own failures, sent to the host as `E` frames                              |
//! | `syscalls`  | syscall names and numbers, for the filters and for naming a violation                  |

pub mod entry;
pub mod error;
pub mod memwatch;
pub mod sandbox;
mod syscalls;

pub use entry::{WorkerContext, worker_entry};
