//! `schedgrade lint`: checks the rubric and the cases it points at.

use std::path::Path;

use crate::case::Severity;
use crate::exit_code;
use crate::rubric::{lint as lint_rubric, load_rubric};

pub fn lint(config: &Path, json: bool) -> i32 {
    let rubric = match load_rubric(config) {
        Ok(rubric) => rubric,
        Err(e) => {
            if json {
                println!("{:#}", serde_json::to_value(&e.diagnostics).unwrap_or_default());
            } else {
                eprintln!("{e}");
            }
            return exit_code::BAD_INPUT;
        }
    };
    let findings = lint_rubric(&rubric, &rubric.root);
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    if json {
        println!("{:#}", serde_json::to_value(&findings).unwrap_or_default());
    } else {
        for finding in &findings {
            eprintln!("{finding}\n");
        }
        let cases: usize = rubric.suites.iter().map(|s| s.case_files().len()).sum();
        eprintln!(
            "{}: {} suites, {cases} cases, {errors} errors, {} warnings",
            config.display(),
            rubric.suites.len(),
            findings.len() - errors
        );
    }
    if errors > 0 { exit_code::TESTS_FAILED } else { exit_code::SUCCESS }
}
