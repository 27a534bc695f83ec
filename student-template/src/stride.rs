//! Stride scheduling (OSTEP chapter 9): lottery's deterministic cousin.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Stride scheduling: proportional share without randomness.
///
/// **Rule.** Each process has a *stride*, `config.stride_constant / pcb.tickets` (integer division; 0 tickets
/// count as 1), and a *pass* that starts at 0 when it arrives. A free CPU runs the Ready process with the lowest
/// pass. Each time a process leaves the CPU (its slice ran out, it was preempted, or it blocked for I/O) its pass
/// grows by one stride, once per dispatch. A process back from I/O keeps its pass.
///
/// **Ties.** Equal passes go to the lower pid (OSTEP: "the earlier job"), not to the earlier `ready_since`.
///
/// **Slice.** `time_slice` is `config.quantum`, or 1 tick if it is not set.
///
/// **Hooks.** `new`, `on_ready`, `pick_next`, `time_slice`, `on_block`.
///
/// **Hint.** A `BinaryHeap<Reverse<(pass, pid)>>`. Add the stride when the process comes back through
/// `on_ready(Timeout)` / `on_ready(Preempted)`, or in `on_block`, but not on arrival or I/O completion.
pub struct Stride {
    // Your passes and ready queue go here.
}

impl Scheduler for Stride {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("stride: remember stride_constant and the quantum")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("stride: pass 0 on arrival, +stride after a timeout or preemption, unchanged after I/O")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("stride: the lowest pass, ties to the lower pid")
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        todo!("stride: the quantum, 1 by default")
    }

    fn on_block(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) {
        todo!("stride: the run that just ended costs one stride")
    }
}
