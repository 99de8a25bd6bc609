//! Endpoint choice and addressing.

use super::*;
use crate::proxy::action::ActionLayer;
use crate::proxy::report::Report;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, answering, ok};
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test]
async fn requests_are_addressed_to_the_chosen_endpoint() {
    let ep: SocketAddr = "127.0.0.1:20017".parse().expect("addr");
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[ep], None, None)))
        .layer(ActionLayer)
        .layer(EndpointLayer::new("client"))
        .service(up);
    let mut req = test_util::arriving("web", "/p?q=1", 80);
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    svc.oneshot(req).await.expect("answer");
    let got = &seen.requests()[0];
    assert_eq!(got.uri(), "http://127.0.0.1:20017/p?q=1");
    assert!(
        !got.headers().contains_key(TARGET_PORT_HEADER),
        "no sidecar at the endpoint"
    );
    assert_eq!(report.upstream_host(), Some(ep));
}

#[tokio::test]
async fn no_endpoint_is_no_healthy_upstream() {
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], None, None)))
        .layer(ActionLayer)
        .layer(EndpointLayer::new("client"))
        .service(up);
    let err = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect_err("UH");
    assert_eq!(err, ProxyError::NoHealthy);
    assert!(seen.requests().is_empty());
}

#[tokio::test]
async fn per_try_timeouts_count_as_timeouts() {
    let slow = tower::service_fn(|_req: Request<Body>| async {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        ok("late")
    });
    let ep: SocketAddr = "127.0.0.1:20018".parse().expect("addr");
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[ep], None, None)))
        .layer(ActionLayer)
        .layer(EndpointLayer::new("client"))
        .service(slow);
    let mut req = test_util::arriving("web", "/", 80);
    req.extensions_mut().insert(Attempt {
        number: 1,
        tried: Vec::new(),
        per_try_timeout: Some(std::time::Duration::from_millis(20)),
    });
    let err = svc.oneshot(req).await.expect_err("timed out");
    assert_eq!(err, ProxyError::Timeout);
}
