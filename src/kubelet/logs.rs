//! Container logs in the CRI log file format: writing them from a child's pipes (`pump`) and
//! reading them back the way `kubectl logs` expects (`render`, `follow`).

mod follow;
mod options;
mod record;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

pub use follow::follow;
pub use options::{parse_bool, LogOptions};
pub use record::{encode, format_time, parse, Record, Stream, MAX_RECORD_CONTENT};

use record::{Assembler, LogLine};

/// Why a log request cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogsError {
    /// A query parameter that must be a whole number is not one.
    #[error("{field}: Invalid value: {value:?}: must be an integer")]
    NotANumber {
        /// The query parameter.
        field: &'static str,
        /// Its value as sent.
        value: String,
    },
    /// A query parameter is out of its allowed range (API server validation wording).
    #[error("{field}: Invalid value: {value}: {reason}")]
    Invalid {
        /// The query parameter.
        field: &'static str,
        /// Its value, formatted as the API server shows it.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A combination of parameters that is not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
}

/// How many bytes a pump reads from the pipe at once. A busy proxy writes its access log in
/// batches; reading them whole keeps `up`'s share of the work to one read, one timestamp and
/// one file write per batch.
const READ_CHUNK: usize = 64 * 1024;

/// Reads a child's pipe until EOF and appends its output as log records to `sink`.
///
/// Both pipes of a container share one sink; each batch of whole records is written under the
/// lock so the two streams never interleave inside a record. Output not ended by a newline when
/// the pipe closes is written as a partial record.
pub async fn pump(
    mut reader: impl AsyncRead + Unpin,
    stream: Stream,
    sink: Arc<tokio::sync::Mutex<tokio::fs::File>>,
) -> std::io::Result<()> {
    let mut pending = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut out = Vec::new();
    loop {
        let read = reader.read(&mut chunk).await;
        out.clear();
        let done = match read {
            Ok(0) | Err(_) => {
                record::encode_rest(&pending, stream, Utc::now(), &mut out);
                pending.clear();
                true
            }
            Ok(n) => {
                pending.extend_from_slice(chunk.get(..n).unwrap_or_default());
                let consumed = record::encode_lines(&pending, stream, Utc::now(), &mut out);
                pending.drain(..consumed);
                false
            }
        };
        if !out.is_empty() {
            let mut file = sink.lock().await;
            file.write_all(&out).await?;
            // tokio's File writes in the background; flushing makes the record visible to
            // readers before the lock is released.
            file.flush().await?;
        }
        if done {
            return read.map(|_| ());
        }
    }
}

/// Renders a whole log file as `kubectl logs` shows it: the last `tail` lines, then only those
/// since the `since` bound, partial records joined, cut after `limit_bytes`.
///
/// Lines that are not records are passed through unchanged.
pub fn render(contents: &[u8], opts: &LogOptions, now: DateTime<Utc>) -> Vec<u8> {
    let mut assembler = Assembler::default();
    let mut lines = Vec::new();
    for line in record::split_lines(contents) {
        assembler.push(line, &mut lines);
    }
    assembler.finish(&mut lines);
    let mut out = Vec::new();
    Formatter::new(opts, now).emit_tail(lines, opts.tail, &mut out);
    out
}

/// Turns [`LogLine`]s into output bytes, applying the `since` bound, timestamps and the byte
/// limit across everything written so far.
#[derive(Debug)]
struct Formatter {
    since: Option<DateTime<Utc>>,
    timestamps: bool,
    remaining: Option<usize>,
}

// === impl Formatter ===

impl Formatter {
    fn new(opts: &LogOptions, now: DateTime<Utc>) -> Formatter {
        Formatter {
            since: opts.since(now),
            timestamps: opts.timestamps,
            remaining: opts.limit_bytes,
        }
    }

    /// Whether the byte limit has been reached.
    fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Emits the last `tail` of `lines` (sorted into file order first).
    ///
    /// The tail is taken before the `since` bound is applied, as the kubelet does.
    fn emit_tail(&mut self, mut lines: Vec<LogLine>, tail: Option<usize>, out: &mut Vec<u8>) {
        record::sort_lines(&mut lines);
        let start = tail.map_or(0, |tail| lines.len().saturating_sub(tail));
        for line in lines.iter().skip(start) {
            self.emit(line, out);
        }
    }

    fn emit(&mut self, line: &LogLine, out: &mut Vec<u8>) {
        if let (Some(since), Some(time)) = (self.since, line.time) {
            if time < since {
                return;
            }
        }
        let mut text = Vec::with_capacity(line.content.len() + 32);
        if let (true, Some(time)) = (self.timestamps, line.time) {
            text.extend_from_slice(format_time(time).as_bytes());
            text.push(b' ');
        }
        text.extend_from_slice(&line.content);
        if line.complete {
            text.push(b'\n');
        }
        if let Some(remaining) = self.remaining.as_mut() {
            text.truncate(*remaining);
            *remaining -= text.len();
        }
        out.extend_from_slice(&text);
    }
}
