//! Traces, segments, metrics and their renderings.
