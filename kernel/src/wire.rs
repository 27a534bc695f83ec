//! The result channel (fd 3 in the worker): framing on the worker side, untrusted parsing on the host side.
//!
//! A frame is `b"SG"`, a tag byte, the payload length as a little-endian `u32`, then the payload:
//!
//! | tag | payload | written by |
//! |---|---|---|
//! | `S` | one line: what the sandbox enforced | `enter_sandbox` (worker) |
//! | `L` | the worker's CPU time so far in µs, decimal: student code may run from here on | `write_loading_marker` |
//! | `R` | the result bytes, opaque to the sandbox | `write_result` (worker) |
//! | `E` | `kind` `\n` `message` (UTF-8) | `write_error` (worker) |
//! | `V` | the name of the denied syscall | the `SIGSYS` handler |
//!
//! The host accepts at most one `S` frame, at most one `L` frame after it, then exactly one `R` or `E` frame; a
//! `V` frame may come at any point and ends the stream (the handler exits right after writing it). Anything else
//! is a protocol problem.
//!
//! **Trust.** Everything before the `L` frame was written by the grader's own code; everything after it may have
//! been written by student code, which shares the process and can write to fd 3. So the host believes an `E` frame
//! about the grader's own failure only before `L` ([`Decoded::error_after_loading`]).

use std::os::fd::RawFd;

/// The exit code of a worker killed by its own `SIGSYS` handler after it reported a violation.
pub const VIOLATION_EXIT_CODE: i32 = 159;

/// The result channel's file descriptor in the worker.
pub const RESULT_FD: RawFd = 3;
/// The student library, opened read-only by the host: the worker loads it from this descriptor and never learns
/// its path.
pub const LIBRARY_FD: RawFd = 4;
/// A Unix socket to the host, over which the worker sends the listener of its memory-watching seccomp filter
/// before closing it.
pub const NOTIFY_FD: RawFd = 5;
/// The host's one-byte answer on [`NOTIFY_FD`] when it found every seccomp filter of the worker in place.
pub const FILTERS_VERIFIED: u8 = b'1';
/// The host's answer when it did not.
pub const FILTERS_MISSING: u8 = b'0';
/// The environment variable holding the path the worker loads the library from: [`LIBRARY_IN_ROOT`] in a private
/// root, else `/proc/self/fd/4`. Both name the file open on [`LIBRARY_FD`].
pub const LIBRARY_PATH_ENV: &str = "SCHEDGRADE_LIBRARY";
/// Where the library is in a worker's private root.
pub const LIBRARY_IN_ROOT: &str = "/submission.so";
/// The environment variable holding the test's CPU budget in milliseconds.
pub const CPU_BUDGET_ENV: &str = "SCHEDGRADE_CPU_MS";
/// The soft `RLIMIT_CPU`, in seconds, of a worker with a CPU budget of `budget_ms` that used `preload_us` before
/// student code could run: the budget rounded up to whole seconds (at least 1), plus the whole seconds of the
/// preload.
pub fn cpu_soft_limit_secs(budget_ms: u64, preload_us: u64) -> u64 {
    budget_ms.div_ceil(1000).max(1) + preload_us / 1_000_000
}

/// The longest `V` frame payload believed as a syscall name; longer ones are a protocol problem.
pub const MAX_SYSCALL_NAME: usize = 32;
/// Frame header length: magic (2) + tag (1) + length (4).
pub const HEADER_LEN: usize = 7;
const MAGIC: [u8; 2] = *b"SG";

pub const TAG_REPORT: u8 = b'S';
pub const TAG_LOADING: u8 = b'L';
pub const TAG_RESULT: u8 = b'R';
pub const TAG_ERROR: u8 = b'E';
pub const TAG_VIOLATION: u8 = b'V';

/// The header of a frame with `tag` and a payload of `len` bytes.
pub const fn header(tag: u8, len: u32) -> [u8; HEADER_LEN] {
    let l = len.to_le_bytes();
    [MAGIC[0], MAGIC[1], tag, l[0], l[1], l[2], l[3]]
}

/// An error the worker reported on the result channel instead of a result (an `E` frame).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerError {
    /// A stable kebab-case kind: `abi-mismatch`, `missing-symbol`, `load-error` (see
    /// the worker's `LoadError::kind`), `sandbox-setup`, `bad-payload`, or one the grader defines.
    pub kind: String,
    /// A human-readable explanation.
    pub message: String,
}

/// Everything the host read from the result channel.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    pub report: Option<String>,
    /// The `L` frame: the CPU time the worker used before student code could run, in µs.
    pub loading: Option<u64>,
    /// The `E` frame came after the `L` frame: student code may have written it.
    pub error_after_loading: bool,
    pub result: Option<Vec<u8>>,
    pub error: Option<WorkerError>,
    pub violation: Option<String>,
    /// The first way the stream broke the protocol, if it did.
    pub problem: Option<String>,
}

/// Parses the bytes read from the result channel. `truncated` says the host stopped keeping bytes at its cap.
pub fn decode(bytes: &[u8], truncated: bool) -> Decoded {
    let mut out = Decoded::default();
    let mut rest = bytes;
    let mut offset = 0usize;
    while !rest.is_empty() {
        if rest.len() < HEADER_LEN || rest[..2] != MAGIC {
            out.problem = Some(if rest.len() >= 2 && rest[..2] != MAGIC {
                format!("unexpected bytes at offset {offset} of the result channel")
            } else {
                format!("truncated frame header at offset {offset} of the result channel")
            });
            break;
        }
        let tag = rest[2];
        let len = u32::from_le_bytes([rest[3], rest[4], rest[5], rest[6]]) as usize;
        let Some(payload) = rest.get(HEADER_LEN..HEADER_LEN + len) else {
            out.problem = Some(format!("truncated frame at offset {offset} of the result channel"));
            break;
        };
        let text = || String::from_utf8_lossy(payload).into_owned();
        let seen_final = out.result.is_some() || out.error.is_some();
        match tag {
            TAG_VIOLATION if len <= MAX_SYSCALL_NAME => {
                out.violation.get_or_insert_with(text);
            }
            TAG_REPORT if out.report.is_none() && out.loading.is_none() && !seen_final => out.report = Some(text()),
            TAG_LOADING if out.loading.is_none() && !seen_final => match text().parse() {
                Ok(us) => out.loading = Some(us),
                Err(_) => {
                    out.problem = Some(format!("malformed loading marker at offset {offset} of the result channel"));
                    break;
                }
            },
            TAG_RESULT if !seen_final => out.result = Some(payload.to_vec()),
            TAG_ERROR if !seen_final => {
                let text = text();
                let (kind, message) = text.split_once('\n').unwrap_or((text.as_str(), ""));
                out.error = Some(WorkerError { kind: kind.to_owned(), message: message.to_owned() });
                out.error_after_loading = out.loading.is_some();
            }
            TAG_REPORT | TAG_RESULT | TAG_ERROR | TAG_LOADING | TAG_VIOLATION => {
                out.problem
                    .get_or_insert_with(|| format!("unexpected extra frame at offset {offset} of the result channel"));
            }
            other => {
                out.problem = Some(format!("unknown frame tag {other:#04x} at offset {offset} of the result channel"));
                break;
            }
        }
        rest = &rest[HEADER_LEN + len..];
        offset += HEADER_LEN + len;
    }
    if out.problem.is_some() && out.violation.is_none() {
        // The handler writes its frame last, whatever came before; find it even after garbage.
        out.violation = trailing_violation(bytes);
    }
    if truncated {
        out.problem = Some("the result channel exceeded its size limit".to_owned());
    }
    out
}

/// The offset just past a complete `L` frame, if the stream starts with frames up to one: the moment student code
/// may start, for the host's clocks.
pub fn loading_marker_end(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(h) = bytes.get(offset..offset + HEADER_LEN) {
        if h[..2] != MAGIC {
            return None;
        }
        let end = offset + HEADER_LEN + u32::from_le_bytes([h[3], h[4], h[5], h[6]]) as usize;
        if end > bytes.len() {
            return None;
        }
        match h[2] {
            TAG_LOADING => return Some(end),
            TAG_REPORT => offset = end,
            _ => return None,
        }
    }
    None
}

/// A `V` frame that ends exactly at the end of `bytes`, if there is one.
fn trailing_violation(bytes: &[u8]) -> Option<String> {
    let start = bytes.len().saturating_sub(HEADER_LEN + 128);
    (start..bytes.len().saturating_sub(HEADER_LEN - 1)).find_map(|i| {
        let h = &bytes[i..i + HEADER_LEN];
        let len = u32::from_le_bytes([h[3], h[4], h[5], h[6]]) as usize;
        (h[..2] == MAGIC && h[2] == TAG_VIOLATION && i + HEADER_LEN + len == bytes.len())
            .then(|| String::from_utf8_lossy(&bytes[i + HEADER_LEN..]).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tag: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = header(tag, payload.len() as u32).to_vec();
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn one_result_decodes() {
        let mut bytes = frame(TAG_REPORT, b"landlock=full");
        bytes.extend(frame(TAG_RESULT, b"hello"));
        let d = decode(&bytes, false);
        assert_eq!(d.result.as_deref(), Some(&b"hello"[..]));
        assert_eq!(d.report.as_deref(), Some("landlock=full"));
        assert_eq!(d.problem, None);
    }

    #[test]
    fn extra_result_is_a_problem() {
        let mut bytes = frame(TAG_RESULT, b"a");
        bytes.extend(frame(TAG_RESULT, b"b"));
        let d = decode(&bytes, false);
        assert_eq!(d.result.as_deref(), Some(&b"a"[..]));
        assert!(d.problem.unwrap().contains("extra frame"));
    }

    #[test]
    fn violation_after_garbage_is_found() {
        let mut bytes = b"garbage!".to_vec();
        bytes.extend(frame(TAG_VIOLATION, b"clone"));
        let d = decode(&bytes, false);
        assert_eq!(d.violation.as_deref(), Some("clone"));
        assert!(d.problem.is_some());
    }

    #[test]
    fn truncated_frame_is_a_problem() {
        let bytes = &frame(TAG_RESULT, b"hello")[..9];
        let d = decode(bytes, false);
        assert_eq!(d.result, None);
        assert!(d.problem.unwrap().contains("truncated"));
    }

    #[test]
    fn an_error_after_the_loading_marker_is_flagged() {
        let mut bytes = frame(TAG_REPORT, b"landlock=full");
        bytes.extend(frame(TAG_LOADING, b"1234"));
        assert_eq!(loading_marker_end(&bytes), Some(bytes.len()));
        bytes.extend(frame(TAG_ERROR, b"sandbox-setup\nforged"));
        let d = decode(&bytes, false);
        assert_eq!(d.loading, Some(1234));
        assert!(d.error_after_loading);
        let d = decode(&frame(TAG_ERROR, b"sandbox-setup\nreal"), false);
        assert!(!d.error_after_loading);
    }

    #[test]
    fn a_second_loading_marker_is_a_problem() {
        let mut bytes = frame(TAG_LOADING, b"1");
        bytes.extend(frame(TAG_LOADING, b"999999999"));
        let d = decode(&bytes, false);
        assert_eq!(d.loading, Some(1));
        assert!(d.problem.is_some());
    }

    #[test]
    fn error_frame_splits_kind() {
        let d = decode(&frame(TAG_ERROR, b"abi-mismatch\nversion 2, expected 1"), false);
        assert_eq!(d.error, Some(WorkerError { kind: "abi-mismatch".into(), message: "version 2, expected 1".into() }));
    }
}
