//! The route timeout.

use super::*;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, route_with};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test]
async fn a_slow_upstream_times_out() {
    let slow = tower::service_fn(|_req: Request<Body>| async {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        test_util::ok("late")
    });
    let rules = route_with(json!({"timeout": "50ms"}));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(rules), None)))
        .layer(TimeoutLayer)
        .service(slow);
    let err = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect_err("timed out");
    assert_eq!(err, ProxyError::Timeout);
    assert_eq!((err.status().as_u16(), err.flags()), (504, "UT"));

    let quick = tower::service_fn(|_req: Request<Body>| async { test_util::ok("now") });
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], None, None)))
        .layer(TimeoutLayer)
        .service(quick);
    let resp = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect("no timeout set");
    assert_eq!(resp.status(), 200);
}
