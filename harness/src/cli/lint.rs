//! `schedgrade lint`: checks the rubric and the cases it points at. `grade` and `check` run the same checks first
//! ([`refuse_lint_errors`]).

use std::path::Path;

use crate::case::{Diagnostic, Severity};
use crate::exit_code;
use crate::rubric::{Rubric, Suite, lint as lint_rubric, lint_selected, load_rubric};

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
        print_findings(&findings);
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

fn print_findings<'a>(findings: impl IntoIterator<Item = &'a Diagnostic>) {
    for finding in findings {
        eprintln!("{finding}\n");
    }
}

/// Runs lint's checks on the cases of the suites `keep` selects (and the rubric-wide ones) before `command` runs
/// anything. On an error-level finding, prints every error exactly as `lint` does and returns
/// [`exit_code::BAD_INPUT`]; warnings do not block and are not printed.
pub(super) fn refuse_lint_errors(
    rubric: &Rubric,
    config: &Path,
    command: &str,
    keep: impl Fn(&Suite) -> bool,
) -> Result<(), i32> {
    let findings = lint_selected(rubric, &rubric.root, keep);
    let errors: Vec<&Diagnostic> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
    if errors.is_empty() {
        return Ok(());
    }
    print_findings(errors.iter().copied());
    let plural = if errors.len() == 1 { "" } else { "s" };
    eprintln!(
        "error: `{}` has {} lint error{plural}: `schedgrade {command}` does not run a rubric with errors\n  = hint: \
         fix the error{plural} above (`schedgrade lint --config {}` also shows warnings), then run `{command}` again",
        config.display(),
        errors.len(),
        config.display()
    );
    Err(exit_code::BAD_INPUT)
}
