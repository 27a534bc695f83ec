//! The `schedgrade` command line: argument parsing and dispatch. Each command lives in its own file; none of them
//! prints from library code — commands render what the library returns.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit_code;

mod run;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one test case and print its trace, Gantt chart and metrics.
    Run {
        /// The test case (YAML).
        case: PathBuf,
        /// Which implementation to run: `reference`.
        #[arg(long = "impl", default_value = "reference")]
        implementation: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit_code::USAGE } else { exit_code::SUCCESS };
        }
    };
    match cli.command {
        Command::Run { case, implementation, format } => run::run(&case, &implementation, format),
    }
}
