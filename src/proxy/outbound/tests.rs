//! Outbound targets, and the split between routing and passthrough.

use super::*;

#[test]
fn targets() {
    let uri = |s: &str| s.parse::<hyper::Uri>().expect("uri");
    let lo = |p: u16| Ok(Target::Passthrough(SocketAddr::from(([127, 0, 0, 1], p))));
    let cases: [(&str, Result<Target, &str>); 7] = [
            ("http://127.0.0.1:8080/", lo(8080)),
            ("http://localhost/", lo(80)),
            ("http://127.0.0.1:15001/", Err("refusing to forward to the sidecar's own outbound port (127.0.0.1:15001)")),
            ("/relative", Err("requests to the sidecar must use an absolute http:// URL (set HTTP_PROXY to use it)")),
            ("https://x/", Err("only http:// URLs are supported, not https://")),
            ("http://hello/", Ok(Target::Routed { port: 80 })),
            ("http://hello.other:5000/x", Ok(Target::Routed { port: 5000 })),
        ];
    for (u, want) in cases {
        let got = target(&uri(u), 15001).map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_string), "{u}");
    }
}

#[tokio::test]
async fn loopback_passes_through_and_names_are_routed() {
    use crate::proxy::report::Report;
    use crate::proxy::test_util::{self, answering, ok};
    use tower::ServiceExt;

    let (routed, routed_seen) = answering(|_| ok("routed"));
    let (direct, direct_seen) = answering(|_| ok("direct"));
    let svc = Outbound::new(routed, direct, 15001);
    let mut req = test_util::arriving("ignored", "http://127.0.0.1:8080/p", 15001);
    *req.uri_mut() = "http://127.0.0.1:8080/p".parse().expect("uri");
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    svc.clone().oneshot(req).await.expect("passthrough");
    assert_eq!(direct_seen.requests()[0].uri(), "http://127.0.0.1:8080/p");
    assert_eq!(
        report.noted().upstream_cluster.as_deref(),
        Some("PassthroughCluster")
    );

    let mut req = test_util::arriving("ignored", "/", 15001);
    *req.uri_mut() = "http://hello:5000/hi".parse().expect("uri");
    svc.clone().oneshot(req).await.expect("routed");
    let got = &routed_seen.requests()[0];
    assert_eq!(got.uri(), "/hi");
    assert_eq!(got.headers()["host"], "hello:5000");

    let mut req = test_util::arriving("x", "/", 15001);
    *req.method_mut() = Method::CONNECT;
    let err = svc.oneshot(req).await.expect_err("refused");
    assert_eq!(err.status(), StatusCode::METHOD_NOT_ALLOWED);
}
