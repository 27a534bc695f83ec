//! Diagnostics: one problem in one input file, with its position, a message, a hint, and the source line it points
//! at, rendered the way rustc does:
//!
//! ```text
//! error: testcases/rr/foo.yaml:7:37: `quantum` must be at least 1, found 0
//!   |
//! 7 |   scheduler: { policy: rr, quantum: 0 }
//!   |                                     ^
//!   = hint: the quantum is the time slice in ticks, e.g. `quantum: 4`
//! ```
//!
//! Shared by the test-case loader and the rubric loader.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// The input can be used, but is probably not what its author meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The line of source a diagnostic points at, cropped around the column when the line is long.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The (possibly cropped) text of the line, without its line break.
    pub text: String,
    /// Characters of `text` before the marked region.
    pub marker_offset: usize,
    /// Width of the marked region in characters (at least 1).
    pub marker_width: usize,
}

/// One problem found in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// A stable kebab-case identifier of the kind of problem, e.g. `unknown-key`.
    pub code: &'static str,
    /// The file, as it was given to the loader.
    pub path: PathBuf,
    /// 1-based line, when the problem has a position.
    pub line: Option<u32>,
    /// 1-based column in characters, when the problem has a position.
    pub column: Option<u32>,
    /// What is wrong: lowercase, names in backticks.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
    /// The source line the problem points at.
    pub snippet: Option<Snippet>,
}

impl Diagnostic {
    /// An error about a whole file (no position).
    pub fn file_error(code: &'static str, path: &Path, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
            hint,
            snippet: None,
        }
    }

    /// `path:line:column`, or `path` alone when there is no position.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.path.display()),
            (Some(l), None) => format!("{}:{l}", self.path.display()),
            _ => self.path.display().to_string(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.severity.as_str(), self.location(), self.message)?;
        let gutter = self.line.map_or(1, |l| l.to_string().len());
        let pad = " ".repeat(gutter);
        if let (Some(line), Some(snippet)) = (self.line, &self.snippet) {
            write!(f, "\n{pad} |\n{line} | {}\n{pad} | ", snippet.text)?;
            // Copy tabs so that the marker lines up with the text whatever the tab width.
            for ch in snippet.text.chars().take(snippet.marker_offset) {
                f.write_str(if ch == '\t' { "\t" } else { " " })?;
            }
            f.write_str(&"^".repeat(snippet.marker_width.max(1)))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{pad} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Renders several diagnostics separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            f.write_str("\n\n")?;
        }
        write!(f, "{d}")?;
    }
    Ok(())
}

/// A position in a source text: 1-based line and column (in characters), byte offset and length in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub offset: u32,
    pub len: u32,
}

impl Pos {
    /// True for positions that point nowhere (line 0).
    pub fn is_unknown(self) -> bool {
        self.line == 0
    }
}

/// Longest source line shown whole in a snippet; longer lines are cropped around the marker.
const MAX_SNIPPET_CHARS: usize = 120;

/// A source text with its line starts, to turn byte offsets into lines and columns and cut snippets.
pub struct Source<'a> {
    pub text: &'a str,
    pub path: &'a Path,
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str, path: &'a Path) -> Self {
        Source { text, path, line_starts: std::cell::OnceCell::new() }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts
            .get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: u32) -> Option<&'a str> {
        let starts = self.line_starts();
        let start = *starts.get((line as usize).checked_sub(1)?)?;
        let end = starts.get(line as usize).map_or(self.text.len(), |&e| e - 1);
        let text = self.text.get(start..end)?;
        Some(text.strip_suffix('\r').unwrap_or(text))
    }

    /// The position of byte `offset`, spanning `len` characters.
    pub fn pos_of_offset(&self, offset: usize, len: u32) -> Pos {
        let starts = self.line_starts();
        let line_idx = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = starts.get(line_idx).copied().unwrap_or(0);
        let col = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        Pos {
            line: u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            len,
        }
    }

    /// The source text a position covers (for scalars: their spelling), if known.
    pub fn slice(&self, pos: Pos) -> Option<&'a str> {
        if pos.is_unknown() {
            return None;
        }
        let start = pos.offset as usize;
        let rest = self.text.get(start..)?;
        let end = rest.char_indices().nth(pos.len as usize).map_or(rest.len(), |(i, _)| i);
        rest.get(..end)
    }

    /// A diagnostic pointing at `pos` (or at the whole file when `pos` is unknown).
    pub fn error(&self, code: &'static str, pos: Pos, message: impl Into<String>, hint: Option<String>) -> Diagnostic {
        self.diagnostic(Severity::Error, code, pos, message, hint)
    }

    pub fn diagnostic(
        &self,
        severity: Severity,
        code: &'static str,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let mut d = Diagnostic::file_error(code, self.path, message, hint);
        d.severity = severity;
        if !pos.is_unknown() {
            d.line = Some(pos.line);
            d.column = Some(pos.col);
            d.snippet = self.snippet(pos);
        }
        d
    }

    fn snippet(&self, pos: Pos) -> Option<Snippet> {
        let text = self.line_text(pos.line)?;
        let chars: Vec<char> = text.chars().collect();
        let col = (pos.col as usize).saturating_sub(1).min(chars.len());
        let width = (pos.len as usize).clamp(1, chars.len().saturating_sub(col).max(1));
        if chars.len() <= MAX_SNIPPET_CHARS {
            return Some(Snippet { text: text.to_string(), marker_offset: col, marker_width: width });
        }
        // Crop long lines (e.g. a whole workload in flow style on one line) around the marker.
        let width = width.min(MAX_SNIPPET_CHARS / 2);
        let start = col.saturating_sub(MAX_SNIPPET_CHARS / 2 - width.min(MAX_SNIPPET_CHARS / 4));
        let end = (start + MAX_SNIPPET_CHARS).min(chars.len());
        let mut cropped = String::new();
        let mut offset = col - start;
        if start > 0 {
            cropped.push_str("...");
            offset += 3;
        }
        cropped.extend(&chars[start..end]);
        if end < chars.len() {
            cropped.push_str("...");
        }
        Some(Snippet { text: cropped, marker_offset: offset, marker_width: width })
    }
}

/// Longest word [`closest`] looks for a typo in, in bytes: the edit distance costs the product of the lengths.
pub const MAX_SUGGESTION_WORD: usize = 64;
/// Most candidates [`closest`] compares a word with (the first ones): a file's own names can be millions.
pub const MAX_SUGGESTION_CANDIDATES: usize = 1000;

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. Only words of at
/// most [`MAX_SUGGESTION_WORD`] bytes get a suggestion, from the first [`MAX_SUGGESTION_CANDIDATES`] candidates.
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    if word.len() > MAX_SUGGESTION_WORD {
        return None;
    }
    let word_lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .take(MAX_SUGGESTION_CANDIDATES)
        // Each edit changes the length by at most one character (4 bytes): farther lengths cannot be close.
        .filter(|c| c.len().abs_diff(word.len()) <= 4 * limit)
        .map(|c| (edit_distance(&word_lower, &c.to_ascii_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `` `a`, `b` or `c` ``.
pub fn backticked_list(items: &[&str], conjunction: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} {conjunction} {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}
