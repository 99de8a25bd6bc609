//! Access-log lines to stdout: formatted straight into a shared buffer that one writer
//! thread drains in batches.
//!
//! A request formats its line into the buffer under a short lock (no allocation once the
//! buffer has grown), and the writer makes one `write` per batch, so a busy proxy does not pay
//! a system call per request and a slow reader of stdout never stalls a request. When the
//! reader falls far behind, lines are dropped rather than letting memory grow (counted, and
//! said once the reader catches up).

use std::io::Write as _;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

/// Above this many buffered bytes new lines are dropped until the writer catches up.
const MAX_PENDING: usize = 4 << 20;

struct Queue {
    pending: Mutex<Pending>,
    ready: Condvar,
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
            let _ = writeln!(
                out,
                "meshlite: {dropped} access log lines dropped: stdout was not read fast enough"
            );
        }
        let _ = out.flush();
        batch.clear();
    }
}
