//! The terminal reporter: a progress bar on stderr (tests done, pass rate, ETA) when stderr is a terminal, and
//! nothing otherwise, so logs and CI output stay clean. With `verbose`, one log line per test that did not pass,
//! with what depends on the machine's load (its duration, which time limit was noticed first): such facts go to
//! this log only, never into a report.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::grade::{GradeEvent, Reporter};
use crate::untrusted::one_line;

pub struct Progress {
    bar: ProgressBar,
    done: AtomicU64,
    passed: AtomicU64,
    verbose: bool,
}

impl Progress {
    /// A bar drawn on stderr if it is a terminal, hidden otherwise; with `verbose`, log lines on stderr too.
    pub fn new(verbose: bool) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} tests, {msg}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix("grading");
        Progress { bar, done: AtomicU64::new(0), passed: AtomicU64::new(0), verbose }
    }

    /// Prints a log line above the bar (or alone, when there is no bar).
    fn log(&self, line: String) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new(false)
    }
}

impl Reporter for Progress {
    fn event(&self, event: GradeEvent<'_>) {
        match event {
            GradeEvent::Started { submissions, tests } => {
                self.bar.set_length((submissions * tests) as u64);
                self.bar.set_message("building");
            }
            GradeEvent::Built { student, ok, .. } => {
                let student = one_line(student);
                if !ok {
                    self.bar.println(format!("build failed: {student}"));
                }
                self.bar.set_message(format!("built {student}"));
            }
            GradeEvent::TestFinished { student, test, verdict, duration } => {
                if self.verbose && !verdict.passed() {
                    let note = verdict.log_note().map_or(String::new(), |note| format!("; {note}"));
                    let ms = duration.as_millis();
                    self.log(format!("{} {test}: {} after {ms} ms{note}", one_line(student), verdict.name()));
                }
                let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
                let passed =
                    self.passed.fetch_add(verdict.passed() as u64, Ordering::Relaxed) + verdict.passed() as u64;
                self.bar.inc(1);
                self.bar.set_message(format!("{:.0}% passed", passed as f64 * 100.0 / done as f64));
            }
            GradeEvent::Finished => self.bar.set_message("done"),
        }
    }
}
