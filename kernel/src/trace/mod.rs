//! Traces, segments, metrics and their renderings: text (the golden format), Gantt chart, JSON.

mod event;
pub mod gantt;
pub mod json;
mod metrics;
pub mod text;

pub use event::{BlockOn, Discard, Recorder, Segment, SegmentKind, SyncOp, TraceEvent, TraceSink, Transition, WokenBy};
pub use metrics::{Averages, Metrics, ProcessMetrics, Summary};
