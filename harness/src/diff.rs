//! Diffing a submission's trace against the golden trace: locate the first divergence and show it with context,
//! with sides labelled `expected (reference)` and `actual (submission)`.
//!
//! A [`Divergence`] holds at most [`CONTEXT`] + 2 × [`AFTER`] lines, each [`untrusted::store_line`]d (one line) to
//! [`TRACE_LINE_MAX_BYTES`](crate::untrusted::TRACE_LINE_MAX_BYTES): the actual lines come from the submission.

use serde::Serialize;

use crate::untrusted::{self, TRACE_LINE_MAX_BYTES};

/// Lines of common context shown before the divergence.
pub const CONTEXT: usize = 3;
/// Lines shown from each side after the divergence.
pub const AFTER: usize = 3;

/// Where two traces first differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// 0-based index of the first differing event.
    pub index: usize,
    /// The matching events just before it.
    pub context: Vec<String>,
    /// The expected events from `index` on (empty if the expected trace ended).
    pub expected: Vec<String>,
    /// The actual events from `index` on (empty if the actual trace ended).
    pub actual: Vec<String>,
    /// Total events on each side.
    pub expected_len: usize,
    pub actual_len: usize,
}

/// The first divergence between `expected` and `actual`, or `None` if they are identical.
pub fn first_divergence<E: AsRef<str>, A: AsRef<str>>(expected: &[E], actual: &[A]) -> Option<Divergence> {
    let index = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e.as_ref() != a.as_ref())
        .or_else(|| (expected.len() != actual.len()).then(|| expected.len().min(actual.len())))?;
    let tail = |len: usize| index..(index + AFTER).min(len);
    Some(Divergence {
        index,
        context: kept(&expected[index.saturating_sub(CONTEXT)..index]),
        expected: kept(&expected[tail(expected.len())]),
        actual: kept(&actual[tail(actual.len())]),
        expected_len: expected.len(),
        actual_len: actual.len(),
    })
}

fn kept<L: AsRef<str>>(lines: &[L]) -> Vec<String> {
    lines.iter().map(|l| untrusted::store_line(l.as_ref(), TRACE_LINE_MAX_BYTES)).collect()
}

impl Divergence {
    /// This divergence with every line [`untrusted::store_line`]d (what [`first_divergence`] already returns).
    pub fn bounded(self) -> Divergence {
        let context_from = self.context.len().saturating_sub(CONTEXT);
        Divergence {
            context: kept(&self.context[context_from..]),
            expected: kept(&self.expected[..self.expected.len().min(AFTER)]),
            actual: kept(&self.actual[..self.actual.len().min(AFTER)]),
            ..self
        }
    }

    /// A labelled, line-numbered rendering of the divergence, for terminals and reports.
    pub fn render(&self) -> String {
        let mut out = format!("first difference at event {} of {}:\n", self.index + 1, self.expected_len);
        let start = self.index - self.context.len();
        for (i, line) in self.context.iter().enumerate() {
            out.push_str(&format!("  {:>5}   {line}\n", start + i + 1));
        }
        let side = |out: &mut String, label: &str, lines: &[String], total: usize| {
            out.push_str(&format!("  {label}:\n"));
            if lines.is_empty() {
                out.push_str(&format!("  {:>5} - (trace ends after {total} events)\n", self.index + 1));
            }
            for (i, line) in lines.iter().enumerate() {
                let marker = if i == 0 { '>' } else { ' ' };
                out.push_str(&format!("  {:>5} {marker} {line}\n", self.index + i + 1));
            }
        };
        side(&mut out, "expected (reference)", &self.expected, self.expected_len);
        side(&mut out, "actual (submission)", &self.actual, self.actual_len);
        out
    }
}
