//! List-then-watch over a key prefix, as one stream of events (kube-rs's `watcher` is the model).
//!
//! A [`Watcher`] lists everything under its prefix ([`Event::Init`]), then follows changes from
//! the listing's revision ([`Event::Apply`], [`Event::Delete`]); when the watch falls behind
//! (its revision left the history window, or it lagged the live feed — a 410 for an API client)
//! it lists again and says so with a fresh `Init`. Nothing is missed and nothing is seen twice
//! between a listing and its watch. [`Trigger`] is the coarse form for loops that recompute from
//! the store: it only says that something under one of its prefixes changed.

#[cfg(test)]
mod tests;

use super::{EventType, Store, Watch};
use futures::Stream;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a failed listing waits before it is tried again.
const RELIST_DELAY: Duration = Duration::from_secs(1);

/// What a [`Watcher`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Everything under the prefix now: first, and again after the watch fell behind. Whatever
    /// the consumer knew before and is not here is gone.
    Init(Vec<Value>),
    /// An object was created or changed: its new state.
    Apply(Value),
    /// An object was deleted: its last state (stamped with the deletion's revision).
    Delete(Value),
}

/// Where a [`Watcher`] is in its list-then-watch cycle.
enum State {
    /// Nothing listed yet, or the watch fell behind: list next.
    Empty,
    /// Listed at `rev`: watch from there next.
    Listed { rev: u64 },
    /// Following changes after the last listing.
    Watching { watch: Watch },
}

/// Follows every object under one key prefix: see the module docs.
pub struct Watcher {
    store: Store,
    prefix: String,
    state: State,
}

// === impl Watcher ===

impl Watcher {
    /// A watcher of everything under `prefix` (e.g. [`crate::api::resources::Resource::key_prefix`]).
    /// Nothing is read until the first [`Watcher::next`].
    pub fn new(store: Store, prefix: impl Into<String>) -> Watcher {
        Watcher {
            store,
            prefix: prefix.into(),
            state: State::Empty,
        }
    }

    /// The next event; `None` once the store's change feed has closed. A listing that fails
    /// (storage error) is logged and retried. Cancel-safe: dropping the future loses no event.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            match &mut self.state {
                State::Empty => match self.store.list(&self.prefix) {
                    Ok((items, rev)) => {
                        self.state = State::Listed { rev };
                        return Some(Event::Init(items));
                    }
                    Err(e) => {
                        tracing::warn!(prefix = %self.prefix, error = %e, "cannot list; retrying");
                        tokio::time::sleep(RELIST_DELAY).await;
                    }
                },
                State::Listed { rev } => {
                    self.state = match self.store.watch(&self.prefix, Some(*rev)) {
                        Ok(watch) => State::Watching { watch },
                        // The listing's revision already left the history window.
                        Err(_) => State::Empty,
                    }
                }
                State::Watching { watch } => match watch.next().await {
                    Some(Ok(ev)) => {
                        let object = ev.object.clone();
                        return Some(match ev.kind {
                            EventType::Deleted => Event::Delete(object),
                            EventType::Added | EventType::Modified => Event::Apply(object),
                        });
                    }
                    // Fell behind: events were dropped, so list again.
                    Some(Err(_)) => self.state = State::Empty,
                    None => return None,
                },
            }
        }
    }

    /// The same events as a [`Stream`].
    pub fn into_stream(self) -> impl Stream<Item = Event> + Send {
        futures::stream::unfold(self, |mut w| async move {
            let ev = w.next().await?;
            Some((ev, w))
        })
    }
}

/// Says when anything under any of its prefixes changed: once at the start (the first listing),
/// then after changes — a burst of changes while nobody waits is one wake-up.
pub struct Trigger {
    rx: mpsc::Receiver<()>,
    feeds: Vec<tokio::task::JoinHandle<()>>,
}

// === impl Trigger ===

impl Trigger {
    /// A trigger on `prefixes`, each followed by its own [`Watcher`].
    pub fn new<I, P>(store: &Store, prefixes: I) -> Trigger
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        // One slot: a change while one is already pending adds nothing.
        let (tx, rx) = mpsc::channel(1);
        let feeds = prefixes
            .into_iter()
            .map(|prefix| {
                let mut watcher = Watcher::new(store.clone(), prefix);
                let tx = tx.clone();
                tokio::spawn(async move {
                    while watcher.next().await.is_some() {
                        if let Err(mpsc::error::TrySendError::Closed(())) = tx.try_send(()) {
                            return;
                        }
                    }
                })
            })
            .collect();
        Trigger { rx, feeds }
    }

    /// Wait until something changed since the last call (or, the first time, for the first
    /// listing); `false` once no prefix can report changes any more. Cancel-safe.
    pub async fn changed(&mut self) -> bool {
        self.rx.recv().await.is_some()
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        for f in &self.feeds {
            f.abort();
        }
    }
}
