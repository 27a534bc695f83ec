//! The messages between the grading process and a worker.
//!
//! The host sends one [`WorkerRequest`] as JSON on the worker's stdin. The worker answers with exactly one
//! [`WorkerResponse`] as JSON on its result channel (fd 3; never stdout, which belongs to the student's code).
//! The host treats the response as untrusted input: it is size-capped, and anything malformed is the `no-result`
//! verdict, never a harness error. The request never contains the expected trace or any path to it.

use serde::{Deserialize, Serialize};

/// What a worker must run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerRequest {
    /// The test case's YAML source.
    pub case_source: String,
    /// The case's file name without its directory (for messages and the default case name): the directory holds
    /// the golden trace.
    pub case_origin: String,
    /// Also send the full text rendering (header, trace, Gantt chart, metrics), for `schedgrade run --impl`.
    #[serde(default)]
    pub full_text: bool,
}

/// How a policy hook failed, as reported by the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    Panicked,
    NotImplemented,
    Rejected,
    Protocol,
}

/// How the run ended inside the worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
pub enum WorkerEnd {
    /// Every process exited.
    Completed,
    /// A hook failed.
    Faulted { time: u64, hook: String, kind: FaultKind, message: String },
    /// A hook broke the contract.
    Violated { time: u64, hook: String, message: String },
    /// The workload deadlocked (rule O11): the trace up to the deadlock is the run's result, compared like a
    /// completed run's. `cycle` names the processes of the first cycle, if one formed.
    Deadlock { time: u64, cycle: Vec<String> },
    /// The library's ABI version differs, or a symbol is missing.
    AbiMismatch { message: String },
    /// The library does not export the case's policy.
    MissingPolicy { policy: String },
}

/// The one message a worker sends back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerResponse {
    pub end: WorkerEnd,
    /// The canonical trace lines, up to where the run ended.
    pub trace: Vec<String>,
    /// The rendered Gantt chart of the run.
    pub gantt: String,
    /// The full text rendering, when the request asked for it.
    #[serde(default)]
    pub text: Option<String>,
}

impl WorkerResponse {
    /// The response of a worker that could not run the policy at all.
    pub fn without_run(end: WorkerEnd) -> WorkerResponse {
        WorkerResponse { end, trace: Vec::new(), gantt: String::new(), text: None }
    }
}

/// A request decoded and its case parsed: the grader's work, done before any student code is loaded (a failure
/// here is the grader's, reported before the loading marker).
#[derive(Debug)]
pub struct Prepared {
    case: crate::case::Case,
    full_text: bool,
}

/// Decodes a request and parses its case.
pub fn prepare(payload: &[u8]) -> Result<Prepared, String> {
    let request: WorkerRequest =
        serde_json::from_slice(payload).map_err(|e| format!("cannot decode the request: {e}"))?;
    let case = crate::case::parse_case(&request.case_source, std::path::Path::new(&request.case_origin))
        .map_err(|e| e.to_string())?;
    Ok(Prepared { case, full_text: request.full_text })
}

/// Runs a prepared request with a policy table: what a worker does once the library is loaded. `table_for`
/// returns the library's table for a policy, or `None` if the library does not export it.
pub fn respond(
    prepared: &Prepared,
    table_for: impl FnOnce(schedgrade_contract::PolicyKind) -> Option<&'static schedgrade_contract::abi::AbiTable>,
) -> WorkerResponse {
    use crate::sim::RunEnd;
    use crate::trace::{Metrics, Recorder, gantt, text};
    use schedgrade_contract::client::HookFaultKind;

    let case = &prepared.case;
    let Some(table) = table_for(case.scheduler.policy) else {
        return WorkerResponse::without_run(WorkerEnd::MissingPolicy { policy: case.scheduler.policy.as_str().into() });
    };
    let mut recorder = Recorder::default();
    let result = crate::run::run_case(case, table, &mut recorder);
    let metrics = Metrics::compute(case, &result);
    let end = match result.end.clone() {
        RunEnd::Completed => WorkerEnd::Completed,
        RunEnd::Faulted { time, fault } => WorkerEnd::Faulted {
            time,
            hook: fault.hook.as_str().into(),
            kind: match fault.kind {
                HookFaultKind::Panicked => FaultKind::Panicked,
                HookFaultKind::NotImplemented => FaultKind::NotImplemented,
                HookFaultKind::Rejected => FaultKind::Rejected,
                HookFaultKind::Protocol => FaultKind::Protocol,
            },
            message: fault.message,
        },
        RunEnd::Violated(v) => WorkerEnd::Violated { time: v.time, hook: v.hook.as_str().into(), message: v.message },
        RunEnd::Deadlock(report) => WorkerEnd::Deadlock {
            time: report.time,
            cycle: report.cycle.iter().map(|&pid| text::process_name(case, pid).to_owned()).collect(),
        },
    };
    let full_text =
        prepared.full_text.then(|| text::render(case, &recorder.events, &recorder.segments, &metrics, &result.end));
    WorkerResponse {
        end,
        trace: text::trace_lines(case, &recorder.events),
        gantt: gantt::render(case, &recorder.segments, metrics.summary.makespan),
        text: full_text,
    }
}
