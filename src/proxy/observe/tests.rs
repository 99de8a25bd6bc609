//! The observe layer: local replies, metrics once the body is done.

use super::*;
use crate::proxy::test_util::{self, answering, ok};
use tower::{ServiceBuilder, ServiceExt};

fn layer(metrics: &Arc<Metrics>) -> ObserveLayer {
    let reporter = Reporter::Source {
        workload: Label::new("client"),
        namespace: Label::new("default"),
    };
    ObserveLayer::new(reporter, metrics.clone())
}

#[tokio::test]
async fn errors_become_local_replies_and_are_counted() {
    let metrics = Arc::new(Metrics::new());
    let (up, _) = answering(|_| Err(ProxyError::NoHealthy));
    let svc = ServiceBuilder::new().layer(layer(&metrics)).service(up);
    let resp = svc
        .oneshot(test_util::arriving("web:80", "/", 80))
        .await
        .expect("infallible");
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["server"], "istio-envoy");
    assert_eq!(test_util::body(resp).await, "no healthy upstream");
    let text = metrics.encode();
    assert!(
        text.contains("response_code=\"503\",response_flags=\"UH\""),
        "{text}"
    );
    assert!(text.contains("destination_service=\"web\""), "{text}");
}

#[tokio::test]
async fn answers_get_an_id_and_are_counted_when_their_body_ends() {
    let metrics = Arc::new(Metrics::new());
    let (up, seen) = answering(|_| ok("hello"));
    let svc = ServiceBuilder::new().layer(layer(&metrics)).service(up);
    let resp = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect("infallible");
    assert!(resp.headers().contains_key("x-envoy-upstream-service-time"));
    assert!(seen.requests()[0].headers().contains_key("x-request-id"));
    assert!(
        !metrics.encode().contains("istio_requests_total{"),
        "not before the body ends"
    );
    assert_eq!(test_util::body(resp).await, "hello");
    let text = metrics.encode();
    assert!(
        text.contains("response_code=\"200\",response_flags=\"-\""),
        "{text}"
    );
    assert!(
        text.contains("reporter=\"source\",source_workload=\"client\""),
        "{text}"
    );
}
