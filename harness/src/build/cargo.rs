//! Running cargo with a time limit and reading its JSON messages.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
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
/// How much of cargo's stderr is kept for messages.
const STDERR_KEEP_BYTES: usize = 16 * 1024;

/// What one cargo run produced.
#[derive(Debug)]
pub(crate) struct CargoRun {
    /// `None` if the time limit killed it.
    pub(crate) status: Option<ExitStatus>,
    /// The rendered text of the submission's first compiler errors.
    pub(crate) errors: Vec<String>,
    /// How many compiler errors the submission had in total.
    pub(crate) error_count: usize,
    /// The files of the submission's library artifact, as cargo reported them.
    pub(crate) artifacts: Vec<PathBuf>,
    /// The end of stderr (cargo's own messages; the compiler's are in the JSON on stdout).
    pub(crate) stderr: String,
}

/// Runs `command` (which must print `--message-format=json` on stdout) in its own process group; on timeout the
/// whole group is killed.
/// `target` is the library target whose diagnostics and artifacts are collected.
pub(crate) fn run(
    mut command: Command,
    program: &str,
    target: &str,
    timeout: Duration,
) -> Result<CargoRun, BuildError> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    // A stopping grader kills the build's group (see `crate::shutdown`); unregistered when `run` returns.
    let gate = crate::shutdown::spawn_gate();
    let mut child = command.spawn().map_err(|source| BuildError::Spawn { program: program.to_owned(), source })?;
    let pgid = child.id() as libc::pid_t;
    let _registration = gate.register(pgid);
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let target = target.to_owned();
    let stdout = thread::spawn(move || Messages::read(stdout, &target));
    let stderr = thread::spawn(move || read_tail(stderr, STDERR_KEEP_BYTES));

    let status = wait_with_timeout(child, pgid, timeout);
    let messages = stdout.join().expect("the stdout reader does not panic");
    let stderr = stderr.join().expect("the stderr reader does not panic");
    Ok(CargoRun {
        status,
        errors: messages.errors,
        error_count: messages.error_count,
        artifacts: messages.artifacts,
        stderr,
    })
}

/// Waits for `child`; past `timeout`, kills its process group and returns `None`.
fn wait_with_timeout(mut child: Child, pgid: libc::pid_t, timeout: Duration) -> Option<ExitStatus> {
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(timeout) {
        Ok(status) => Some(status),
        Err(_) => {
            // SAFETY: kill(2) has no memory-safety preconditions. The group leader has not been reaped yet (the
            // waiter has not reported), so the group id still names our group.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = rx.recv();
            None
        }
    };
    waiter.join().expect("the waiter does not panic");
    // `wait` itself failing (ECHILD) cannot happen for a child we own; count it as a failed run.
    status.map(|s| s.unwrap_or_else(|_| std::os::unix::process::ExitStatusExt::from_raw(1 << 8)))
}

#[derive(Default)]
struct Messages {
    errors: Vec<String>,
    error_count: usize,
    artifacts: Vec<PathBuf>,
}

impl Messages {
    /// Reads cargo's JSON messages, keeping only what a summary needs however much the compiler prints.
    fn read(stdout: impl Read, target: &str) -> Messages {
        let mut messages = Messages::default();
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            // A line is read whole up to MAX_LINE_BYTES; a longer one (a diagnostic about an absurd type, say) is
            // skipped rather than buffered.
            match (&mut reader).take(MAX_LINE_BYTES).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with(b"\n") || (line.len() as u64) < MAX_LINE_BYTES => messages.line(&line, target),
                Ok(_) => {
                    if skip_line(&mut reader).is_err() {
                        break;
                    }
                }
            }
        }
        messages
    }

    fn line(&mut self, line: &[u8], target: &str) {
        // Anything that is not a JSON object (e.g. a launcher's own output) is not a cargo message.
        if !line.starts_with(b"{") {
            return;
        }
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            return;
        };
        if message["target"]["name"] != target {
            return;
        }
        match message["reason"].as_str() {
            Some("compiler-message") => {
                let diagnostic = &message["message"];
                let level = diagnostic["level"].as_str().unwrap_or_default();
                let text = diagnostic["message"].as_str().unwrap_or_default();
                // "aborting due to N previous errors" is a summary, not an error of its own.
                if !level.starts_with("error") || text.starts_with("aborting due to") {
                    return;
                }
                self.error_count += 1;
                if self.errors.len() < SUMMARY_ERRORS {
                    let rendered = diagnostic["rendered"].as_str().unwrap_or(text);
                    self.errors.push(rendered.trim_end().to_owned());
                }
            }
            Some("compiler-artifact") => {
                if let Some(files) = message["filenames"].as_array() {
                    self.artifacts.extend(files.iter().filter_map(|f| f.as_str()).map(PathBuf::from));
                }
            }
            _ => {}
        }
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

/// Reads everything, keeping the last `keep` bytes (lossily decoded).
fn read_tail(mut input: impl Read, keep: usize) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match input.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * keep {
                    tail.drain(..tail.len() - keep);
                }
            }
        }
    }
    if tail.len() > keep {
        tail.drain(..tail.len() - keep);
    }
    String::from_utf8_lossy(&tail).into_owned()
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
