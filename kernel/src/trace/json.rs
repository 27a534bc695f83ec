//! The `--format json` and `--format summary` renderings.

use serde_json::{Value, json};

use super::event::TraceEvent;
use super::metrics::Metrics;
use super::text::describe_end;
use super::{Segment, SegmentKind, Transition};
use crate::case::Case;
use crate::sim::RunEnd;

fn name(case: &Case, pid: schedgrade_contract::Pid) -> Value {
    case.processes.get(pid.index()).map_or(Value::Null, |p| Value::String(p.name.clone()))
}

/// One trace event as a JSON object.
pub fn event_json(case: &Case, e: &TraceEvent) -> Value {
    let (from, to, reason) = e.transition.parts();
    let mut v =
        json!({ "time": e.time, "cpu": e.cpu, "process": name(case, e.pid), "from": from, "to": to, "reason": reason });
    match e.transition {
        Transition::Dispatch { slice, level } => {
            v["slice"] = json!(slice);
            v["level"] = json!(level);
        }
        Transition::Switch { from, cost } => {
            v["switch_from"] = from.map_or(Value::Null, |p| name(case, p));
            v["cost"] = json!(cost);
        }
        _ => {}
    }
    v
}

/// One Gantt segment as a JSON object.
pub fn segment_json(case: &Case, s: &Segment) -> Value {
    let (kind, process, level) = match s.kind {
        SegmentKind::Run { pid, level } => ("run", name(case, pid), level),
        SegmentKind::Idle => ("idle", Value::Null, None),
        SegmentKind::Switch { to } => ("switch", name(case, to), None),
    };
    let mut v = json!({ "cpu": s.cpu, "start": s.start, "end": s.end, "process": process, "kind": kind });
    if let Some(level) = level {
        v["level"] = json!(level);
    }
    v
}

/// The full JSON report.
pub fn render(case: &Case, events: &[TraceEvent], segments: &[Segment], metrics: &Metrics, end: &RunEnd) -> Value {
    json!({
        "case": case.name,
        "outcome": describe_end(end),
        "processes": metrics.processes,
        "averages": metrics.averages,
        "segments": segments.iter().map(|s| segment_json(case, s)).collect::<Vec<_>>(),
        "summary": metrics.summary,
        "trace": events.iter().map(|e| event_json(case, e)).collect::<Vec<_>>(),
    })
}

/// The summary-only JSON report, for huge runs.
pub fn render_summary(metrics: &Metrics) -> Value {
    json!({ "summary": metrics.summary, "averages": metrics.averages })
}
