//! Fixture: a round robin with a subtle tie-breaking bug. It orders the ready queue by the tick each process
//! became ready and breaks equal ticks by pid, instead of keeping the order processes joined the queue. It is
//! right whenever no two processes join at the same tick in an order other than pid order, so it passes most
//! cases and fails the ones with same-tick ties. Expected verdicts: `wrong-trace` on those, `passed` elsewhere.
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

pub struct RoundRobin {
    ready: Vec<(Tick, Pid)>,
    quantum: Tick,
}

impl Scheduler for RoundRobin {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        Ok(RoundRobin { ready: Vec::new(), quantum: config.quantum.ok_or("rr needs a quantum")? })
    }
    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        self.ready.push((pcb.ready_since.unwrap_or(kernel.now()), pcb.pid));
    }
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        let first = (0..self.ready.len()).min_by_key(|&i| self.ready[i])?;
        Some(self.ready.remove(first).1)
    }
    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        Some(self.quantum)
    }
}

schedgrade_contract::export_schedulers! { Rr => RoundRobin }
