//! Diffing a submission's trace against the golden trace: locate the first divergence and show it with context,
//! with sides labelled `expected (reference)` and `actual (submission)`.

use serde::Serialize;

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
    let owned = |lines: &[E]| lines.iter().map(|l| l.as_ref().to_owned()).collect::<Vec<_>>();
    let tail = |len: usize| index..(index + AFTER).min(len);
    Some(Divergence {
        index,
        context: owned(&expected[index.saturating_sub(CONTEXT)..index]),
        expected: owned(&expected[tail(expected.len())]),
        actual: actual[tail(actual.len())].iter().map(|l| l.as_ref().to_owned()).collect(),
        expected_len: expected.len(),
        actual_len: actual.len(),
    })
}

impl Divergence {
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
