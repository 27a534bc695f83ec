//! Text a submission controls, made bounded and inert: the one place every output gets it from.
//!
//! Anything a submission can influence is untrusted: panic, `todo!` and contract-violation messages, the texts of
//! the worker's error frames (student code shares the worker's process and can write frames itself), hook and
//! syscall names taken from those frames, the trace lines and Gantt chart of a run, the compiler's output (it
//! quotes the student's source), the full text of `run --impl`, and student ids (directory names). Such text
//! passes through this module twice.
//!
//! 1. **When it is stored**, before it enters a [`Verdict`](crate::verdict::Verdict) or a
//!    [`TestOutcome`](crate::grade::TestOutcome): [`store`] makes it [`inert`] and cuts it to one of the
//!    constants below, on a character boundary, with a visible `… (N bytes cut)` marker. The grader's memory per
//!    test is then bounded by a constant whatever a submission sends.
//! 2. **When it is rendered**: once more through [`inert`] (a no-op on stored text; it protects text that was
//!    never stored), then through the escaping of the output format:
//!
//!    | output                                        | function              |
//!    |-----------------------------------------------|-----------------------|
//!    | Markdown (`report.md`, Gradescope `output`)   | [`fenced`], [`code_span`] |
//!    | XML (`junit.xml`)                             | [`xml`]               |
//!    | CSV (`gradebook.csv`)                         | [`csv_cell`]          |
//!    | a terminal (`check`, `run`, progress lines)   | [`terminal`], [`one_line`] |
//!
//!    Each report file also spends a [`Budget`] of student text: once a file shows [`REPORT_BUDGET_BYTES`] of
//!    it, later blocks say that they were omitted. A file's size is then bounded whatever the number of tests.
//!
//! **Inert** means: no character that changes how the text around it is shown. C0 controls other than newline
//! and tab (escape sequences start with ESC, and a carriage return overwrites a terminal line), DEL, the C1
//! controls (U+0080–U+009F, including the one-byte CSI), the Unicode bidi controls (U+061C, U+200E, U+200F,
//! U+202A–U+202E, U+2066–U+2069), the line and paragraph separators (U+2028, U+2029) and the XML-forbidden
//! noncharacters U+FFFE and U+FFFF are each shown as a visible escape such as `\u{1b}`, so a reader sees that
//! they were there and nothing acts on them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest message kept: a panic, `todo!` or contract-violation message, or the text of a worker's error
/// frame. The contract's own message buffer holds 4 KiB, so an honest message is never cut.
pub const MESSAGE_MAX_BYTES: usize = 4 * 1024;
/// The longest build log kept. The builder already keeps only the compiler's first errors (4 KiB).
pub const BUILD_LOG_MAX_BYTES: usize = 8 * 1024;
/// The longest trace line kept for a diff. Canonical trace lines are under 100 bytes.
pub const TRACE_LINE_MAX_BYTES: usize = 256;
/// The longest Gantt chart kept. The renderer draws at most 240 columns per CPU row.
pub const GANTT_MAX_BYTES: usize = 8 * 1024;
/// The longest hook, syscall or signal name kept.
pub const NAME_MAX_BYTES: usize = 64;
/// The longest one-line excerpt of a message, where a format has room for one line only (`junit.xml`).
pub const EXCERPT_MAX_BYTES: usize = 160;
/// The most text of `run --impl` printed: a student's own run on a large case is long, but not this long.
pub const RUN_TEXT_MAX_BYTES: usize = 1024 * 1024;
/// The most student text one report file (`report.md`, `results.json`) shows, all tests together.
pub const REPORT_BUDGET_BYTES: usize = 128 * 1024;

/// Room kept for the `… (N bytes cut)` marker inside a limit, so that [`store`] never returns more than its limit
/// and storing stored text changes nothing.
const MARKER_ROOM: usize = 32;

/// True for a character that is shown as an escape (see the module documentation).
pub fn is_active(c: char) -> bool {
    matches!(c,
        '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
}

fn push_char(out: &mut String, c: char, one_line: bool) {
    match c {
        '\n' if one_line => out.push_str("\\n"),
        '\t' if one_line => out.push_str("\\t"),
        c if is_active(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `text` with every active character shown as an escape; borrowed when there is none.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_active) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    text.chars().for_each(|c| push_char(&mut out, c, false));
    Cow::Owned(out)
}

/// [`inert`] text of at most `max` bytes: whole characters (and whole escapes) up to the limit, then
/// `… (N bytes cut)`, N counting the input's bytes left out. Reads at most about `max` bytes of `text`, so a
/// huge input costs no more than a small one. Idempotent: storing stored text returns it unchanged.
pub fn store(text: &str, max: usize) -> String {
    store_with(text, max, false)
}

/// [`store`] on one line: newlines and tabs shown as `\n` and `\t` too (for a trace line, which is one line).
pub fn store_line(text: &str, max: usize) -> String {
    store_with(text, max, true)
}

fn store_with(text: &str, max: usize, one_line: bool) -> String {
    let room = max.saturating_sub(MARKER_ROOM);
    let mut out = String::with_capacity(text.len().min(max));
    let mut cut_at = None;
    for (i, c) in text.char_indices() {
        let before = out.len();
        push_char(&mut out, c, one_line);
        if out.len() > room && cut_at.is_none() {
            cut_at = Some((before, i));
        }
        if out.len() > max {
            let (keep, consumed) = cut_at.unwrap_or((before, i));
            out.truncate(keep);
            let _ = write!(out, "… ({} bytes cut)", text.len() - consumed);
            return out;
        }
    }
    out
}

/// A short name (hook, syscall, signal) that is safe unquoted in every format: ASCII letters, digits and `_!:.-`
/// kept, any other character shown as `?`, cut to [`NAME_MAX_BYTES`] (ending in `...` when cut). Names the grader
/// itself gives (`pick_next`, `export_schedulers!`, `syscall-435`, `SIGSEGV`) are unchanged. Idempotent.
pub fn name(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '!' | ':' | '.' | '-');
    let mut cleaned: String = text.chars().take(NAME_MAX_BYTES + 1).map(|c| if safe(c) { c } else { '?' }).collect();
    if cleaned.len() > NAME_MAX_BYTES {
        cleaned.truncate(NAME_MAX_BYTES - 3);
        cleaned.push_str("...");
    }
    cleaned
}

/// [`inert`] text on one line: newlines and tabs shown as `\n` and `\t` too.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_active(c) || c == '\n' || c == '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    text.chars().for_each(|c| push_char(&mut out, c, true));
    Cow::Owned(out)
}

/// The first line of `text`, one-line and cut to `max` bytes, for formats with room for one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or("");
    let mut out = one_line(&store(first, max)).into_owned();
    if first.len() < text.trim_end().len() && !out.ends_with(" cut)") {
        out.push_str(" …");
    }
    out
}

fn longest_run(text: &str, of: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == of { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A Markdown fenced code block holding `text` verbatim (made [`inert`]): the fence is one backtick longer than
/// the longest run of backticks in the text (and at least three), so no line of the text can close it, and no
/// Markdown or HTML inside it is interpreted. Ends with a newline.
pub fn fenced(text: &str) -> String {
    let text = inert(text);
    let fence = "`".repeat((longest_run(&text, '`') + 1).max(3));
    let body = text.trim_end_matches('\n');
    format!("{fence}text\n{body}\n{fence}\n")
}

/// A Markdown code span holding `text` on one line (made [`inert`]): delimited by one backtick more than the
/// longest run inside, padded with spaces when the text starts or ends with a backtick.
pub fn code_span(text: &str) -> String {
    let text = one_line(text);
    let ticks = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() { " " } else { "" };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// `text` [`inert`] and escaped for XML text or a double- or single-quoted attribute value.
pub fn xml(text: &str) -> String {
    quick_xml::escape::escape(inert(text).as_ref()).into_owned()
}

/// A CSV field's text: on one line, [`inert`], and starting with `'` when it would otherwise start with `=`, `+`,
/// `-`, `@`, a tab or a carriage return, which spreadsheets read as a formula. Quoting is the CSV writer's job.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let text = one_line(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{text}")) } else { text }
}

/// `text` for a terminal: [`inert`], so no escape sequence, carriage return or bidi control reaches it.
pub fn terminal(text: &str) -> Cow<'_, str> {
    inert(text)
}

/// How much student text one output file may still show (see [`REPORT_BUDGET_BYTES`]).
#[derive(Debug)]
pub struct Budget {
    left: usize,
}

impl Budget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Budget {
        Budget { left: bytes }
    }

    /// The budget of one report file.
    pub fn report() -> Budget {
        Budget::new(REPORT_BUDGET_BYTES)
    }

    /// `text` if it fits in what is left (which it then uses up), or `None`: the caller shows [`Budget::OMITTED`].
    pub fn take<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        let cost = text.len();
        (cost <= self.left).then(|| {
            self.left -= cost;
            text
        })
    }

    /// What a report shows instead of a block that does not fit.
    pub const OMITTED: &'static str =
        "(omitted: this report already shows as much of the submission's output as a report may hold)";
}
