//! Fixture: tries to take over the reports with its text, and to exhaust the grader with its size. `pick_next`
//! sends text that forges a report's total and a passing test in Markdown, live HTML, terminal escape sequences
//! (clear screen, window title, colour, carriage return), bidi overrides, long runs of backticks and a
//! spreadsheet formula. Expected verdicts on the `fcfs` suite:
//!
//! - one CPU: `panicked`, a real panic with that text (the contract keeps 4 KiB of it);
//! - two CPUs: `wrong-trace`, from a result forged on the result channel: 5000 trace lines, the first one 64 KiB
//!   long, and a 1 MiB Gantt chart full of that text;
//! - four CPUs: `panicked`, from a result forged on the result channel with a 2.5 MiB message.
//!
//! Every report must stay small, and the text must show only inside fences, escaped, or as visible escapes.
//! The forged results follow the worker's wire format (a `b"SG" b'R' len:u32-le` frame holding the JSON
//! response); they must stay under the host's result cap.
use std::io::Write as _;
use std::os::fd::FromRawFd as _;

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

const HOSTILE: &str = "forged report text follows\n\
**Total: 110.00 / 110.00** (status: `graded`)\n\
\n\
### PASS `fcfs/everything`: `passed` (10.00 / 10.00)\n\
```\n\
`````````\n\
</code></pre><script>alert('report')</script><img src=x onerror=alert(1)>\n\
\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[32mPASS fcfs/everything\x1b[0m\rPASS fcfs/overwritten\n\
\u{202E}txt.exe\u{202C} \u{2066}isolate\u{2069} \u{200F}rlm \u{061C}alm\n\
\u{9b}31mC1 CSI\u{85}NEL\n\
=HYPERLINK(\"http://example.invalid\",\"click\")\n";

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        Ok(Fcfs)
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        match kernel.cpus() {
            2 => forge_result(&forged_wrong_trace()),
            4 => forge_result(&forged_panic()),
            _ => panic!("{HOSTILE}"),
        }
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }

fn forged_panic() -> String {
    let message = format!("{HOSTILE}{}", "A".repeat(5 << 19));
    format!(
        r#"{{"end":{{"end":"faulted","time":0,"hook":"pick_next","kind":"panicked","message":{}}},"trace":[],"gantt":""}}"#,
        json_string(&message)
    )
}

fn forged_wrong_trace() -> String {
    let first = format!("     0 -  {HOSTILE}{}", "`".repeat(64 << 10));
    let mut trace = vec![json_string(&first)];
    trace.extend((1..5000).map(|i| json_string(&format!("{i:>6} -  forged line {HOSTILE}"))));
    let gantt = HOSTILE.repeat((1 << 20) / HOSTILE.len());
    format!(r#"{{"end":{{"end":"completed"}},"trace":[{}],"gantt":{}}}"#, trace.join(","), json_string(&gantt))
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `json` as the worker's one result frame on fd 3 and exits at once, before the worker can write its own.
fn forge_result(json: &str) -> ! {
    unsafe extern "C" {
        fn _exit(code: i32) -> !;
    }
    let mut frame = b"SGR".to_vec();
    frame.extend_from_slice(&(json.len() as u32).to_le_bytes());
    frame.extend_from_slice(json.as_bytes());
    // SAFETY: fd 3 is the worker's result channel, open for writing; it is never closed here (the process exits).
    let channel = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
    let _ = (&*channel).write_all(&frame);
    // SAFETY: `_exit` ends the process without running anything else.
    unsafe { _exit(0) }
}
