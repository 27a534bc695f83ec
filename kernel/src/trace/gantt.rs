//! The ASCII Gantt chart: one row per CPU on a shared time axis, so CPUs line up.
//!
//! ```text
//! cpu0 |P1       |P2  |##|P3      |....|
//!      0         9    13 15       23   28
//! ```
//! `#` is dispatch latency and `.` is idle time. Widths are proportional to time; labels are cut to fit.

use std::fmt::Write as _;

use schedgrade_contract::Tick;

use super::{Segment, SegmentKind};
use crate::case::Case;

/// Charts with more segments than this are omitted (use `--format json` for the full list).
pub const MAX_SEGMENTS: usize = 400;
const MIN_WIDTH: u64 = 40;
const MAX_WIDTH: u64 = 160;
/// Charts wider than this many columns (many short segments) are omitted too.
pub const MAX_COLUMNS: usize = 240;

/// Columns of every boundary: proportional to time, but at least two apart (a cell and a bar), so even a one-tick
/// segment stays visible, and shared by all CPUs so their rows line up.
fn columns(boundaries: &[Tick], makespan: Tick, width: u64) -> Vec<usize> {
    let mut columns: Vec<usize> = Vec::with_capacity(boundaries.len());
    for &t in boundaries {
        let proportional = ((t as u128 * width as u128 + makespan as u128 / 2) / makespan as u128) as usize;
        let column = columns.last().map_or(proportional, |&previous| proportional.max(previous + 2));
        columns.push(column);
    }
    columns
}

/// Renders the chart of `segments` (any order) over `[0, makespan)`.
pub fn render(case: &Case, segments: &[Segment], makespan: Tick) -> String {
    if makespan == 0 || segments.is_empty() {
        return "(empty schedule)\n".to_owned();
    }
    if segments.len() > MAX_SEGMENTS {
        return format!("(chart omitted: {} segments; use `--format json` for all of them)\n", segments.len());
    }
    let shortest = segments.iter().map(|s| s.end - s.start).min().unwrap_or(1).max(1);
    let width = (3 * makespan).div_ceil(shortest).clamp(MIN_WIDTH, MAX_WIDTH);
    let mut boundaries: Vec<Tick> = segments.iter().flat_map(|s| [s.start, s.end]).chain([0, makespan]).collect();
    boundaries.sort_unstable();
    boundaries.dedup();
    let columns = columns(&boundaries, makespan, width);
    let total = columns.last().copied().unwrap_or(0);
    if total > MAX_COLUMNS {
        return format!(
            "(chart omitted: {} segments would need {total} columns; use `--format json` for all of them)\n",
            segments.len()
        );
    }
    let column = |t: Tick| columns[boundaries.binary_search(&t).expect("every segment end is a boundary")];
    let mut out = String::new();
    for cpu in 0..case.machine.cpus as usize {
        let mut row: Vec<char> = vec![' '; column(makespan) + 1];
        let mut mine: Vec<&Segment> = segments.iter().filter(|s| s.cpu as usize == cpu).collect();
        mine.sort_by_key(|s| s.start);
        for s in mine {
            let (c0, c1) = (column(s.start), column(s.end));
            let (label, fill) = match s.kind {
                SegmentKind::Run { pid, level } => {
                    let name = case.processes.get(pid.index()).map_or("?", |p| p.name.as_str());
                    (level.map_or_else(|| name.to_owned(), |l| format!("{name}:{l}")), ' ')
                }
                SegmentKind::Idle => (String::new(), '.'),
                SegmentKind::Switch { .. } => (String::new(), '#'),
            };
            row[c0] = '|';
            let mut label = label.chars();
            for cell in row.iter_mut().take(c1).skip(c0 + 1) {
                *cell = label.next().unwrap_or(fill);
            }
        }
        let last = row.len() - 1;
        row[last] = '|';
        let _ = writeln!(out, "cpu{cpu:<3}{}", row.into_iter().collect::<String>().trim_end());
    }
    let mut axis = String::new();
    for (&t, &col) in boundaries.iter().zip(&columns) {
        if col < axis.len() || (col > 0 && col == axis.len() && !axis.ends_with(' ')) {
            continue;
        }
        axis.push_str(&" ".repeat(col - axis.len()));
        let _ = write!(axis, "{t} ");
    }
    let _ = writeln!(out, "      {}", axis.trim_end());
    out
}
