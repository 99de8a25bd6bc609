//! Group commit: one flusher thread makes writes durable in batches and tells each writer when.
//!
//! A writer hands over its log record and waits on its own one-shot signal. The flusher appends
//! everything pending to the write-ahead log with one `fdatasync`, so every writer that arrived
//! during a flush is covered by the next single sync instead of paying for its own, and each
//! writer is woken exactly once — when its revision is on disk.

use super::wal::{Record, Wal};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::oneshot;

/// Handle shared by writers; the flusher thread lives until the last handle is dropped.
pub struct GroupCommit {
    shared: Arc<Shared>,
}

/// A writer's ticket: resolves once its revision is durable.
pub struct Durable(oneshot::Receiver<()>);

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Past this size the log is checkpointed: sled is flushed and the log emptied.
const CHECKPOINT_BYTES: u64 = 64 << 20;

struct State {
    /// Highest revision handed to sled.
    written: u64,
    /// Encoded log records not yet appended.
    pending: Vec<u8>,
    /// Writers waiting for their revision to be flushed, in revision order (they register
    /// under the store's write lock, so the order is the revision order).
    waiters: VecDeque<(u64, oneshot::Sender<()>)>,
    closing: bool,
}

// === impl GroupCommit ===

impl GroupCommit {
    /// Start the flusher for `db` and its log, whose data is durable up to `rev` already.
    pub fn start(db: sled::Db, tree: sled::Tree, wal: Wal, rev: u64) -> GroupCommit {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                written: rev,
                pending: Vec::new(),
                waiters: VecDeque::new(),
                closing: false,
            }),
            wake: Condvar::new(),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || flusher(Checkpointer { db, tree }, wal, s, rev))
            .expect("the store's flush thread could not be started");
        GroupCommit { shared }
    }

    /// Record that `record` is applied to sled; the ticket resolves when it is in the log on
    /// disk. Must be called in revision order (the store's write lock ensures it).
    pub fn written(&self, record: &Record) -> Durable {
        let (tx, rx) = oneshot::channel();
        let rev = record.rev;
        let mut st = self.shared.lock();
        record.encode_into(&mut st.pending);
        st.written = st.written.max(rev);
        st.waiters.push_back((rev, tx));
        drop(st);
        self.shared.wake.notify_one();
        Durable(rx)
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
    }
}

// === impl Durable ===

impl Durable {
    /// Wait until the write is on disk.
    pub async fn wait(self) {
        // The sender is dropped without a signal only if the flusher stopped, which happens
        // after the store is gone — there is nobody left to wait for then.
        let _ = self.0.await;
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing a panicking holder could leave half-done here: the state is plain numbers
        // and a queue of senders.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a checkpoint writes to: the database and the tree holding the revision.
struct Checkpointer {
    db: sled::Db,
    tree: sled::Tree,
}

fn flusher(cp: Checkpointer, mut wal: Wal, shared: Arc<Shared>, mut flushed: u64) {
    loop {
        let (target, closing, batch) = {
            let mut st = shared.lock();
            while st.written <= flushed && !st.closing {
                st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            (st.written, st.closing, std::mem::take(&mut st.pending))
        };
        if target > flushed {
            if let Err(e) = wal.append(&batch) {
                // Nothing acknowledged is lost by waiting: put the batch back, retry after a
                // pause, and say why (a full disk, say).
                tracing::error!(error = %e, "appending to the store's log failed; retrying");
                let mut st = shared.lock();
                let newer = std::mem::replace(&mut st.pending, batch);
                st.pending.extend_from_slice(&newer);
                drop(st);
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
            flushed = target;
            let mut st = shared.lock();
            while st.waiters.front().is_some_and(|(rev, _)| *rev <= flushed) {
                if let Some((_, tx)) = st.waiters.pop_front() {
                    // The writer may have gone (its request was dropped): nothing to tell.
                    let _ = tx.send(());
                }
            }
            drop(st);
            if wal.len() > CHECKPOINT_BYTES {
                cp.checkpoint(&mut wal, flushed);
            }
        }
        if closing {
            cp.checkpoint(&mut wal, flushed);
            return;
        }
    }
}

// === impl Checkpointer ===

impl Checkpointer {
    /// Everything in the log is applied to sled already: once sled has flushed it (with the
    /// revision reached), the log can go.
    fn checkpoint(&self, wal: &mut Wal, rev: u64) {
        if wal.is_empty() {
            return;
        }
        let done = self
            .tree
            .insert(super::REV_KEY, rev.to_string().as_bytes())
            .and_then(|_| self.db.flush())
            .and_then(|_| wal.truncate().map_err(sled::Error::from));
        if let Err(e) = done {
            // The log still holds everything; it is replayed at the next start.
            tracing::warn!(error = %e, "checkpointing the store failed; the log is kept");
        }
    }
}
