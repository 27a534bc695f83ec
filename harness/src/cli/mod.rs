//! The `schedgrade` command line: argument parsing and dispatch. Each command lives in its own file; library
//! code never prints — commands render what the library returns.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit_code;

mod check;
mod doctor;
mod grade;
mod lint;
mod new;
mod run;
mod setup;

/// Grade CPU-scheduling assignments by diffing simulated-kernel traces against golden traces.
#[derive(Debug, Parser)]
#[command(name = "schedgrade", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `schedgrade run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Canonical trace, Gantt chart and metrics table (the golden-trace format).
    Text,
    /// One JSON object: processes, averages, segments, summary and trace.
    Json,
    /// Only `summary` and `averages`, as JSON, for huge runs.
    Summary,
}

/// Which schema `schedgrade schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// A test case (`testcases/**/*.yaml`).
    Testcase,
    /// The rubric (`grading.yaml`).
    Grading,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one test case and print its trace, Gantt chart and metrics.
    Run {
        /// The test case (YAML).
        case: PathBuf,
        /// Which implementation to run: `reference`, or the directory of a student crate (built and run in the
        /// sandbox exactly as the grader does).
        #[arg(long = "impl", default_value = "reference")]
        implementation: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Grade every student crate in SUBMISSIONS_DIR (one subdirectory per student) and write the reports.
    Grade {
        /// The directory holding one crate per student; the subdirectory name is the student id.
        submissions: PathBuf,
        /// The rubric.
        #[arg(long, default_value = "grading.yaml")]
        config: PathBuf,
        /// Where to write `gradebook.csv`, `summary.json`, `junit.xml` and one directory per student.
        #[arg(long)]
        out: PathBuf,
        /// Parallel workers (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Build cache (compiled contract, student libraries): a directory you own that nobody else can write,
        /// made private (0700) (default: `$TMPDIR/schedgrade-cache-<uid>`).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Log every test that did not pass on stderr, with what depends on the machine's load (its duration, which
        /// time limit was noticed first); the reports never contain such facts.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Self-check a student crate against the visible suites, exactly as the grader builds and runs it.
    Check {
        /// The crate to check (default: the current directory).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Only run tests whose name contains this text (e.g. `rr/` or `ties`).
        #[arg(long)]
        filter: Option<String>,
        /// The rubric that lists the visible suites.
        #[arg(long, default_value = "grading.yaml")]
        config: PathBuf,
        /// Parallel workers (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Build cache (see `grade --cache`).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Also say which time limit a timed-out test hit first (it depends on the machine's load).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Create a fresh student crate from the template.
    New {
        /// The directory to create (must not exist, or be empty).
        dir: PathBuf,
    },
    /// Check the rubric and the test cases: globs, suites, golden traces, points.
    Lint {
        /// The rubric.
        #[arg(long, default_value = "grading.yaml")]
        config: PathBuf,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Report which sandbox layers work on this machine.
    Doctor,
    /// Print the JSON Schema of test cases or of `grading.yaml`.
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Testcase)]
        kind: SchemaKind,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    // The hidden subcommand runs before clap and before any thread exists: the build sandbox execs cargo.
    if args.get(1).and_then(|a| a.to_str()) == Some(crate::build::SANDBOX_SUBCOMMAND) {
        // Inherited from the grader, which blocks them (see below); cargo and rustc must not inherit it.
        crate::shutdown::unblock_stop_signals();
        crate::build::exec_sandboxed_build(args[2..].iter().cloned());
    }
    // Before any other thread exists: SIGTERM, SIGINT and SIGHUP kill every worker and build, then exit.
    if let Err(e) = crate::shutdown::install() {
        eprintln!("error: cannot start the signal-handling thread: {e}\n  = hint: the system may be out of threads");
        return exit_code::INTERNAL;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit_code::USAGE } else { exit_code::SUCCESS };
        }
    };
    match cli.command {
        Command::Run { case, implementation, format } => run::run(&case, &implementation, format),
        Command::Grade { submissions, config, out, jobs, cache, verbose } => {
            grade::grade(&submissions, &config, &out, setup::jobs(jobs), cache, verbose)
        }
        Command::Check { dir, filter, config, jobs, cache, verbose } => {
            check::check(&dir, filter.as_deref(), &config, setup::jobs(jobs), cache, verbose)
        }
        Command::New { dir } => new::new(&dir),
        Command::Lint { config, json } => lint::lint(&config, json),
        Command::Doctor => doctor::doctor(),
        Command::Schema { kind } => {
            let schema = match kind {
                SchemaKind::Testcase => crate::case::testcase_schema(),
                SchemaKind::Grading => crate::rubric::grading_schema(),
            };
            println!("{schema:#}");
            exit_code::SUCCESS
        }
    }
}
