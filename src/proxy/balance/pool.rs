//! Circuit breaking of a cluster's connection pool: concurrent request and retry budgets, and
//! the guards that hold a place in them.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crate::routes::PoolLimits;

/// Stored in a limit to mean "no limit".
const UNLIMITED: u64 = u64::MAX;

/// A circuit breaker was open: the caller answers 503 with Envoy's response flag `UO`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overflow;

// === impl Overflow ===

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Envoy's local reply body for an overflowed pool.
        f.write_str(
            "upstream connect error or disconnect/reset before headers. reset reason: overflow",
        )
    }
}

impl std::error::Error for Overflow {}

/// Live counters and limits; shared with the guards so they can release after the balancer is
/// reconfigured (or dropped).
#[derive(Debug)]
pub(super) struct Pool {
    requests: AtomicU32,
    retries: AtomicU32,
    request_limit: AtomicU64,
    retry_limit: AtomicU64,
}

// === impl Pool ===

impl Pool {
    pub(super) fn new(limits: &PoolLimits) -> Self {
        let pool = Pool {
            requests: AtomicU32::new(0),
            retries: AtomicU32::new(0),
            request_limit: AtomicU64::new(UNLIMITED),
            retry_limit: AtomicU64::new(UNLIMITED),
        };
        pool.configure(limits);
        pool
    }

    /// Applies new limits; requests already admitted stay admitted.
    pub(super) fn configure(&self, limits: &PoolLimits) {
        self.request_limit
            .store(request_limit(limits), Ordering::Relaxed);
        self.retry_limit
            .store(limit(limits.max_retries), Ordering::Relaxed);
    }

    pub(super) fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(super) fn retries(&self) -> u32 {
        self.retries.load(Ordering::Relaxed)
    }

    pub(super) fn try_request(self: &Arc<Self>) -> Result<RequestGuard, Overflow> {
        admit(&self.requests, self.request_limit.load(Ordering::Relaxed))?;
        Ok(RequestGuard {
            pool: Arc::clone(self),
        })
    }

    pub(super) fn try_retry(self: &Arc<Self>) -> Result<RetryGuard, Overflow> {
        admit(&self.retries, self.retry_limit.load(Ordering::Relaxed))?;
        Ok(RetryGuard {
            pool: Arc::clone(self),
        })
    }
}

fn limit(value: Option<u32>) -> u64 {
    value.map_or(UNLIMITED, u64::from)
}

/// Concurrent requests allowed: `http2MaxRequests`, and for HTTP/1 also one request per
/// connection (`maxConnections`) plus the queue waiting for one (`http1MaxPendingRequests`).
/// Either of the latter left unset makes that bound unlimited.
fn request_limit(limits: &PoolLimits) -> u64 {
    let http1 = match (limits.max_connections, limits.max_pending_requests) {
        (Some(connections), Some(pending)) => u64::from(connections) + u64::from(pending),
        _ => UNLIMITED,
    };
    limit(limits.max_requests).min(http1)
}

/// Takes one place if fewer than `limit` are taken; exact under concurrency.
fn admit(counter: &AtomicU32, limit: u64) -> Result<(), Overflow> {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
            if u64::from(taken) < limit {
                taken.checked_add(1)
            } else {
                None
            }
        })
        .map(drop)
        .map_err(|_| Overflow)
}

fn release(counter: &AtomicU32) {
    // Saturating so that a release can never wrap the gauge.
    let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
        taken.checked_sub(1)
    });
}

/// A place among the cluster's concurrent requests; released on drop.
#[derive(Debug)]
#[must_use = "the request's place is released when the guard is dropped"]
pub struct RequestGuard {
    pool: Arc<Pool>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        release(&self.pool.requests);
    }
}

/// A place among the cluster's concurrent retries; released on drop.
#[derive(Debug)]
#[must_use = "the retry's place is released when the guard is dropped"]
pub struct RetryGuard {
    pool: Arc<Pool>,
}

impl Drop for RetryGuard {
    fn drop(&mut self) {
        release(&self.pool.retries);
    }
}

/// One request in flight to a picked endpoint (what least-request balances on); released on
/// drop, which should happen when the request ends.
#[derive(Debug)]
#[must_use = "the endpoint's active count drops when the guard is dropped"]
pub struct ActiveGuard {
    active: Arc<AtomicU32>,
}

// === impl ActiveGuard ===

impl ActiveGuard {
    pub(super) fn new(active: &Arc<AtomicU32>) -> Self {
        active.fetch_add(1, Ordering::AcqRel);
        ActiveGuard {
            active: Arc::clone(active),
        }
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        release(&self.active);
    }
}
