//! Retry decisions, and the layer's attempts over a scripted upstream.

use super::*;
use crate::proxy::action::ActionLayer;
use crate::proxy::replay::ReplayLayer;
use crate::proxy::report::Report;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, answering, ok, route_with, status};
use http_body_util::BodyExt;
use serde_json::json;
use std::net::SocketAddr;
use tower::{ServiceBuilder, ServiceExt};

fn policy(on: &[&str]) -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        per_try_timeout: None,
        retry_on: on.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn retry_decisions() {
    use Outcome::*;
    let cases: &[(&[&str], Outcome, bool)] = &[
        (&["5xx"], Status(500), true),
        (&["5xx"], Status(404), false),
        (&["gateway-error"], Status(500), false),
        (&["gateway-error"], Status(503), true),
        (&["retriable-status-codes", "418"], Status(418), true),
        (&["connect-failure"], ConnectFailure, true),
        (&["connect-failure"], Status(503), false),
        (&["refused-stream"], ConnectFailure, false),
        (&["5xx"], PerTryTimeout, true),
        (&["connect-failure"], PerTryTimeout, false),
        (&["reset"], Reset, true),
    ];
    for (on, outcome, want) in cases {
        assert_eq!(
            should_retry(&policy(on), *outcome),
            *want,
            "{on:?} {outcome:?}"
        );
    }
    assert!(should_retry(&default_policy(), Status(503)));
    assert!(!should_retry(&default_policy(), Status(500)));
}

/// Route → action → replay → retry over `up`, with two endpoints.
fn stack<U>(
    rules: Option<serde_json::Value>,
    up: U,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<Body>,
    Error = ProxyError,
    Future = impl Send,
> + Clone
where
    U: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>
        + Clone
        + Send
        + 'static,
    U::Future: Send + 'static,
{
    let eps: [SocketAddr; 2] = [
        "127.0.0.1:1".parse().expect("a"),
        "127.0.0.1:2".parse().expect("a"),
    ];
    ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&eps, rules, None)))
        .layer(ActionLayer)
        .layer(ReplayLayer)
        .layer(RetryLayer)
        .service(up)
}

fn post(body: &'static str) -> (Request<Body>, Report) {
    let mut req = test_util::arriving("web", "/", 80);
    *req.method_mut() = hyper::Method::POST;
    *req.body_mut() = forward::full(bytes::Bytes::from_static(body.as_bytes()));
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    (req, report)
}

#[tokio::test]
async fn default_policy_retries_503_with_the_body_again() {
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let up = tower::service_fn(move |req: Request<Body>| {
        let kept = kept.clone();
        async move {
            let n = req.headers()["x-envoy-attempt-count"]
                .to_str()
                .expect("count")
                .to_string();
            let body = req.into_body().collect().await.expect("body").to_bytes();
            kept.lock().expect("lock").push(body);
            if n == "1" {
                status(503)
            } else {
                ok("second")
            }
        }
    });
    let (req, report) = post("payload");
    let resp = stack(None, up).oneshot(req).await.expect("answer");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-envoy-attempt-count"], "2");
    assert_eq!(*bodies.lock().expect("lock"), ["payload", "payload"]);
    assert_eq!(report.noted().flags, None);
}

#[tokio::test]
async fn exhausted_retries_are_urx_and_other_codes_are_final() {
    let (up, seen) = answering(|_| status(503));
    let rules = route_with(json!({"retries": {"attempts": 2, "retryOn": "5xx"}}));
    let (req, report) = post("");
    let resp = stack(Some(rules), up).oneshot(req).await.expect("answer");
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["x-envoy-attempt-count"], "3");
    assert_eq!(seen.requests().len(), 3);
    assert_eq!(report.noted().flags, Some("URX"));

    let (up, seen) = answering(|_| status(500));
    let (req, _) = post("");
    let resp = stack(None, up).oneshot(req).await.expect("answer");
    assert_eq!(resp.status(), 500, "the default policy does not retry 500");
    assert_eq!(seen.requests().len(), 1);
}
