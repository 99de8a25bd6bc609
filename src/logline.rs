//! Access-log lines to stdout: formatted straight into a shared buffer that one writer
//! thread drains in batches.
//!
//! Under the kubelet a built-in program's stdout is its container's log file itself
//! (`MESHLITE_LOG_RECORDS` set): each line is then written as a CRI log record
//! (`<time> stdout F <line>`), so `meshlite up` does not read and re-stamp every line.
//!
//! A request formats its line into the buffer under a short lock (no allocation once the
//! buffer has grown), and the writer makes one `write` per batch, so a busy proxy does not pay
//! a system call per request and a slow reader of stdout never stalls a request. When the
//! reader falls far behind, lines are dropped rather than letting memory grow (counted, and
//! said once the reader catches up).

use chrono::{DateTime, Datelike, Timelike, Utc};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

/// Set by the kubelet when stdout is the container's log file: write CRI records.
pub const RECORDS_ENV: &str = "MESHLITE_LOG_RECORDS";

/// Above this many buffered bytes new lines are dropped until the writer catches up.
const MAX_PENDING: usize = 4 << 20;

struct Queue {
    pending: Mutex<Pending>,
    ready: Condvar,
    /// Lines go out as CRI log records.
    records: bool,
}

#[derive(Default)]
struct Pending {
    text: String,
    dropped: u64,
}

fn queue() -> &'static Queue {
    static QUEUE: OnceLock<&'static Queue> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let queue: &'static Queue = Box::leak(Box::new(Queue {
            pending: Mutex::new(Pending::default()),
            ready: Condvar::new(),
            records: std::env::var_os(RECORDS_ENV).is_some(),
        }));
        let spawned = std::thread::Builder::new()
            .name("stdout-lines".into())
            .spawn(move || write_batches(queue));
        if let Err(e) = spawned {
            tracing::warn!("cannot start the stdout line writer: {e}");
        }
        queue
    })
}

/// Queues one line for stdout: `write` appends it (without its newline) to the buffer.
pub fn emit(write: impl FnOnce(&mut String)) {
    let queue = queue();
    let mut pending = queue.pending.lock().unwrap_or_else(PoisonError::into_inner);
    if pending.text.len() > MAX_PENDING {
        pending.dropped += 1;
        return;
    }
    let was_empty = pending.text.is_empty();
    if queue.records {
        write_record_time(&mut pending.text, Utc::now());
        pending.text.push_str(" stdout F ");
    }
    write(&mut pending.text);
    pending.text.push('\n');
    drop(pending);
    if was_empty {
        queue.ready.notify_one();
    }
}

/// How long the writer gathers lines after the first of a batch arrives: at most one write
/// per interval, so whoever reads stdout (the kubelet's log pump) handles a few large chunks
/// instead of one per request.
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);

fn write_batches(queue: &Queue) {
    let mut out = std::io::stdout();
    let mut batch = String::new();
    loop {
        {
            let mut pending = queue.pending.lock().unwrap_or_else(PoisonError::into_inner);
            while pending.text.is_empty() {
                pending = queue
                    .ready
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        std::thread::sleep(GATHER);
        let dropped = {
            let mut pending = queue.pending.lock().unwrap_or_else(PoisonError::into_inner);
            // Swap buffers: both keep their capacity, so steady state allocates nothing.
            std::mem::swap(&mut pending.text, &mut batch);
            std::mem::take(&mut pending.dropped)
        };
        // A closed stdout must not take the proxy down: errors are dropped.
        let _ = out.write_all(batch.as_bytes());
        if dropped > 0 {
            let mut line = String::new();
            if queue.records {
                write_record_time(&mut line, Utc::now());
                line.push_str(" stdout F ");
            }
            let _ = writeln!(
                line,
                "meshlite: {dropped} access log lines dropped: stdout was not read fast enough"
            );
            let _ = out.write_all(line.as_bytes());
        }
        let _ = out.flush();
        batch.clear();
    }
}

/// The fixed-width RFC 3339 time of a CRI log record (nine fraction digits, `Z`), as the
/// kubelet writes and shows it.
pub fn write_record_time(out: &mut String, t: DateTime<Utc>) {
    write_time(out, t, 9);
}

/// `t` in RFC 3339 with `digits` fraction digits (3 or 9) and `Z`, without allocating.
pub fn write_time(out: &mut String, t: DateTime<Utc>, digits: u32) {
    let nanos = t.timestamp_subsec_nanos().min(999_999_999);
    let fraction = nanos / 10u32.pow(9 - digits.min(9));
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:0width$}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        fraction,
        width = digits as usize
    );
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn record_times_are_fixed_width() {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("valid")
            + chrono::Duration::nanoseconds(7);
        let mut out = String::new();
        super::write_record_time(&mut out, t);
        assert_eq!(out, "2026-01-02T03:04:05.000000007Z");
        assert_eq!(out, t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string());
    }
}
