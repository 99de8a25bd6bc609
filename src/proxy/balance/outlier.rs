//! Outlier detection state of one endpoint: consecutive-error counters and ejections.
//!
//! Mirrors Envoy's consecutive 5xx and consecutive gateway failure detectors in their default
//! (non-split) mode, where local-origin failures are mapped onto status codes: a connect failure
//! counts as 503 and a timeout as 504, so both feed both counters.

use std::time::{Duration, Instant};

use crate::routes::OutlierPolicy;

use super::Outcome;

/// Envoy's default `max_ejection_time` (Istio does not expose the field): ejections stop growing
/// once they reach it, unless the base time alone is longer.
pub(super) const MAX_EJECTION_TIME: Duration = Duration::from_secs(300);

/// How an outcome counts for outlier detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    /// Anything below 500: resets both counters.
    Success,
    /// A 5xx other than 502/503/504: counts as 5xx and breaks a gateway-error streak.
    ServerError,
    /// 502, 503, 504, connect failures and timeouts: count as both.
    GatewayError,
}

// === impl Outcome ===

impl Outcome {
    pub(super) fn class(self) -> Class {
        match self {
            Outcome::Status(502..=504) | Outcome::ConnectFailure | Outcome::Timeout => {
                Class::GatewayError
            }
            Outcome::Status(code) if code >= 500 => Class::ServerError,
            Outcome::Status(_) => Class::Success,
        }
    }
}

/// Per-endpoint detector state; survives config updates while the address stays.
#[derive(Clone, Debug, Default)]
pub(super) struct Outlier {
    consecutive_5xx: u32,
    consecutive_gateway: u32,
    /// Ejections "in a row": multiplies the base ejection time, and decays by one per
    /// `interval` the endpoint spends back in service.
    ejections: u32,
    /// Set while ejected; the endpoint returns once `now` reaches it.
    ejected_until: Option<Instant>,
    /// Start of the interval over which the multiplier decays next.
    decay_from: Option<Instant>,
}

// === impl Outlier ===

impl Outlier {
    pub(super) fn is_ejected(&self) -> bool {
        self.ejected_until.is_some()
    }

    /// Remaining ejection time (zero when due but not yet refreshed).
    pub(super) fn ejected_for(&self, now: Instant) -> Option<Duration> {
        self.ejected_until
            .map(|until| until.saturating_duration_since(now))
    }

    /// The longer of the two current error streaks.
    pub(super) fn consecutive_errors(&self) -> u32 {
        self.consecutive_5xx.max(self.consecutive_gateway)
    }

    /// Returns an expired ejection to service and decays the multiplier by one per whole
    /// `interval` spent healthy since. Done lazily on every access, so no timer is needed; the
    /// return happens exactly at the end of the ejection rather than at the next interval tick.
    pub(super) fn refresh(&mut self, now: Instant, interval: Duration) {
        if let Some(until) = self.ejected_until {
            if now < until {
                return;
            }
            self.ejected_until = None;
            // Failures reported by requests that were still in flight while ejected must not
            // eject the endpoint again the moment it returns.
            self.consecutive_5xx = 0;
            self.consecutive_gateway = 0;
            self.decay_from = Some(until);
        }
        let Some(from) = self.decay_from else {
            return;
        };
        if self.ejections == 0 {
            self.decay_from = None;
            return;
        }
        let elapsed = now.saturating_duration_since(from);
        if interval.is_zero() {
            self.ejections = 0;
            self.decay_from = None;
            return;
        }
        let steps = elapsed.as_nanos() / interval.as_nanos();
        if steps == 0 {
            return;
        }
        let steps = u32::try_from(steps).unwrap_or(u32::MAX);
        self.ejections = self.ejections.saturating_sub(steps);
        self.decay_from = if self.ejections == 0 {
            None
        } else {
            Some(
                from.checked_add(interval.saturating_mul(steps))
                    .unwrap_or(now),
            )
        };
    }

    /// Counts one outcome. Returns whether a configured threshold was reached, i.e. the endpoint
    /// is now an outlier; the counter that reached it restarts (as Envoy does whether or not the
    /// ejection is then allowed). Thresholds are not checked while already ejected.
    pub(super) fn record(&mut self, class: Class, policy: Option<&OutlierPolicy>) -> bool {
        match class {
            Class::Success => {
                self.consecutive_5xx = 0;
                self.consecutive_gateway = 0;
                return false;
            }
            Class::ServerError => {
                self.consecutive_5xx = self.consecutive_5xx.saturating_add(1);
                self.consecutive_gateway = 0;
            }
            Class::GatewayError => {
                self.consecutive_5xx = self.consecutive_5xx.saturating_add(1);
                self.consecutive_gateway = self.consecutive_gateway.saturating_add(1);
            }
        }
        let Some(policy) = policy else {
            return false;
        };
        if self.is_ejected() {
            return false;
        }
        let reached = |count: u32, threshold: Option<u32>| {
            threshold.is_some_and(|threshold| threshold > 0 && count >= threshold)
        };
        let by_5xx = reached(self.consecutive_5xx, policy.consecutive_5xx);
        let by_gateway = reached(self.consecutive_gateway, policy.consecutive_gateway_errors);
        if by_5xx {
            self.consecutive_5xx = 0;
        }
        if by_gateway {
            self.consecutive_gateway = 0;
        }
        by_5xx || by_gateway
    }

    /// Ejects for `base_ejection_time` × ejections in a row, capped at the larger of
    /// [`MAX_EJECTION_TIME`] and the base time.
    pub(super) fn eject(&mut self, now: Instant, policy: &OutlierPolicy) {
        let base = policy.base_ejection_time;
        let max = MAX_EJECTION_TIME.max(base);
        // Cap the multiplier where the time stops growing, so that decay while healthy starts
        // shortening ejections right away.
        let cap = if base.is_zero() {
            1
        } else {
            u32::try_from(max.as_nanos() / base.as_nanos())
                .unwrap_or(u32::MAX)
                .max(1)
        };
        self.ejections = self.ejections.saturating_add(1).min(cap);
        let duration = base.saturating_mul(self.ejections).min(max);
        self.ejected_until = Some(
            now.checked_add(duration)
                .or_else(|| now.checked_add(MAX_EJECTION_TIME))
                .unwrap_or(now),
        );
        self.decay_from = None;
        // Both streaks start over once the endpoint is back.
        self.consecutive_5xx = 0;
        self.consecutive_gateway = 0;
    }

    /// Forgets every ejection, e.g. when outlier detection is switched off.
    pub(super) fn clear(&mut self) {
        *self = Outlier {
            consecutive_5xx: self.consecutive_5xx,
            consecutive_gateway: self.consecutive_gateway,
            ..Outlier::default()
        };
    }
}
