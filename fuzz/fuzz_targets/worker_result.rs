//! What a worker wrote on its result channel: frames, the run's classification, the JSON response, the verdict.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzzing::worker_result(data));
