//! Change events: a bounded history window for resuming watches, and live fan-out to watchers.

use super::{Error, Result};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, at one revision.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub key: String,
    pub rev: u64,
    /// The object after the change (for a delete: its last state, stamped with the delete's revision).
    pub object: Value,
}

/// Keeps recent events and feeds subscribers.
pub struct Hub {
    state: Mutex<History>,
    tx: broadcast::Sender<Arc<Event>>,
}

struct History {
    events: VecDeque<Arc<Event>>,
    cap: usize,
    /// Every event with a revision above `floor` is still in `events`.
    floor: u64,
}

/// A subscription: first the backlog from history, then live events, filtered by key prefix.
pub struct Watch {
    backlog: VecDeque<Arc<Event>>,
    rx: broadcast::Receiver<Arc<Event>>,
    prefix: String,
    last: u64,
}

// === impl Hub ===

impl Hub {
    /// A hub keeping `cap` events, starting at revision `rev` (nothing older can be replayed).
    pub fn new(cap: usize, rev: u64) -> Hub {
        let (tx, _) = broadcast::channel(cap.clamp(1024, 65536));
        Hub {
            state: Mutex::new(History {
                events: VecDeque::new(),
                cap: cap.max(1),
                floor: rev,
            }),
            tx,
        }
    }

    /// Record and broadcast an event. Called under the store's write lock, so events arrive in
    /// revision order.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        let mut h = self.state.lock().unwrap_or_else(|p| p.into_inner());
        h.events.push_back(event.clone());
        while h.events.len() > h.cap {
            if let Some(old) = h.events.pop_front() {
                h.floor = old.rev;
            }
        }
        drop(h);
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(event);
    }

    /// Subscribe to events after `from` under `prefix`; [`Error::Expired`] when `from` has
    /// already left the history window.
    pub fn subscribe(&self, prefix: &str, from: u64) -> Result<Watch> {
        let h = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if from < h.floor {
            return Err(Error::Expired {
                requested: from,
                oldest: h.floor + 1,
            });
        }
        let backlog = h
            .events
            .iter()
            .filter(|e| e.rev > from && e.key.starts_with(prefix))
            .cloned()
            .collect();
        Ok(Watch {
            backlog,
            rx: self.tx.subscribe(),
            prefix: prefix.to_string(),
            last: from,
        })
    }
}

// === impl Watch ===

impl Watch {
    /// The next event; `None` when the store is gone; [`Error::Expired`] when this watcher fell
    /// so far behind that events were dropped (the client must list again, as with a 410).
    pub async fn next(&mut self) -> Option<Result<Arc<Event>>> {
        if let Some(e) = self.backlog.pop_front() {
            self.last = e.rev;
            return Some(Ok(e));
        }
        loop {
            match self.rx.recv().await {
                Ok(e) if e.rev > self.last && e.key.starts_with(&self.prefix) => {
                    self.last = e.rev;
                    return Some(Ok(e));
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some(Err(Error::Expired {
                        requested: self.last,
                        oldest: self.last + 1,
                    }))
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
