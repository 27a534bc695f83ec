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

fn column(t: Tick, makespan: Tick, width: u64) -> usize {
    ((t as u128 * width as u128 + makespan as u128 / 2) / makespan as u128) as usize
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
    let cpus = case.machine.cpus as usize;
    let mut out = String::new();
    let mut boundaries = vec![0, makespan];
    for cpu in 0..cpus {
        let mut row: Vec<char> = vec![' '; column(makespan, makespan, width) + 1];
        let mut mine: Vec<&Segment> = segments.iter().filter(|s| s.cpu as usize == cpu).collect();
        mine.sort_by_key(|s| s.start);
        for s in mine {
            boundaries.push(s.start);
            let (c0, c1) = (column(s.start, makespan, width), column(s.end, makespan, width));
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
    boundaries.sort_unstable();
    boundaries.dedup();
    let mut axis = String::new();
    for t in boundaries {
        let col = column(t, makespan, width);
        if col < axis.len() || (col > 0 && col == axis.len() && !axis.ends_with(' ')) {
            continue;
        }
        axis.push_str(&" ".repeat(col - axis.len()));
        let _ = write!(axis, "{t} ");
    }
    let _ = writeln!(out, "      {}", axis.trim_end());
    out
}
