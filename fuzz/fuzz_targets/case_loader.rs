//! A test case file: size limit, UTF-8, YAML with budgets, semantic checks, rendered diagnostics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzzing::case_loader(data));
