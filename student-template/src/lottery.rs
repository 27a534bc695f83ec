//! Lottery scheduling (OSTEP chapter 9).

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Lottery scheduling: each process holds `pcb.tickets`; at every decision a random ticket is drawn, and its
/// holder runs. Over time each process gets a CPU share proportional to its tickets.
///
/// **Reproducible randomness.** The grader compares schedules exactly, so the draw is fully specified:
///
/// 1. The generator is SplitMix64, seeded with `config.seed`:
///
///    ```text
///    state = state + 0x9E3779B97F4A7C15          (wrapping)
///    z = state
///    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9    (wrapping)
///    z = (z ^ (z >> 27)) * 0x94D049BB133111EB    (wrapping)
///    next() = z ^ (z >> 31)
///    ```
///
/// 2. Every `pick_next` with at least one Ready process draws exactly once: `r = next() % total`, where `total`
///    is the sum of the tickets of the Ready processes (a process with 0 tickets counts as 1).
/// 3. Walk the Ready processes **in pid order**, adding up their tickets; the winner is the first one whose
///    running sum is greater than `r`. It leaves the draw until it is Ready again.
/// 4. `time_slice` is `config.quantum`, or 1 tick if it is not set.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`, `time_slice`.
///
/// **Hint.** Start with a simple walk over all processes to get the rule right. To make a draw O(log n), keep
/// the tickets in a Fenwick (binary indexed) tree indexed by pid: rule 3 is a prefix-sum search.
pub struct Lottery {
    // Your generator and the tickets of the Ready processes go here.
}

impl Scheduler for Lottery {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("lottery: seed the generator with config.seed; remember the quantum")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("lottery: the process's tickets join the draw")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("lottery: draw r, walk in pid order until the sum exceeds r")
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        todo!("lottery: the quantum, 1 by default")
    }
}
