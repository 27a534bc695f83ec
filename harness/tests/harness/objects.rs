//! Programs, objects and deadlock (docs/semantics.md, rules O1–O11), pinned with a recording FIFO policy whose
//! behaviour is obvious, so that a failure here is a kernel bug and not a policy bug.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::Path;

use harness::case::{Case, parse_case};
use harness::policy::{reference_table, run_case};
use harness::sim::{BlockedProcess, RunEnd};
use harness::trace::{Discard, Metrics, Recorder, text};
use harness::workload::scheduler_for;
use schedgrade_contract::abi::AbiTable;
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, PolicyKind, ReadyReason, Scheduler, SchedulerConfig, Tick};

thread_local! {
    /// What the recording policy saw, on this test's thread (the policy runs in-process, on the caller's thread).
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn seen() -> Vec<String> {
    SEEN.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// FIFO (round robin with a quantum) that records every `on_ready` and `on_block` with the oracle's view.
struct Recording {
    queue: VecDeque<Pid>,
    quantum: Option<Tick>,
}

impl Recording {
    fn note(&self, what: &str, pcb: &Pcb) {
        let line = format!("{what} {} len={:?} left={:?}", pcb.pid.0, pcb.burst_length, pcb.burst_remaining);
        SEEN.with(|s| s.borrow_mut().push(line));
    }
}

impl Scheduler for Recording {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Recording { queue: VecDeque::new(), quantum: config.quantum })
    }
    fn on_ready(&mut self, _: &Kernel<'_>, pcb: &Pcb, reason: ReadyReason) {
        self.note(reason.as_str(), pcb);
        self.queue.push_back(pcb.pid);
    }
    fn pick_next(&mut self, _: &Kernel<'_>, _: CpuId) -> Option<Pid> {
        self.queue.pop_front()
    }
    fn time_slice(&mut self, _: &Kernel<'_>, _: &Pcb) -> Option<Tick> {
        self.quantum
    }
    fn on_block(&mut self, _: &Kernel<'_>, pcb: &Pcb) {
        self.note("block", pcb);
    }
}

/// Registered as `srtf`, so that the kernel shows it the oracle (S5).
static RECORDING: AbiTable = schedgrade_contract::export::table::<Recording>(PolicyKind::Srtf);

fn load(yaml: &str) -> Case {
    parse_case(yaml, Path::new("objects.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn run(case: &Case, table: &'static AbiTable) -> (Vec<String>, RunEnd, Metrics) {
    let mut recorder = Recorder::default();
    let result = run_case(case, table, &mut recorder);
    let lines = text::trace_lines(case, &recorder.events)
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    (lines, result.end.clone(), Metrics::compute(case, &result))
}

const TWO_MUTEXES: &str = "scheduler: { policy: rr, quantum: 1 }
objects: { m: { kind: mutex }, n: { kind: mutex } }
processes:
  - { name: A, program: [lock m, cpu 2, lock n, cpu 1, unlock n, unlock m] }
  - { name: B, program: [lock n, cpu 2, lock m, cpu 1, unlock m, unlock n] }
  - { name: C, program: [cpu 3, io 2, cpu 2] }
";

#[test]
fn a_deadlock_is_an_outcome_reported_when_its_cycle_forms_o10_o11() {
    let case = load(TWO_MUTEXES);
    let (lines, end, metrics) = run(&case, &RECORDING);
    let RunEnd::Deadlock(report) = end else { panic!("expected a deadlock, got {end:?}") };
    // The cycle forms at 5, when B blocks on `m`; C runs on and exits at 11, when the run stops.
    assert_eq!(report.time, 5);
    assert_eq!(report.cycle, [Pid(1), Pid(0)]);
    let (m, n) = (harness::case::ObjId(0), harness::case::ObjId(1));
    assert_eq!(
        report.blocked,
        [
            BlockedProcess { pid: Pid(0), waits_for: n, held_by: Some(Pid(1)) },
            BlockedProcess { pid: Pid(1), waits_for: m, held_by: Some(Pid(0)) },
        ]
    );
    let at = |t: &str| lines.iter().filter(|l| l.starts_with(&format!("{t} "))).cloned().collect::<Vec<_>>();
    assert_eq!(
        at("5")[..3],
        [
            "5 cpu0 B running -> blocked lock m owner=A",
            "5 - B blocked deadlock m owner=A",
            "5 - A blocked deadlock n owner=B"
        ]
    );
    assert_eq!(lines.last().unwrap(), "11 cpu0 C running -> exit exit");
    assert_eq!((metrics.summary.makespan, metrics.processes[2].completion), (11, Some(11)));
    assert_eq!((metrics.processes[0].completion, metrics.processes[1].completion), (None, None));
    assert_eq!(
        text::describe_end_in(&case, &RunEnd::Deadlock(report)),
        "deadlock at t=5: cycle B -> A -> B; blocked A (n, owner B), B (m, owner A)"
    );
}

#[test]
fn no_reference_policy_is_blamed_for_a_deadlock_s11() {
    // Under every policy the same workloads either complete or deadlock: never a violation or a fault.
    let workloads = [
        TWO_MUTEXES,
        "scheduler: { policy: fcfs }
objects: { s: { kind: semaphore, initial: 0 } }
processes:
  - { name: A, program: [cpu 1, wait s, cpu 1] }
  - { name: B, program: [cpu 2, wait s] }
",
    ];
    for yaml in workloads {
        for kind in PolicyKind::ALL {
            let mut case = load(yaml);
            case.scheduler = scheduler_for(kind);
            let table = reference_table(kind).expect("the reference implements every policy");
            let result = run_case(&case, table, &mut Discard);
            assert!(
                matches!(result.end, RunEnd::Completed | RunEnd::Deadlock(_)),
                "{}: {:?}",
                kind.as_str(),
                result.end
            );
        }
    }
}

#[test]
fn a_stall_without_a_cycle_is_a_deadlock_with_an_empty_cycle_o11() {
    let case = load(
        "scheduler: { policy: fcfs }
objects: { s: { kind: semaphore, initial: 0 }, m: { kind: mutex } }
processes:
  - { name: A, program: [lock m, cpu 1] }
  - { name: B, program: [cpu 2, wait s] }
  - { name: C, program: [cpu 1, lock m] }
",
    );
    let (lines, end, _) = run(&case, &RECORDING);
    let RunEnd::Deadlock(report) = end else { panic!("expected a deadlock, got {end:?}") };
    // A exits owning `m` at 1; B blocks on `s` at 3; C blocks on `m` at 4 and nothing can run any more.
    assert_eq!((report.time, report.cycle.len()), (4, 0));
    assert_eq!(report.blocked.iter().map(|b| (b.pid.0, b.held_by)).collect::<Vec<_>>(), [(1, None), (2, Some(Pid(0)))]);
    assert_eq!(lines[lines.len() - 2..], ["4 - B blocked deadlock s", "4 - C blocked deadlock m owner=A"]);
}

#[test]
fn object_wakeups_and_yields_reach_the_policy_through_the_abi_o4_o9() {
    let case = load(
        "scheduler: { policy: srtf }
objects: { s: { kind: semaphore, initial: 0 } }
processes:
  - { name: A, program: [wait s, cpu 5] }
  - { name: B, program: [cpu 1, signal s, yield, cpu 2] }
",
    );
    seen();
    let (lines, end, _) = run(&case, &RECORDING);
    assert_eq!(end, RunEnd::Completed);
    assert_eq!(
        lines[2..7],
        [
            "0 cpu0 A ready -> running dispatch",
            "0 cpu0 A running -> blocked wait s value=-1",
            "0 cpu0 B ready -> running dispatch",
            "1 cpu0 B running signal s value=0 woke=A",
            "1 - A blocked -> ready woken s",
        ]
    );
    assert_eq!(lines[7], "1 cpu0 B running -> ready yield");
    // The oracle looks past operations that take no time (S5): A's burst is its `cpu 5`, B's after the yield is
    // its `cpu 2`. A blocked process has no current burst. A wake-up is `IoDone`, a yield is `Timeout`.
    assert_eq!(
        seen(),
        [
            "arrival 0 len=Some(5) left=Some(5)",
            "arrival 1 len=Some(1) left=Some(1)",
            "block 0 len=None left=None",
            "io-done 0 len=Some(5) left=Some(5)",
            "timeout 1 len=Some(2) left=Some(2)",
        ]
    );
}

#[test]
fn a_long_loop_runs_without_unrolling_o1() {
    let case = load(
        "scheduler: { policy: rr, quantum: 3 }
processes:
  - { name: A, program: [{ repeat: 100000, do: [cpu 1, { repeat: 2, do: [io 1] }] }, cpu 1] }
  - { name: B, program: [{ repeat: 50000, do: [cpu 2, yield] }] }
",
    );
    assert_eq!(case.processes[0].program.code().len(), 7, "two loops, two operations, the last `cpu`");
    let result = run_case(&case, &RECORDING, &mut Discard);
    assert_eq!(result.end, RunEnd::Completed);
    assert_eq!((result.processes[0].cpu_time, result.processes[1].cpu_time), (100_001, 100_000));
    seen();
}
