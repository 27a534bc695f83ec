//! Round robin.

use std::collections::VecDeque;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Round robin: a FIFO ready queue and a fixed quantum.
///
/// Every way back into Ready (arrival, I/O completion, timeout, preemption) appends to the tail: the textbook
/// queue has no other entry point, and it keeps the same-tick order entirely in the kernel's `ties` setting.
/// A timeout with nobody else ready re-picks the same process, which the kernel turns into "no context switch".
pub struct RoundRobin {
    quantum: Tick,
    queue: VecDeque<Pid>,
}

impl Scheduler for RoundRobin {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        match config.quantum {
            Some(quantum) if quantum >= 1 => Ok(RoundRobin { quantum, queue: VecDeque::new() }),
            Some(_) => Err("rr: `quantum` must be at least 1 tick".to_owned()),
            None => Err("rr: a `quantum` is required".to_owned()),
        }
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        self.queue.push_back(pcb.pid);
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        self.queue.pop_front()
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        Some(self.quantum)
    }
}
