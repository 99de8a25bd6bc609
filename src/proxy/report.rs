//! What the inner layers learn about one exchange (route, cluster, endpoint, flags) for the
//! access log and metrics that [`super::observe`] emits at its end.
//!
//! The observe layer puts a [`Report`] into the request's extensions; every layer below may
//! note what it decided. Values are shared (`Arc<str>`, [`Label`]) so noting copies nothing.

use super::telemetry::Label;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A handle on one exchange's record, cheap to clone into the request's extensions.
#[derive(Clone, Debug, Default)]
pub struct Report(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    record: Mutex<Noted>,
    /// Request body bytes read so far (counted by the request body wrapper).
    received: AtomicU64,
}

/// What the layers noted. `None` fields print as `-` (or fall back to what the request said).
#[derive(Debug, Clone, Default)]
pub struct Noted {
    /// The route's name (`default` for unnamed ones); `None` when no route matched.
    pub route: Option<Arc<str>>,
    pub upstream_cluster: Option<Arc<str>>,
    pub upstream_host: Option<SocketAddr>,
    /// The destination Service; until a route chooses one, the host asked for.
    pub destination_service: Option<Label>,
    pub destination_workload: Option<Label>,
    pub destination_workload_namespace: Option<Label>,
    /// The calling workload, when the request says it (inbound).
    pub source_workload: Option<Label>,
    /// `DI` (a fault delay was applied) or `URX` (retries ran out); `-` when `None`.
    pub flags: Option<&'static str>,
}

// === impl Report ===

impl Report {
    /// Notes something about the exchange.
    pub fn note(&self, f: impl FnOnce(&mut Noted)) {
        f(&mut self.lock());
    }

    /// A copy of everything noted so far.
    pub fn noted(&self) -> Noted {
        self.lock().clone()
    }

    /// The endpoint the last attempt went to.
    pub fn upstream_host(&self) -> Option<SocketAddr> {
        self.lock().upstream_host
    }

    pub fn add_received(&self, n: u64) {
        self.0.received.fetch_add(n, Ordering::Relaxed);
    }

    pub fn received(&self) -> u64 {
        self.0.received.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Noted> {
        // Every note is a plain field write: nothing is left half-done by a panic elsewhere.
        self.0.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The report in a request's extensions (every request under [`super::observe`] has one; a
/// layer tested on its own gets a fresh one that nobody reads).
pub fn of<B>(req: &hyper::Request<B>) -> Report {
    req.extensions()
        .get::<Report>()
        .cloned()
        .unwrap_or_default()
}
