//! Group commit: one flusher thread makes writes durable in batches and tells waiters when.
//!
//! A writer records the revision it wrote and waits until the flushed revision reaches it. The
//! flusher always flushes up to the newest written revision, so every writer that arrived during
//! a flush is covered by the next single fsync instead of paying for its own.

use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::watch;

/// Handle shared by writers; the flusher thread lives as long as any handle.
pub struct GroupCommit {
    shared: Arc<Shared>,
    flushed: watch::Receiver<u64>,
}

struct Shared {
    /// Highest revision handed to sled, and whether the store is closing.
    written: Mutex<(u64, bool)>,
    wake: Condvar,
}

// === impl GroupCommit ===

impl GroupCommit {
    /// Start the flusher for `db`, whose data is durable up to `rev` already.
    pub fn start(db: sled::Db, rev: u64) -> GroupCommit {
        let shared = Arc::new(Shared {
            written: Mutex::new((rev, false)),
            wake: Condvar::new(),
        });
        let (tx, flushed) = watch::channel(rev);
        let s = shared.clone();
        std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || flusher(db, s, tx))
            .expect("the store's flush thread could not be started");
        GroupCommit { shared, flushed }
    }

    /// Record that revisions up to `rev` are in sled's buffers.
    pub fn written(&self, rev: u64) {
        let mut w = self
            .shared
            .written
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if rev > w.0 {
            w.0 = rev;
        }
        self.shared.wake.notify_one();
    }

    /// Wait until `rev` is on disk.
    pub async fn wait(&self, rev: u64) {
        let mut rx = self.flushed.clone();
        // The sender only goes away when the flusher stops, which happens after the last handle
        // is dropped — not while someone is waiting here.
        let _ = rx.wait_for(|flushed| *flushed >= rev).await;
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        let mut w = self
            .shared
            .written
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        w.1 = true;
        self.shared.wake.notify_one();
    }
}

fn flusher(db: sled::Db, shared: Arc<Shared>, tx: watch::Sender<u64>) {
    let mut flushed = *tx.borrow();
    loop {
        let (target, closing) = {
            let mut w = shared.written.lock().unwrap_or_else(|p| p.into_inner());
            while w.0 <= flushed && !w.1 {
                w = shared.wake.wait(w).unwrap_or_else(|p| p.into_inner());
            }
            *w
        };
        if target > flushed {
            match db.flush() {
                Ok(_) => {
                    flushed = target;
                    tx.send_replace(flushed);
                }
                Err(e) => {
                    // Nothing acknowledged is lost by waiting: retry after a pause, and say why.
                    tracing::error!(error = %e, "flushing the store failed; retrying");
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    continue;
                }
            }
        }
        if closing {
            return;
        }
    }
}
