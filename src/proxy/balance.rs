//! Runtime load-balancing state of one upstream cluster: endpoint choice, outlier ejection and
//! connection-pool circuit breakers, as Envoy applies an Istio DestinationRule.
//!
//! Everything is driven by the caller — time is passed in and nothing sleeps — and every method
//! takes `&self`, so one [`Balancer`] per cluster is shared by all request tasks:
//!
//! 1. [`Balancer::try_request`] (and [`Balancer::try_retry`] for a retry) takes a place in the
//!    pool; [`Overflow`] means answering 503 with response flag `UO`.
//! 2. [`Balancer::pick`] chooses an endpoint; `None` means no ready endpoint (`UH`).
//! 3. [`Balancer::report`] feeds the outcome to outlier detection.
//! 4. Dropping the guards ends the request.
//!
//! Candidates are the ready endpoints that are not ejected. When that leaves nothing, or fewer
//! than `min_health_percent` of the ready endpoints, the balancer falls back to every ready
//! endpoint (Envoy's panic mode) rather than failing the request.
//!
//! Ejections end lazily: each call first returns endpoints whose ejection time is over, so the
//! outlier `interval` only paces how fast the ejection multiplier decays while healthy.

mod outlier;
mod pool;
mod select;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::routes::{ClusterPolicy, Endpoint, HashKey, LbPolicy};

use outlier::Outlier;
use pool::Pool;
pub use pool::{ActiveGuard, Overflow, RequestGuard, RetryGuard};

/// The balancer of one cluster, shared by its request tasks (`Send + Sync`); state survives
/// [`Balancer::update`] for every endpoint whose address remains.
#[derive(Debug)]
pub struct Balancer {
    state: Mutex<State>,
    pool: Arc<Pool>,
}

/// The endpoint chosen for one request.
#[derive(Debug)]
pub struct Pick {
    /// Shared with the balancer: a pick copies no endpoint.
    pub endpoint: Arc<Endpoint>,
    /// A `Set-Cookie` header value to add to the response: the cluster hashes on a cookie with a
    /// TTL and the request had none, so one was generated (and used for this pick).
    pub set_cookie: Option<String>,
    /// Counts toward least-request balancing; drop it when the request ends.
    pub active: ActiveGuard,
}

/// How a request to an endpoint ended, for outlier detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The upstream answered with this status (500 and above count as errors, 502/503/504 also
    /// as gateway errors).
    Status(u16),
    /// Connecting failed (or the connection was reset before a response): counts as 503.
    ConnectFailure,
    /// No response in time: counts as a gateway error (504).
    Timeout,
}

/// One endpoint's row for status tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointStatus {
    pub address: SocketAddr,
    /// Ready and not ejected.
    pub healthy: bool,
    /// Remaining ejection time while ejected.
    pub ejected_for: Option<Duration>,
    /// The current streak of errors (the longer of the 5xx and gateway-error streaks).
    pub consecutive_errors: u32,
    /// Requests in flight to this endpoint.
    pub active_requests: u32,
}

#[derive(Debug)]
struct State {
    policy: ClusterPolicy,
    slots: Vec<Slot>,
    /// Round-robin position, kept across updates.
    next: usize,
    rng: StdRng,
    /// Reused by every pick for its candidates.
    candidates: Vec<usize>,
}

#[derive(Debug)]
struct Slot {
    endpoint: Arc<Endpoint>,
    /// Precomputed rendezvous contribution of the address.
    hash: u64,
    active: Arc<AtomicU32>,
    outlier: Outlier,
}

// === impl Balancer ===

impl Balancer {
    pub fn new(policy: &ClusterPolicy, endpoints: &[Endpoint]) -> Self {
        Self::with_rng(policy, endpoints, StdRng::from_entropy())
    }

    /// Like [`Balancer::new`] with reproducible random choices.
    pub fn with_seed(policy: &ClusterPolicy, endpoints: &[Endpoint], seed: u64) -> Self {
        Self::with_rng(policy, endpoints, StdRng::seed_from_u64(seed))
    }

    fn with_rng(policy: &ClusterPolicy, endpoints: &[Endpoint], rng: StdRng) -> Self {
        let mut state = State {
            policy: policy.clone(),
            slots: Vec::new(),
            next: 0,
            rng,
            candidates: Vec::new(),
        };
        state.set_endpoints(endpoints);
        Balancer {
            state: Mutex::new(state),
            pool: Arc::new(Pool::new(&policy.pool)),
        }
    }

    /// Applies a new policy and endpoint set. Endpoints whose address remains keep their
    /// active requests, error streaks and ejections; removed ones are forgotten (a returning
    /// address starts afresh, as in Envoy). Turning outlier detection off ends all ejections.
    pub fn update(&self, policy: &ClusterPolicy, endpoints: &[Endpoint]) {
        self.pool.configure(&policy.pool);
        let mut state = self.lock();
        state.policy = policy.clone();
        state.set_endpoints(endpoints);
    }

    /// Chooses an endpoint; `None` when the cluster has no ready endpoint (Envoy: UH).
    ///
    /// `key` is the request's hash-key value for a consistent-hash cluster (the header, cookie,
    /// query parameter or source IP named by the policy); other policies ignore it. `exclude`
    /// lists endpoints to avoid, e.g. the one a retry follows, unless nothing else is left.
    pub fn pick(&self, key: Option<&str>, now: Instant, exclude: &[SocketAddr]) -> Option<Pick> {
        let mut state = self.lock();
        state.refresh(now);
        // The candidate list lives in the state, so a pick allocates nothing.
        let mut candidates = std::mem::take(&mut state.candidates);
        state.candidates_into(exclude, &mut candidates);
        let chosen = state.choose(&candidates, key);
        state.candidates = candidates;
        let (index, set_cookie) = chosen?;
        let slot = state.slots.get(index)?;
        Some(Pick {
            endpoint: slot.endpoint.clone(),
            set_cookie,
            active: ActiveGuard::new(&slot.active),
        })
    }

    /// Feeds a request's outcome to outlier detection. Reaching a consecutive-error threshold
    /// ejects the endpoint at once, unless `max_ejection_percent` of the ready endpoints are
    /// already ejected (the first ejection is always allowed when the percentage is above zero).
    /// Unknown addresses are ignored.
    pub fn report(&self, address: SocketAddr, outcome: Outcome, now: Instant) {
        let mut state = self.lock();
        state.refresh(now);
        let State { policy, slots, .. } = &mut *state;
        let policy = policy.outlier.as_ref();
        let ready = slots.iter().filter(|slot| slot.endpoint.ready).count();
        let ejected = slots
            .iter()
            .filter(|slot| slot.endpoint.ready && slot.outlier.is_ejected())
            .count();
        let Some(slot) = slots
            .iter_mut()
            .find(|slot| slot.endpoint.address == address)
        else {
            return;
        };
        if !slot.outlier.record(outcome.class(), policy) {
            return;
        }
        let Some(policy) = policy else {
            return;
        };
        // Envoy compares the share already ejected (before this one) with the maximum.
        let hosts = ready.max(1) as u64;
        if (ejected as u64) * 100 < u64::from(policy.max_ejection_percent) * hosts {
            slot.outlier.eject(now, policy);
        }
    }

    /// Takes a place among the cluster's concurrent requests (`http2MaxRequests`, and for
    /// HTTP/1 `maxConnections` + `http1MaxPendingRequests`).
    pub fn try_request(&self) -> Result<RequestGuard, Overflow> {
        self.pool.try_request()
    }

    /// Takes a place among the cluster's concurrent retries (`maxRetries`).
    pub fn try_retry(&self) -> Result<RetryGuard, Overflow> {
        self.pool.try_retry()
    }

    /// Requests currently holding a [`RequestGuard`].
    pub fn requests_in_flight(&self) -> u32 {
        self.pool.requests()
    }

    /// Retries currently holding a [`RetryGuard`].
    pub fn retries_in_flight(&self) -> u32 {
        self.pool.retries()
    }

    /// Every endpoint (ready or not) in configuration order.
    pub fn status(&self, now: Instant) -> Vec<EndpointStatus> {
        let mut state = self.lock();
        state.refresh(now);
        state
            .slots
            .iter()
            .map(|slot| EndpointStatus {
                address: slot.endpoint.address,
                healthy: slot.endpoint.ready && !slot.outlier.is_ejected(),
                ejected_for: slot.outlier.ejected_for(now),
                consecutive_errors: slot.outlier.consecutive_errors(),
                active_requests: slot.active.load(Ordering::Relaxed),
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements, so a panic elsewhere while holding
        // the lock leaves nothing half-done worth refusing to balance over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// === impl State ===

impl State {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let mut previous: HashMap<SocketAddr, Slot> = std::mem::take(&mut self.slots)
            .into_iter()
            .map(|slot| (slot.endpoint.address, slot))
            .collect();
        let detecting = self.policy.outlier.is_some();
        self.slots = endpoints
            .iter()
            .map(|endpoint| {
                let (active, mut outlier) = match previous.remove(&endpoint.address) {
                    Some(slot) => (slot.active, slot.outlier),
                    None => (Arc::default(), Outlier::default()),
                };
                if !detecting {
                    outlier.clear();
                }
                Slot {
                    endpoint: Arc::new(endpoint.clone()),
                    hash: select::address_hash(&endpoint.address),
                    active,
                    outlier,
                }
            })
            .collect();
    }

    fn refresh(&mut self, now: Instant) {
        let interval = self
            .policy
            .outlier
            .as_ref()
            .map_or(Duration::ZERO, |policy| policy.interval);
        for slot in &mut self.slots {
            slot.outlier.refresh(now, interval);
        }
    }

    /// Slot indices to choose from, into `out`: ready and not ejected (all ready ones in
    /// panic mode), minus `exclude` unless that leaves none.
    fn candidates_into(&self, exclude: &[SocketAddr], out: &mut Vec<usize>) {
        out.clear();
        let ready = self.slots.iter().filter(|s| s.endpoint.ready).count();
        let healthy = self
            .slots
            .iter()
            .filter(|s| s.endpoint.ready && !s.outlier.is_ejected())
            .count();
        let min_health = self
            .policy
            .outlier
            .as_ref()
            .map_or(0, |policy| policy.min_health_percent);
        let panic = (healthy as u64) * 100 < u64::from(min_health) * (ready as u64);
        let every_ready = healthy == 0 || panic;
        let in_pool =
            |slot: &Slot| slot.endpoint.ready && (every_ready || !slot.outlier.is_ejected());
        for (index, slot) in self.slots.iter().enumerate() {
            if in_pool(slot) && !exclude.contains(&slot.endpoint.address) {
                out.push(index);
            }
        }
        if out.is_empty() {
            for (index, slot) in self.slots.iter().enumerate() {
                if in_pool(slot) {
                    out.push(index);
                }
            }
        }
    }

    /// Applies the policy to the candidates; returns the slot index and any cookie to set.
    fn choose(
        &mut self,
        candidates: &[usize],
        key: Option<&str>,
    ) -> Option<(usize, Option<String>)> {
        if candidates.is_empty() {
            return None;
        }
        let State {
            policy,
            slots,
            next,
            rng,
            ..
        } = self;
        let mut set_cookie = None;
        let position = match &policy.lb {
            LbPolicy::RoundRobin => {
                let position = *next % candidates.len();
                *next = next.wrapping_add(1);
                position
            }
            LbPolicy::Random => rng.gen_range(0..candidates.len()),
            LbPolicy::LeastRequest => select::least_request(rng, candidates.len(), |i| {
                candidates
                    .get(i)
                    .and_then(|&index| slots.get(index))
                    .map_or(u32::MAX, |slot| slot.active.load(Ordering::Relaxed))
            })?,
            LbPolicy::ConsistentHash(hash_key) => match hash_input(hash_key, key, rng) {
                Some((hash, cookie)) => {
                    set_cookie = cookie;
                    let hashes = candidates
                        .iter()
                        .map(|&index| slots.get(index).map_or(0, |slot| slot.hash));
                    select::rendezvous(hash, hashes)?
                }
                // Nothing to hash on: any candidate will do.
                None => rng.gen_range(0..candidates.len()),
            },
        };
        Some((*candidates.get(position)?, set_cookie))
    }
}

/// What a consistent-hash request hashes to, with the `Set-Cookie` value when the cookie had to
/// be generated; `None` when there is nothing to hash on.
fn hash_input(
    hash_key: &HashKey,
    key: Option<&str>,
    rng: &mut StdRng,
) -> Option<(u64, Option<String>)> {
    match (hash_key, key) {
        // An empty cookie is as good as none (Envoy reads a missing cookie as empty).
        (HashKey::Cookie { .. }, Some(value)) if !select::unquote(value).is_empty() => {
            Some((select::key_hash(select::unquote(value)), None))
        }
        (
            HashKey::Cookie {
                name,
                path,
                ttl: Some(ttl),
            },
            _,
        ) => {
            let value = select::cookie_value(rng);
            let cookie = select::set_cookie(name, &value, path, *ttl);
            Some((select::key_hash(&value), Some(cookie)))
        }
        (HashKey::Header(_) | HashKey::Query(_) | HashKey::SourceIp, Some(value)) => {
            Some((select::key_hash(value), None))
        }
        _ => None,
    }
}
