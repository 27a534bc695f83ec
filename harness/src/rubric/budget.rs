//! What the reference costs on a case: the lint check that every case is solved well within the rubric's limits.
//!
//! The student pays for everything a worker does: parsing the case, simulating it, rendering the trace. So the
//! reference solution (the cheapest correct submission we know) must need only a small share of each limit;
//! otherwise an honest submission times out on a busy machine, or a slightly slower one fails where the
//! reference passes. `lint` (and so `grade` and `check`) reports every case over [`REFERENCE_BUDGET_FRACTION`]
//! of `limits.cpu_ms` or `limits.memory_mib`.
//!
//! **CPU** is the calling thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`, the accounting behind
//! `getrusage(RUSAGE_THREAD)` at nanosecond resolution) around parsing the YAML, simulating the reference in
//! process, and rendering every trace line. CPU time, unlike wall time, hardly depends on the machine's load, and
//! each case runs on one rayon thread from start to end. The worker also starts, loads a library and serializes its
//! answer; that fixed cost (about 2 ms) is part of what the margin is for.
//!
//! **Memory** is an estimate, not a measurement: a peak needs an allocator hook. It is
//! `PARSE_BYTES_PER_SOURCE_BYTE × source + KEPT_BYTES_PER_TRACE_BYTE × trace`, the case-dependent part of a
//! worker's memory (the worker binary's own ~20 MiB are the same for every case). The factors are measured with
//! `/usr/bin/time -v schedgrade run` on generated `rr` cases of 0.4–9.3 MB (a release build, 2026-11-29): peak RSS
//! grows by 14.4 bytes per source byte while loading, and by 3.0 bytes per trace byte while simulating (the
//! recorded events, the trace lines and their serialized copy).
//!
//! A runaway case (a quantum of 1 over 10^12 ticks) must not hang `lint`: the measured run goes through a copy of
//! the reference's table whose `on_ready`, `pick_next` and `on_timer` first look at the thread's CPU clock, and
//! end the run once the reference has used the whole `cpu_ms` (or the estimate passed the whole `memory_mib`).
//! Every simulation step calls at least one of these hooks, so the run stops within a step of its budget.
//!
//! Measured with a release build on the 2-core VM of BENCHMARKS.md (2026-11-29, 1-minute load 9–11 from other
//! builds; CPU time hardly moved over 5 runs): the slowest bundled cases are `scale/priority-many-400` (6.7–6.9 ms),
//! `scale/lottery-many-processes` (5.1–5.3 ms), `scale/mlfq-many-processes` (4.7–4.9 ms),
//! `scale/stride-many-processes` (4.3–4.6 ms) and `scale/rr-many-300` (4.2–4.3 ms); a debug build takes about 10×
//! as long (67 ms for the slowest). `schedgrade lint` on the bundled rubric takes 0.13 s of wall time. Generated
//! cases of just under [`crate::case::MAX_GRADED_CASE_BYTES`] (1 MiB: 11,700–15,900 processes with 1–4 CPU bursts,
//! every policy but `mlq`, spaced and compact YAML) take 200–321 ms, within a quarter of the default 2000 ms;
//! their estimated memory is 30–45 MiB, within a quarter of the default 512 MiB. The size limit does not bound the
//! simulation (a quantum of 1 over a long burst is one event per tick); this check does.

use std::cell::Cell;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use schedgrade_contract::PolicyKind;
use schedgrade_contract::abi::{AbiKernel, AbiMessage, AbiPcb, AbiStatus, AbiTable};

use crate::case::{Case, CaseError, Pos, parse_case_located};
use crate::policy::{reference_table, run_case};
use crate::trace::text::{event_line, name_width};
use crate::trace::{Segment, TraceEvent, TraceSink};

use super::Limits;

/// The share of `limits.cpu_ms` and of `limits.memory_mib` the reference may need on a case: a quarter.
pub const REFERENCE_BUDGET_FRACTION: f64 = 0.25;

/// Estimated worker memory per byte of YAML source (parsing keeps a positioned tree of the whole file).
pub const PARSE_BYTES_PER_SOURCE_BYTE: u64 = 16;

/// Estimated worker memory per byte of rendered trace (events, trace lines, the serialized answer).
pub const KEPT_BYTES_PER_TRACE_BYTE: u64 = 3;

/// Hook calls between two looks at the CPU clock (a look is a system call, about 0.2 µs).
const CALLS_PER_CLOCK_CHECK: u32 = 256;

/// What the reference needed on one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// CPU time of parsing, simulating and rendering the trace; `None` when this machine has no thread CPU clock.
    pub cpu: Option<Duration>,
    /// The case's source, in bytes.
    pub source_bytes: u64,
    /// The rendered trace, in bytes (one line per event, with its line break).
    pub trace_bytes: u64,
    /// Trace events.
    pub events: u64,
    /// Set when the run was stopped at a limit: the figures above are then lower bounds.
    pub stopped: Option<Stopped>,
}

impl Cost {
    /// The estimated memory a worker needs for this case, in bytes (see the module documentation).
    pub fn memory_estimate(&self) -> u64 {
        memory_estimate(self.source_bytes, self.trace_bytes)
    }
}

/// Why a measured run was ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The reference used the whole `cpu_ms`.
    Cpu,
    /// The memory estimate passed the whole `memory_mib`.
    Memory,
}

fn memory_estimate(source_bytes: u64, trace_bytes: u64) -> u64 {
    source_bytes
        .saturating_mul(PARSE_BYTES_PER_SOURCE_BYTE)
        .saturating_add(trace_bytes.saturating_mul(KEPT_BYTES_PER_TRACE_BYTE))
}

/// What the reference needs on the case `source` (from the file `origin`) under `limits`: the run stops at the
/// whole `limits.cpu_ms` or `limits.memory_mib`. `None` when the reference has no table for the case's policy.
pub fn reference_cost(source: &str, origin: &Path, limits: &Limits) -> Result<Option<Cost>, CaseError> {
    measure(source, origin, limits).map(|(_, _, cost)| cost)
}

/// Parses `source` and runs the reference on it, measuring both. Returns the case, the position of its
/// `scheduler.policy` and the cost, or the case's own errors. `cost` is `None` when the reference has no table
/// for the case's policy (a grader bug reported elsewhere).
pub(crate) fn measure(source: &str, origin: &Path, limits: &Limits) -> Result<(Case, Pos, Option<Cost>), CaseError> {
    let start = thread_cpu();
    let (case, policy_pos) = parse_case_located(source, origin)?;
    let Some(table) = metered_table(case.scheduler.policy) else {
        return Ok((case, policy_pos, None));
    };
    let source_bytes = source.len() as u64;
    let mut sink = Meter {
        case: &case,
        width: name_width(&case),
        source_bytes,
        memory_cap: limits.memory_mib.saturating_mul(1024 * 1024),
        trace_bytes: 0,
        events: 0,
    };
    let run = MeteredRun::begin(case.scheduler.policy, start, Duration::from_millis(limits.cpu_ms));
    run_case(&case, table, &mut sink);
    let stopped = run.end();
    let cpu = match (start, thread_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let cost = Cost { cpu, source_bytes, trace_bytes: sink.trace_bytes, events: sink.events, stopped };
    Ok((case, policy_pos, Some(cost)))
}

/// The calling thread's CPU time, or `None` if the clock is unavailable.
fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Renders each event as the worker would, keeping only the byte count, and stops the run when the memory
/// estimate passes the whole limit.
struct Meter<'c> {
    case: &'c Case,
    width: usize,
    source_bytes: u64,
    memory_cap: u64,
    trace_bytes: u64,
    events: u64,
}

impl TraceSink for Meter<'_> {
    fn event(&mut self, event: TraceEvent) {
        self.events += 1;
        self.trace_bytes += event_line(self.case, &event, self.width).len() as u64 + 1;
        if memory_estimate(self.source_bytes, self.trace_bytes) > self.memory_cap {
            STATE.with(|s| s.stop(Stopped::Memory));
        }
    }

    fn segment(&mut self, _segment: Segment) {}
}

/// The thread's measured run: the reference table it wraps, its CPU deadline and why it stopped.
struct State {
    original: Cell<Option<&'static AbiTable>>,
    start: Cell<Option<Duration>>,
    wall_start: Cell<Option<Instant>>,
    budget: Cell<Duration>,
    calls: Cell<u32>,
    stopped: Cell<Option<Stopped>>,
}

impl State {
    fn stop(&self, why: Stopped) {
        if self.stopped.get().is_none() {
            self.stopped.set(Some(why));
        }
    }

    /// Whether the run must end now; looks at the clock every [`CALLS_PER_CLOCK_CHECK`] calls. Without a thread
    /// CPU clock, wall time still ends a runaway run.
    fn over(&self) -> bool {
        let calls = self.calls.get().wrapping_add(1);
        self.calls.set(calls);
        if calls.is_multiple_of(CALLS_PER_CLOCK_CHECK) {
            let used = match (self.start.get(), thread_cpu()) {
                (Some(start), Some(now)) => now.saturating_sub(start),
                _ => self.wall_start.get().map_or(Duration::ZERO, |t| t.elapsed()),
            };
            if used >= self.budget.get() {
                self.stop(Stopped::Cpu);
            }
        }
        self.stopped.get().is_some()
    }

    /// The table the hooks forward to, or `None` when the run must end: over budget, or (a bug) outside a
    /// [`MeteredRun`]. Never a panic: it would cross the C ABI.
    fn forward(&self) -> Option<&'static AbiTable> {
        if self.over() { None } else { self.original.get() }
    }
}

thread_local! {
    static STATE: State = const {
        State {
            original: Cell::new(None),
            start: Cell::new(None),
            wall_start: Cell::new(None),
            budget: Cell::new(Duration::ZERO),
            calls: Cell::new(0),
            stopped: Cell::new(None),
        }
    };
}

/// Arms the thread's [`State`] for one run, and disarms it when dropped (also on unwinding).
struct MeteredRun;

impl MeteredRun {
    fn begin(policy: PolicyKind, start: Option<Duration>, budget: Duration) -> MeteredRun {
        STATE.with(|s| {
            s.original.set(reference_table(policy));
            s.start.set(start);
            s.wall_start.set(Some(Instant::now()));
            s.budget.set(budget);
            s.calls.set(0);
            s.stopped.set(None);
        });
        MeteredRun
    }

    fn end(self) -> Option<Stopped> {
        STATE.with(|s| s.stopped.get())
    }
}

impl Drop for MeteredRun {
    fn drop(&mut self) {
        STATE.with(|s| s.original.set(None));
    }
}

/// The reference's table for `kind` with three hooks routed through the budget check. Built once per policy and
/// kept for the program's lifetime, as `run_case` requires.
fn metered_table(kind: PolicyKind) -> Option<&'static AbiTable> {
    static TABLES: OnceLock<Vec<Option<&'static AbiTable>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        PolicyKind::ALL
            .iter()
            .map(|&k| {
                reference_table(k).map(|t| {
                    &*Box::leak(Box::new(AbiTable {
                        on_ready: metered_on_ready,
                        pick_next: metered_pick_next,
                        on_timer: metered_on_timer,
                        ..*t
                    }))
                })
            })
            .collect()
    });
    tables.get(kind as usize).copied().flatten()
}

/// Ends the run: the kernel sees a protocol fault and stops; [`MeteredRun::end`] says why.
const STOP_STATUS: u32 = AbiStatus::BAD_INPUT;

unsafe extern "C" fn metered_on_ready(
    state: *mut std::ffi::c_void,
    kernel: *const AbiKernel,
    pcb: *const AbiPcb,
    reason: u32,
    msg: *mut AbiMessage,
) -> u32 {
    STATE.with(|s| {
        let Some(table) = s.forward() else {
            return STOP_STATUS;
        };
        // SAFETY: the arguments are the kernel's, passed on unchanged to the reference's own hook.
        unsafe { (table.on_ready)(state, kernel, pcb, reason, msg) }
    })
}

unsafe extern "C" fn metered_pick_next(
    state: *mut std::ffi::c_void,
    kernel: *const AbiKernel,
    cpu: u32,
    out: *mut u32,
    msg: *mut AbiMessage,
) -> u32 {
    STATE.with(|s| {
        let Some(table) = s.forward() else {
            return STOP_STATUS;
        };
        // SAFETY: as in `metered_on_ready`.
        unsafe { (table.pick_next)(state, kernel, cpu, out, msg) }
    })
}

unsafe extern "C" fn metered_on_timer(
    state: *mut std::ffi::c_void,
    kernel: *const AbiKernel,
    out: *mut u8,
    msg: *mut AbiMessage,
) -> u32 {
    STATE.with(|s| {
        let Some(table) = s.forward() else {
            return STOP_STATUS;
        };
        // SAFETY: as in `metered_on_ready`.
        unsafe { (table.on_timer)(state, kernel, out, msg) }
    })
}
