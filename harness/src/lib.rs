//! schedgrade harness (guide written with the kernel).

pub mod build;
pub mod case;
pub mod cli;
pub mod diff;
pub mod exit_code;
pub mod grade;
pub mod policy;
pub mod report;
pub mod rubric;
pub mod sandbox;
pub mod sim;
pub mod trace;
pub mod verdict;
pub mod worker;
pub mod workload;
