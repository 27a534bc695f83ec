//! The trait a scheduling policy implements, and the kernel view it is given.
//!
//! # How the simulated kernel uses your policy
//!
//! The kernel owns the processes, the clock, the CPUs and the I/O devices. It moves every process through the
//! five-state model (New → Ready → Running → Blocked/Ready → Exit) and records each move in the trace. Your policy
//! owns exactly one thing: **the ready queue** — which Ready process runs next, for how long, and whether a newly
//! ready process should take a CPU away from the one running.
//!
//! The kernel calls your hooks at the four scheduling decision points of the course notes, and on arrival:
//!
//! | decision point                    | what the kernel does                                  | hooks called          |
//! |-----------------------------------|-------------------------------------------------------|-----------------------|
//! | New → Ready (arrival)             | admits the process                                    | `on_ready(Arrived)`, `should_preempt` |
//! | 1. Running → Blocked (I/O)        | frees the CPU                                         | `on_block`, then `pick_next` |
//! | 2. Running → Ready (timeout)      | takes the CPU back when the time slice ends           | `on_ready(Timeout)`, then `pick_next` |
//! | 3. Blocked → Ready (I/O done)     | wakes the process                                     | `on_ready(IoDone)`, `should_preempt` |
//! | 4. Running → Exit                 | frees the CPU                                         | `on_exit`, then `pick_next` |
//!
//! After `pick_next` chooses a process, the kernel asks `time_slice` how long it may run. A non-preemptive policy
//! answers `None` (run until the CPU burst ends) and never preempts: only decision points 1 and 4 matter to it.
//! A preemptive policy also acts at points 2 and 3.
//!
//! Everything that happens at the same tick happens in a fixed order, described in `docs/semantics.md`; in short:
//! CPUs finish their work, then processes join the ready queue (in the order the test case's `ties` setting says),
//! then idle CPUs pick, then newcomers may preempt.
//!
//! # Rules every policy must follow (the kernel checks them)
//!
//! - `pick_next` (called only when some process is Ready) returns a process that is Ready and not already picked.
//! - `time_slice` never returns `Some(0)`.
//!
//! Breaking a rule ends the run with a `contract-violation` verdict that names the hook and the value.

use crate::abi::{AbiKernel, AbiPcb};
use crate::config::SchedulerConfig;
use crate::pcb::{CpuId, Pcb, Pid, Tick};

/// A scheduling policy. One value is created per test run, with [`Scheduler::new`].
///
/// Only `new`, `on_ready` and `pick_next` are required. The other hooks have defaults that suit a non-preemptive
/// policy.
pub trait Scheduler: Sized + 'static {
    /// Creates the policy from the test case's `scheduler:` section.
    ///
    /// Called once, before time 0. Return `Err` with a short reason if the configuration makes no sense for this
    /// policy; the run then ends with a `contract-violation` verdict quoting it.
    fn new(config: &SchedulerConfig) -> Result<Self, String>;

    /// A process has just entered the Ready state; put it in your ready queue.
    ///
    /// `reason` tells you which transition brought it here ([`crate::ReadyReason`]): arrival (New → Ready), I/O
    /// completion (Blocked → Ready), timeout (its time slice ran out), or preemption (another process took its CPU
    /// before its slice ran out). Round robin, for example, puts every one of them at the tail of the queue; OSTEP's
    /// MLFQ keeps a preempted process at the head of its level.
    ///
    /// When `pcb.current_run` is non-zero, the process just came off a CPU after running that many ticks.
    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, reason: crate::ReadyReason);

    /// CPU `cpu` is free: choose the Ready process to dispatch on it, and remove it from your ready queue.
    ///
    /// The kernel calls this only when at least one process is Ready and not yet picked, so there is always
    /// something to return: returning `None` (or a process that is not Ready) is a contract violation, and
    /// usually means your queue lost a process. When nothing is Ready the kernel leaves the CPU idle without
    /// asking. The kernel dispatches the process you return (after the dispatch latency, if the test case sets
    /// one) and then asks [`Scheduler::time_slice`] how long it may run.
    fn pick_next(&mut self, kernel: &Kernel<'_>, cpu: CpuId) -> Option<Pid>;

    /// How many ticks the process just picked may run before the timer takes the CPU back (a timeout).
    ///
    /// `None` means "until its CPU burst ends", which is what every non-preemptive policy wants, and the default.
    /// `Some(q)` for round robin's quantum `q`. If the burst ends before the slice, the slice is simply unused: the
    /// process blocks or exits and is not put back in the ready queue. If the slice ends and no other process is
    /// Ready, the kernel still reports the timeout, and `pick_next` will most likely choose the same process again;
    /// that costs no context switch.
    fn time_slice(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) -> Option<Tick> {
        let _ = (kernel, pcb);
        None
    }

    /// `newcomer` has just become Ready (it arrived, or its I/O completed) while `running` is on a CPU. Should the
    /// newcomer take that CPU away? This is what makes a policy preemptive at decision point 3.
    ///
    /// Answer `true` only if the newcomer is *strictly* better: on a tie the running process keeps the CPU. If you
    /// answer `true`, the kernel moves `running` back to Ready (calling `on_ready` with
    /// [`crate::ReadyReason::Preempted`]) and then calls `pick_next` for the freed CPU. The newcomer is already in
    /// your ready queue when this is called. The default never preempts.
    fn should_preempt(&mut self, kernel: &Kernel<'_>, newcomer: &Pcb, running: &Pcb) -> bool {
        let _ = (kernel, newcomer, running);
        false
    }

    /// The running process requested I/O and is now Blocked (decision point 1). It is not in the ready queue; you
    /// will see it again in `on_ready` with [`crate::ReadyReason::IoDone`]. `pcb.current_run` is how long it ran.
    fn on_block(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) {
        let _ = (kernel, pcb);
    }

    /// The running process finished its last burst and exited (decision point 4). Forget it.
    fn on_exit(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) {
        let _ = (kernel, pcb);
    }

    /// A periodic timer, for policies that act on the clock (MLFQ's priority boost, aging). Asked once, right after
    /// `new`. `Some(p)` makes the kernel call [`Scheduler::on_timer`] at every positive multiple of `p`.
    fn timer_period(&self) -> Option<Tick> {
        None
    }

    /// The periodic timer fired. Return `true` to make the kernel preempt every running process (each gets
    /// `on_ready` with [`crate::ReadyReason::Preempted`], in CPU order) and call `pick_next` again for every CPU.
    /// A process picked again on the CPU it was on continues without a context switch.
    fn on_timer(&mut self, kernel: &Kernel<'_>) -> bool {
        let _ = kernel;
        false
    }

    /// Which of your queues (levels) a process is in, for policies that have several: MLFQ levels and MLQ queues,
    /// with 0 the highest priority. Asked at every dispatch and shown in the trace (`level=1`) and the Gantt chart,
    /// so a wrong demotion shows up at the first dispatch it affects. The default, `None`, shows nothing.
    fn queue_level(&self, pid: Pid) -> Option<u32> {
        let _ = pid;
        None
    }
}

/// What the kernel lets a policy see during a call: the clock, the machine, and read-only PCBs.
pub struct Kernel<'a> {
    raw: &'a AbiKernel,
}

impl<'a> Kernel<'a> {
    /// Wraps the ABI's kernel view. Only the generated ABI glue calls this.
    ///
    /// # Safety
    /// `raw.pcb` must be safe to call with `raw.ctx` for the lifetime `'a`.
    #[doc(hidden)]
    pub unsafe fn from_abi(raw: &'a AbiKernel) -> Kernel<'a> {
        Kernel { raw }
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.raw.now
    }

    /// How many CPUs the machine has.
    pub fn cpus(&self) -> usize {
        self.raw.cpus as usize
    }

    /// How many processes the test case has (pids are `0..process_count()`), whatever their state.
    pub fn process_count(&self) -> usize {
        self.raw.processes as usize
    }

    /// A fresh copy of a process's PCB, or `None` for an unknown pid.
    pub fn pcb(&self, pid: Pid) -> Option<Pcb> {
        let mut out = AbiPcb::default();
        // SAFETY: guaranteed by `from_abi`'s contract; `out` is a valid, writable AbiPcb.
        let found = unsafe { (self.raw.pcb)(self.raw.ctx, pid.0, &mut out) };
        if found { out.to_pcb() } else { None }
    }
}
