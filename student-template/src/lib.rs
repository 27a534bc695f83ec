//! # Your CPU schedulers
//!
//! Each file in `src/` is one scheduling policy of the course, stubbed out with `todo!()`. Implement the
//! [`schedgrade_contract::Scheduler`] trait for the policies you are asked to write; the doc comment on each type
//! states the rules (and the tie-breaks) your schedule must follow to match the reference exactly.
//!
//! ## What to edit
//!
//! - Only the files under `src/`. Keep the module names, the type names and the `export_schedulers!` list below
//!   as they are: the grader looks your policies up by these names. Add fields to the structs, helper functions,
//!   even new modules, as you like.
//! - The standard library is all you have: the grader builds your `src/` against its own `Cargo.toml`, so added
//!   dependencies are ignored.
//! - A policy you leave untouched stops at the `todo!()` in its `new`, and the grader reports it as
//!   "not implemented" rather than as a crash.
//!
//! ## The idea in one paragraph
//!
//! The simulated kernel owns the processes, the clock and the CPUs, and moves processes through the five-state
//! model. Your policy owns only the ready queue: `on_ready` puts a process in it, `pick_next` takes the one to run
//! next, `time_slice` says how long it may run, and `should_preempt` says whether a newly ready process takes a
//! CPU away. Read the hook docs of `Scheduler` first: they say exactly when each hook is called.
//!
//! ## Checking your work
//!
//! ```text
//! schedgrade check .            # build exactly as the grader does, run every visible test case
//! ```
//!
//! For each failing case, `schedgrade check` shows the first trace line where your schedule differs from the
//! reference, with the lines around it and a hint. Hidden test cases follow the same rules on other workloads,
//! so make the tie-breaks right, not just the visible cases.
//!
//! ## Policies
//!
//! | file          | policy                                     | preemptive? |
//! |---------------|--------------------------------------------|-------------|
//! | `fcfs.rs`     | first come, first served                   | no          |
//! | `sjf.rs`      | shortest job first (optional prediction)   | no          |
//! | `srtf.rs`     | shortest remaining time first              | yes         |
//! | `priority.rs` | priority (optional preemption and aging)   | optional    |
//! | `rr.rs`       | round robin                                | yes (timer) |
//! | `hrrn.rs`     | highest response ratio next                | no          |
//! | `mlq.rs`      | multi-level queue                          | yes         |
//! | `mlfq.rs`     | multi-level feedback queue (OSTEP)         | yes         |
//! | `lottery.rs`  | lottery scheduling                         | yes (timer) |
//! | `stride.rs`   | stride scheduling                          | yes (timer) |

pub mod fcfs;
pub mod hrrn;
pub mod lottery;
pub mod mlfq;
pub mod mlq;
pub mod priority;
pub mod rr;
pub mod sjf;
pub mod srtf;
pub mod stride;

schedgrade_contract::export_schedulers! {
    Fcfs => fcfs::Fcfs,
    Sjf => sjf::Sjf,
    Srtf => srtf::Srtf,
    Priority => priority::Priority,
    Rr => rr::RoundRobin,
    Hrrn => hrrn::Hrrn,
    Mlq => mlq::Mlq,
    Mlfq => mlfq::Mlfq,
    Lottery => lottery::Lottery,
    Stride => stride::Stride,
}
