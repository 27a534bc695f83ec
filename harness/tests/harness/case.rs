//! The test-case loader: valid cases, every class of error with its exact position and message, budgets, schema.

use std::path::{Path, PathBuf};

use harness::case::{
    Case, CaseError, Expectations, ExpectedOutcome, MAX_DIAGNOSTICS, MAX_FILE_BYTES, MAX_TOTAL_OPERATIONS, Machine,
    ObjId, ObjectKind, ObjectSpec, Op, ProcessSpec, Program, Step, SwitchCost, Ties, WakeOrder, discover_cases,
    load_case, parse_case, testcase_schema,
};
use schedgrade_contract::{Aging, Between, PolicyKind, Predict, PriorityOrder, QueueConfig, SchedulerConfig};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases")
}

fn load_valid(name: &str) -> Case {
    let path = fixtures().join("valid").join(name);
    load_case(&path).unwrap_or_else(|e| panic!("{} should load:\n{e}", path.display()))
}

fn load_error(dir: &str, name: &str) -> CaseError {
    let path = fixtures().join(dir).join(name);
    match load_case(&path) {
        Ok(case) => panic!("{} should not load, got {case:?}", path.display()),
        Err(e) => e,
    }
}

fn process(name: &str, arrival: u64, ops: Vec<Op>) -> ProcessSpec {
    ProcessSpec { name: name.to_string(), arrival, priority: 0, class: 0, tickets: 1, program: Program::from(ops) }
}

#[test]
fn textbook_rr_case_round_trips() {
    let case = load_valid("rr-textbook.yaml");
    let expected = Case {
        name: "rr-q4-three-jobs".to_string(),
        description: Some("Silberschatz's round-robin example with a 4-tick quantum.".to_string()),
        hint: Some("check that a preempted process goes to the tail of the ready queue".to_string()),
        scheduler: SchedulerConfig { quantum: Some(4), ..SchedulerConfig::new(PolicyKind::Rr) },
        machine: Machine {
            cpus: 1,
            context_switch: SwitchCost { process: 0, thread: 0 },
            ties: Ties::ArrivalsFirst,
            io_devices: None,
        },
        processes: vec![
            ProcessSpec { priority: 3, ..process("P1", 0, vec![Op::Cpu(24)]) },
            process("P2", 0, vec![Op::Cpu(3)]),
            process("P3", 0, vec![Op::Cpu(3)]),
        ],
        expect: Some(Expectations {
            source: Some("Silberschatz 10e, §5.3.4".to_string()),
            avg_turnaround: Some(15.66),
            avg_waiting: Some(5.66),
            avg_response: None,
            makespan: Some(30),
            completion: vec![("P1".to_string(), 30), ("P2".to_string(), 7), ("P3".to_string(), 10)],
            outcome: None,
        }),
        objects: Vec::new(),
    };
    assert_eq!(case, expected);
}

#[test]
fn full_mlq_case_round_trips() {
    let case = load_valid("mlq-full.yaml");
    let expected = Case {
        name: "mlq-full".to_string(),
        description: Some("every option of mlq and of the machine".to_string()),
        hint: None,
        scheduler: SchedulerConfig {
            priority_order: PriorityOrder::HigherFirst,
            queues: vec![
                QueueConfig { policy: PolicyKind::Rr, quantum: Some(2), preemptive: false },
                QueueConfig { policy: PolicyKind::Priority, quantum: None, preemptive: true },
                QueueConfig { policy: PolicyKind::Fcfs, quantum: None, preemptive: false },
            ],
            between: Between::TimeSlice { shares: vec![6, 3, 1] },
            ..SchedulerConfig::new(PolicyKind::Mlq)
        },
        machine: Machine {
            cpus: 2,
            context_switch: SwitchCost { process: 2, thread: 1 },
            ties: Ties::PreemptedFirst,
            io_devices: Some(1),
        },
        processes: vec![
            process("daemon", 0, vec![Op::Cpu(5), Op::Io(10), Op::Cpu(2)]),
            ProcessSpec { priority: -2, class: 1, ..process("editor", 1, vec![Op::Cpu(3), Op::Io(4), Op::Cpu(1)]) },
            ProcessSpec { class: 2, tickets: 7, ..process("batch.job_1", 2, vec![Op::Cpu(40)]) },
        ],
        objects: Vec::new(),
        expect: None,
    };
    assert_eq!(case, expected);
}

#[test]
fn defaults_are_filled_in() {
    let mlfq = load_valid("mlfq-defaults.yaml");
    assert_eq!(mlfq.name, "mlfq-defaults", "the name defaults to the file stem");
    assert_eq!(mlfq.scheduler.quanta, vec![2, 4, 8]);
    assert_eq!(mlfq.scheduler.allotments, vec![2, 4, 8], "allotments default to one quantum per level");
    assert_eq!((mlfq.scheduler.boost, mlfq.scheduler.io_stay, mlfq.scheduler.io_bump), (50, true, false));
    assert_eq!(mlfq.processes[0].program, Program::from(vec![Op::Cpu(30)]), "`burst: N` means `bursts: [cpu N]`");
    assert_eq!(
        mlfq.machine,
        Machine { cpus: 1, context_switch: SwitchCost::default(), ties: Ties::ArrivalsFirst, io_devices: None }
    );

    let lottery = load_valid("lottery-defaults.yaml");
    assert_eq!(lottery.scheduler.quantum, Some(1), "lottery's quantum defaults to 1");
    assert_eq!(lottery.scheduler.seed, 0);
    assert_eq!(lottery.processes.iter().map(|p| p.tickets).collect::<Vec<_>>(), vec![75, 1], "tickets default to 1");

    let priority = load_valid("priority-aging.yaml");
    assert!(priority.scheduler.preemptive);
    assert_eq!(priority.scheduler.priority_order, PriorityOrder::LowerFirst);
    assert_eq!(priority.scheduler.aging, Some(Aging { interval: 10, step: 1 }), "the aging step defaults to 1");
    assert_eq!(priority.machine.context_switch, SwitchCost { process: 1, thread: 1 }, "a number sets both costs");

    let sjf = load_valid("sjf-predict.yaml");
    assert_eq!(sjf.scheduler.predict, Some(Predict { alpha: 0.5, initial: 10.0 }));

    let stride = load_valid("stride.yaml");
    assert_eq!((stride.scheduler.quantum, stride.scheduler.stride_constant), (Some(2), 1000));
    let fcfs =
        parse_case("scheduler: { policy: stride }\nprocesses: [{ name: A, burst: 1 }]\n", Path::new("s.yaml")).unwrap();
    assert_eq!((fcfs.scheduler.quantum, fcfs.scheduler.stride_constant), (Some(1), 10_000));
}

#[test]
fn programs_with_objects_and_loops_round_trip() {
    let case = load_valid("sync-program.yaml");
    let (m, s) = (ObjId(0), ObjId(1));
    assert_eq!(
        case.objects,
        vec![
            ObjectSpec { name: "m".into(), kind: ObjectKind::Mutex, initial: 0, wake: WakeOrder::Fifo },
            ObjectSpec { name: "s".into(), kind: ObjectKind::Semaphore, initial: 2, wake: WakeOrder::Priority },
        ]
    );
    let inner =
        Step::Repeat { times: 2, body: vec![Step::Op(Op::Lock(m)), Step::Op(Op::Cpu(2)), Step::Op(Op::Unlock(m))] };
    let expected = vec![
        Step::Op(Op::Cpu(1)),
        Step::Repeat { times: 3, body: vec![Step::Op(Op::Wait(s)), inner, Step::Op(Op::Signal(s))] },
        Step::Op(Op::Yield),
        Step::Op(Op::Io(4)),
    ];
    assert_eq!(case.processes[0].program.steps(), expected);
    assert_eq!(case.processes[0].program, Program::new(&expected), "flattening is deterministic");
    assert_eq!(case.processes[1].program, Program::from(vec![Op::Lock(m), Op::Unlock(m)]));
    assert_eq!(case.expect.as_ref().and_then(|e| e.outcome), Some(ExpectedOutcome::Deadlock));
    // The loops unroll lazily, in execution order: 1 + 3 × (1 + 2 × 3 + 1) + 2 operations.
    let ops: Vec<Op> = case.processes[0].program.ops().collect();
    assert_eq!(ops.len(), 27);
    assert_eq!(&ops[..6], &[Op::Cpu(1), Op::Wait(s), Op::Lock(m), Op::Cpu(2), Op::Unlock(m), Op::Lock(m)]);
    assert_eq!(&ops[24..], &[Op::Signal(s), Op::Yield, Op::Io(4)]);
    assert_eq!(case.processes[0].program.totals(), (27, 1 + 12 + 4));
}

#[test]
fn every_operation_descriptor_builds_its_operation_from_its_arguments() {
    use harness::case::{Arg, ArgKind, OPS};
    for spec in OPS {
        let args: Vec<Arg> = spec
            .args
            .iter()
            .map(|kind| match kind {
                ArgKind::Ticks => Arg::Ticks(3),
                ArgKind::Object(_) => Arg::Object(ObjId(1)),
            })
            .collect();
        let op = (spec.build)(&args).unwrap_or_else(|| panic!("`{}` does not build", spec.name));
        assert_eq!(op.is_cpu(), spec.name == "cpu");
        // One argument short: only an operation without arguments still builds.
        let fewer = &args[..args.len().saturating_sub(1)];
        assert_eq!((spec.build)(fewer).is_some(), args.is_empty(), "{}", spec.name);
        assert!(spec.example.starts_with(spec.name) && spec.template().starts_with(spec.name));
    }
}

#[test]
fn a_loop_costs_its_body_not_its_iterations() {
    // 10^9 × 10^9 iterations would be 10^18 operations: refused from the loop counts, in microseconds.
    let nested = "scheduler: { policy: fcfs }\nprocesses:\n  - { name: P, program: [{ repeat: 1000000000, do: [{ repeat: 1000000000, do: [yield, cpu 1] }] }] }\n";
    let started = std::time::Instant::now();
    let err = parse_case(nested, Path::new("bomb.yaml")).unwrap_err();
    assert!(started.elapsed().as_secs() < 5);
    assert_eq!(err.first().code, "too-large", "{err}");
    assert!(err.message().contains(&MAX_TOTAL_OPERATIONS.to_string()), "{err}");
    // A loop right at the bound loads, and its program stays four instructions long.
    let big = "scheduler: { policy: fcfs }\nprocesses:\n  - { name: P, program: [{ repeat: 50000000, do: [cpu 1, yield] }] }\n";
    let case = parse_case(big, Path::new("big.yaml")).unwrap();
    assert_eq!(case.processes[0].program.code().len(), 4);
    assert_eq!(case.processes[0].program.totals(), (100_000_000, 50_000_000));
}

/// One expected problem: line, column, code, message.
type Problem = (u32, u32, &'static str, &'static str);

const ERROR_TABLE: &[(&str, &[Problem])] = &[
    ("unknown-key.yaml", &[(1, 26, "unknown-key", "unknown key `quantom` in `scheduler`")]),
    ("unknown-top-key.yaml", &[(2, 1, "unknown-key", "unknown key `quantum` in the test case")]),
    (
        "wrong-type.yaml",
        &[
            (3, 9, "wrong-type", "`cpus` must be a whole number, found the string `two`"),
            (5, 26, "wrong-type", "`arrival` must be a whole number, found the string `3`"),
            (6, 27, "wrong-type", "`priority` must be a whole number, found 1.5"),
        ],
    ),
    ("wrong-container.yaml", &[(3, 3, "wrong-type", "`processes` must be a list, found a mapping")]),
    (
        "zero-length.yaml",
        &[
            (1, 35, "too-small", "`quantum` must be at least 1, found 0"),
            (3, 26, "too-small", "burst length must be at least 1, found `cpu 0`"),
            (4, 24, "too-small", "`burst` must be at least 1, found 0"),
        ],
    ),
    (
        "negative-length.yaml",
        &[
            (3, 26, "too-small", "`arrival` must be at least 0, found -1"),
            (3, 39, "too-small", "burst length must be at least 1, found `cpu -3`"),
        ],
    ),
    ("unknown-policy.yaml", &[(2, 11, "unknown-policy", "unknown policy `sfj`")]),
    ("missing-quantum.yaml", &[(2, 3, "missing-key", "missing `quantum` in `scheduler`")]),
    (
        "duplicate-names.yaml",
        &[
            (5, 13, "duplicate-name", "duplicate process name `P1`"),
            (6, 13, "duplicate-name", "duplicate process name `P2`"),
        ],
    ),
    (
        "bad-burst.yaml",
        &[
            (5, 9, "bad-burst", "bad burst `cpu3`: expected `cpu N` or `io N`"),
            (6, 9, "bad-burst", "bad burst `gpu 4`: unknown burst kind `gpu`"),
            (7, 9, "bad-burst", "bad burst: expected `cpu N` or `io N`, found 5"),
        ],
    ),
    (
        "starts-with-io.yaml",
        &[
            (3, 26, "bad-program", "a program must start with a CPU burst, found `io 2`"),
            (4, 33, "bad-program", "two `cpu` bursts in a row: `cpu 1` then `cpu 2`"),
            (4, 40, "bad-program", "a program must end with a CPU burst, found `io 1`"),
        ],
    ),
    (
        "key-not-for-policy.yaml",
        &[
            (3, 3, "key-not-for-policy", "`quantum` is not used by `fcfs`"),
            (4, 3, "key-not-for-policy", "`aging` is not used by `fcfs`"),
        ],
    ),
    (
        "mlq-class-out-of-range.yaml",
        &[(8, 24, "class-out-of-range", "`class` must be less than the number of queues (2), found 2")],
    ),
    ("duplicate-key.yaml", &[(4, 1, "duplicate-key", "duplicate key `scheduler`")]),
    ("syntax-error.yaml", &[(2, 10, "yaml-syntax", "while parsing a flow mapping, did not find expected `,` or `}`")]),
    (
        "burst-and-bursts.yaml",
        &[
            (3, 34, "conflicting-keys", "`burst` and `bursts` are both given"),
            (4, 5, "missing-key", "missing `bursts` in this process"),
        ],
    ),
    ("two-documents.yaml", &[(4, 1, "multiple-documents", "the file holds more than one YAML document")]),
    (
        "expect-unknown-process.yaml",
        &[
            (4, 16, "too-small", "`avg_waiting` must be at least 0, found -1"),
            (5, 24, "unknown-process", "`completion` names `P3`, which is not a process of this case"),
        ],
    ),
    (
        "mlfq-allotments.yaml",
        &[
            (1, 36, "empty-list", "`quanta` must not be empty"),
            (1, 49, "wrong-type", "`io_stay` must be `true` or `false`, found the string `yes`"),
        ],
    ),
    ("deep-nesting.yaml", &[(4, 46, "too-complex", "the YAML is nested more than 32 levels deep")]),
    (
        "bad-operation.yaml",
        &[
            (6, 9, "bad-operation", "bad operation `lok m`: unknown operation `lok`"),
            (7, 9, "bad-operation", "bad operation `Lock m`: write `lock` in lowercase"),
            (8, 9, "bad-operation", "bad operation `lock`: `lock` takes 1 argument, found 0"),
            (9, 9, "bad-operation", "bad operation `yield 2`: `yield` takes no argument, found 1"),
            (10, 9, "bad-operation", "bad operation `cpu x`: `x` is not a number of ticks"),
            (11, 9, "too-small", "`cpu` must last at least 1 tick, found `cpu 0`"),
            (12, 9, "bad-operation", "bad operation: expected an operation such as `cpu 5`, found 7"),
        ],
    ),
    (
        "bad-object-use.yaml",
        &[
            (4, 27, "wrong-object-kind", "`lock s`: `s` is a semaphore, but `lock` needs a mutex"),
            (4, 35, "wrong-object-kind", "`wait mutex_a`: `mutex_a` is a mutex, but `wait` needs a semaphore"),
            (4, 49, "unknown-object", "`lock mutex_b` names `mutex_b`, which is not an object of this case"),
            (4, 63, "unknown-object", "`signal t` names `t`, which is not an object of this case"),
        ],
    ),
    (
        "bad-objects.yaml",
        &[
            (3, 21, "key-not-for-kind", "`initial` is not used by a `mutex`"),
            (4, 6, "missing-key", "missing `initial` in this semaphore"),
            (5, 14, "unknown-value", "unknown `kind` value `condvar`"),
            (6, 3, "bad-name", "invalid object name `bad name`"),
            (6, 36, "unknown-value", "unknown `wake` value `random`"),
        ],
    ),
    (
        "bad-repeat.yaml",
        &[
            (5, 19, "too-small", "`repeat` must be at least 1, found 0"),
            (6, 26, "empty-list", "the `do` of a `repeat` block must not be empty"),
            (7, 9, "missing-key", "missing `do` in this `repeat` block"),
        ],
    ),
    (
        "program-conflicts.yaml",
        &[
            (3, 17, "conflicting-keys", "`program` and `bursts` are both given"),
            (4, 33, "bad-burst", "bad burst `lock m`: expected `cpu N` or `io N`"),
            (5, 26, "empty-list", "`program` must not be empty"),
        ],
    ),
];

#[test]
fn each_class_of_error_has_its_position_and_message() {
    let mut failures = Vec::new();
    for (file, expected) in ERROR_TABLE {
        let err = load_error("errors", file);
        let got: Vec<(u32, u32, &str, &str)> = err
            .diagnostics
            .iter()
            .map(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0), d.code, d.message.as_str()))
            .collect();
        if got != *expected {
            failures.push(format!("{file}:\n  expected {expected:?}\n  got      {got:?}\n{err}"));
        }
        for d in &err.diagnostics {
            assert_eq!(d.path, fixtures().join("errors").join(file), "the diagnostic names the file");
            assert!(d.hint.as_deref().is_some_and(|h| !h.is_empty()), "{file}: every problem has a hint: {d}");
            assert!(d.snippet.is_some(), "{file}: every positioned problem shows its line: {d}");
            assert!(d.message.chars().next().is_some_and(|c| !c.is_uppercase()), "{file}: lowercase message: {d}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_error_fixture_is_in_the_table() {
    let listed: Vec<&str> = ERROR_TABLE.iter().map(|(f, _)| *f).collect();
    for path in discover_cases(&fixtures().join("errors")).unwrap() {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            listed.contains(&name) || ["yaml-bomb.yaml", "empty.yaml"].contains(&name),
            "{name} has no expected result in ERROR_TABLE"
        );
    }
}

#[test]
fn hints_say_what_to_do() {
    let hint = |file: &str, i: usize| load_error("errors", file).diagnostics[i].hint.clone().unwrap();
    assert_eq!(hint("unknown-key.yaml", 0), "did you mean `quantum`?");
    assert_eq!(hint("unknown-policy.yaml", 0), "did you mean `sjf`?");
    assert!(hint("unknown-top-key.yaml", 0).starts_with("`quantum` belongs in `scheduler`"));
    assert_eq!(hint("starts-with-io.yaml", 1), "CPU and I/O bursts must alternate: merge them into `cpu 3`");
    assert_eq!(hint("wrong-type.yaml", 1), "remove the quotes: `arrival: 3`");
    assert_eq!(
        hint("bad-burst.yaml", 1),
        "did you mean `cpu 4`? write a burst as `cpu N` or `io N` with N >= 1 ticks, e.g. `cpu 5`"
    );
    assert_eq!(hint("duplicate-names.yaml", 0), "process names must be unique; `P1` is first used on line 3");
    assert_eq!(hint("mlq-class-out-of-range.yaml", 0), "`scheduler.queues` has 2 queues: classes are numbered 0 to 1");
    assert_eq!(hint("bad-operation.yaml", 1), "write `lock m`");
    assert!(hint("bad-operation.yaml", 0).starts_with("did you mean `lock m`? write an operation as `cpu N`, `io N`"));
    assert_eq!(hint("bad-object-use.yaml", 0), "a semaphore takes `wait s` and `signal s`");
    assert_eq!(hint("bad-object-use.yaml", 2), "did you mean `lock mutex_a`?");
    assert_eq!(
        hint("program-conflicts.yaml", 1),
        "`lock` is an operation of `program:`; `bursts:` takes only `cpu N` or `io N`: rename `bursts` to `program`"
    );
    let undeclared = "scheduler: { policy: fcfs }\nprocesses: [{ name: P, program: [wait full] }]\n";
    let err = parse_case(undeclared, Path::new("u.yaml")).unwrap_err();
    assert_eq!(
        err.hint(),
        Some("declare it under `objects:`, e.g. `objects: { full: { kind: semaphore, initial: 0 } }`")
    );
    assert_eq!(
        hint("key-not-for-policy.yaml", 0),
        "remove `quantum`, or choose a policy that uses it: `rr`, `lottery` or `stride`"
    );
}

#[test]
fn errors_render_like_rustc() {
    let source = "name: foo\nscheduler: { policy: rr, quantum: 0 }\nprocesses: [{ name: P1, burst: 3 }]\n";
    let err = parse_case(source, Path::new("testcases/rr/foo.yaml")).unwrap_err();
    let expected = "\
error: testcases/rr/foo.yaml:2:35: `quantum` must be at least 1, found 0
  |
2 | scheduler: { policy: rr, quantum: 0 }
  |                                   ^
  = hint: the quantum is the time slice in ticks, e.g. `quantum: 4`";
    assert_eq!(err.to_string(), expected);
    assert_eq!((err.line(), err.column(), err.message()), (Some(2), Some(35), "`quantum` must be at least 1, found 0"));
    assert_eq!(err.hint(), Some("the quantum is the time slice in ticks, e.g. `quantum: 4`"));
}

#[test]
fn several_errors_render_one_after_the_other() {
    let err = load_error("errors", "duplicate-names.yaml");
    let text = err.to_string();
    assert_eq!(text.matches("error: ").count(), 2, "{text}");
    assert!(text.contains("duplicate-names.yaml:5:13: duplicate process name `P1`\n  |\n5 |   - { name: P1, bursts: [cpu 3] }\n  |             ^^\n"), "{text}");
}

#[test]
fn errors_serialize_to_json_with_their_fields() {
    let err = parse_case("scheduler: { policy: rr, quantom: 4 }\n", Path::new("t/a.yaml")).unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["path"], "t/a.yaml");
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "unknown-key");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(1), Some(26)));
    assert_eq!(d["message"], "unknown key `quantom` in `scheduler`");
    assert_eq!(d["hint"], "did you mean `quantum`?");
    assert_eq!(d["snippet"]["text"], "scheduler: { policy: rr, quantom: 4 }");
}

#[test]
fn yaml_bomb_is_stopped_by_the_alias_budget() {
    let started = std::time::Instant::now();
    let err = load_error("errors", "yaml-bomb.yaml");
    assert_eq!(err.first().code, "too-complex", "{err}");
    assert!(err.message().contains("aliases"), "{err}");
    assert!(started.elapsed().as_secs() < 60, "the budget must stop the expansion early");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let huge = "#".repeat(MAX_FILE_BYTES + 1);
    let err = parse_case(&huge, Path::new("huge.yaml")).unwrap_err();
    assert_eq!(err.first().code, "file-too-large");

    let dir = temp_dir("oversized");
    let path = dir.join("huge.yaml");
    std::fs::File::create(&path).unwrap().set_len(MAX_FILE_BYTES as u64 + 1).unwrap();
    let err = load_case(&path).unwrap_err();
    assert_eq!(err.first().code, "file-too-large");
    assert_eq!(err.line(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_input_gets_a_clear_error() {
    let dir = temp_dir("unreadable");
    let path = dir.join("latin1.yaml");
    std::fs::write(&path, b"scheduler: { policy: fcfs }\nname: caf\xe9\n").unwrap();
    let err = load_case(&path).unwrap_err();
    assert_eq!((err.first().code, err.line(), err.column()), ("not-utf8", Some(2), Some(10)));

    let err = load_case(&dir.join("missing.yaml")).unwrap_err();
    assert_eq!(err.first().code, "io");
    assert!(err.to_string().starts_with("error: "), "{err}");

    let err = load_error("errors", "empty.yaml");
    assert_eq!(err.first().code, "empty-file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn problems_are_capped_with_a_final_note() {
    let mut text = String::from("scheduler: { policy: fcfs }\nprocesses:\n");
    for _ in 0..MAX_DIAGNOSTICS + 50 {
        text.push_str("  - { name: P, burst: 0 }\n");
    }
    let err = parse_case(&text, Path::new("many.yaml")).unwrap_err();
    assert_eq!(err.diagnostics.len(), MAX_DIAGNOSTICS + 1);
    let last = err.diagnostics.last().unwrap();
    assert_eq!(last.code, "too-many-errors");
    // 250 zero-length bursts and 249 duplicate names: 499 problems.
    assert!(last.message.starts_with("299 more problems"), "{}", last.message);
}

#[test]
fn discovery_is_sorted_and_finds_only_yaml() {
    let dir = fixtures().join("discover");
    let found: Vec<PathBuf> = discover_cases(&dir).unwrap();
    let relative: Vec<String> =
        found.iter().map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/")).collect();
    assert_eq!(relative, ["a.yaml", "b.yaml", "sub/c.yaml"]);
    let err = discover_cases(&dir.join("does-not-exist")).unwrap_err();
    assert!(err.to_string().contains("cannot list the directory"), "{err}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("schedgrade-case-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compares a committed schema with the generated one; `SCHEDGRADE_BLESS=1` rewrites the committed file.
pub(crate) fn check_schema(file: &str, generated: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas").join(file);
    let text = serde_json::to_string_pretty(generated).unwrap() + "\n";
    if std::env::var_os("SCHEDGRADE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "schemas/{file} is out of date with the loader's types.\n\
         Regenerate it with `SCHEDGRADE_BLESS=1 cargo test -p harness --test harness schema` and commit it."
    );
}

#[test]
fn schema_testcase_is_up_to_date() {
    let schema = testcase_schema();
    // The per-policy rules come from the loader's table: rr needs a quantum, fcfs forbids it.
    let rules = schema.pointer("/definitions/Scheduler/allOf").and_then(|r| r.as_array()).expect("policy rules");
    let rule =
        |policy: &str| rules.iter().find(|r| r.pointer("/if/properties/policy/const") == Some(&policy.into())).unwrap();
    assert_eq!(rule("rr").pointer("/then/required/0"), Some(&"quantum".into()));
    assert_eq!(rule("fcfs").pointer("/then/properties/quantum"), Some(&false.into()));
    assert_eq!(
        schema.pointer("/definitions/Process/properties/bursts/description"),
        Some(
            &"The program: `cpu N` and `io N` bursts (N >= 1 ticks), starting and ending with `cpu`, alternating."
                .into()
        )
    );
    // One alternative per operation descriptor, then the loop: the table drives the schema.
    let steps = schema.pointer("/definitions/Step/anyOf").and_then(|s| s.as_array()).expect("program steps");
    assert_eq!(steps.len(), harness::case::OPS.len() + 1);
    for (step, spec) in steps.iter().zip(harness::case::OPS) {
        assert_eq!(step["examples"][0], spec.example, "{step}");
    }
    assert_eq!(steps.last().unwrap()["$ref"], "#/definitions/Repeat");
    // Per-kind rules of objects come from the loader's table: a semaphore needs `initial`, a mutex forbids it.
    let kinds = schema.pointer("/definitions/Object/allOf").and_then(|r| r.as_array()).expect("object rules");
    let kind =
        |name: &str| kinds.iter().find(|r| r.pointer("/if/properties/kind/const") == Some(&name.into())).unwrap();
    assert_eq!(kind("semaphore").pointer("/then/required/0"), Some(&"initial".into()));
    assert_eq!(kind("mutex").pointer("/then/properties/initial"), Some(&false.into()));
    check_schema("testcase.schema.json", &schema);
}

/// A 10^6-process workload parses within the limits. Run in release:
/// `cargo test --release -p harness --test harness -- --ignored million`.
#[test]
#[ignore = "slow in debug builds; run with --release"]
fn million_process_case_parses() {
    use std::fmt::Write;
    // SCHEDGRADE_BIG_CASE_PROCESSES overrides the size, for measurements.
    let n: usize =
        std::env::var("SCHEDGRADE_BIG_CASE_PROCESSES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut text = String::with_capacity(64 * n);
    text.push_str("scheduler: { policy: rr, quantum: 4 }\nprocesses:\n");
    for i in 0..n {
        writeln!(text, "  - {{ name: P{i}, arrival: {}, bursts: [cpu {}, io 2, cpu 1] }}", i % 1000, 1 + i % 7)
            .unwrap();
    }
    let started = std::time::Instant::now();
    let case = parse_case(&text, Path::new("million.yaml")).expect("parses");
    let elapsed = started.elapsed();
    eprintln!("{} processes, {} bytes, parsed in {elapsed:.2?}", case.processes.len(), text.len());
    assert_eq!(case.processes.len(), n);
    let last = vec![Op::Cpu(1 + (n as u64 - 1) % 7), Op::Io(2), Op::Cpu(1)];
    assert_eq!(case.processes[n - 1].program, Program::from(last));
}

#[test]
fn crlf_bom_tabs_and_aliases_keep_positions_right() {
    let crlf = "scheduler: { policy: fcfs }\r\nprocesses:\r\n  - { name: P1, burst: 0 }\r\n";
    let err = parse_case(crlf, Path::new("crlf.yaml")).unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(3), Some(24)));
    assert_eq!(err.first().snippet.as_ref().unwrap().text, "  - { name: P1, burst: 0 }", "no `\\r` in snippets");

    let bom = "\u{feff}scheduler: { policy: fcfs }\nprocesses: [{ name: P1, burst: 0 }]\n";
    let err = parse_case(bom, Path::new("bom.yaml")).unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(2), Some(32)));

    let tab = "scheduler: { policy: fcfs }\nprocesses:\n\t- { name: P1, burst: 1 }\n";
    let err = parse_case(tab, Path::new("tab.yaml")).unwrap_err();
    assert_eq!((err.first().code, err.line()), ("yaml-syntax", Some(3)));
    assert_eq!(err.hint(), Some("YAML indents with spaces only: replace the tab with spaces"));

    // An alias is reported where it is used.
    let alias = "scheduler: { policy: fcfs }\nprocesses:\n  - &p { name: P1, burst: 1 }\n  - *p\n";
    let err = parse_case(alias, Path::new("alias.yaml")).unwrap_err();
    assert_eq!((err.line(), err.column(), err.message()), (Some(4), Some(5), "duplicate process name `P1`"));
}
