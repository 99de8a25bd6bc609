//! Fault injection on a routed request.

use super::*;
use crate::proxy::report::Report;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, answering, ok, route_with};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

#[test]
fn rolls() {
    assert!(hit(50.0, 49.9));
    assert!(!hit(50.0, 50.0));
    assert!(!hit(0.0, 0.0));
    assert_eq!(roll_below(0), 0);
    assert!((0..100).all(|_| roll_below(3) < 3));
}

#[tokio::test]
async fn aborts_and_delays() {
    let abort =
        route_with(json!({"fault": {"abort": {"httpStatus": 418, "percentage": {"value": 100}}}}));
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(abort), None)))
        .layer(FaultLayer)
        .service(up.clone());
    let err = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect_err("aborted");
    assert_eq!(err, ProxyError::FaultAbort(StatusCode::IM_A_TEAPOT));
    assert_eq!(err.flags(), "FI");
    assert!(seen.requests().is_empty());

    let delay = route_with(
        json!({"fault": {"delay": {"fixedDelay": "10ms", "percentage": {"value": 100}}}}),
    );
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(delay), None)))
        .layer(FaultLayer)
        .service(up);
    let mut req = test_util::arriving("web", "/", 80);
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    let resp = svc.oneshot(req).await.expect("delayed, then forwarded");
    assert_eq!(resp.status(), 200);
    assert_eq!(report.noted().flags, Some("DI"));
    assert_eq!(seen.requests().len(), 1);
}
