//! `kubectl logs -f`: the rendered log so far, then new records as the container writes them,
//! across the file being truncated or replaced by a restart of the container.

use std::io::SeekFrom;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use futures::Stream as FuturesStream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::record::{self, Assembler};
use super::{Formatter, LogOptions};

/// How often the file is checked for new content.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Streams the log at `path`: first the rendered existing content, then new lines as they are
/// appended, until `alive` returns false (checked on every poll), at which point what is left in
/// the file is drained and the stream ends. It also ends when `limit_bytes` is reached.
///
/// A file replaced at the same path (another inode) or truncated is read again from its start.
pub fn follow(
    path: PathBuf,
    opts: LogOptions,
    alive: impl Fn() -> bool + Send + 'static,
) -> impl FuturesStream<Item = std::io::Result<Bytes>> + Send {
    let formatter = Formatter::new(&opts, Utc::now());
    let follower = Follower {
        path,
        tail: opts.tail,
        alive: Box::new(alive),
        file: None,
        inode: 0,
        offset: 0,
        pending: Vec::new(),
        assembler: Assembler::default(),
        formatter,
        done: false,
    };
    futures::stream::unfold(follower, |mut follower| async move {
        let item = follower.next().await?;
        Some((item, follower))
    })
}

/// The state of one follow stream.
struct Follower {
    path: PathBuf,
    /// The `tailLines` bound, used for the content present at the start only.
    tail: Option<usize>,
    alive: Box<dyn Fn() -> bool + Send>,
    file: Option<tokio::fs::File>,
    inode: u64,
    /// Bytes of the current file read so far.
    offset: u64,
    /// Bytes after the last newline read, waiting for the rest of their line.
    pending: Vec<u8>,
    assembler: Assembler,
    formatter: Formatter,
    done: bool,
}

// === impl Follower ===

impl Follower {
    async fn next(&mut self) -> Option<std::io::Result<Bytes>> {
        loop {
            if self.done {
                return None;
            }
            let mut out = Vec::new();
            if self.file.is_none() {
                match self.start(&mut out).await {
                    Ok(()) if out.is_empty() => continue,
                    Ok(()) => return Some(Ok(Bytes::from(out))),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            // Checked before reading so that whatever was written before the end is drained.
            let alive = (self.alive)();
            if let Err(e) = self.poll_once(&mut out).await {
                self.done = true;
                return Some(Err(e));
            }
            if !alive || self.formatter.exhausted() {
                self.finish_lines(&mut out);
                self.done = true;
            }
            if !out.is_empty() {
                return Some(Ok(Bytes::from(out)));
            }
            if self.done {
                return None;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Opens the file and renders its content with the `tail` bound.
    async fn start(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let file = tokio::fs::File::open(&self.path).await?;
        self.inode = file.metadata().await?.ino();
        self.file = Some(file);
        let mut lines = Vec::new();
        self.read_new(&mut lines).await?;
        self.formatter.emit_tail(lines, self.tail, out);
        Ok(())
    }

    /// Reads what was appended, then handles a replaced or truncated file.
    async fn poll_once(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let mut lines = Vec::new();
        self.read_new(&mut lines).await?;
        match tokio::fs::metadata(&self.path).await {
            Ok(meta) if meta.ino() != self.inode => {
                // A new run of the container: the old file is read to its end already.
                self.flush_pending(&mut lines);
                self.assembler.finish(&mut lines);
                if let Ok(file) = tokio::fs::File::open(&self.path).await {
                    self.inode = file.metadata().await?.ino();
                    self.file = Some(file);
                    self.offset = 0;
                    self.read_new(&mut lines).await?;
                }
            }
            Ok(meta) if meta.len() < self.offset => {
                self.pending.clear();
                self.assembler = Assembler::default();
                self.offset = 0;
                if let Some(file) = self.file.as_mut() {
                    file.seek(SeekFrom::Start(0)).await?;
                }
                self.read_new(&mut lines).await?;
            }
            // Missing for a moment while being replaced, or unchanged: keep the open handle.
            _ => {}
        }
        for line in &lines {
            self.formatter.emit(line, out);
        }
        Ok(())
    }

    /// Reads to the current end of the file and feeds the complete lines to the assembler.
    async fn read_new(&mut self, lines: &mut Vec<record::LogLine>) -> std::io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        let mut buf = std::mem::take(&mut self.pending);
        let before = buf.len();
        let read = file.read_to_end(&mut buf).await?;
        self.offset += read as u64;
        let Some(last_newline) = buf
            .get(before..)
            .and_then(|new| new.iter().rposition(|&b| b == b'\n'))
        else {
            self.pending = buf;
            return Ok(());
        };
        let split = before + last_newline + 1;
        let rest = buf.split_off(split);
        for line in record::split_lines(&buf) {
            self.assembler.push(line, lines);
        }
        self.pending = rest;
        Ok(())
    }

    /// Treats bytes after the last newline as a final line.
    fn flush_pending(&mut self, lines: &mut Vec<record::LogLine>) {
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() {
            self.assembler.push(&pending, lines);
        }
    }

    /// Emits everything still held back, at the end of the stream.
    fn finish_lines(&mut self, out: &mut Vec<u8>) {
        let mut lines = Vec::new();
        self.flush_pending(&mut lines);
        self.assembler.finish(&mut lines);
        for line in &lines {
            self.formatter.emit(line, out);
        }
    }
}
