//! One integration-test binary for the harness.
