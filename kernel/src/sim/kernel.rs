//! The event loop. Each step handles one tick in the fixed order of `docs/semantics.md` (rule S9): CPU
//! completions, ready-queue insertions in the `ties` order (with the timer), timer reschedules, dispatch of free
//! CPUs, then preemption checks for newcomers. What a process does when it reaches an operation is in
//! [`execute`]; deadlock detection is in [`deadlock`].

mod deadlock;
mod execute;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use schedgrade_contract::client::{Hook, HookFault, PolicyInstance};
use schedgrade_contract::{CpuId, Pid, PolicyKind, ProcState, ReadyReason, SchedulerConfig, Tick};

use super::objects::Objects;
use super::outcome::{DeadlockReport, ProcessStats, RunEnd, SimResult, Totals, Violation};
use super::world::{CpuState, World};
use crate::case::{Case, ObjId, Ties};
use crate::trace::{Segment, SegmentKind, TraceEvent, TraceSink, Transition, WokenBy};

/// Why a run stopped before every process exited.
enum Stop {
    Fault(HookFault),
    Violation(Violation),
    /// Boxed so that every `Step` stays as small as before deadlocks existed.
    Deadlock(Box<DeadlockReport>),
}

impl From<HookFault> for Stop {
    fn from(fault: HookFault) -> Stop {
        Stop::Fault(fault)
    }
}

type Step<T = ()> = Result<T, Stop>;

/// Whether `config` entitles the policy to see burst lengths (the textbook oracle of SJF, SRTF and HRRN).
pub fn sees_burst_lengths(config: &SchedulerConfig) -> bool {
    match config.policy {
        PolicyKind::Sjf => config.predict.is_none(),
        PolicyKind::Srtf | PolicyKind::Hrrn => true,
        PolicyKind::Mlq => config.queues.iter().any(|q| matches!(q.policy, PolicyKind::Sjf | PolicyKind::Srtf)),
        PolicyKind::Fcfs
        | PolicyKind::Priority
        | PolicyKind::Rr
        | PolicyKind::Mlfq
        | PolicyKind::Lottery
        | PolicyKind::Stride => false,
    }
}

/// Runs `case` to completion under `policy`, sending every event and segment to `sink`.
///
/// A policy fault or contract violation ends the run early, and so does a deadlock (rule O11); the trace up to
/// that point has been sent.
pub fn simulate(case: &Case, policy: PolicyInstance, sink: &mut dyn TraceSink) -> SimResult {
    let mut kernel = Kernel::new(case, policy, sink);
    let end = match kernel.run() {
        Ok(()) => RunEnd::Completed,
        Err(Stop::Fault(fault)) => RunEnd::Faulted { time: kernel.world.now, fault },
        Err(Stop::Violation(violation)) => RunEnd::Violated(violation),
        Err(Stop::Deadlock(report)) => RunEnd::Deadlock(*report),
    };
    kernel.finish(end)
}

struct Kernel<'c, 's> {
    world: World<'c>,
    policy: PolicyInstance,
    sink: &'s mut dyn TraceSink,
    /// Pids sorted by (arrival, pid).
    arrivals: Vec<Pid>,
    next_arrival: usize,
    /// In-flight I/O: (completion tick, issue sequence, pid).
    io_in_flight: BinaryHeap<Reverse<(Tick, u64, Pid)>>,
    /// I/O waiting for a device (only with `io_devices`), in issue order: (issue sequence, pid, length).
    io_waiting: VecDeque<(u64, Pid, Tick)>,
    io_seq: u64,
    objects: Objects,
    /// (period, next firing).
    timer: Option<(Tick, Tick)>,
    ready_unclaimed: usize,
    live: usize,
    exited: usize,
    totals: Totals,
    /// Scratch lists reused every tick. `timeouts` holds the processes that left their CPU in step 1 for Ready
    /// (timeout or `yield`), in CPU order.
    timeouts: Vec<(usize, Pid, Leave)>,
    newcomers: Vec<Pid>,
    /// Newcomers that found only switching CPUs; compared when a switch ends.
    deferred: Vec<Pid>,
    /// Processes woken by an operation during step 1, in operation order; they join Ready in step 2 (rule O6).
    woken: Vec<(Pid, ObjId)>,
    /// True during step 1 (CPU completions), when processes that become Ready join only in step 2.
    in_completions: bool,
    /// The first cycle of the wait-for graph: when it formed, and its processes (rule O10).
    first_cycle: Option<(Tick, Vec<Pid>)>,
}

/// Why a process left its CPU for Ready in step 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leave {
    Timeout,
    Yield,
}

impl<'c, 's> Kernel<'c, 's> {
    fn new(case: &'c Case, policy: PolicyInstance, sink: &'s mut dyn TraceSink) -> Kernel<'c, 's> {
        let mut arrivals: Vec<Pid> = (0..case.processes.len() as u32).map(Pid).collect();
        arrivals.sort_by_key(|pid| (case.processes[pid.index()].arrival, *pid));
        Kernel {
            world: World::new(case, sees_burst_lengths(&case.scheduler)),
            policy,
            sink,
            arrivals,
            next_arrival: 0,
            io_in_flight: BinaryHeap::new(),
            io_waiting: VecDeque::new(),
            io_seq: 0,
            objects: Objects::new(case),
            timer: None,
            ready_unclaimed: 0,
            live: 0,
            exited: 0,
            totals: Totals::default(),
            timeouts: Vec::new(),
            newcomers: Vec::new(),
            deferred: Vec::new(),
            woken: Vec::new(),
            in_completions: false,
            first_cycle: None,
        }
    }

    fn emit(&mut self, cpu: Option<usize>, pid: Pid, transition: Transition) {
        self.totals.events += 1;
        self.sink.event(TraceEvent { time: self.world.now, cpu: cpu.map(|c| c as u32), pid, transition });
    }

    fn violation(&self, hook: Hook, message: String) -> Stop {
        Stop::Violation(Violation { hook, time: self.world.now, message })
    }

    fn name(&self, pid: Pid) -> &str {
        &self.world.case.processes[pid.index()].name
    }

    fn run(&mut self) -> Step {
        self.timer = self.policy.timer_period()?.filter(|p| *p > 0).map(|p| (p, p));
        let total = self.world.case.processes.len();
        while self.exited < total {
            let Some(now) = self.next_time() else {
                // Nothing is running, arriving or doing I/O, yet processes are left: they wait on objects that no
                // one can release any more (rule O11).
                return Err(self.stalled());
            };
            self.world.now = now;
            self.step()?;
        }
        Ok(())
    }

    fn next_time(&mut self) -> Option<Tick> {
        let arrival = self.arrivals.get(self.next_arrival).map(|pid| self.world.case.processes[pid.index()].arrival);
        let io = self.io_in_flight.peek().map(|Reverse((t, _, _))| *t);
        let cpu = self.world.cpus.iter().filter_map(|c| c.next_event()).min();
        // Without work nothing can ever change again: the timer alone wakes no one (rule O11).
        let work = [arrival, io, cpu].into_iter().flatten().min()?;
        if let Some((period, next)) = self.timer.as_mut()
            && self.live == 0
            && let Some(arrival) = arrival
        {
            // Rule S10: the timer is silent while no process is in the system.
            if *next <= arrival {
                *next = (arrival / *period + 1) * *period;
            }
        }
        let timer = self.timer.filter(|_| self.live > 0).map(|(_, next)| next);
        Some(timer.map_or(work, |timer| timer.min(work)))
    }

    fn step(&mut self) -> Step {
        let now = self.world.now;
        self.timeouts.clear();
        self.newcomers.clear();
        let mut switch_ended = false;

        // (a) CPU completions, in CPU order.
        self.in_completions = true;
        for cpu in 0..self.world.cpus.len() {
            if self.world.cpus[cpu].next_event() != Some(now) {
                continue;
            }
            match self.world.cpus[cpu].state {
                CpuState::Idle => {}
                CpuState::Switching { pid, .. } => {
                    self.start_run(cpu, pid)?;
                    switch_ended = true;
                }
                CpuState::Running { pid, slice_end, burst_end } if burst_end == now => {
                    self.finish_cpu_op(cpu, pid, slice_end)?;
                }
                CpuState::Running { pid, .. } => self.leave_for_ready(cpu, pid, Leave::Timeout)?,
            }
        }
        self.in_completions = false;

        // (b) Ready-queue insertions, in the `ties` order; the timer fires at the start of the tick.
        match self.world.case.machine.ties {
            Ties::PreemptedFirst => {
                self.insert_timeouts()?;
                let reschedule = self.fire_timer()?;
                self.insert_arrivals()?;
                self.insert_wakeups()?;
                if !self.woken.is_empty() {
                    self.insert_object_wakeups()?;
                }
                self.reschedule_all(reschedule)?;
            }
            Ties::ArrivalsFirst => {
                let reschedule = self.fire_timer()?;
                self.insert_arrivals()?;
                self.insert_wakeups()?;
                if !self.woken.is_empty() {
                    self.insert_object_wakeups()?;
                }
                self.insert_timeouts()?;
                self.reschedule_all(reschedule)?;
            }
        }

        // Newcomers are offered in the order they became ready: those deferred by a switch that ended now came first.
        if switch_ended && !self.deferred.is_empty() {
            let mut deferred = std::mem::take(&mut self.deferred);
            deferred.append(&mut self.newcomers);
            self.newcomers = deferred;
        }
        loop {
            // (d) Dispatch free CPUs, in CPU order.
            for cpu in 0..self.world.cpus.len() {
                self.dispatch_if_free(cpu)?;
            }
            // (e) Newcomers may preempt. A process dispatched here may wake others (rule O6), who join the list.
            let mut i = 0;
            while let Some(&pid) = self.newcomers.get(i) {
                self.consider_preemption(pid)?;
                i += 1;
            }
            self.newcomers.clear();
            // Only a wake-up during (e) could leave a CPU idle with a process Ready: then dispatch again.
            if self.ready_unclaimed == 0 || self.world.cpus.iter().all(|c| c.state != CpuState::Idle) {
                return Ok(());
            }
        }
    }

    fn insert_timeouts(&mut self) -> Step {
        let timeouts = std::mem::take(&mut self.timeouts);
        for &(cpu, pid, leave) in &timeouts {
            self.emit(Some(cpu), pid, if leave == Leave::Yield { Transition::Yield } else { Transition::Timeout });
            self.notify_ready(pid, ReadyReason::Timeout)?;
        }
        self.timeouts = timeouts;
        Ok(())
    }

    fn fire_timer(&mut self) -> Step<bool> {
        let now = self.world.now;
        match self.timer {
            Some((period, next)) if next == now && self.live > 0 => {
                self.timer = Some((period, next + period));
                Ok(self.policy.on_timer(&self.world.abi_kernel())?)
            }
            _ => Ok(false),
        }
    }

    fn insert_arrivals(&mut self) -> Step {
        let now = self.world.now;
        while let Some(&pid) = self.arrivals.get(self.next_arrival) {
            if self.world.case.processes[pid.index()].arrival != now {
                break;
            }
            self.next_arrival += 1;
            self.live += 1;
            self.world.start(pid);
            self.become_ready(pid);
            self.emit(None, pid, Transition::Arrive);
            self.notify_ready(pid, ReadyReason::Arrived)?;
            self.newcomers.push(pid);
        }
        Ok(())
    }

    fn insert_wakeups(&mut self) -> Step {
        let now = self.world.now;
        while let Some(&Reverse((time, _, pid))) = self.io_in_flight.peek() {
            if time != now {
                break;
            }
            self.io_in_flight.pop();
            if let Some((seq, waiting, length)) = self.io_waiting.pop_front() {
                self.start_io(waiting, seq, length);
            }
            self.wake(pid, WokenBy::Io)?;
        }
        Ok(())
    }

    /// Rule O6: processes woken by an operation in step 1 join after the I/O completions, in operation order.
    fn insert_object_wakeups(&mut self) -> Step {
        let woken = std::mem::take(&mut self.woken);
        for &(pid, id) in &woken {
            self.wake(pid, WokenBy::Object(id))?;
        }
        self.woken = woken;
        self.woken.clear();
        Ok(())
    }

    /// Blocked → Ready (decision point 3), whatever the reason: `on_ready(IoDone)`, and the process is a newcomer
    /// for preemption (rules S6.3, O4).
    #[inline(always)]
    fn wake(&mut self, pid: Pid, by: WokenBy) -> Step {
        self.become_ready(pid);
        self.emit(None, pid, Transition::Wakeup(by));
        self.notify_ready(pid, ReadyReason::IoDone)?;
        self.newcomers.push(pid);
        Ok(())
    }

    fn reschedule_all(&mut self, reschedule: bool) -> Step {
        if !reschedule {
            return Ok(());
        }
        for cpu in 0..self.world.cpus.len() {
            if let CpuState::Running { pid, .. } = self.world.cpus[cpu].state {
                self.preempt(cpu, pid)?;
            }
        }
        Ok(())
    }

    #[inline]
    fn become_ready(&mut self, pid: Pid) {
        let now = self.world.now;
        let p = &mut self.world.procs[pid.index()];
        p.state = ProcState::Ready;
        p.ready_since = Some(now);
        self.ready_unclaimed += 1;
    }

    #[inline]
    fn notify_ready(&mut self, pid: Pid, reason: ReadyReason) -> Step {
        let pcb = self.world.pcb(pid);
        self.policy.on_ready(&self.world.abi_kernel(), &pcb, reason)?;
        Ok(())
    }

    /// Moves the CPU's segment to `kind`, closing the previous one if it differs.
    #[inline(always)]
    fn set_segment(&mut self, cpu: usize, kind: SegmentKind) {
        let now = self.world.now;
        let c = &mut self.world.cpus[cpu];
        if c.segment_kind == kind {
            return;
        }
        if now > c.segment_start {
            self.sink.segment(Segment { cpu: cpu as u32, start: c.segment_start, end: now, kind: c.segment_kind });
        }
        c.segment_start = now;
        c.segment_kind = kind;
    }

    /// Dispatches on `cpu` if it is idle, and again as long as what it dispatched leaves it at once (a process
    /// that blocks, yields or exits at dispatch, rule O2).
    fn dispatch_if_free(&mut self, cpu: usize) -> Step {
        while self.world.cpus[cpu].state == CpuState::Idle {
            if self.ready_unclaimed == 0 {
                self.set_segment(cpu, SegmentKind::Idle);
                return Ok(());
            }
            self.dispatch(cpu)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn dispatch(&mut self, cpu: usize) -> Step {
        let picked = self.policy.pick_next(&self.world.abi_kernel(), CpuId(cpu as u32))?;
        let Some(pid) = picked else {
            let ready = self.ready_unclaimed;
            return Err(self.violation(
                Hook::PickNext,
                format!("returned `None` for cpu{cpu} while {ready} process(es) are ready"),
            ));
        };
        self.check_pick(cpu, pid)?;
        let p = &mut self.world.procs[pid.index()];
        p.claimed = true;
        self.ready_unclaimed -= 1;
        let c = &self.world.cpus[cpu];
        let cost = self.world.case.machine.context_switch.process;
        match c.last {
            Some(previous) if previous != pid => {
                self.totals.context_switches += 1;
                if cost > 0 {
                    let now = self.world.now;
                    self.totals.switch_overhead += cost;
                    self.world.cpus[cpu].state = CpuState::Switching { pid, until: now + cost };
                    self.emit(Some(cpu), pid, Transition::Switch { from: Some(previous), cost });
                    self.set_segment(cpu, SegmentKind::Switch { to: pid });
                    return Ok(());
                }
                self.start_run(cpu, pid)
            }
            _ => self.start_run(cpu, pid),
        }
    }

    fn check_pick(&self, cpu: usize, pid: Pid) -> Step {
        let Some(p) = self.world.procs.get(pid.index()) else {
            let n = self.world.procs.len();
            return Err(self.violation(
                Hook::PickNext,
                format!("returned pid {} for cpu{cpu}, but the case has only {n} processes (pids 0..{n})", pid.0),
            ));
        };
        let name = self.name(pid);
        if p.state != ProcState::Ready {
            return Err(self.violation(
                Hook::PickNext,
                format!("returned `{name}` (pid {}) for cpu{cpu}, but it is {}, not ready", pid.0, p.state.as_str()),
            ));
        }
        if p.claimed {
            return Err(self.violation(
                Hook::PickNext,
                format!("returned `{name}` (pid {}) for cpu{cpu}, but it was already picked for another cpu", pid.0),
            ));
        }
        Ok(())
    }

    fn start_run(&mut self, cpu: usize, pid: Pid) -> Step {
        let now = self.world.now;
        let p = &mut self.world.procs[pid.index()];
        p.state = ProcState::Running;
        p.claimed = false;
        p.waiting += now - p.ready_since.take().unwrap_or(now);
        p.first_run.get_or_insert(now);
        p.current_run = 0;
        p.run_start = now;
        let pcb = self.world.pcb(pid);
        let slice = self.policy.time_slice(&self.world.abi_kernel(), &pcb)?;
        if slice == Some(0) {
            let name = self.name(pid).to_owned();
            return Err(self.violation(
                Hook::TimeSlice,
                format!("returned `Some(0)` for `{name}`: a slice must be at least 1 tick"),
            ));
        }
        let level = self.policy.queue_level(pid)?;
        let slice_end = slice.map(|s| now.saturating_add(s));
        let c = &mut self.world.cpus[cpu];
        c.state = CpuState::Running { pid, slice_end, burst_end: now };
        c.last = Some(pid);
        self.emit(Some(cpu), pid, Transition::Dispatch { slice, level });
        let burst_left = self.world.procs[pid.index()].burst_left;
        if burst_left > 0 {
            // The usual case, without reading the program: ticks left means the cursor is on a `cpu` operation,
            // which the process resumes (a slice never ends at its dispatch).
            self.world.cpus[cpu].state = CpuState::Running { pid, slice_end, burst_end: now + burst_left };
        } else {
            let op = self.world.op(pid);
            self.execute(cpu, pid, slice_end, op)?;
            // A run that ended at once (rule O2) takes no time and gets no segment, so the runs around it merge.
            if !matches!(self.world.cpus[cpu].state, CpuState::Running { pid: running, .. } if running == pid) {
                return Ok(());
            }
        }
        self.set_segment(cpu, SegmentKind::Run { pid, level });
        Ok(())
    }

    /// Takes `pid` off `cpu` and accounts for the run; the caller decides where it goes.
    #[inline]
    fn stop_run(&mut self, cpu: usize, pid: Pid, next: ProcState) {
        let now = self.world.now;
        let p = &mut self.world.procs[pid.index()];
        let ran = now - p.run_start;
        p.burst_left -= ran;
        p.cpu_used += ran;
        p.current_run += ran;
        self.totals.busy += ran;
        self.world.cpus[cpu].state = CpuState::Idle;
        if next == ProcState::Ready {
            self.become_ready(pid);
        } else {
            self.world.procs[pid.index()].state = next;
        }
    }

    fn preempt(&mut self, cpu: usize, pid: Pid) -> Step {
        self.stop_run(cpu, pid, ProcState::Ready);
        self.emit(Some(cpu), pid, Transition::Preempt);
        self.notify_ready(pid, ReadyReason::Preempted)
    }

    fn consider_preemption(&mut self, newcomer: Pid) -> Step {
        let p = &self.world.procs[newcomer.index()];
        if p.state != ProcState::Ready || p.claimed {
            return Ok(());
        }
        let mut switching = false;
        for cpu in 0..self.world.cpus.len() {
            match self.world.cpus[cpu].state {
                CpuState::Running { pid: running, .. } => {
                    let (new_pcb, running_pcb) = (self.world.pcb(newcomer), self.world.pcb(running));
                    if self.policy.should_preempt(&self.world.abi_kernel(), &new_pcb, &running_pcb)? {
                        self.preempt(cpu, running)?;
                        return self.dispatch_if_free(cpu);
                    }
                }
                CpuState::Switching { .. } => switching = true,
                CpuState::Idle => {}
            }
        }
        if switching {
            self.deferred.push(newcomer);
        }
        Ok(())
    }

    fn finish(mut self, end: RunEnd) -> SimResult {
        let now = self.world.now;
        for cpu in 0..self.world.cpus.len() {
            let c = &self.world.cpus[cpu];
            if now > c.segment_start {
                self.sink.segment(Segment { cpu: cpu as u32, start: c.segment_start, end: now, kind: c.segment_kind });
            }
        }
        self.totals.makespan = now;
        let processes = self
            .world
            .case
            .processes
            .iter()
            .zip(&self.world.procs)
            .map(|(spec, p)| ProcessStats {
                arrival: spec.arrival,
                first_run: p.first_run,
                completion: p.completion,
                cpu_time: p.cpu_used,
                waiting: p.waiting + p.ready_since.map_or(0, |since| now.saturating_sub(since)),
            })
            .collect();
        SimResult { end, processes, totals: self.totals }
    }
}
