//! The event loop. Each step handles one tick in the fixed order of `docs/semantics.md` (rule S9): CPU
//! completions, ready-queue insertions in the `ties` order (with the timer), timer reschedules, dispatch of free
//! CPUs, then preemption checks for newcomers.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use schedgrade_contract::client::{Hook, HookFault, PolicyInstance};
use schedgrade_contract::{CpuId, Pid, PolicyKind, ProcState, ReadyReason, SchedulerConfig, Tick};

use super::outcome::{ProcessStats, RunEnd, SimResult, Totals, Violation};
use super::world::{CpuState, World};
use crate::case::{Burst, Case, Ties};
use crate::trace::{Segment, SegmentKind, TraceEvent, TraceSink, Transition};

/// Why a run stopped early.
enum Stop {
    Fault(HookFault),
    Violation(Violation),
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
/// A policy fault or contract violation ends the run early; the trace up to that point has been sent.
pub fn simulate(case: &Case, policy: PolicyInstance, sink: &mut dyn TraceSink) -> SimResult {
    let mut kernel = Kernel::new(case, policy, sink);
    let end = match kernel.run() {
        Ok(()) => RunEnd::Completed,
        Err(Stop::Fault(fault)) => RunEnd::Faulted { time: kernel.world.now, fault },
        Err(Stop::Violation(violation)) => RunEnd::Violated(violation),
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
    /// I/O waiting for a device (only with `io_devices`), in issue order.
    io_waiting: VecDeque<(u64, Pid)>,
    io_seq: u64,
    /// (period, next firing).
    timer: Option<(Tick, Tick)>,
    ready_unclaimed: usize,
    live: usize,
    exited: usize,
    totals: Totals,
    /// Scratch lists reused every tick.
    timeouts: Vec<(usize, Pid)>,
    newcomers: Vec<Pid>,
    /// Newcomers that found only switching CPUs; compared when a switch ends.
    deferred: Vec<Pid>,
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
            timer: None,
            ready_unclaimed: 0,
            live: 0,
            exited: 0,
            totals: Totals::default(),
            timeouts: Vec::new(),
            newcomers: Vec::new(),
            deferred: Vec::new(),
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
                // Unreachable with a valid case: something is always arriving, running, or doing I/O.
                return Err(self.violation(Hook::PickNext, "the simulation stalled with processes left".into()));
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
        let work = [arrival, io, cpu].into_iter().flatten().min();
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
        [work, timer].into_iter().flatten().min()
    }

    fn step(&mut self) -> Step {
        let now = self.world.now;
        self.timeouts.clear();
        self.newcomers.clear();
        let mut switch_ended = false;

        // (a) CPU completions, in CPU order.
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
                CpuState::Running { pid, burst_end, .. } if burst_end == now => self.finish_burst(cpu, pid)?,
                CpuState::Running { pid, .. } => {
                    self.stop_run(cpu, pid, ProcState::Ready);
                    self.timeouts.push((cpu, pid));
                }
            }
        }

        // (b) Ready-queue insertions, in the `ties` order; the timer fires at the start of the tick.
        match self.world.case.machine.ties {
            Ties::PreemptedFirst => {
                self.insert_timeouts()?;
                let reschedule = self.fire_timer()?;
                self.insert_arrivals()?;
                self.insert_wakeups()?;
                self.reschedule_all(reschedule)?;
            }
            Ties::ArrivalsFirst => {
                let reschedule = self.fire_timer()?;
                self.insert_arrivals()?;
                self.insert_wakeups()?;
                self.insert_timeouts()?;
                self.reschedule_all(reschedule)?;
            }
        }

        // (d) Dispatch free CPUs, in CPU order.
        for cpu in 0..self.world.cpus.len() {
            self.dispatch_if_free(cpu)?;
        }

        // (e) Newcomers may preempt, in the order they became ready: those deferred by a switch came first.
        if switch_ended && !self.deferred.is_empty() {
            let mut deferred = std::mem::take(&mut self.deferred);
            deferred.append(&mut self.newcomers);
            self.newcomers = deferred;
        }
        let newcomers = std::mem::take(&mut self.newcomers);
        for &pid in &newcomers {
            self.consider_preemption(pid)?;
        }
        self.newcomers = newcomers;
        Ok(())
    }

    fn insert_timeouts(&mut self) -> Step {
        let timeouts = std::mem::take(&mut self.timeouts);
        for &(cpu, pid) in &timeouts {
            self.emit(Some(cpu), pid, Transition::Timeout);
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
            let spec = &self.world.case.processes[pid.index()];
            if spec.arrival != now {
                break;
            }
            let Some(Burst::Cpu(first)) = spec.bursts.first().copied() else {
                unreachable!("the case loader guarantees every program starts with a cpu burst")
            };
            self.next_arrival += 1;
            self.live += 1;
            let p = &mut self.world.procs[pid.index()];
            p.burst_left = first;
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
            if let Some((seq, waiting)) = self.io_waiting.pop_front() {
                self.start_io(waiting, seq);
            }
            let op = self.world.procs[pid.index()].op + 1;
            let Some(Burst::Cpu(next)) = self.world.burst(pid, op) else {
                unreachable!("the case loader guarantees every i/o burst is followed by a cpu burst")
            };
            let p = &mut self.world.procs[pid.index()];
            p.op = op;
            p.burst_left = next;
            self.become_ready(pid);
            self.emit(None, pid, Transition::Wakeup);
            self.notify_ready(pid, ReadyReason::IoDone)?;
            self.newcomers.push(pid);
        }
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

    fn become_ready(&mut self, pid: Pid) {
        let now = self.world.now;
        let p = &mut self.world.procs[pid.index()];
        p.state = ProcState::Ready;
        p.ready_since = Some(now);
        self.ready_unclaimed += 1;
    }

    fn notify_ready(&mut self, pid: Pid, reason: ReadyReason) -> Step {
        let pcb = self.world.pcb(pid);
        self.policy.on_ready(&self.world.abi_kernel(), &pcb, reason)?;
        Ok(())
    }

    /// Moves the CPU's segment to `kind`, closing the previous one if it differs.
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

    fn dispatch_if_free(&mut self, cpu: usize) -> Step {
        if self.world.cpus[cpu].state != CpuState::Idle {
            return Ok(());
        }
        if self.ready_unclaimed == 0 {
            self.set_segment(cpu, SegmentKind::Idle);
            return Ok(());
        }
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
        let burst_end = now + p.burst_left;
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
        let c = &mut self.world.cpus[cpu];
        c.state = CpuState::Running { pid, slice_end: slice.map(|s| now.saturating_add(s)), burst_end };
        c.last = Some(pid);
        self.emit(Some(cpu), pid, Transition::Dispatch { slice, level });
        self.set_segment(cpu, SegmentKind::Run { pid, level });
        Ok(())
    }

    /// Takes `pid` off `cpu` and accounts for the run; the caller decides where it goes.
    fn stop_run(&mut self, cpu: usize, pid: Pid, next: ProcState) {
        let now = self.world.now;
        let p = &mut self.world.procs[pid.index()];
        let ran = now - p.run_start;
        p.burst_left -= ran;
        p.cpu_used += ran;
        p.current_run = ran;
        self.totals.busy += ran;
        self.world.cpus[cpu].state = CpuState::Idle;
        if next == ProcState::Ready {
            self.become_ready(pid);
        } else {
            self.world.procs[pid.index()].state = next;
        }
    }

    fn finish_burst(&mut self, cpu: usize, pid: Pid) -> Step {
        let now = self.world.now;
        let op = self.world.procs[pid.index()].op;
        let Some(Burst::Cpu(length)) = self.world.burst(pid, op) else {
            unreachable!("a running process is always in a cpu burst")
        };
        match self.world.burst(pid, op + 1) {
            None => {
                self.stop_run(cpu, pid, ProcState::Exit);
                let p = &mut self.world.procs[pid.index()];
                p.last_burst = Some(length);
                p.completion = Some(now);
                self.live -= 1;
                self.exited += 1;
                self.emit(Some(cpu), pid, Transition::Exit);
                let pcb = self.world.pcb(pid);
                self.policy.on_exit(&self.world.abi_kernel(), &pcb)?;
            }
            Some(Burst::Io(_)) => {
                self.stop_run(cpu, pid, ProcState::Blocked);
                let p = &mut self.world.procs[pid.index()];
                p.last_burst = Some(length);
                p.op = op + 1;
                self.emit(Some(cpu), pid, Transition::Block);
                let pcb = self.world.pcb(pid);
                self.policy.on_block(&self.world.abi_kernel(), &pcb)?;
                self.request_io(pid);
            }
            Some(Burst::Cpu(_)) => unreachable!("the case loader rejects adjacent cpu bursts"),
        }
        Ok(())
    }

    fn request_io(&mut self, pid: Pid) {
        let seq = self.io_seq;
        self.io_seq += 1;
        match self.world.case.machine.io_devices {
            Some(devices) if self.io_in_flight.len() >= devices as usize => self.io_waiting.push_back((seq, pid)),
            _ => self.start_io(pid, seq),
        }
    }

    fn start_io(&mut self, pid: Pid, seq: u64) {
        let op = self.world.procs[pid.index()].op;
        let Some(Burst::Io(length)) = self.world.burst(pid, op) else {
            unreachable!("a blocked process is always in an i/o burst")
        };
        self.io_in_flight.push(Reverse((self.world.now + length, seq, pid)));
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
