//! Scheduling metrics, with the standard definitions of `docs/semantics.md` (rule M1–M8).

use schedgrade_contract::Tick;
use serde::Serialize;

use crate::case::Case;
use crate::sim::SimResult;

/// One process's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessMetrics {
    pub name: String,
    pub arrival: Tick,
    pub first_run: Option<Tick>,
    pub completion: Option<Tick>,
    /// completion − arrival.
    pub turnaround: Option<Tick>,
    /// Total time in Ready (dispatch latency included).
    pub waiting: Tick,
    /// first run − arrival.
    pub response: Option<Tick>,
    pub cpu_time: Tick,
}

/// Means over the processes that completed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Averages {
    pub turnaround: f64,
    pub waiting: f64,
    pub response: f64,
}

/// Whole-run figures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub makespan: Tick,
    /// Busy CPU time / (makespan × cpus); dispatch latency is not busy time.
    pub cpu_utilization: f64,
    /// Completed processes per tick of makespan.
    pub throughput: f64,
    pub context_switches: u64,
    /// Ticks of dispatch latency, over all CPUs.
    pub switch_overhead: Tick,
    /// CPU ticks neither running nor switching, over all CPUs, within the makespan.
    pub idle: Tick,
    pub events: u64,
}

/// All metrics of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    pub processes: Vec<ProcessMetrics>,
    pub averages: Averages,
    pub summary: Summary,
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 { 0.0 } else { numerator / denominator }
}

impl Metrics {
    /// Computes the metrics of `result`, a run of `case`.
    pub fn compute(case: &Case, result: &SimResult) -> Metrics {
        let processes: Vec<ProcessMetrics> = case
            .processes
            .iter()
            .zip(&result.processes)
            .map(|(spec, stats)| ProcessMetrics {
                name: spec.name.clone(),
                arrival: stats.arrival,
                first_run: stats.first_run,
                completion: stats.completion,
                turnaround: stats.completion.map(|c| c - stats.arrival),
                waiting: stats.waiting,
                response: stats.first_run.map(|f| f - stats.arrival),
                cpu_time: stats.cpu_time,
            })
            .collect();
        let done: Vec<&ProcessMetrics> = processes.iter().filter(|p| p.completion.is_some()).collect();
        let mean =
            |f: &dyn Fn(&ProcessMetrics) -> Tick| ratio(done.iter().map(|p| f(p) as f64).sum(), done.len() as f64);
        let averages = Averages {
            turnaround: mean(&|p| p.turnaround.unwrap_or(0)),
            waiting: mean(&|p| p.waiting),
            response: mean(&|p| p.response.unwrap_or(0)),
        };
        let totals = result.totals;
        let capacity = totals.makespan * case.machine.cpus as Tick;
        let summary = Summary {
            makespan: totals.makespan,
            cpu_utilization: ratio(totals.busy as f64, capacity as f64),
            throughput: ratio(done.len() as f64, totals.makespan as f64),
            context_switches: totals.context_switches,
            switch_overhead: totals.switch_overhead,
            idle: capacity.saturating_sub(totals.busy + totals.switch_overhead),
            events: totals.events,
        };
        Metrics { processes, averages, summary }
    }
}
