//! Retries as Envoy applies a route's `retries` (or Istio's default policy): attempts after
//! a retriable outcome, each to another endpoint where there is one, with a short jittered
//! back-off, within the cluster's retry budget. The request holds its place in the cluster's
//! pool for all its attempts.

use super::action::Chosen;
use super::balance::Balancer;
use super::client::Upgrade;
use super::error::ProxyError;
use super::fault::roll_below;
use super::forward::{self, Body};
use super::layer::{Inner, Step, StepFuture};
use super::replay::Replay;
use super::report;
use super::route::Routed;
use crate::routes::RetryPolicy;
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::time::Duration;

/// One attempt of a request, in its extensions for the endpoint layer.
#[derive(Clone, Debug, Default)]
pub struct Attempt {
    /// 1 for the first try.
    pub number: u32,
    /// Endpoints earlier attempts went to (avoided unless nothing else is left).
    pub tried: Vec<SocketAddr>,
    /// The route's `perTryTimeout`.
    pub per_try_timeout: Option<Duration>,
}

/// How one attempt went, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Status(u16),
    ConnectFailure,
    /// The connection closed before a response (Envoy: reset).
    Reset,
    PerTryTimeout,
}

/// Istio's retry policy for routes that set none: 2 attempts on connect failures, refused
/// streams, `unavailable`, `cancelled` and 503.
pub fn default_policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        per_try_timeout: None,
        retry_on: [
            "connect-failure",
            "refused-stream",
            "unavailable",
            "cancelled",
            "retriable-status-codes",
            "503",
        ]
        .map(str::to_string)
        .to_vec(),
    }
}

/// Whether Envoy would retry after `outcome` under `policy` (`retry_on` as Envoy reads it:
/// condition names plus bare status codes, which become retriable status codes).
pub fn should_retry(policy: &RetryPolicy, outcome: Outcome) -> bool {
    let on = |name: &str| policy.retry_on.iter().any(|c| c == name);
    let codes = || policy.retry_on.iter().filter_map(|c| c.parse::<u16>().ok());
    match outcome {
        Outcome::Status(code) => {
            (on("5xx") && code >= 500)
                || (on("gateway-error") && matches!(code, 502..=504))
                || codes().any(|c| c == code)
        }
        Outcome::ConnectFailure => {
            on("connect-failure") || on("5xx") || on("gateway-error") || on("reset")
        }
        Outcome::Reset => on("reset") || on("5xx"),
        Outcome::PerTryTimeout => on("5xx") || on("gateway-error") || on("reset"),
    }
}

/// The outcome of an attempt's result; `None` for failures that are not the upstream's.
pub fn outcome(result: &Result<Response<Body>, ProxyError>) -> Option<Outcome> {
    match result {
        Ok(resp) => Some(Outcome::Status(resp.status().as_u16())),
        Err(ProxyError::Connect(_)) => Some(Outcome::ConnectFailure),
        Err(ProxyError::Reset(_)) => Some(Outcome::Reset),
        Err(ProxyError::Timeout) => Some(Outcome::PerTryTimeout),
        Err(_) => None,
    }
}

/// Adds retries.
#[derive(Clone, Copy, Default)]
pub struct RetryLayer;

crate::step!(RetryLayer);

impl Step for RetryLayer {
    fn call<S: Inner>(&self, inner: &mut S, mut req: Request<Body>) -> StepFuture<S::Future> {
        let (Some(routed), Some(chosen)) = (
            req.extensions().get::<Routed>().cloned(),
            req.extensions().get::<Chosen>().cloned(),
        ) else {
            return StepFuture::inner(inner.call(req));
        };
        if req.extensions().get::<Upgrade>().is_some() {
            // An upgraded connection is one attempt, outside the pool's request count.
            req.extensions_mut().insert(Attempt {
                number: 1,
                tried: Vec::new(),
                per_try_timeout: None,
            });
            return StepFuture::inner(inner.call(req));
        }
        let inner = inner.clone();
        StepFuture::boxed(async move {
            let balancer = &chosen.cluster.balancer;
            let _request = balancer.try_request().map_err(|_| ProxyError::Overflow)?;
            let policy = &routed.target.retries;
            attempts(inner, req, policy, balancer).await
        })
    }
}

/// Sends attempts until one is final.
async fn attempts<S>(
    mut inner: S,
    req: Request<Body>,
    policy: &RetryPolicy,
    balancer: &Balancer,
) -> Result<Response<Body>, ProxyError>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>,
{
    let report = report::of(&req);
    let replay = req.extensions().get::<Replay>().map(|r| r.0.clone());
    let retriable = policy.attempts > 0 && replay.is_some();
    // Later attempts are copies of the first; without retries the request goes as it is.
    let template = if retriable {
        Some(Head::of(&req))
    } else {
        None
    };
    let mut next = Some(req);
    let mut tried = Vec::new();
    let mut number = 1u32;
    let mut _retry_budget = None;
    loop {
        let mut attempt = match (next.take(), &template, &replay) {
            (Some(first), _, _) => first,
            (None, Some(template), Some(bytes)) => template.request(bytes.clone()),
            _ => return Err(ProxyError::Reset("request body already sent".to_string())),
        };
        attempt
            .headers_mut()
            .insert("x-envoy-attempt-count", forward::number(u64::from(number)));
        attempt.extensions_mut().insert(Attempt {
            number,
            tried: tried.clone(),
            per_try_timeout: policy.per_try_timeout,
        });
        let result = inner.call(attempt).await;
        let retry_worthy = outcome(&result).is_some_and(|o| should_retry(policy, o));
        if retriable && number <= policy.attempts && retry_worthy {
            // The cluster's budget of concurrent retries (`maxRetries`): without a place,
            // this answer is final.
            if let Ok(place) = balancer.try_retry() {
                _retry_budget = Some(place);
                if let Some(host) = report.upstream_host() {
                    tried.push(host);
                }
                number += 1;
                // Envoy backs off 25 ms (jittered) between attempts.
                let backoff = Duration::from_millis(5 + u64::from(roll_below(20)));
                tokio::time::sleep(backoff).await;
                continue;
            }
            return finish(result, number, false, &report);
        }
        let exhausted = number > 1 && retry_worthy;
        return finish(result, number, exhausted, &report);
    }
}

/// The final answer, with how many attempts it took.
fn finish(
    result: Result<Response<Body>, ProxyError>,
    attempts: u32,
    exhausted: bool,
    report: &report::Report,
) -> Result<Response<Body>, ProxyError> {
    if exhausted {
        report.note(|n| n.flags = Some("URX"));
    }
    let mut resp = result?;
    // Envoy's include_attempt_count_in_response: how many tries this answer took.
    resp.headers_mut().insert(
        "x-envoy-attempt-count",
        forward::number(u64::from(attempts)),
    );
    Ok(resp)
}

/// What later attempts are made from: the request's head, and of its extensions those the
/// layers below read (the exchange's report, where it came from, the chosen cluster). Kept
/// without building a request, so a request that needs no retry pays only for the headers.
struct Head {
    method: hyper::Method,
    uri: hyper::Uri,
    version: hyper::Version,
    headers: hyper::HeaderMap,
    report: Option<report::Report>,
    down: Option<super::Downstream>,
    chosen: Option<Chosen>,
}

// === impl Head ===

impl Head {
    fn of(req: &Request<Body>) -> Head {
        let ext = req.extensions();
        Head {
            method: req.method().clone(),
            uri: req.uri().clone(),
            version: req.version(),
            headers: req.headers().clone(),
            report: ext.get::<report::Report>().cloned(),
            down: ext.get::<super::Downstream>().copied(),
            chosen: ext.get::<Chosen>().cloned(),
        }
    }

    /// Another attempt of the request, sending `body`.
    fn request(&self, body: bytes::Bytes) -> Request<Body> {
        let mut r = Request::new(forward::full(body));
        *r.method_mut() = self.method.clone();
        *r.uri_mut() = self.uri.clone();
        *r.version_mut() = self.version;
        *r.headers_mut() = self.headers.clone();
        let ext = r.extensions_mut();
        if let Some(report) = &self.report {
            ext.insert(report.clone());
        }
        if let Some(down) = self.down {
            ext.insert(down);
        }
        if let Some(chosen) = &self.chosen {
            ext.insert(chosen.clone());
        }
        r
    }
}

#[cfg(test)]
mod tests;
