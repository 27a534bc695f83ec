//! Kernel rules (docs/semantics.md S-rules), pinned with tiny policies whose behaviour is obvious, so that a
//! failure here is a kernel bug and not a policy bug.

use std::collections::VecDeque;

use harness::case::{Case, Machine, Op, ProcessSpec, Program, SwitchCost, Ties};
use harness::policy::run_case;
use harness::sim::RunEnd;
use harness::trace::{Metrics, Recorder, text};
use schedgrade_contract::abi::AbiTable;
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, PolicyKind, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// FIFO queue; with a quantum it is round robin, otherwise FCFS.
struct Fifo {
    queue: VecDeque<Pid>,
    quantum: Option<Tick>,
}

impl Scheduler for Fifo {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Fifo { queue: VecDeque::new(), quantum: config.quantum })
    }
    fn on_ready(&mut self, _: &Kernel<'_>, pcb: &Pcb, _: ReadyReason) {
        self.queue.push_back(pcb.pid);
    }
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        self.queue.pop_front()
    }
    fn time_slice(&mut self, _: &Kernel<'_>, _: &Pcb) -> Option<Tick> {
        self.quantum
    }
}

/// Shortest remaining time, preemptive, with a linear scan (fine for a handful of processes).
struct Shortest {
    ready: Vec<(Tick, Tick, Pid)>,
}

impl Scheduler for Shortest {
    fn new(_: &SchedulerConfig) -> Result<Self, String> {
        Ok(Shortest { ready: Vec::new() })
    }
    fn on_ready(&mut self, _: &Kernel<'_>, pcb: &Pcb, _: ReadyReason) {
        self.ready.push((pcb.burst_remaining.unwrap_or(0), pcb.ready_since.unwrap_or(0), pcb.pid));
    }
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        let best = (0..self.ready.len()).min_by_key(|&i| self.ready[i])?;
        Some(self.ready.remove(best).2)
    }
    fn should_preempt(&mut self, _: &Kernel<'_>, newcomer: &Pcb, running: &Pcb) -> bool {
        newcomer.burst_remaining < running.burst_remaining
    }
}

/// Picks a process that is not ready: always pid 0.
struct PicksBlocked;

impl Scheduler for PicksBlocked {
    fn new(_: &SchedulerConfig) -> Result<Self, String> {
        Ok(PicksBlocked)
    }
    fn on_ready(&mut self, _: &Kernel<'_>, _: &Pcb, _: ReadyReason) {}
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        Some(Pid(0))
    }
}

/// Grants a zero time slice.
struct ZeroSlice(VecDeque<Pid>);

impl Scheduler for ZeroSlice {
    fn new(_: &SchedulerConfig) -> Result<Self, String> {
        Ok(ZeroSlice(VecDeque::new()))
    }
    fn on_ready(&mut self, _: &Kernel<'_>, pcb: &Pcb, _: ReadyReason) {
        self.0.push_back(pcb.pid);
    }
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        self.0.pop_front()
    }
    fn time_slice(&mut self, _: &Kernel<'_>, _: &Pcb) -> Option<Tick> {
        Some(0)
    }
}

/// Forgets every process.
struct Forgetful;

impl Scheduler for Forgetful {
    fn new(_: &SchedulerConfig) -> Result<Self, String> {
        Ok(Forgetful)
    }
    fn on_ready(&mut self, _: &Kernel<'_>, _: &Pcb, _: ReadyReason) {}
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        None
    }
}

/// Panics in `pick_next`, and reports `todo!()` from `time_slice` for the stub test.
struct Stub;

impl Scheduler for Stub {
    fn new(_: &SchedulerConfig) -> Result<Self, String> {
        todo!()
    }
    fn on_ready(&mut self, _: &Kernel<'_>, _: &Pcb, _: ReadyReason) {}
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        None
    }
}

struct Panics(Vec<Pid>);

impl Scheduler for Panics {
    fn new(_: &SchedulerConfig) -> Result<Self, String> {
        Ok(Panics(Vec::new()))
    }
    fn on_ready(&mut self, _: &Kernel<'_>, pcb: &Pcb, _: ReadyReason) {
        self.0.push(pcb.pid);
    }
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        let empty: Vec<Pid> = Vec::new();
        Some(empty[self.0.len()])
    }
}

static FIFO: AbiTable = schedgrade_contract::export::table::<Fifo>(PolicyKind::Rr);
static SHORTEST: AbiTable = schedgrade_contract::export::table::<Shortest>(PolicyKind::Srtf);
static PICKS_BLOCKED: AbiTable = schedgrade_contract::export::table::<PicksBlocked>(PolicyKind::Fcfs);
static ZERO_SLICE: AbiTable = schedgrade_contract::export::table::<ZeroSlice>(PolicyKind::Rr);
static FORGETFUL: AbiTable = schedgrade_contract::export::table::<Forgetful>(PolicyKind::Fcfs);
static STUB: AbiTable = schedgrade_contract::export::table::<Stub>(PolicyKind::Fcfs);
static PANICS: AbiTable = schedgrade_contract::export::table::<Panics>(PolicyKind::Fcfs);

fn process(name: &str, arrival: Tick, ops: &[Op]) -> ProcessSpec {
    ProcessSpec { name: name.into(), arrival, priority: 0, class: 0, tickets: 1, program: Program::from(ops.to_vec()) }
}

fn case(policy: PolicyKind, quantum: Option<Tick>, processes: Vec<ProcessSpec>) -> Case {
    let mut scheduler = SchedulerConfig::new(policy);
    scheduler.quantum = quantum;
    Case {
        name: "kernel".into(),
        description: None,
        hint: None,
        scheduler,
        machine: Machine {
            cpus: 1,
            context_switch: SwitchCost::default(),
            ties: Ties::ArrivalsFirst,
            io_devices: None,
        },
        processes,
        objects: Vec::new(),
        expect: None,
    }
}

/// The trace lines, whitespace-collapsed so expectations stay readable.
fn trace(case: &Case, table: &'static AbiTable) -> (Vec<String>, RunEnd, Metrics) {
    let mut recorder = Recorder::default();
    let result = run_case(case, table, &mut recorder);
    let lines = text::trace_lines(case, &recorder.events)
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let metrics = Metrics::compute(case, &result);
    (lines, result.end, metrics)
}

use Op::{Cpu, Io};

#[test]
fn fcfs_with_idle_gap_and_io_follows_s3_and_s13() {
    let c = case(PolicyKind::Fcfs, None, vec![process("A", 0, &[Cpu(3), Io(2), Cpu(1)]), process("B", 6, &[Cpu(2)])]);
    let (lines, end, metrics) = trace(&c, &FIFO);
    assert_eq!(end, RunEnd::Completed);
    assert_eq!(
        lines,
        [
            "0 - A new -> ready arrival",
            "0 cpu0 A ready -> running dispatch",
            "3 cpu0 A running -> blocked io-request",
            "5 - A blocked -> ready io-done",
            "5 cpu0 A ready -> running dispatch",
            "6 cpu0 A running -> exit exit",
            "6 - B new -> ready arrival",
            "6 cpu0 B ready -> running dispatch",
            "8 cpu0 B running -> exit exit",
        ]
    );
    assert_eq!(metrics.summary.makespan, 8);
    assert_eq!(metrics.summary.idle, 2, "ticks 3 and 4 are idle");
    assert_eq!(metrics.summary.context_switches, 1, "A -> B; A's second dispatch reloads A");
}

#[test]
fn rr_timeout_and_arrival_at_same_tick_follow_ties_s9() {
    let processes = vec![process("A", 0, &[Cpu(4)]), process("B", 2, &[Cpu(2)])];
    let mut c = case(PolicyKind::Rr, Some(2), processes);
    c.processes[1].arrival = 2;
    let (arrivals_first, _, _) = trace(&c, &FIFO);
    assert_eq!(
        arrivals_first[2..5],
        [
            "2 - B new -> ready arrival",
            "2 cpu0 A running -> ready timeout",
            "2 cpu0 B ready -> running dispatch slice=2"
        ]
    );
    c.machine.ties = Ties::PreemptedFirst;
    let (preempted_first, _, _) = trace(&c, &FIFO);
    assert_eq!(
        preempted_first[2..5],
        [
            "2 cpu0 A running -> ready timeout",
            "2 - B new -> ready arrival",
            "2 cpu0 A ready -> running dispatch slice=2"
        ]
    );
}

#[test]
fn rr_alone_continues_without_a_context_switch() {
    let c = case(PolicyKind::Rr, Some(2), vec![process("A", 0, &[Cpu(5)])]);
    let mut recorder = Recorder::default();
    let result = run_case(&c, &FIFO, &mut recorder);
    let metrics = Metrics::compute(&c, &result);
    assert_eq!(metrics.summary.context_switches, 0);
    assert_eq!(recorder.segments.len(), 1, "one run segment: {:?}", recorder.segments);
    assert_eq!(metrics.processes[0].completion, Some(5));
}

#[test]
fn dispatch_latency_counts_as_waiting_and_overhead_s7() {
    let mut c = case(PolicyKind::Fcfs, None, vec![process("A", 0, &[Cpu(3)]), process("B", 0, &[Cpu(2)])]);
    c.machine.context_switch = SwitchCost { process: 1, thread: 0 };
    let (lines, _, metrics) = trace(&c, &FIFO);
    assert_eq!(
        lines[3..6],
        [
            "3 cpu0 A running -> exit exit",
            "3 cpu0 B ready (latency) switch from=A cost=1",
            "4 cpu0 B ready -> running dispatch"
        ]
    );
    let b = &metrics.processes[1];
    assert_eq!((b.first_run, b.completion, b.waiting, b.response), (Some(4), Some(6), 4, Some(4)));
    assert_eq!(metrics.summary.switch_overhead, 1);
    assert!((metrics.summary.cpu_utilization - 5.0 / 6.0).abs() < 1e-12);
}

#[test]
fn srtf_preempts_only_when_strictly_shorter() {
    let c = case(
        PolicyKind::Srtf,
        None,
        vec![
            process("A", 0, &[Cpu(8)]),
            process("B", 1, &[Cpu(4)]),
            process("C", 5, &[Cpu(3)]),
            process("D", 2, &[Cpu(9)]),
        ],
    );
    let (lines, _, metrics) = trace(&c, &SHORTEST);
    assert!(lines.contains(&"1 cpu0 A running -> ready preempted".to_owned()), "{lines:#?}");
    // At 5, B has 0 left (it finishes at 5) and C (3) does not preempt anyone: A has 7 left but is not running.
    let completions: Vec<_> = metrics.processes.iter().map(|p| p.completion.unwrap()).collect();
    assert_eq!(completions, [15, 5, 8, 24]);
}

#[test]
fn fcfs_io_device_queue_serves_requests_in_order_s8() {
    let mut c = case(
        PolicyKind::Fcfs,
        None,
        vec![process("A", 0, &[Cpu(1), Io(5), Cpu(1)]), process("B", 0, &[Cpu(1), Io(1), Cpu(1)])],
    );
    c.machine.io_devices = Some(1);
    let (_, _, metrics) = trace(&c, &FIFO);
    // A's I/O runs 1..6; B requests at 2 and waits for the device until 6, then runs 6..7.
    assert_eq!(metrics.processes[0].completion, Some(7));
    assert_eq!(metrics.processes[1].completion, Some(8));
    c.machine.io_devices = None;
    let (_, _, metrics) = trace(&c, &FIFO);
    assert_eq!(metrics.processes[1].completion, Some(4));
}

#[test]
fn two_cpus_share_one_ready_queue_s12() {
    let mut c = case(
        PolicyKind::Fcfs,
        None,
        vec![process("A", 0, &[Cpu(4)]), process("B", 0, &[Cpu(2)]), process("C", 0, &[Cpu(2)])],
    );
    c.machine.cpus = 2;
    let (lines, _, metrics) = trace(&c, &FIFO);
    assert!(lines.contains(&"0 cpu1 B ready -> running dispatch".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"2 cpu1 C ready -> running dispatch".to_owned()), "{lines:#?}");
    assert_eq!(metrics.summary.makespan, 4);
}

#[test]
fn contract_violations_name_the_hook_and_value_s11() {
    let c = case(PolicyKind::Fcfs, None, vec![process("A", 0, &[Cpu(1), Io(3), Cpu(1)]), process("B", 1, &[Cpu(1)])]);
    let (_, end, _) = trace(&c, &PICKS_BLOCKED);
    let RunEnd::Violated(v) = end else { panic!("expected a violation, got {end:?}") };
    assert_eq!((v.hook.as_str(), v.time), ("pick_next", 1));
    assert!(v.message.contains("`A` (pid 0)") && v.message.contains("blocked"), "{}", v.message);

    let (_, end, _) = trace(&c, &ZERO_SLICE);
    assert!(
        matches!(&end, RunEnd::Violated(v) if v.hook.as_str() == "time_slice" && v.message.contains("Some(0)")),
        "{end:?}"
    );

    let (_, end, _) = trace(&c, &FORGETFUL);
    assert!(
        matches!(&end, RunEnd::Violated(v) if v.message.contains("`None`") && v.message.contains("1 process")),
        "{end:?}"
    );
}

#[test]
fn todo_in_new_is_not_implemented_and_panics_carry_their_message() {
    use schedgrade_contract::client::HookFaultKind;
    let c = case(PolicyKind::Fcfs, None, vec![process("A", 0, &[Cpu(1)])]);
    let (lines, end, _) = trace(&c, &STUB);
    assert!(lines.is_empty());
    assert!(
        matches!(&end, RunEnd::Faulted { time: 0, fault } if fault.kind == HookFaultKind::NotImplemented && fault.hook.as_str() == "new"),
        "{end:?}"
    );
    let (_, end, _) = trace(&c, &PANICS);
    let RunEnd::Faulted { fault, .. } = end else { panic!("expected a fault") };
    assert_eq!((fault.kind, fault.hook.as_str()), (HookFaultKind::Panicked, "pick_next"));
    assert!(fault.message.contains("index out of bounds") && fault.message.contains("kernel.rs"), "{}", fault.message);
}

#[test]
fn identical_input_gives_identical_trace_s2() {
    let c = case(
        PolicyKind::Rr,
        Some(3),
        (0..50).map(|i| process(&format!("P{i}"), i % 7, &[Cpu(1 + i % 5), Io(1 + i % 3), Cpu(2)])).collect(),
    );
    assert_eq!(trace(&c, &FIFO).0, trace(&c, &FIFO).0);
}
