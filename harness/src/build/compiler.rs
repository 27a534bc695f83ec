//! Running the compiler with a time limit, and reading its JSON diagnostics.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::BuildError;

/// How many compiler errors a failure summary shows.
const SUMMARY_ERRORS: usize = 3;
/// The cap on a failure summary, in bytes.
pub(crate) const SUMMARY_MAX_BYTES: usize = 4 * 1024;
/// The longest JSON message read; longer ones are skipped.
const MAX_LINE_BYTES: u64 = 4 * 1024 * 1024;
/// How much of the compiler's other stderr output (not JSON: crashes, allocation failures) is kept.
const STDERR_KEEP_BYTES: usize = 16 * 1024;

/// What one compiler run produced.
#[derive(Debug)]
pub(crate) struct CompilerRun {
    /// `None` if the time limit killed it.
    pub(crate) status: Option<ExitStatus>,
    /// The rendered text of the first errors.
    pub(crate) errors: Vec<String>,
    /// How many errors there were in total.
    pub(crate) error_count: usize,
    /// The end of what stderr held besides the JSON diagnostics.
    pub(crate) stderr: String,
}

impl CompilerRun {
    /// The signal that ended the compiler, if one did.
    pub(crate) fn signal(&self) -> Option<i32> {
        self.status.and_then(|status| status.signal())
    }
}

/// Runs `command` (a `rustc --error-format=json`, possibly behind the sandbox trampoline) in its own process
/// group. When the first process ends, or the time limit passes, the whole group is killed: nothing the build
/// started keeps running, or keeps writing into the build directory, after this returns.
pub(crate) fn run(mut command: Command, program: &str, timeout: Duration) -> Result<CompilerRun, BuildError> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    // A stopping grader kills the build's group (see `crate::shutdown`); unregistered when `run` returns.
    let gate = crate::shutdown::spawn_gate();
    let mut child = command.spawn().map_err(|source| BuildError::Spawn { program: program.to_owned(), source })?;
    let _registration = gate.register(child.id() as libc::pid_t);
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    // The compiler prints nothing useful on stdout; it is drained so that it never blocks.
    let stdout = thread::spawn(move || std::io::copy(&mut { stdout }, &mut std::io::sink()));
    let stderr = thread::spawn(move || Messages::read(stderr));

    let status = wait_with_timeout(&mut child, timeout);
    let _ = stdout.join();
    let messages = stderr.join().expect("the stderr reader does not panic");
    Ok(CompilerRun { status, errors: messages.errors, error_count: messages.error_count, stderr: messages.other })
}

/// Waits for `child` to end (or `timeout` to pass), kills its process group, then reaps it. `None` on timeout.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    // The waiter only observes the exit (WNOWAIT): while the leader is an unreaped zombie its process-group id
    // cannot be reused, so the `kill` below can only reach this build's processes.
    let waiter = thread::spawn(move || {
        loop {
            // SAFETY: waitid writes into the zeroed siginfo it is given.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            let result =
                unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
            if result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                break;
            }
        }
        let _ = tx.send(());
    });
    let timed_out = rx.recv_timeout(timeout).is_err();
    // SAFETY: kill(2) has no memory-safety preconditions; see above for why the group is still ours.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    if timed_out {
        let _ = rx.recv();
    }
    waiter.join().expect("the waiter does not panic");
    // `wait` itself failing (ECHILD) cannot happen for a child we own; count it as a failed run.
    let status = child.wait().unwrap_or_else(|_| ExitStatus::from_raw(1 << 8));
    (!timed_out).then_some(status)
}

#[derive(Default)]
struct Messages {
    errors: Vec<String>,
    error_count: usize,
    other: String,
}

impl Messages {
    /// Reads the compiler's stderr: JSON diagnostics, one per line, and whatever else (a crash, an allocation
    /// failure), keeping only what a summary needs however much the compiler prints.
    fn read(stderr: impl Read) -> Messages {
        let mut messages = Messages::default();
        let mut other: Vec<u8> = Vec::new();
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        loop {
            line.clear();
            // A line is read whole up to MAX_LINE_BYTES; a longer one (a diagnostic about an absurd type, say) is
            // skipped rather than buffered.
            match (&mut reader).take(MAX_LINE_BYTES).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with(b"\n") || (line.len() as u64) < MAX_LINE_BYTES => {
                    if !messages.diagnostic(&line) {
                        other.extend_from_slice(&line);
                        if other.len() > 2 * STDERR_KEEP_BYTES {
                            other.drain(..other.len() - STDERR_KEEP_BYTES);
                        }
                    }
                }
                Ok(_) => {
                    if skip_line(&mut reader).is_err() {
                        break;
                    }
                }
            }
        }
        if other.len() > STDERR_KEEP_BYTES {
            other.drain(..other.len() - STDERR_KEEP_BYTES);
        }
        messages.other = String::from_utf8_lossy(&other).into_owned();
        messages
    }

    /// Takes `line` if it is a JSON diagnostic; `false` if it is something else.
    fn diagnostic(&mut self, line: &[u8]) -> bool {
        if !line.starts_with(b"{") {
            return false;
        }
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            return false;
        };
        if message["$message_type"] != "diagnostic" {
            return true;
        }
        let level = message["level"].as_str().unwrap_or_default();
        let text = message["message"].as_str().unwrap_or_default();
        // "aborting due to N previous errors" is a summary, not an error of its own.
        if !level.starts_with("error") || text.starts_with("aborting due to") {
            return true;
        }
        self.error_count += 1;
        if self.errors.len() < SUMMARY_ERRORS {
            let rendered = message["rendered"].as_str().unwrap_or(text);
            self.errors.push(rendered.trim_end().to_owned());
        }
        true
    }
}

/// Discards input up to and including the next newline.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(end) = buf.iter().position(|&b| b == b'\n') {
            reader.consume(end + 1);
            return Ok(());
        }
        let len = buf.len();
        reader.consume(len);
    }
}

/// Caps `text` at `max` bytes on a character boundary, saying so when it cuts.
pub(crate) fn cap(mut text: String, max: usize) -> String {
    const MARK: &str = "\n[... cut]";
    if text.len() > max {
        let mut end = max.saturating_sub(MARK.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(MARK);
    }
    text
}

/// The last `max` bytes of `text` on a character boundary, marked when cut.
pub(crate) fn tail(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("[...]{}", &text[start..])
}
