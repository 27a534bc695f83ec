//! The harness's one integration-test binary. Each module tests one stage of the pipeline.

mod build;
mod case;
mod cli;
mod golden;
mod grading;
mod fixtures;
mod kernel;
mod rubric;
mod sandbox;
