//! One integration-test binary for the harness.
#[path = "harness/sandbox.rs"]
mod sandbox;
