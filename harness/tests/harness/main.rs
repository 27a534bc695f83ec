//! The harness's one integration-test binary. Each module tests one stage of the pipeline.

mod build;
mod case;
mod cli;
mod fixtures;
mod fuzz;
mod golden;
mod grading;
mod kernel;
mod objects;
mod report_text;
mod rubric;
mod sandbox;
mod shutdown;
