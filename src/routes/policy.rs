//! Typed per-route policies (timeout, retries, fault, mirrors) parsed from an HTTPRoute.

use std::time::Duration;

use super::{Policy, WeightedCluster};
use crate::api::istio::{parse_duration, Destination, HttpRoute, Percent};

/// Retry policy: at most `1 + attempts` requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RetryPolicy {
    /// 0 disables retries.
    pub attempts: u32,
    pub per_try_timeout: Option<Duration>,
    /// Envoy retry-on conditions and status codes, split at commas.
    pub retry_on: Vec<String>,
}

/// Injected faults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPolicy {
    pub delay: Option<FaultDelay>,
    pub abort: Option<FaultAbort>,
}

/// A fixed delay applied to `percentage` (0–100) of requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultDelay {
    pub duration: Duration,
    pub percentage: f64,
}

/// An abort applied to `percentage` (0–100) of requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultAbort {
    pub http_status: Option<u16>,
    pub grpc_status: Option<String>,
    pub percentage: f64,
}

/// A shadow copy of requests sent to `cluster` for `percentage` (0–100) of requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mirror {
    pub cluster: WeightedCluster,
    pub percentage: f64,
}

/// Percentage with Istio's default of 100 when unset; clamped to 0–100.
fn percent_or_all(p: Option<&Percent>) -> f64 {
    p.map_or(100.0, |p| p.value.clamp(0.0, 100.0))
}

/// Builds the policy of `rule`; `resolve` turns a Destination into a cluster.
/// Unparseable durations are reported through `warn` and dropped.
pub(crate) fn build_policy(
    rule: &HttpRoute,
    resolve: &mut dyn FnMut(&Destination) -> WeightedCluster,
    warn: &mut dyn FnMut(String),
) -> Policy {
    let mut duration = |field: &str, text: &str| {
        let parsed = parse_duration(text);
        if parsed.is_none() {
            warn(format!("invalid duration {text:?} in {field}"));
        }
        parsed
    };
    let timeout = rule.timeout.as_deref().and_then(|t| duration("timeout", t));
    let retries = rule.retries.as_ref().map(|r| RetryPolicy {
        attempts: u32::try_from(r.attempts).unwrap_or(0),
        per_try_timeout: r
            .per_try_timeout
            .as_deref()
            .and_then(|t| duration("retries.perTryTimeout", t)),
        retry_on: r
            .retry_on
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    });
    let fault = rule.fault.as_ref().map(|f| FaultPolicy {
        delay: f.delay.as_ref().and_then(|d| {
            let text = d
                .fixed_delay
                .as_deref()
                .or(d.exponential_delay.as_deref())?;
            let percentage = match &d.percentage {
                Some(p) => p.value.clamp(0.0, 100.0),
                // The deprecated integer `percent`; absent both, every request.
                None if d.percent > 0 => f64::from(d.percent.min(100)),
                None => 100.0,
            };
            Some(FaultDelay {
                duration: duration("fault.delay", text)?,
                percentage,
            })
        }),
        abort: f.abort.as_ref().map(|a| FaultAbort {
            http_status: a.http_status.and_then(|s| u16::try_from(s).ok()),
            grpc_status: a.grpc_status.clone(),
            percentage: percent_or_all(a.percentage.as_ref()),
        }),
    });
    let mut mirrors = Vec::new();
    if let Some(dest) = &rule.mirror {
        let percentage = match (&rule.mirror_percentage, rule.mirror_percent) {
            (Some(p), _) => p.value.clamp(0.0, 100.0),
            (None, Some(p)) => f64::from(p.min(100)),
            (None, None) => 100.0,
        };
        mirrors.push(Mirror {
            cluster: resolve(dest),
            percentage,
        });
    }
    for m in &rule.mirrors {
        if let Some(dest) = &m.destination {
            mirrors.push(Mirror {
                cluster: resolve(dest),
                percentage: percent_or_all(m.percentage.as_ref()),
            });
        }
    }
    Policy {
        timeout,
        retries,
        fault,
        mirrors,
        headers: rule.headers.clone(),
        cors: rule.cors_policy.clone(),
    }
}
