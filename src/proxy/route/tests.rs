//! Route selection over a real compiled config.

use super::*;
use crate::proxy::report::Report;
use crate::proxy::table::{Identity, Role};
use crate::proxy::telemetry::Metrics;
use crate::proxy::test_util::{self, answering, ok};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test]
async fn routes_by_host_and_rule() {
    let only = json!([{"match": [{"uri": {"prefix": "/only"}}], "name": "only",
                       "route": [{"destination": {"host": "web"}}]}]);
    let proxy = test_util::proxy(&[], Some(only), None);
    let (up, seen) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(proxy))
        .service(up);
    let mut req = test_util::arriving("web", "/only/x", 80);
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    let resp = svc.clone().oneshot(req).await.expect("routed");
    assert_eq!(resp.status(), 200);
    assert_eq!(report.noted().route.as_deref(), Some("only"));
    assert_eq!(seen.requests().len(), 1);

    let cases = [
        ("web", "/other", "no rule for \"web\" matches GET /other"),
        ("nope", "/", "no virtual host for \"nope\" on port 80"),
    ];
    for (host, path, want) in cases {
        let err = svc
            .clone()
            .oneshot(test_util::arriving(host, path, 80))
            .await
            .expect_err("no route");
        assert_eq!(err.flags(), "NR");
        assert!(err.body().contains(want), "{}", err.body());
    }
    assert_eq!(
        seen.requests().len(),
        1,
        "refused requests never reach upstream"
    );
}

#[tokio::test]
async fn no_config_yet_is_no_healthy_upstream() {
    let identity = Identity {
        role: Role::Sidecar,
        namespace: "default".into(),
        pod: "p".into(),
        workload: "p".into(),
    };
    let proxy = Arc::new(Proxy::new(identity, Arc::new(Metrics::new())));
    let (up, _) = answering(|_| ok("up"));
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(proxy))
        .service(up);
    let err = svc
        .oneshot(test_util::arriving("web", "/", 80))
        .await
        .expect_err("no config");
    assert_eq!(err, ProxyError::NoConfig);
    assert_eq!(err.flags(), "UH");
}
