//! `grading.yaml`: loaded in a small fixed tree of case files, linted against it, diagnostics rendered.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::fuzzing::rubric_loader(data, harness::fuzzing::rubric_tree_for_process())
});
