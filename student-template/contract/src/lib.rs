//! # schedgrade-contract: what a scheduling policy promises, and how it reaches the grader
//!
//! In this course you write CPU schedulers. schedgrade runs your scheduler inside a simulated kernel, records every
//! state transition of every process (the *trace*), and compares that trace with the one the reference scheduler
//! produces on the same test case. This crate is the contract between your code and that kernel.
//!
//! ## The main types
//!
//! - [`Scheduler`]: the trait you implement, once per policy. Its hooks are the course's scheduling decision
//!   points; the docs of each hook say when it is called and what it must return.
//! - [`Pcb`]: the read-only process control block each hook receives.
//! - [`Kernel`]: the clock, the machine and a PCB lookup, passed to every hook.
//! - [`SchedulerConfig`]: the test case's `scheduler:` section (quantum, levels, seed, ...).
//! - [`export_schedulers!`]: the macro that exports your policies over the stable C ABI ([`abi`]).
//!
//! ## Example: first come, first served
//!
//! ```
//! use std::collections::VecDeque;
//! use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};
//!
//! pub struct Fcfs {
//!     queue: VecDeque<Pid>,
//! }
//!
//! impl Scheduler for Fcfs {
//!     fn new(_config: &SchedulerConfig) -> Result<Self, String> {
//!         Ok(Fcfs { queue: VecDeque::new() })
//!     }
//!     fn on_ready(&mut self, _kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
//!         self.queue.push_back(pcb.pid);
//!     }
//!     fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
//!         self.queue.pop_front()
//!     }
//! }
//!
//! schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
//! ```
//!
//! ## Workflow
//!
//! 1. `schedgrade new my-solution` gives you a crate with every policy stubbed out with `todo!()`.
//! 2. Implement a policy in its file under `src/`. Read the hook docs in [`Scheduler`] first.
//! 3. `schedgrade check my-solution` builds your crate exactly as the grader will and runs the visible test
//!    cases. For each failure it shows the first event where your trace differs from the reference, with context
//!    and a hint.
//! 4. Repeat until every visible test passes. Hidden tests use the same rules on other workloads.
//!
//! Only your files under `src/` are graded: the grader builds them against its own copy of this crate and its own
//! `Cargo.toml`, so dependencies and build settings you add are ignored.

pub mod abi;
pub mod client;
mod config;
pub mod export;
mod pcb;
mod scheduler;

pub use config::{Aging, Between, PolicyKind, Predict, PriorityOrder, QueueConfig, SchedulerConfig};
pub use pcb::{CpuId, Pcb, Pid, ProcState, ReadyReason, Tick};
pub use scheduler::{Kernel, Scheduler};
