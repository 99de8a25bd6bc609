//! The write-ahead log that makes acknowledged writes durable: one append and one `fdatasync`
//! per group of writes, replayed into sled at start-up.
//!
//! sled keeps the objects and flushes them in the background; its own flush costs about as much
//! per write as a whole group of appends here, so the log is what the hot path waits for. A
//! checkpoint (a sled flush, then an empty log) keeps the log short.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

/// Records are `len u32 | crc32 u32 | payload`; payload is `rev u64 | op u8 | key_len u32 | key | value`.
const HEADER: usize = 8;
const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;

/// One logged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub rev: u64,
    pub key: Vec<u8>,
    /// `None` for a delete.
    pub value: Option<Vec<u8>>,
}

/// The open log file.
pub struct Wal {
    file: File,
    len: u64,
}

// === impl Record ===

impl Record {
    /// Append this record, framed, to `buf`.
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        let value = self.value.as_deref().unwrap_or_default();
        let payload_len = 8 + 1 + 4 + self.key.len() + value.len();
        let start = buf.len();
        buf.extend_from_slice(&(payload_len as u32).to_le_bytes());
        buf.extend_from_slice(&[0; 4]);
        buf.extend_from_slice(&self.rev.to_le_bytes());
        buf.push(if self.value.is_some() {
            OP_PUT
        } else {
            OP_DELETE
        });
        buf.extend_from_slice(&(self.key.len() as u32).to_le_bytes());
        buf.extend_from_slice(&self.key);
        buf.extend_from_slice(value);
        let crc = crc32fast::hash(&buf[start + HEADER..]);
        buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    }

    fn decode(payload: &[u8]) -> Option<Record> {
        let rev = u64::from_le_bytes(payload.get(0..8)?.try_into().ok()?);
        let op = *payload.get(8)?;
        let key_len = u32::from_le_bytes(payload.get(9..13)?.try_into().ok()?) as usize;
        let key = payload.get(13..13 + key_len)?.to_vec();
        let rest = payload.get(13 + key_len..)?.to_vec();
        let value = match op {
            OP_PUT => Some(rest),
            OP_DELETE => None,
            _ => return None,
        };
        Some(Record { rev, key, value })
    }
}

/// Every intact record of a log, in order, and the length of the intact prefix. A torn or
/// corrupt tail (a crash in the middle of an append) ends the log there: those writes were
/// never acknowledged.
pub fn parse(bytes: &[u8]) -> (Vec<Record>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(head) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Some(rec) = Record::decode(payload) else {
            break;
        };
        out.push(rec);
        at += HEADER + len;
    }
    (out, at)
}

// === impl Wal ===

impl Wal {
    /// Open the log at `path`, returning it with the records it holds (the intact ones).
    pub fn open(path: &Path) -> std::io::Result<(Wal, Vec<Record>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (records, good) = parse(&bytes);
        if good < bytes.len() {
            file.set_len(good as u64)?;
        }
        Ok((
            Wal {
                file,
                len: good as u64,
            },
            records,
        ))
    }

    /// Append encoded records and make them durable.
    pub fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        self.file.sync_data()?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes in the log.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empty the log (after everything in it is durable elsewhere).
    pub fn truncate(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_all()?;
        self.len = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rev: u64, key: &str, value: Option<&str>) -> Record {
        Record {
            rev,
            key: key.as_bytes().to_vec(),
            value: value.map(|v| v.as_bytes().to_vec()),
        }
    }

    #[test]
    fn round_trip_and_torn_tail() {
        let recs = vec![
            rec(1, "/a", Some("{}")),
            rec(2, "/b", None),
            rec(3, "/c", Some("{\"x\":1}")),
        ];
        let mut buf = Vec::new();
        for r in &recs {
            r.encode_into(&mut buf);
        }
        let (got, len) = parse(&buf);
        assert_eq!((got, len), (recs.clone(), buf.len()));
        // A torn last record is dropped; the ones before it stay.
        let (got, len) = parse(&buf[..buf.len() - 3]);
        assert_eq!(got, recs[..2].to_vec());
        assert!(len < buf.len());
        // A flipped bit ends the log at the damaged record.
        let mut bad = buf.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(parse(&bad).0, recs[..2].to_vec());
    }

    #[test]
    fn file_survives_reopen_and_truncates_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        let (mut wal, old) = Wal::open(&path).unwrap();
        assert!(old.is_empty());
        let mut buf = Vec::new();
        rec(7, "/k", Some("v")).encode_into(&mut buf);
        wal.append(&buf).unwrap();
        wal.append(b"\x05\x00").unwrap();
        drop(wal);
        let (wal, recs) = Wal::open(&path).unwrap();
        assert_eq!(recs, vec![rec(7, "/k", Some("v"))]);
        assert_eq!(wal.len(), buf.len() as u64);
    }
}
