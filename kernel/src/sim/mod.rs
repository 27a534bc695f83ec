//! The simulated kernel: processes run their programs and move through the five-state model while a
//! [`PolicyInstance`] (the reference's or a student's, always through the C ABI) orders the ready queue. Blocking
//! has a reason (I/O or an object); objects and their wait queues are the kernel's own.
//!
//! [`simulate`] is event-driven: time jumps from one event to the next, so its cost grows with the number of events,
//! not with simulated time. The rules it follows are numbered in `docs/semantics.md`.
//!
//! [`PolicyInstance`]: schedgrade_contract::client::PolicyInstance

mod kernel;
mod objects;
mod outcome;
mod world;

pub use kernel::{sees_burst_lengths, simulate};
pub use outcome::{BlockedProcess, DeadlockReport, ProcessStats, RunEnd, SimResult, Totals, Violation};
