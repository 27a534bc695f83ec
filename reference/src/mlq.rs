//! Multi-level queue: fixed queues chosen by class, each with its own policy.

use std::collections::VecDeque;

use schedgrade_contract::{
    Between, CpuId, Kernel, Pcb, Pid, PolicyKind, ReadyReason, Scheduler, SchedulerConfig, Tick,
};

use crate::fcfs::Fcfs;
use crate::priority::Priority;
use crate::rr::RoundRobin;
use crate::sjf::Sjf;
use crate::srtf::Srtf;

/// Multi-level queue. A process of class `c` always lives in `queues[c]` (queue 0 is the highest); a class past
/// the last queue is treated as the last queue. Inside a queue the single-policy reference schedulers run
/// unchanged, so an MLQ queue behaves exactly like that policy on its own.
///
/// A process can be taken off the CPU by something outside its queue's policy: a higher queue (fixed priority)
/// or the end of its queue's turn (time slicing). Where it goes back depends on the queue's policy:
///
/// - fcfs, sjf and non-preemptive priority: to the *head* of its queue, ahead of every process of that queue (in
///   the order such processes were interrupted). Inside a non-preemptive queue a started burst is never
///   overtaken by its own queue-mates; handing it to the inner policy instead would send an FCFS process to the
///   tail, or re-rank an SJF process by a burst it has half run.
/// - rr: to the tail, as every re-entry into an RR queue (same rule as `rr`).
/// - srtf and preemptive priority: re-ranked by the inner policy (remaining time; priority with a new
///   `ready_since`), as after any preemption in those policies.
///
/// Between queues, `FixedPriority`: a CPU takes work from the highest non-empty queue; a newcomer preempts if its
/// queue is strictly higher than the running process's, or if it is in the same queue and that queue's policy
/// preempts (srtf, preemptive priority). `TimeSlice { shares }`: queues take turns by the rules of `Turns` below.
pub struct Mlq {
    queues: Vec<Queue>,
    turns: Option<Turns>,
    /// Queue index per pid, for `queue_level` (which has no PCB). Allocated on the first call.
    queue_of: Vec<u32>,
}

/// Time slicing between queues.
///
/// 1. A turn belongs to one queue and lasts `shares[i]` ticks of CPU: the ticks run by that queue's processes,
///    counted when each leaves a CPU (timeout, preemption, I/O or exit), while the turn lasts.
/// 2. A process picked during a turn gets at most the share left: its slice is the smaller of its queue policy's
///    slice (rr's quantum) and the share left (at least 1 tick). A process cut by the end of the share comes
///    back as described on [`Mlq`].
/// 3. A turn ends when a CPU needs work and the share is used up, or the queue has nothing Ready. The next turn
///    goes to the next non-empty queue after it in cyclic order (`i+1, i+2, ...`, the queue itself last), with a
///    fresh share. If every queue is empty the CPU idles and no turn is open.
/// 4. The first turn goes to the first non-empty queue from queue 0. Queues never preempt each other; inside the
///    queue whose turn it is, its own policy may preempt.
///
/// On several CPUs, processes of the turn's queue may run in parallel, each bounded by the share left when it
/// started, so a turn can overrun its share; the rules above still decide every case deterministically.
struct Turns {
    shares: Vec<Tick>,
    current: usize,
    used: Tick,
    open: bool,
}

struct Queue {
    policy: Inner,
    /// Interrupted processes of a non-preemptive queue, resumed before anything else of that queue.
    resume: VecDeque<Pid>,
    /// Ready processes in this queue (in `policy` or `resume`).
    len: usize,
    /// The queue's policy never preempts, so an interrupted process keeps its place (see [`Mlq`]).
    keeps_place: bool,
}

enum Inner {
    Fcfs(Fcfs),
    Sjf(Sjf),
    Srtf(Srtf),
    Priority(Priority),
    Rr(RoundRobin),
}

/// Calls the same method on whichever policy a queue runs.
macro_rules! each {
    ($inner:expr, $p:ident => $call:expr) => {
        match $inner {
            Inner::Fcfs($p) => $call,
            Inner::Sjf($p) => $call,
            Inner::Srtf($p) => $call,
            Inner::Priority($p) => $call,
            Inner::Rr($p) => $call,
        }
    };
}

impl Queue {
    fn take(&mut self, kernel: &Kernel<'_>, cpu: CpuId) -> Option<Pid> {
        if self.len == 0 {
            return None;
        }
        let pid = match self.resume.pop_front() {
            Some(pid) => Some(pid),
            None => each!(&mut self.policy, p => p.pick_next(kernel, cpu)),
        };
        if pid.is_some() {
            self.len -= 1;
        }
        pid
    }
}

impl Mlq {
    fn queue_index(&self, pcb: &Pcb) -> usize {
        (pcb.class as usize).min(self.queues.len() - 1)
    }

    /// Counts a finished run against the turn, if it belongs to the queue whose turn it is.
    fn charge(&mut self, queue: usize, ran: Tick) {
        if let Some(turns) = &mut self.turns
            && turns.open
            && turns.current == queue
        {
            turns.used = turns.used.saturating_add(ran);
        }
    }
}

impl Scheduler for Mlq {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        if config.queues.is_empty() {
            return Err("mlq: `queues` needs at least one queue".to_owned());
        }
        let mut queues = Vec::with_capacity(config.queues.len());
        for (i, q) in config.queues.iter().enumerate() {
            // A queue is configured like the single policy, inheriting the case-wide priority options.
            let inner_config = SchedulerConfig {
                quantum: q.quantum,
                preemptive: q.preemptive,
                priority_order: config.priority_order,
                aging: config.aging,
                predict: config.predict,
                ..SchedulerConfig::new(q.policy)
            };
            let context = |e: String| format!("mlq queue {i}: {e}");
            let (policy, keeps_place) = match q.policy {
                PolicyKind::Fcfs => (Inner::Fcfs(Fcfs::new(&inner_config).map_err(context)?), true),
                PolicyKind::Sjf => (Inner::Sjf(Sjf::new(&inner_config).map_err(context)?), true),
                PolicyKind::Srtf => (Inner::Srtf(Srtf::new(&inner_config).map_err(context)?), false),
                PolicyKind::Priority => {
                    (Inner::Priority(Priority::new(&inner_config).map_err(context)?), !q.preemptive)
                }
                PolicyKind::Rr => (Inner::Rr(RoundRobin::new(&inner_config).map_err(context)?), false),
                other => {
                    return Err(format!(
                        "mlq queue {i}: policy `{}` cannot run inside a queue (use fcfs, sjf, srtf, priority or rr)",
                        other.as_str()
                    ));
                }
            };
            queues.push(Queue { policy, resume: VecDeque::new(), len: 0, keeps_place });
        }
        let turns = match &config.between {
            Between::FixedPriority => None,
            Between::TimeSlice { shares } => {
                if shares.len() != queues.len() {
                    return Err(format!(
                        "mlq: {} shares for {} queues; give one per queue",
                        shares.len(),
                        queues.len()
                    ));
                }
                if let Some(i) = shares.iter().position(|&s| s == 0) {
                    return Err(format!("mlq: the share of queue {i} must be at least 1 tick"));
                }
                // `current` is the last queue so that the first search (rule 4) starts at queue 0.
                Some(Turns { shares: shares.clone(), current: queues.len() - 1, used: 0, open: false })
            }
        };
        Ok(Mlq { queues, turns, queue_of: Vec::new() })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, reason: ReadyReason) {
        let q = self.queue_index(pcb);
        if pcb.pid.index() >= self.queue_of.len() {
            self.queue_of.resize(kernel.process_count().max(pcb.pid.index() + 1), 0);
        }
        self.queue_of[pcb.pid.index()] = q as u32;
        let came_off_cpu = matches!(reason, ReadyReason::Timeout | ReadyReason::Preempted);
        if came_off_cpu {
            self.charge(q, pcb.current_run);
        }
        let queue = &mut self.queues[q];
        if came_off_cpu && queue.keeps_place {
            queue.resume.push_back(pcb.pid);
        } else {
            each!(&mut queue.policy, p => p.on_ready(kernel, pcb, reason));
        }
        queue.len += 1;
    }

    fn pick_next(&mut self, kernel: &Kernel<'_>, cpu: CpuId) -> Option<Pid> {
        let Some(turns) = &mut self.turns else {
            return self.queues.iter_mut().find_map(|queue| queue.take(kernel, cpu));
        };
        let n = self.queues.len();
        let current = turns.current;
        if !(turns.open && turns.used < turns.shares[current] && self.queues[current].len > 0) {
            // Rule 3: the turn is over; the next non-empty queue in cyclic order, this one last.
            match (1..=n).map(|d| (current + d) % n).find(|&i| self.queues[i].len > 0) {
                Some(next) => {
                    turns.current = next;
                    turns.used = 0;
                    turns.open = true;
                }
                None => {
                    turns.open = false;
                    return None;
                }
            }
        }
        self.queues[turns.current].take(kernel, cpu)
    }

    fn time_slice(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) -> Option<Tick> {
        let q = self.queue_index(pcb);
        let inner = each!(&mut self.queues[q].policy, p => p.time_slice(kernel, pcb));
        let Some(turns) = &self.turns else {
            return inner;
        };
        let left = if turns.open && turns.current == q {
            turns.shares[q].saturating_sub(turns.used).max(1)
        } else {
            // Only on several CPUs, when the turn moved on between the pick and the end of the dispatch latency.
            turns.shares[q]
        };
        Some(inner.map_or(left, |slice| slice.min(left)))
    }

    fn should_preempt(&mut self, kernel: &Kernel<'_>, newcomer: &Pcb, running: &Pcb) -> bool {
        let (new, run) = (self.queue_index(newcomer), self.queue_index(running));
        if new == run {
            return each!(&mut self.queues[new].policy, p => p.should_preempt(kernel, newcomer, running));
        }
        self.turns.is_none() && new < run
    }

    fn on_block(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) {
        let q = self.queue_index(pcb);
        self.charge(q, pcb.current_run);
        each!(&mut self.queues[q].policy, p => p.on_block(kernel, pcb));
    }

    fn on_exit(&mut self, kernel: &Kernel<'_>, pcb: &Pcb) {
        let q = self.queue_index(pcb);
        self.charge(q, pcb.current_run);
        each!(&mut self.queues[q].policy, p => p.on_exit(kernel, pcb));
    }

    fn queue_level(&self, pid: Pid) -> Option<u32> {
        self.queue_of.get(pid.index()).copied()
    }
}
