//! `cargo bench -p harness --bench simulate [-- SIZES...]`: simulates generated workloads (mixed CPU and I/O
//! bursts) under every reference policy, through the C ABI, and reports events per second and peak memory.
//!
//! Each (policy, size) runs in a fresh child process so that its peak RSS (`ru_maxrss`) is its own. Results are
//! printed as a Markdown table for BENCHMARKS.md.

use std::process::Command;
use std::time::Instant;

use harness::policy::{reference_table, run_case};
use harness::trace::Discard;
use harness::workload::generate;
use schedgrade_contract::PolicyKind;

fn peak_rss_kib() -> i64 {
    // SAFETY: getrusage writes into a zeroed rusage we own.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage.ru_maxrss
    }
}

fn child(policy: &str, n: usize) {
    let kind = PolicyKind::ALL.into_iter().find(|k| k.as_str() == policy).expect("known policy");
    let case = generate(kind, n, 42);
    let table = reference_table(kind).expect("reference implements every policy");
    let start = Instant::now();
    let result = run_case(&case, table, &mut Discard);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(result.end, harness::sim::RunEnd::Completed, "{policy} at {n} did not complete");
    let events = result.totals.events;
    println!("{policy}\t{n}\t{events}\t{secs:.3}\t{:.2}\t{}", events as f64 / secs / 1e6, peak_rss_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], args[2].parse().expect("size"));
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1_000, 100_000, 1_000_000]
    } else {
        args.iter().map(|a| a.parse().expect("sizes are integers")).collect()
    };
    let exe = std::env::current_exe().expect("current exe");
    println!("| policy | processes | events | seconds | M events/s | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for kind in PolicyKind::ALL {
        for &n in &sizes {
            let out = Command::new(&exe).args(["--child", kind.as_str(), &n.to_string()]).output().expect("spawn");
            let text = String::from_utf8_lossy(&out.stdout);
            let fields: Vec<&str> = text.trim().split('\t').collect();
            if !out.status.success() || fields.len() != 6 {
                println!("| {} | {n} | failed: {} | | | |", kind.as_str(), String::from_utf8_lossy(&out.stderr).trim());
                continue;
            }
            let rss_mib = fields[5].parse::<f64>().unwrap_or(0.0) / 1024.0;
            println!(
                "| {} | {} | {} | {} | {} | {rss_mib:.1} |",
                fields[0], fields[1], fields[2], fields[3], fields[4]
            );
        }
    }
}
