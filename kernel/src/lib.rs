//! # schedgrade-kernel: the simulated kernel and everything it needs, without the reference
//!
//! This crate is what the grader and the worker share. The worker (`schedgrade-worker`, the only process that runs
//! student code) links it and nothing that computes expected traces: no reference policy, no golden trace reader.
//! The grader (`harness`) links it together with the reference.
//!
//! | module       | what it holds                                                                            |
//! |--------------|------------------------------------------------------------------------------------------|
//! | [`case`]     | YAML test cases → validated [`case::Case`], with file:line:col diagnostics and a schema  |
//! | [`sim`]      | the event-driven five-state kernel ([`sim::simulate`])                                    |
//! | [`trace`]    | trace events, segments, metrics, and their text (golden format), Gantt and JSON forms     |
//! | [`run`]      | [`run::run_case`]: create a policy from a C-ABI table and simulate a case with it         |
//! | [`protocol`] | the request the grader sends a worker and the response the worker sends back             |
//! | [`wire`]     | the framing of the worker's result channel (fd 3), written by the worker, parsed by the host |
//!
//! The rules of the simulation are numbered in `docs/semantics.md`.

pub mod case;
pub mod protocol;
pub mod run;
pub mod sim;
pub mod trace;
pub mod wire;
