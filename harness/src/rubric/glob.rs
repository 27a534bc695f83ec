//! Minimal path globs: `*` (any characters within one path segment), `?` (one character), `**` (any number of
//! whole segments, including none). Patterns use `/` and are relative to the rubric's directory. Wildcards do not
//! match a leading `.` (hidden files and directories), as in the shell.

/// Why a pattern is not accepted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GlobProblem {
    Empty,
    Absolute,
    ParentDir,
    BadDoubleStar,
}

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Glob {
    segments: Vec<String>,
}

impl Glob {
    pub fn parse(pattern: &str) -> Result<Glob, GlobProblem> {
        if pattern.trim().is_empty() {
            return Err(GlobProblem::Empty);
        }
        if pattern.starts_with('/') || pattern.starts_with('\\') || pattern.get(1..2) == Some(":") {
            return Err(GlobProblem::Absolute);
        }
        let segments: Vec<String> =
            pattern.split('/').filter(|s| !s.is_empty() && *s != ".").map(str::to_string).collect();
        if segments.iter().any(|s| s == "..") {
            return Err(GlobProblem::ParentDir);
        }
        if segments.iter().any(|s| s.contains("**") && s != "**") {
            return Err(GlobProblem::BadDoubleStar);
        }
        if segments.is_empty() {
            return Err(GlobProblem::Empty);
        }
        // `**/**` matches what `**` matches; one of them is enough.
        let mut segments = segments;
        segments.dedup_by(|a, b| a == "**" && b == "**");
        Ok(Glob { segments })
    }

    /// The leading segments without wildcards: the directory to walk (the last segment is a file name, so it is
    /// never part of it).
    pub fn literal_dir(&self) -> Vec<&str> {
        let dirs = &self.segments[..self.segments.len() - 1];
        dirs.iter().take_while(|s| !s.contains(['*', '?'])).map(String::as_str).collect()
    }

    /// Does the relative path (segments) match?
    pub fn matches(&self, path: &[&str]) -> bool {
        let pat: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        match_segments(&pat, path)
    }
}

/// Dynamic programming over (pattern suffix, path suffix), one row at a time: plain recursion on `**` is
/// exponential in the number of `**` segments, and deep on long patterns.
fn match_segments(pat: &[&str], path: &[&str]) -> bool {
    // Every other segment consumes one path segment: a pattern with more of them cannot match.
    if pat.iter().filter(|s| **s != "**").count() > path.len() {
        return false;
    }
    // `next[j]`: does `pat[i + 1..]` match `path[j..]`? Starts with the empty pattern, which matches only the end.
    let mut next: Vec<bool> = (0..=path.len()).map(|j| j == path.len()).collect();
    let mut row = vec![false; path.len() + 1];
    for p in pat.iter().rev() {
        for j in (0..=path.len()).rev() {
            row[j] = if *p == "**" {
                // Matches nothing more, or swallows `path[j]`, but never enters a hidden directory.
                next[j] || (j < path.len() && !path[j].starts_with('.') && row[j + 1])
            } else {
                j < path.len() && next[j + 1] && match_segment(p, path[j])
            };
        }
        std::mem::swap(&mut next, &mut row);
    }
    next[0]
}

/// `*` and `?` within one segment (iterative matching with single backtracking point: linear in practice).
fn match_segment(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
