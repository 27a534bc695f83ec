//! One integration-test binary for the harness.

#[path = "harness/case.rs"]
mod case;
#[path = "harness/rubric.rs"]
mod rubric;
