//! Shortest job first (SJF), non-preemptive.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

/// Shortest job first: the Ready process with the shortest *next CPU burst* runs, until that burst ends.
///
/// **Rule.** The key of a process is the length of its current CPU burst, `pcb.burst_length` (the kernel shows it
/// to SJF: this is the textbook's "oracle"). The smallest key runs next. SJF is non-preemptive: a shorter process
/// that arrives while another runs waits for the CPU to become free.
///
/// **Prediction.** If `config.predict` is `Some(Predict { alpha, initial })`, the kernel hides the burst lengths
/// and you must *guess* them by exponential averaging (Silberschatz):
///
/// - tau(0) = `initial` for the first burst of every process;
/// - after a process completes a burst of length t(n), its next guess is
///   `tau(n+1) = alpha * t(n) + (1.0 - alpha) * tau(n)`, computed with exactly that expression in `f64`
///   (rounding differs if you rearrange it, and the grader compares ties exactly);
/// - t(n) is `pcb.last_burst`: in `on_block` it is the burst that just ended.
///
/// The key is then tau; compare `f64` keys with `f64::total_cmp`.
///
/// **Ties.** Equal keys go to the process that entered Ready earlier (`pcb.ready_since`), then to the lower pid.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`; with prediction also `on_block` (override it when you get there).
///
/// **Hint.** `std::collections::BinaryHeap` is a max-heap: push `std::cmp::Reverse((key, ready_since, pid))` and
/// the tuple order does the tie-breaking for you. Keep per-process data (tau) in a `Vec` indexed by
/// `pid.index()`, sized with `kernel.process_count()`.
pub struct Sjf {
    // Your ready queue (and, for prediction, one tau per process) goes here.
}

impl Scheduler for Sjf {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("sjf: create an empty ready queue; remember `config.predict`")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("sjf: insert the process under its burst length (or its prediction)")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("sjf: take the process with the smallest key")
    }
}
