//! Multi-level feedback queue (MLFQ), as in OSTEP chapter 8 and its `mlfq.py` simulator.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Multi-level feedback queue: processes move between levels according to how they use the CPU, so interactive
/// ones stay on top and CPU-bound ones sink. Your schedule must match OSTEP's `mlfq.py` tick for tick.
///
/// **Levels.** `config.quanta[i]` is the quantum of level `i`; level 0 is the highest (OSTEP prints it as
/// `Q(n-1)`). `config.allotments[i]` is how long a process may stay at level `i`, in ticks; in quanta that is
/// `ceil(allotment / quantum)`. If `allotments` is empty, every level allows one quantum.
///
/// **The rules.**
///
/// 1. A new process joins the tail of level 0 with a full quantum and a full allotment.
/// 2. A free CPU runs the first process of the highest non-empty level. A process of a strictly higher level that
///    becomes Ready preempts a lower one (`should_preempt`).
/// 3. A preempted process stays at the **head** of its level and keeps the rest of its quantum. (OSTEP keeps the
///    running process in its queue all along; doing the same, with a "running" flag, makes this rule free.)
/// 4. When its quantum runs out (a timeout), the process uses up one quantum of its allotment. If the allotment is
///    now exhausted it drops one level (not below the last) with a fresh quantum and allotment; otherwise it gets
///    a fresh quantum at the same level. Either way it joins the tail.
/// 5. A process that issues I/O keeps the rest of its quantum and its allotment (so it cannot game the scheduler
///    by yielding just before its quantum ends). If its burst ended exactly with its quantum, rule 4's accounting
///    still applies (without joining a queue). On I/O completion it joins the tail of its level.
/// 6. `config.io_stay` (OSTEP `-S`): on I/O the quantum and allotment are reset to full at the current level;
///    rule 4 is still judged on the quantum count from *before* that reset.
/// 7. `config.io_bump` (OSTEP `-I`): a process returning from I/O joins the **head** of its level and also
///    preempts a running process of its own level. (Arrivals are never bumped.)
/// 8. Boost: if `config.boost > 0`, every `boost` ticks (`timer_period` / `on_timer`) the queues of the lower
///    levels are appended to level 0: the lowest level first, then upward, each in its own order. Then every
///    unfinished process, including blocked ones, is at level 0 with a full quantum and allotment. Return `true`
///    so the kernel reschedules.
///
/// **Timing.** The kernel's tick order (with `ties: preempted_first`, as in OSTEP): CPUs finish (`on_block`,
/// `on_exit`), timed-out processes rejoin (`on_ready(Timeout)`), the boost fires, arrivals join, I/O completions
/// join, free CPUs pick, and then newcomers may preempt. `pcb.current_run` tells you how long a process ran.
///
/// **Hooks.** All of them: `time_slice` is the process's quantum left, and `queue_level` its level.
pub struct Mlfq {
    // Your levels and per-process state (level, quantum left, allotment left) go here.
}

impl Scheduler for Mlfq {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        todo!("mlfq: build the levels from quanta and allotments")
    }

    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {
        todo!("mlfq: arrival, I/O completion, timeout (rule 4) or preemption (rule 3)")
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        todo!("mlfq: the first process of the highest non-empty level")
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        todo!("mlfq: the process's quantum left")
    }

    fn should_preempt(&mut self, _kernel: &Kernel<'_>, _newcomer: &Pcb, _running: &Pcb) -> bool {
        todo!("mlfq: a strictly higher level, or with io_bump an I/O return at the same level")
    }

    fn on_block(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) {
        todo!("mlfq: rules 5 and 6")
    }

    fn on_exit(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) {
        todo!("mlfq: forget the process")
    }

    fn timer_period(&self) -> Option<Tick> {
        todo!("mlfq: the boost period, if any")
    }

    fn on_timer(&mut self, _kernel: &Kernel<'_>) -> bool {
        todo!("mlfq: rule 8")
    }

    fn queue_level(&self, _pid: Pid) -> Option<u32> {
        todo!("mlfq: the process's level")
    }
}
