//! Route actions: local answers, and requests rewritten for their destination.

use super::*;
use crate::proxy::error::LocalAnswer;
use crate::proxy::report::Report;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, answering, ok};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test]
async fn redirects_and_direct_responses_are_answered_here() {
    let rules = json!([
        {"match": [{"uri": {"prefix": "/old"}}], "redirect": {"uri": "/new", "redirectCode": 308}},
        {"match": [{"uri": {"prefix": "/teapot"}}], "directResponse": {"status": 418, "body": {"string": "short and stout"}}},
    ]);
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(rules), None)))
        .layer(ActionLayer)
        .service(up);
    let resp = svc
        .clone()
        .oneshot(test_util::arriving("web", "/old?q=1", 80))
        .await
        .expect("ok");
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers()["location"], "http://web/new?q=1");
    assert!(resp.extensions().get::<LocalAnswer>().is_some());
    let resp = svc
        .oneshot(test_util::arriving("web", "/teapot", 80))
        .await
        .expect("ok");
    assert_eq!(resp.status(), 418);
    assert_eq!(test_util::body(resp).await, "short and stout");
    assert!(seen.requests().is_empty());
}

#[tokio::test]
async fn forwarded_requests_are_rewritten() {
    let rules = json!([{"match": [{"uri": {"prefix": "/api/"}}],
                        "rewrite": {"uri": "/v2/", "authority": "backend.example"},
                        "route": [{"destination": {"host": "web"}}]}]);
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(rules), None)))
        .layer(ActionLayer)
        .service(up);
    let mut req = test_util::arriving("web", "/api/items?x=1", 80);
    req.headers_mut()
        .insert("x-forwarded-for", "10.0.0.1".parse().expect("v"));
    req.headers_mut()
        .insert("connection", "keep-alive".parse().expect("v"));
    req.headers_mut()
        .insert(TARGET_PORT_HEADER, "1".parse().expect("v"));
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    svc.oneshot(req).await.expect("forwarded");
    let seen = seen.requests();
    let got = &seen[0];
    assert_eq!(got.uri(), "/v2/items?x=1");
    assert_eq!(got.headers()["host"], "backend.example");
    assert_eq!(got.headers()["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert_eq!(got.headers()["x-forwarded-proto"], "http");
    assert!(!got.headers().contains_key("connection"));
    assert!(!got.headers().contains_key(TARGET_PORT_HEADER));
    let noted = report.noted();
    assert_eq!(
        noted.upstream_cluster.as_deref(),
        Some("outbound|80||web.default.svc.cluster.local")
    );
}

#[tokio::test]
async fn a_missing_subset_has_no_cluster() {
    let rules = json!([{"route": [{"destination": {"host": "web", "subset": "v9"}}]}]);
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(rules), None)))
        .layer(ActionLayer)
        .service(up);
    let err = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect_err("NC");
    assert_eq!(err.flags(), "NC");
    assert!(
        err.body()
            .contains("no cluster found: outbound|80|v9|web.default.svc.cluster.local"),
        "{}",
        err.body()
    );
    assert!(err.body().contains("subset \"v9\""), "{}", err.body());
    assert!(seen.requests().is_empty());
}
