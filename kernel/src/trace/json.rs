//! The `--format json` and `--format summary` renderings.

use serde_json::{Value, json};

use super::event::{BlockOn, SyncOp, TraceEvent, WokenBy};
use super::metrics::Metrics;
use super::text::describe_end;
use super::{Segment, SegmentKind, Transition};
use crate::case::{Case, ObjId};
use crate::sim::{DeadlockReport, RunEnd};

fn name(case: &Case, pid: schedgrade_contract::Pid) -> Value {
    case.processes.get(pid.index()).map_or(Value::Null, |p| Value::String(p.name.clone()))
}

fn maybe_name(case: &Case, pid: Option<schedgrade_contract::Pid>) -> Value {
    pid.map_or(Value::Null, |p| name(case, p))
}

fn object(case: &Case, id: ObjId) -> Value {
    case.objects.get(id.index()).map_or(Value::Null, |o| Value::String(o.name.clone()))
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
        Transition::Block(BlockOn::Mutex { id, owner }) => {
            v["object"] = object(case, id);
            v["owner"] = name(case, owner);
        }
        Transition::Block(BlockOn::Semaphore { id, value }) => {
            v["object"] = object(case, id);
            v["value"] = json!(value);
        }
        Transition::Wakeup(WokenBy::Object(id)) => v["object"] = object(case, id),
        Transition::Sync(op) => {
            v["object"] = object(case, op.object());
            match op {
                SyncOp::Lock { .. } => {}
                SyncOp::LockError { .. } => v["owner"] = name(case, e.pid),
                SyncOp::UnlockError { owner, .. } => v["owner"] = maybe_name(case, owner),
                SyncOp::Unlock { woke, .. } => v["woke"] = maybe_name(case, woke),
                SyncOp::Wait { value, .. } => v["value"] = json!(value),
                SyncOp::Signal { value, woke, .. } => {
                    v["value"] = json!(value);
                    v["woke"] = maybe_name(case, woke);
                }
            }
        }
        Transition::Deadlock { waits_for, held_by } => {
            v["waits_for"] = object(case, waits_for);
            v["held_by"] = maybe_name(case, held_by);
        }
        Transition::Arrive
        | Transition::Timeout
        | Transition::Preempt
        | Transition::Block(BlockOn::Io)
        | Transition::Wakeup(WokenBy::Io)
        | Transition::Exit
        | Transition::Yield => {}
    }
    v
}

/// A deadlock report as a JSON object: `{time, cycle: [names], blocked: [{name, waits_for, held_by}]}`.
pub fn deadlock_json(case: &Case, report: &DeadlockReport) -> Value {
    json!({
        "time": report.time,
        "cycle": report.cycle.iter().map(|&p| name(case, p)).collect::<Vec<_>>(),
        "blocked": report
            .blocked
            .iter()
            .map(|b| json!({
                "name": name(case, b.pid),
                "waits_for": object(case, b.waits_for),
                "held_by": maybe_name(case, b.held_by),
            }))
            .collect::<Vec<_>>(),
    })
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
    let mut report = json!({
        "case": case.name,
        "outcome": match end {
            RunEnd::Deadlock(_) => "deadlock".to_owned(),
            RunEnd::Completed | RunEnd::Faulted { .. } | RunEnd::Violated(_) => describe_end(end),
        },
        "processes": metrics.processes,
        "averages": metrics.averages,
        "segments": segments.iter().map(|s| segment_json(case, s)).collect::<Vec<_>>(),
        "summary": metrics.summary,
        "trace": events.iter().map(|e| event_json(case, e)).collect::<Vec<_>>(),
    });
    if let RunEnd::Deadlock(deadlock) = end {
        report["deadlock"] = deadlock_json(case, deadlock);
    }
    report
}

/// The summary-only JSON report, for huge runs.
pub fn render_summary(metrics: &Metrics) -> Value {
    json!({ "summary": metrics.summary, "averages": metrics.averages })
}
