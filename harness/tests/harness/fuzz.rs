//! The fuzz targets' short run under `cargo test`: the committed corpora (`fuzz/corpus/<target>/`) and seeded
//! pseudo-random mutations of them go through the very functions the cargo-fuzz targets call
//! (`harness::fuzzing`), and must neither panic nor take long. Then one regression test per bug the fuzzing found
//! or that was fixed for it, named after the bug.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::fuzzing;
use harness::rubric::{MAX_RUBRIC_BYTES, lint, load_rubric};

/// Mutated inputs per target, on top of the corpus itself.
const MUTATIONS: usize = 3000;
/// The most CPU time a single input may take in this (debug) build.
const SLOWEST: Duration = Duration::from_secs(5);

/// CPU time of the calling thread so far. Time bounds are on CPU time, not wall-clock time: the tests run in
/// parallel on a small machine, and a busy machine must not fail them.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write to; the clock exists on every Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CPU time spent since `start` (a [`thread_cpu`] reading).
fn cpu_since(start: Duration) -> Duration {
    thread_cpu().saturating_sub(start)
}

/// A fresh directory of this test's own, removed when dropped.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new(name: &str) -> PrivateDir {
        let dir = std::env::temp_dir().join(format!("schedgrade-fuzz-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        PrivateDir(dir)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// SplitMix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that matter to the formats: YAML syntax, anchors and aliases, globs, numbers at the edges, frame
/// magic and JSON.
const TOKENS: &[&[u8]] = &[
    b"\n- ",
    b": ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"---\n",
    b"\t",
    b"'",
    b"\"",
    b"#",
    b"**/",
    b"*",
    b"?",
    b"../",
    b"-1",
    b"0",
    b"18446744073709551616",
    b"1e309",
    b".nan",
    b"0x7fffffff",
    b"007",
    b"depends_on: [a, a]",
    b"\xff",
    b"\xe2\x80\xae",
    b"SGR",
    b"SGE",
    b"SGV",
    b"\xff\xff\xff\xff",
    b"{\"end\":{\"end\":\"completed\"},\"trace\":[],\"gantt\":\"\"}",
    b"null",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.insert(at, rng.next() as u8),
            2 if at < v.len() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let copy = v[at..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, copy);
            }
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(128)).min(other.len());
                v.splice(at..at, other[from..end].iter().copied());
            }
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, token.iter().copied());
            }
        }
    }
    v
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list the corpus `{}`: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the corpus `{}` has only {} inputs", dir.display(), files.len());
    files
}

/// Runs `target` on every corpus input and on [`MUTATIONS`] mutations of them; on a panic, keeps the input in
/// `keep` and names it.
fn replay(name: &str, seed: u64, keep: &Path, target: impl Fn(&[u8])) {
    let seeds = corpus(name);
    let mut rng = Rng(seed);
    let mut inputs: Vec<(String, Vec<u8>)> = seeds.clone();
    for n in 0..MUTATIONS {
        let (from, input) = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())].1;
        inputs.push((format!("mutation {n} of {from}"), mutate(&mut rng, input, other)));
    }
    let mut slowest = (Duration::ZERO, String::new());
    for (label, input) in &inputs {
        let started = thread_cpu();
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            let path = keep.join(format!("crash-{name}"));
            std::fs::write(&path, input).unwrap();
            // Kept outside the private directory, which is removed on the way out.
            let saved = std::env::temp_dir().join(format!("schedgrade-fuzz-crash-{name}-{}", std::process::id()));
            std::fs::copy(&path, &saved).unwrap();
            panic!(
                "`{name}` panicked on {label} (seed {seed:#x}); the input is in `{}`: reproduce with `cargo +nightly fuzz run {name} {}`",
                saved.display(),
                saved.display()
            );
        }
        let took = cpu_since(started);
        if took > slowest.0 {
            slowest = (took, label.clone());
        }
    }
    assert!(slowest.0 < SLOWEST, "`{name}` took {:?} on {}: inputs must load in bounded time", slowest.0, slowest.1);
}

#[test]
fn case_loader_survives_corpus_and_mutations() {
    let dir = PrivateDir::new("case");
    replay("case_loader", 0x5eed_ca5e, &dir.0, fuzzing::case_loader);
}

#[test]
fn rubric_loader_survives_corpus_and_mutations() {
    let dir = PrivateDir::new("rubric");
    let root = dir.0.join("tree");
    std::fs::create_dir_all(&root).unwrap();
    fuzzing::make_rubric_tree(&root).unwrap();
    replay("rubric_loader", 0x5eed_0b1c, &dir.0, |data| fuzzing::rubric_loader(data, &root));
}

#[test]
fn worker_result_survives_corpus_and_mutations() {
    let dir = PrivateDir::new("worker");
    replay("worker_result", 0x5eed_f4a3, &dir.0, fuzzing::worker_result);
}

/// A rubric in the fuzzing tree, loaded from its file like `grade` does.
fn rubric_in_tree(dir: &PrivateDir, text: &str) -> Result<harness::rubric::Rubric, harness::rubric::RubricError> {
    fuzzing::make_rubric_tree(&dir.0).unwrap();
    let path = dir.0.join("grading.yaml");
    std::fs::write(&path, text).unwrap();
    load_rubric(&path)
}

#[test]
fn glob_with_many_double_stars_took_exponential_time() {
    // `**` was matched by plain recursion: k of them against a path of depth n that does not match tried all
    // C(n + k, k) ways to split it (here about 10^10).
    let dir = PrivateDir::new("double-stars");
    let stars = "**/".repeat(60);
    let text = format!(
        "suites:\n  - {{ name: deep, cases: [\"testcases/{stars}nothing.yaml\", \"testcases/{stars}two.yaml\", \"{}x.yaml\"], points: 1 }}\n",
        "**/*/".repeat(300)
    );
    let started = thread_cpu();
    let rubric = rubric_in_tree(&dir, &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(cpu_since(started) < Duration::from_secs(2), "took {:?}", cpu_since(started));
    let matched = |glob: usize| -> Vec<String> {
        rubric.suites[0].cases[glob]
            .matches
            .iter()
            .map(|p| p.strip_prefix(&dir.0).unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert!(matched(0).is_empty());
    assert_eq!(matched(1), ["testcases/rr/a/b/c/d/e/f/two.yaml"], "`**/**` still matches like `**`");
    assert!(matched(2).is_empty());
}

#[test]
fn long_dependency_chain_overflowed_the_stack() {
    // The cycle check was a recursive depth-first search: one stack frame per suite of a chain. Lint runs on the
    // test harness's 2 MiB threads here, like on `grade`'s worker threads.
    let dir = PrivateDir::new("chain");
    let n = 15_000;
    let mut text = String::from("suites:\n");
    for i in 0..n {
        let dep = if i + 1 < n { format!("s{}", i + 1) } else { "s0".to_string() };
        text.push_str(&format!("- {{name: s{i}, cases: [t/*], points: 1, depends_on: [{dep}]}}\n"));
    }
    assert!(text.len() < MAX_RUBRIC_BYTES);
    let rubric = rubric_in_tree(&dir, &text).unwrap_or_else(|e| panic!("{e}"));
    let started = thread_cpu();
    let findings = lint(&rubric, &rubric.root);
    assert!(cpu_since(started) < Duration::from_secs(30), "lint took {:?}", cpu_since(started));
    let cycles: Vec<_> = findings.iter().filter(|f| f.code == "dependency-cycle").collect();
    assert_eq!(cycles.len(), 1, "the one cycle through all {n} suites");
    assert!(cycles[0].message.starts_with("`depends_on` forms a cycle: `s0` -> `s1` -> "), "{}", cycles[0].message);
    assert!(cycles[0].message.ends_with(&format!("... ({n} suites in all) -> `s0`")), "{}", cycles[0].message);
    assert!(cycles[0].message.len() < 400, "a long cycle is abridged");
}

#[test]
fn many_dependency_cycles_took_quadratic_time_and_memory() {
    // Every dependency back into a long chain closed a new cycle, each copied and formatted in full.
    let dir = PrivateDir::new("cycles");
    let n = 12_000;
    let mut text = String::from("suites:\n");
    for i in 0..n {
        let deps = if i + 1 < n { format!("s{}, s0", i + 1) } else { "s0".to_string() };
        text.push_str(&format!("- {{name: s{i}, cases: [t/*], points: 1, depends_on: [{deps}]}}\n"));
    }
    assert!(text.len() < MAX_RUBRIC_BYTES);
    let rubric = rubric_in_tree(&dir, &text).unwrap_or_else(|e| panic!("{e}"));
    let started = thread_cpu();
    let findings = lint(&rubric, &rubric.root);
    assert!(cpu_since(started) < Duration::from_secs(10), "lint took {:?}", cpu_since(started));
    let cycles = findings.iter().filter(|f| f.code == "dependency-cycle").count();
    assert!((1..=20).contains(&cycles), "{cycles} cycles reported");
    let whole = format!("... ({n} suites in all) -> `s0`");
    assert!(findings.iter().any(|f| f.message.ends_with(&whole)), "the cycle through every suite is reported");
}

#[test]
fn rubric_of_hundreds_of_mib_was_accepted() {
    let dir = PrivateDir::new("huge-rubric");
    let mut text = String::from("suites:\n  - { name: a, cases: [\"testcases/fcfs/*.yaml\"], points: 1 }\n");
    text.push_str(&"# padding\n".repeat(MAX_RUBRIC_BYTES / 10 + 1));
    let e = rubric_in_tree(&dir, &text).expect_err("over the limit");
    assert_eq!(e.first().code, "file-too-large");
    assert!(e.to_string().contains("more than the limit of 1048576 bytes (1 MiB)"), "{e}");
}

/// Loads a generated case in a debug build, and says how much CPU time it took.
fn load_generated(text: &str) -> (Result<harness::case::Case, harness::case::CaseError>, Duration) {
    let started = thread_cpu();
    let result = harness::case::parse_case(text, Path::new("generated.yaml"));
    (result, cpu_since(started))
}

/// An mlq case with `n` named queues and `n` processes whose `class` is given by `class(i)`.
fn mlq_case(n: usize, class: impl Fn(usize) -> String) -> String {
    let queues: Vec<String> = (0..n).map(|i| format!("{{name: q{i}, policy: fcfs}}")).collect();
    let mut text = format!("scheduler: {{policy: mlq, queues: [{}]}}\nprocesses:\n", queues.join(","));
    for i in 0..n {
        text.push_str(&format!("  - {{name: P{i}, class: {}, bursts: [cpu 1]}}\n", class(i)));
    }
    text
}

/// Large enough that a quadratic step takes minutes, small enough to parse in a few seconds in a debug build.
const MANY: usize = 20_000;
/// CPU time, generous for a debug build; the quadratic versions took minutes.
const BOUNDED: Duration = Duration::from_secs(20);

#[test]
fn mlq_class_by_name_scanned_every_queue_for_each_process() {
    // Only quadratic in time, not a hang: three times as many, and twice the bound. The quadratic version took
    // about 30 s of CPU for 40 000 (so over a minute for these); the linear one takes about 10 s in a debug build.
    let n = 3 * MANY;
    let (result, took) = load_generated(&mlq_case(n, |_| format!("q{}", n - 1)));
    let case = result.unwrap_or_else(|e| panic!("{e}"));
    assert!(case.processes.iter().all(|p| p.class as usize == n - 1));
    assert!(took < 2 * BOUNDED, "took {took:?}");
}

#[test]
fn unknown_mlq_class_names_each_compared_with_every_queue_name() {
    let (result, took) = load_generated(&mlq_case(MANY, |i| format!("zz{i}")));
    let e = result.expect_err("no such queues");
    assert_eq!(e.diagnostics.len(), harness::case::MAX_DIAGNOSTICS + 1, "the limit, then a note");
    assert!(e.hint().unwrap().contains(&format!("... ({MANY} queues)")), "{:?}", e.hint());
    assert!(e.to_string().len() < 200_000, "the errors stay small");
    assert!(took < BOUNDED, "took {took:?}");
}

#[test]
fn unknown_completion_names_each_compared_with_every_process_name() {
    let mut text = String::from("scheduler: {policy: fcfs}\nprocesses:\n");
    for i in 0..MANY {
        text.push_str(&format!("  - {{name: P{i}, bursts: [cpu 1]}}\n"));
    }
    let completion: Vec<String> = (0..MANY).map(|i| format!("X{i}: 1")).collect();
    text.push_str(&format!("expect: {{completion: {{{}}}}}\n", completion.join(", ")));
    let (result, took) = load_generated(&text);
    let e = result.expect_err("no such processes");
    assert_eq!(e.first().code, "unknown-process");
    assert!(took < BOUNDED, "took {took:?}");
}

#[test]
fn typo_suggestions_for_long_names_took_quadratic_time() {
    // The edit distance costs the product of the lengths: each unknown name of 1000 characters was compared with
    // each process name of 1000 characters (here 2 * 10^11 steps). YAML keys are at most 1024 characters.
    let long = |c: &str, i: usize| format!("{}{i}", c.repeat(1000));
    let mut text = String::from("scheduler: {policy: fcfs}\nprocesses:\n");
    for i in 0..1000 {
        text.push_str(&format!("  - {{name: {}, bursts: [cpu 1]}}\n", long("a", i)));
    }
    let completion: Vec<String> = (0..200).map(|i| format!("{}: 1", long("b", i))).collect();
    text.push_str(&format!("expect: {{completion: {{{}}}}}\n", completion.join(", ")));
    let (result, took) = load_generated(&text);
    let e = result.expect_err("no such processes");
    assert_eq!(e.first().code, "unknown-process");
    assert!(took < BOUNDED, "took {took:?}");
    assert_eq!(harness::case::closest("fcsf", ["fcfs", "rr"]), Some("fcfs"), "short typos still get a suggestion");
}
