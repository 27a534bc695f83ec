//! Student text in every output: bounded and inert (`harness::untrusted` and the reporters). Unit tests of each
//! sanitiser, then whole batches whose every test carries hostile text: a made-up one with an 8 MiB message on
//! every test, and a real one grading the `hostile-report-text` fixture in sandboxed workers.

use std::path::{Path, PathBuf};

use harness::diff::first_divergence;
use harness::grade::{
    BatchOptions, BatchOutcome, Plan, Silent, StudentOutcome, Submission, TestOutcome, grade, plan, score,
};
use harness::report::write_all;
use harness::rubric::{Rubric, load_rubric};
use harness::untrusted::{
    Budget, GANTT_MAX_BYTES, MESSAGE_MAX_BYTES, TRACE_LINE_MAX_BYTES, code_span, csv_cell, excerpt, fenced, inert,
    is_active, name, one_line, store, store_line, xml,
};
use harness::verdict::{Clock, Verdict};

/// Forged report lines, live HTML, terminal escapes (clear screen, title, colour, carriage return), bidi controls,
/// C1 controls, a long backtick run and a formula: what a hostile message holds.
const HOSTILE: &str = "forged\n**Total: 110.00 / 110.00** (status: `graded`)\n\n### PASS `fcfs/x`: `passed`\n```\n\
`````````\n</code></pre><script>alert(1)</script>\n\x1b[2J\x1b]0;owned\x07\x1b[32mPASS\x1b[0m\rPASS y\n\
\u{202E}txt.exe\u{202C} \u{2066}i\u{2069} \u{200E}\u{200F}\u{061C}\u{9b}31m\u{85}\u{7f}\u{2028}\n=SUM(A1)\n";

/// The characters that must never reach an output raw.
const ACTIVE: &[char] = &[
    '\x1b', '\r', '\x07', '\x7f', '\u{85}', '\u{9b}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}', '\u{2028}', '\u{2029}',
];

#[test]
fn inert_text_shows_every_control_bidi_and_escape_character_as_a_visible_escape() {
    for &c in ACTIVE {
        assert!(is_active(c), "{c:?}");
        let shown = inert(&format!("a{c}b")).into_owned();
        assert_eq!(shown, format!("a\\u{{{:x}}}b", c as u32));
    }
    assert_eq!(inert("\x1b[2J\x1b]0;title\x07"), "\\u{1b}[2J\\u{1b}]0;title\\u{7}");
    assert!(matches!(inert("plain\ttext\nhéllo ✓ שלום"), std::borrow::Cow::Borrowed(_)), "newline, tab, letters");
    let once = inert(HOSTILE).into_owned();
    assert!(!once.contains(ACTIVE), "{once:?}");
    assert_eq!(inert(&once), once, "inert text stays as it is");
    assert_eq!(one_line("a\nb\tc\r"), "a\\nb\\tc\\u{d}");
}

#[test]
fn stored_text_is_cut_on_a_character_boundary_with_a_marker_and_storing_it_again_changes_nothing() {
    let huge = "é".repeat(4 << 20); // 8 MiB of two-byte characters
    let kept = store(&huge, MESSAGE_MAX_BYTES);
    assert!(kept.len() <= MESSAGE_MAX_BYTES, "{}", kept.len());
    let body = kept.strip_suffix(&format!(" ({} bytes cut)", huge.len() - (kept.find('…').unwrap()))).unwrap();
    assert!(body.ends_with('…') && body.trim_end_matches('…').chars().all(|c| c == 'é'), "{kept:?}");
    assert_eq!(store(&kept, MESSAGE_MAX_BYTES), kept);
    assert_eq!(store("short", MESSAGE_MAX_BYTES), "short");
    // Escapes count at their shown size, and are never split.
    let escapes = store(&"\x1b".repeat(10_000), 100);
    assert!(escapes.len() <= 100 && escapes.starts_with("\\u{1b}\\u{1b}"), "{escapes}");
    assert!(!escapes.contains("\\u{1b\u{2026}") && escapes.ends_with(" bytes cut)"), "{escapes}");
    let line = store_line(&format!("{}\nexpected (reference):", "x".repeat(10)), TRACE_LINE_MAX_BYTES);
    assert_eq!(line, "xxxxxxxxxx\\nexpected (reference):", "a trace line stays one line");
}

#[test]
fn names_keep_only_safe_characters() {
    assert_eq!(name("pick_next"), "pick_next");
    assert_eq!(name("export_schedulers!"), "export_schedulers!");
    assert_eq!(name("syscall-435"), "syscall-435");
    assert_eq!(name("x` **Total** <b>\n"), "x????Total????b??");
    let long = name(&"a".repeat(1000));
    assert_eq!((long.len(), long.ends_with("...")), (64, true));
    assert_eq!(name(&long), long);
}

/// A line that opens or closes a CommonMark fenced code block: up to 3 spaces, then 3 or more backticks or tildes.
fn fence_of(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = rest.len() - rest.trim_start_matches(c).len();
    (indent <= 3 && run >= 3).then(|| (c, run, &rest[run..]))
}

/// The lines of a Markdown document outside its fenced code blocks; panics on a fence left open.
fn outside_fences(markdown: &str) -> Vec<&str> {
    let mut open: Option<(char, usize)> = None;
    let mut outside = Vec::new();
    for line in markdown.lines() {
        match (open, fence_of(line)) {
            (None, Some((c, run, info))) if !(c == '`' && info.contains('`')) => open = Some((c, run)),
            (Some((c, run)), Some((d, len, rest))) if c == d && len >= run && rest.trim().is_empty() => open = None,
            (None, _) => outside.push(line),
            (Some(_), _) => {}
        }
    }
    assert!(open.is_none(), "a fence is never closed:\n{markdown}");
    outside
}

#[test]
fn fences_are_longer_than_any_backtick_run_inside() {
    for text in [HOSTILE, "no ticks", "````", "a ``` b\n```\n~~~", "```````````````````````````````\n"] {
        let block = fenced(text);
        assert!(block.starts_with(&"`".repeat(3)) && block.ends_with("```\n"), "{block}");
        assert_eq!(outside_fences(&block), Vec::<&str>::new(), "the whole text stays inside:\n{block}");
    }
    assert!(fenced("x").starts_with("```text\n"));
    assert!(fenced("`````````").starts_with("``````````text\n"), "one backtick more than the longest run");
    assert_eq!(code_span("pick_next"), "`pick_next`");
    assert_eq!(code_span("a`b"), "``a`b``");
    assert_eq!(code_span("`x"), "`` `x ``");
    assert_eq!(code_span("a\nb"), "`a\\nb`");
}

#[test]
fn csv_cells_never_start_a_formula_and_xml_is_escaped() {
    for formula in ["=SUM(A1)", "+1+1", "-2+3", "@cmd", "\tx", "\rx"] {
        let cell = csv_cell(formula);
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell}");
        assert!(!cell.contains(['\t', '\r', '\n']), "{cell}");
    }
    assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
    assert_eq!(csv_cell("alice"), "alice");
    assert_eq!(xml("<script>\"a\" & 'b'\x1b"), "&lt;script&gt;&quot;a&quot; &amp; &apos;b&apos;\\u{1b}");
    let line = excerpt("first line\nsecond", 160);
    assert_eq!(line, "first line …");
    assert!(excerpt(&"x".repeat(10_000), 160).len() <= 160);
}

/// A response's trace matters only up to the golden length plus the lines a diff shows after it; its lines are
/// cut to one line of [`TRACE_LINE_MAX_BYTES`] each.
#[test]
fn a_response_trace_is_diffed_only_as_far_as_the_golden_trace_goes() {
    use harness::grade::golden::Golden;
    use harness::grade::judge::judge_response;
    use harness::grade::protocol::{WorkerEnd, WorkerResponse};
    let golden = Golden { path: PathBuf::from("x.snap"), trace: vec!["a".into(), "b".into()], gantt: Vec::new() };
    let mut trace: Vec<String> = vec!["a".into(), "b".into()];
    trace.extend((0..100_000).map(|i| format!("extra {i}\n{}", "x".repeat(1000))));
    let response = WorkerResponse { end: WorkerEnd::Completed, trace, gantt: String::new(), text: None };
    let Verdict::WrongTrace { divergence } = judge_response(&response, &golden) else { panic!("a longer trace") };
    assert_eq!((divergence.index, divergence.expected_len, divergence.actual_len), (2, 2, 100_002));
    assert_eq!(divergence.actual.len(), 3);
    assert!(divergence.actual.iter().all(|l| l.len() <= TRACE_LINE_MAX_BYTES && l.starts_with("extra ")));
    assert!(divergence.actual[0].contains("\\n") && divergence.actual[0].ends_with("bytes cut)"));
}

#[test]
fn a_budget_spends_each_block_whole_or_not_at_all() {
    let mut budget = Budget::new(10);
    assert_eq!(budget.take("12345"), Some("12345"));
    assert_eq!(budget.take("123456"), None);
    assert_eq!(budget.take("12345"), Some("12345"));
    assert_eq!(budget.take("1"), None);
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

fn rubric() -> Rubric {
    load_rubric(&repo().join("grading.yaml")).expect("grading.yaml loads")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-text-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A batch of one student whose tests get `verdict_of(test index)`, through [`TestOutcome::new`] as in grading.
fn batch(rubric: &Rubric, plan: &Plan, id: &str, outcome_of: impl Fn(usize) -> TestOutcome) -> BatchOutcome {
    let tests: Vec<TestOutcome> = (0..plan.tests.len()).map(outcome_of).collect();
    let verdicts: Vec<Verdict> = tests.iter().map(|t| t.verdict().clone()).collect();
    let student = StudentOutcome {
        submission: Submission { id: id.to_owned(), dir: PathBuf::from("/nonexistent") },
        build_log: None,
        score: score(rubric, plan, &verdicts),
        tests,
    };
    BatchOutcome { plan: plan.clone(), students: vec![student], warnings: Vec::new() }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file of a batch's reports: no raw active character, forged lines only inside fences, well-formed XML,
/// and at most `max_kib` per student file. Returns the total size of the files checked.
fn check_reports(out: &Path, id: &str, max_kib: usize) -> usize {
    let mut total = 0;
    for file in ["gradebook.csv", "summary.json", "junit.xml"]
        .map(|f| out.join(f))
        .into_iter()
        .chain(["report.md", "results.json"].map(|f| out.join(id).join(f)))
    {
        let text = read(&file);
        total += text.len();
        assert!(!text.contains(ACTIVE), "{} holds a raw control or bidi character", file.display());
    }
    let report = read(&out.join(id).join("report.md"));
    let results = read(&out.join(id).join("results.json"));
    for (file, text) in [("report.md", &report), ("results.json", &results)] {
        assert!(text.len() <= max_kib << 10, "{file} is {} KiB", text.len() >> 10);
    }
    let outside = outside_fences(&report);
    let totals: Vec<&&str> = outside.iter().filter(|l| l.contains("**Total")).collect();
    assert_eq!(totals.len(), 1, "one total, ours: {totals:?}");
    assert!(totals[0].starts_with("**Total: ") && !totals[0].contains("110.00 / 110.00"), "{}", totals[0]);
    for forged in ["### PASS", "<script", "</code>", "=SUM", "PASS y"] {
        assert!(!outside.iter().any(|l| l.contains(forged)), "`{forged}` outside a fence in report.md");
    }
    let json: serde_json::Value = serde_json::from_str(&results).expect("results.json is JSON");
    for test in json["tests"].as_array().expect("tests") {
        assert_eq!(test["output_format"], "md");
        let output = test["output"].as_str().expect("output");
        assert!(!output.contains(ACTIVE));
        for line in outside_fences(output) {
            assert!(!line.contains("**Total") && !line.contains("### PASS") && !line.contains("<script"), "{line}");
        }
    }
    let junit = read(&out.join("junit.xml"));
    let mut reader = quick_xml::Reader::from_str(&junit);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("junit.xml is not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert!(!junit.contains("<script"), "raw HTML in junit.xml");
    let gradebook = read(&out.join("gradebook.csv"));
    let mut gradebook = csv::Reader::from_reader(gradebook.as_bytes());
    let rows: Vec<csv::StringRecord> = gradebook.records().collect::<Result<_, _>>().expect("valid CSV");
    assert_eq!(rows.len(), 1);
    assert!(!rows[0][0].starts_with(['=', '+', '-', '@']), "{:?}", &rows[0][0]);
    total
}

/// An 8 MiB hostile message on every one of the ~160 tests (and, on every other test, a wrong trace with 8 MiB
/// trace lines and an 8 MiB Gantt chart): each stored outcome stays within the constants, and each report file
/// stays within a few hundred KiB.
#[test]
fn megabytes_of_hostile_text_on_every_test_give_small_inert_reports() {
    let rubric = rubric();
    let plan = plan(&rubric, |_| true, None).expect("the bundled rubric plans");
    assert!(plan.tests.len() >= 150);
    let huge = format!("{HOSTILE}{}", "A\u{202E}`".repeat((8 << 20) / 5));
    let message = Verdict::Panicked { hook: "pick_next`**x**".into(), message: huge.clone() };
    let golden = &plan.tests[0].golden.trace;
    let actual: Vec<&str> = golden.iter().map(|_| huge.as_str()).collect();
    let divergence = first_divergence(golden, &actual).expect("differs");
    let wrong = Verdict::WrongTrace { divergence };
    let id = "=HYPERLINK(\"x\")";
    let batch = batch(&rubric, &plan, id, |i| match i % 2 {
        0 => TestOutcome::new(message.clone(), None),
        _ => TestOutcome::new(wrong.clone(), Some(&huge)),
    });
    for outcome in &batch.students[0].tests {
        let verdict = outcome.verdict();
        assert!(verdict.student_text().is_none_or(|t| t.len() <= MESSAGE_MAX_BYTES));
        assert!(outcome.actual_gantt().is_none_or(|g| g.len() <= GANTT_MAX_BYTES));
        if let Verdict::WrongTrace { divergence } = verdict {
            let lines = divergence.context.iter().chain(&divergence.expected).chain(&divergence.actual);
            assert!(lines.clone().count() <= 9 && lines.clone().all(|l| l.len() <= TRACE_LINE_MAX_BYTES));
        }
        if let Verdict::Panicked { hook, .. } = verdict {
            assert_eq!(hook, "pick_next???x??");
        }
    }
    let out = scratch("huge");
    write_all(&batch, &out).expect("reports are written");
    let total = check_reports(&out, id, 320);
    let report = read(&out.join(id).join("report.md"));
    assert!(report.contains(Budget::OMITTED), "the budget ran out");
    assert!(report.contains("bytes cut)"), "cut messages say so");
    let size = |file: &str| std::fs::metadata(out.join(id).join(file)).map_or(0, |m| m.len() >> 10);
    eprintln!(
        "reports of {} tests with 8 MiB texts: report.md {} KiB, results.json {} KiB, {} KiB in all",
        plan.tests.len(),
        size("report.md"),
        size("results.json"),
        total >> 10
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// Issue 6, item 11: a CPU-bound loop hits the CPU limit on an idle machine and the wall-clock limit on a busy
/// one. Every output must be the same bytes either way.
#[test]
fn a_timeout_reads_the_same_whichever_clock_fired() {
    let rubric = rubric();
    let plan = plan(&rubric, |_| true, None).expect("the bundled rubric plans");
    let timeout = |clock| Verdict::Timeout { cpu_ms: 1000, wall_ms: 2000, clock };
    let mut files = Vec::new();
    for clock in [Clock::Cpu, Clock::Wall] {
        let batch = batch(&rubric, &plan, "alice", |_| TestOutcome::new(timeout(clock), None));
        let out = scratch(&format!("{clock:?}"));
        write_all(&batch, &out).expect("reports are written");
        let names = ["gradebook.csv", "summary.json", "junit.xml", "alice/report.md", "alice/results.json"];
        files.push(names.map(|f| read(&out.join(f))));
        let _ = std::fs::remove_dir_all(&out);
    }
    assert_eq!(files[0], files[1]);
    assert!(files[0][3].contains("1000 ms of CPU time, 2000 ms of wall-clock time"), "{}", files[0][3]);
    assert_ne!(timeout(Clock::Cpu).log_note(), timeout(Clock::Wall).log_note(), "the log still says which");
}

/// The `hostile-report-text` fixture graded for real: real panics, a forged 2.5 MiB message and a forged wrong
/// trace with a 1 MiB Gantt chart, all sent by the submission's code in sandboxed workers.
#[test]
fn the_hostile_fixture_cannot_forge_report_content_or_bloat_the_reports() {
    let rubric = rubric();
    let plan = plan(&rubric, |_| true, Some("fcfs/")).expect("the bundled rubric plans");
    let id = "hostile-report-text";
    let submission = Submission { id: id.to_owned(), dir: repo().join("examples/submissions").join(id) };
    // The cache lives in this target directory: private to this checkout, reused across runs.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-text-cache");
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_schedgrade"));
    let worker_program = harness::sandbox::WorkerProgram::embedded().expect("the embedded worker");
    let options = BatchOptions {
        jobs: 2,
        cache: cache.clone(),
        worker_program,
        build_launcher: Some(vec![binary.into_os_string(), "__build".into()]),
    };
    let batch = grade(&rubric, plan, vec![submission], &options, Vec::new(), &Silent).expect("the batch runs");
    let student = &batch.students[0];
    let verdicts: Vec<(&str, &Verdict)> =
        batch.plan.tests.iter().zip(&student.tests).map(|(t, o)| (t.name.as_str(), o.verdict())).collect();
    let named = |part: &str| verdicts.iter().find(|(n, _)| n.contains(part)).map(|(_, v)| *v).expect("test exists");
    let Verdict::Panicked { message, .. } = named("fcfs-four-cpus-io") else {
        panic!("the forged 2.5 MiB panic: {:?}", named("fcfs-four-cpus-io"))
    };
    assert!(message.len() <= MESSAGE_MAX_BYTES && message.contains("bytes cut)"), "{message}");
    assert!(matches!(named("fcfs-two-cpus"), Verdict::WrongTrace { .. }), "{:?}", named("fcfs-two-cpus"));
    let two_cpus = student.tests.iter().zip(&batch.plan.tests).find(|(_, t)| t.name.contains("fcfs-two-cpus"));
    let gantt = two_cpus.and_then(|(o, _)| o.actual_gantt()).expect("the forged Gantt chart is kept");
    assert!(gantt.len() <= GANTT_MAX_BYTES && gantt.ends_with("bytes cut)"), "{} bytes", gantt.len());
    assert!(matches!(named("fcfs-single-process"), Verdict::Panicked { .. }));
    let out = scratch("fixture");
    write_all(&batch, &out).expect("reports are written");
    check_reports(&out, id, 128);
    let report = read(&out.join(id).join("report.md"));
    assert!(report.contains("\\u{1b}[2J") && report.contains("\\u{202e}txt.exe"), "escapes stay visible");
    let _ = std::fs::remove_dir_all(&out);
}

/// `grade --verbose` says on stderr which limit a timed-out test hit first; the reports name both limits only.
#[test]
fn verbose_logs_say_which_clock_fired_and_reports_do_not() {
    let dir = scratch("verbose");
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).expect("scratch directory");
    for file in ["fcfs-single-process.yaml", "fcfs-single-process.snap"] {
        std::fs::copy(repo().join("testcases/fcfs").join(file), cases.join(file)).expect("case copied");
    }
    std::fs::write(
        dir.join("grading.yaml"),
        "total: 10\nlimits: { cpu_ms: 1000, wall_ms: 3000 }\n\
         suites:\n  - { name: fcfs, policy: fcfs, cases: [\"cases/*.yaml\"], points: 10 }\n",
    )
    .expect("rubric written");
    let submissions = dir.join("submissions");
    std::fs::create_dir_all(submissions.join("loop/src")).expect("submission directory");
    let source = repo().join("examples/submissions/infinite-loop/src/lib.rs");
    std::fs::copy(source, submissions.join("loop/src/lib.rs")).expect("fixture copied");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-text-cache");
    let out = dir.join("out");
    let rubric = dir.join("grading.yaml");
    let args = [&submissions, &rubric, &out, &cache].map(|p| p.to_str().expect("UTF-8 path"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_schedgrade"))
        .args(["grade", args[0], "--config", args[1], "--out", args[2], "--cache", args[3], "--verbose"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let logged = stderr.lines().find(|l| l.contains("timeout after")).unwrap_or_else(|| panic!("no log:\n{stderr}"));
    assert!(logged.starts_with("loop cases/fcfs-single-process: timeout after "), "{logged}");
    assert!(logged.ends_with("limit was noticed first"), "{logged}");
    let report = read(&out.join("loop/report.md"));
    assert!(report.contains("(1000 ms of CPU time, 3000 ms of wall-clock time)"), "{report}");
    for file in ["gradebook.csv", "summary.json", "junit.xml", "loop/report.md", "loop/results.json"] {
        let text = read(&out.join(file));
        assert!(!text.contains("noticed first") && !text.contains(" ms;"), "{file} holds a load-dependent fact");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
