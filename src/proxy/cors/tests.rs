//! CORS decisions, and the layer answering preflights.

use super::*;
use crate::proxy::action::ActionLayer;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, answering, ok, route_with};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

fn policy() -> CorsPolicy {
    serde_json::from_value(json!({
        "allowOrigins": [{"exact": "https://a.example"}, {"regex": "https://.*\\.b\\.example"}],
        "allowMethods": ["GET", "POST"], "allowHeaders": ["x-a"], "maxAge": "24h",
        "exposeHeaders": ["x-b"], "allowCredentials": true
    }))
    .expect("cors")
}

#[test]
fn cors_decisions() {
    let cors = policy();
    assert!(origin_allowed(&cors, "https://a.example"));
    assert!(origin_allowed(&cors, "https://x.b.example"));
    assert!(!origin_allowed(&cors, "https://evil.example"));
    let pre = preflight_headers(&cors, "https://a.example");
    assert!(pre.contains(&("access-control-allow-methods", "GET,POST".to_string())));
    assert!(pre.contains(&("access-control-max-age", "86400".to_string())));
    assert!(preflight_headers(&cors, "https://evil.example").is_empty());
    let resp = response_cors_headers(&cors, "https://a.example");
    assert!(resp.contains(&("access-control-expose-headers", "x-b".to_string())));
}

#[tokio::test]
async fn preflights_answered_here_and_responses_marked() {
    let rules = route_with(json!({"corsPolicy": serde_json::to_value(policy()).expect("json")}));
    let proxy = test_util::proxy(&[], Some(rules), None);
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(proxy))
        .layer(CorsLayer)
        .layer(ActionLayer)
        .service(up);
    let with = |method: &str, origin: &str, preflight: bool| {
        let mut req = test_util::arriving("web", "/", 80);
        *req.method_mut() = method.parse().expect("method");
        req.headers_mut()
            .insert("origin", origin.parse().expect("origin"));
        if preflight {
            req.headers_mut()
                .insert("access-control-request-method", "POST".parse().expect("v"));
        }
        req
    };
    let resp = svc
        .clone()
        .oneshot(with("OPTIONS", "https://a.example", true))
        .await
        .expect("ok");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-methods"], "GET,POST");
    assert_eq!(
        seen.requests().len(),
        0,
        "a preflight is answered by the proxy"
    );

    let resp = svc
        .clone()
        .oneshot(with("GET", "https://a.example", false))
        .await
        .expect("ok");
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://a.example"
    );
    assert_eq!(resp.headers()["access-control-expose-headers"], "x-b");

    let resp = svc
        .clone()
        .oneshot(with("OPTIONS", "https://evil.example", true))
        .await
        .expect("ok");
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
    assert_eq!(
        seen.requests().len(),
        2,
        "an unmatched preflight goes upstream"
    );
}
