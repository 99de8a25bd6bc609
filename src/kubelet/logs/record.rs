//! The CRI log line format (`<time> <stream> <F|P> <content>`) and the joining of partial records.

use chrono::{DateTime, Utc};

/// Longest content of one record: longer lines are split into partial (`P`) records, as the
/// container runtime does, so one record never grows without bound.
pub const MAX_RECORD_CONTENT: usize = 16 * 1024;

/// Which pipe of the container a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The container's standard output.
    Stdout,
    /// The container's standard error.
    Stderr,
}

// === impl Stream ===

impl Stream {
    /// The name used in the log file.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }

    fn parse(word: &[u8]) -> Option<Stream> {
        match word {
            b"stdout" => Some(Stream::Stdout),
            b"stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }
}

/// One parsed record of a log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// When the runtime read the content.
    pub time: DateTime<Utc>,
    /// The pipe it came from.
    pub stream: Stream,
    /// `P`: the content continues in the next record of the same stream.
    pub partial: bool,
    /// The bytes, without the line's newline.
    pub content: &'a [u8],
}

/// The fixed-width RFC 3339 form the kubelet writes and shows (always nine fraction digits, `Z`).
pub fn format_time(time: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(30);
    crate::logline::write_record_time(&mut out, time);
    out
}

/// Appends one record line (with its newline) to `out`.
pub fn encode(
    time: DateTime<Utc>,
    stream: Stream,
    partial: bool,
    content: &[u8],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(format_time(time).as_bytes());
    out.push(b' ');
    out.extend_from_slice(stream.as_str().as_bytes());
    out.extend_from_slice(if partial { b" P " } else { b" F " });
    out.extend_from_slice(content);
    out.push(b'\n');
}

/// Turns raw pipe output into records: one `F` record per complete line and `P` records for
/// every [`MAX_RECORD_CONTENT`] bytes of a line still without its newline. Returns how many bytes
/// of `pending` were consumed; the rest waits for more output (or [`encode_rest`] at EOF).
pub fn encode_lines(
    pending: &[u8],
    stream: Stream,
    time: DateTime<Utc>,
    out: &mut Vec<u8>,
) -> usize {
    let mut consumed = 0;
    while let Some(rest) = pending.get(consumed..) {
        match rest.iter().position(|&b| b == b'\n') {
            Some(end) if end <= MAX_RECORD_CONTENT => {
                encode(
                    time,
                    stream,
                    false,
                    rest.get(..end).unwrap_or_default(),
                    out,
                );
                consumed += end + 1;
            }
            _ if rest.len() >= MAX_RECORD_CONTENT => {
                encode(
                    time,
                    stream,
                    true,
                    rest.get(..MAX_RECORD_CONTENT).unwrap_or_default(),
                    out,
                );
                consumed += MAX_RECORD_CONTENT;
            }
            _ => break,
        }
    }
    consumed
}

/// Writes what is left when the pipe closes without a final newline: a partial record, as the
/// runtime does, so readers know the line was never ended.
pub fn encode_rest(rest: &[u8], stream: Stream, time: DateTime<Utc>, out: &mut Vec<u8>) {
    for chunk in rest.chunks(MAX_RECORD_CONTENT) {
        encode(time, stream, true, chunk, out);
    }
}

/// Parses one line of a log file (without its newline).
pub fn parse(line: &[u8]) -> Option<Record<'_>> {
    let (time, rest) = split_word(line)?;
    let time = std::str::from_utf8(time).ok()?;
    let time = DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
    let (stream, rest) = split_word(rest)?;
    let stream = Stream::parse(stream)?;
    // The content may be empty, in which case even the space after the tag may be missing.
    let (tags, content) = split_word(rest).unwrap_or((rest, &[]));
    // Tags are `:`-separated; the first says whether the line is complete.
    let partial = match tags.split(|&b| b == b':').next()? {
        b"P" => true,
        b"F" => false,
        _ => return None,
    };
    Some(Record {
        time,
        stream,
        partial,
        content,
    })
}

fn split_word(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = bytes.iter().position(|&b| b == b' ')?;
    Some((bytes.get(..space)?, bytes.get(space + 1..)?))
}

/// One line as shown to the reader: partial records joined, or a line that is no record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The time of its first record; `None` for a line that is not a record.
    pub time: Option<DateTime<Utc>>,
    /// The joined content without newline.
    pub content: Vec<u8>,
    /// Whether the line was ended (an `F` record or a non-record line).
    pub complete: bool,
    /// Position of its first record in the file, to keep file order when streams interleave.
    seq: u64,
}

/// Joins partial records per stream into [`LogLine`]s.
#[derive(Debug, Default)]
pub struct Assembler {
    open: [Option<LogLine>; 2],
    next_seq: u64,
}

// === impl Assembler ===

impl Assembler {
    /// Feeds one file line (without newline); finished lines are appended to `out` in the order
    /// they complete.
    pub fn push(&mut self, line: &[u8], out: &mut Vec<LogLine>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let Some(record) = parse(line) else {
            out.push(LogLine {
                time: None,
                content: line.to_vec(),
                complete: true,
                seq,
            });
            return;
        };
        let Some(slot) = self.open.get_mut(record.stream.index()) else {
            return;
        };
        let mut current = slot.take().unwrap_or(LogLine {
            time: Some(record.time),
            content: Vec::new(),
            complete: false,
            seq,
        });
        current.content.extend_from_slice(record.content);
        if record.partial {
            *slot = Some(current);
        } else {
            current.complete = true;
            out.push(current);
        }
    }

    /// Hands out the lines still waiting for their end, oldest first.
    pub fn finish(&mut self, out: &mut Vec<LogLine>) {
        let mut open: Vec<LogLine> = self.open.iter_mut().filter_map(Option::take).collect();
        open.sort_by_key(|line| line.seq);
        out.extend(open);
    }
}

/// Sorts lines into file order of their first record.
pub fn sort_lines(lines: &mut [LogLine]) {
    lines.sort_by_key(|line| line.seq);
}

/// Splits file content into lines without their newline; a last line without newline counts.
pub fn split_lines(contents: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = contents.strip_suffix(b"\n").unwrap_or(contents);
    let empty = body.is_empty() && contents.is_empty();
    body.split(|&b| b == b'\n').filter(move |_| !empty)
}
