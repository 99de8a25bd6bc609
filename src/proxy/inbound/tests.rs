//! Inbound targets, and the inbound step over a real upstream.

use super::*;

/// Header, app ports, wanted (containerPort, host port) or error.
type TargetCase<'a> = (
    Option<&'static str>,
    &'a BTreeMap<u16, u16>,
    Result<(u16, u16), &'static str>,
);

#[test]
fn inbound_targets() {
    let ports: BTreeMap<u16, u16> = [(8080, 20001), (9090, 20002)].into_iter().collect();
    let none = BTreeMap::new();
    let cases: [TargetCase<'_>; 7] = [
        (None, &ports, Ok((8080, 20001))),
        (Some("20002"), &ports, Ok((9090, 20002))),
        (Some(" 20001 "), &ports, Ok((8080, 20001))),
        (
            Some("9090"),
            &ports,
            Err("port 9090 is not a port of pod ns/p (its ports: 20001, 20002)"),
        ),
        (
            Some("22"),
            &ports,
            Err("port 22 is not a port of pod ns/p (its ports: 20001, 20002)"),
        ),
        (
            Some("x"),
            &ports,
            Err("port x is not a port of pod ns/p (its ports: 20001, 20002)"),
        ),
        (None, &none, Err("pod ns/p has no app ports")),
    ];
    for (header, ports, want) in cases {
        let got = target(header, ports, "ns/p").map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_string), "{header:?}");
    }
}

#[tokio::test]
async fn requests_go_to_the_named_app_port_and_note_the_caller() {
    use crate::proxy::report::Report;
    use crate::proxy::test_util::{self, answering, ok};
    use tower::{ServiceBuilder, ServiceExt};

    let ports: BTreeMap<u16, u16> = [(8080, 20001), (9090, 20002)].into_iter().collect();
    let service_of: ServiceOf = Arc::new(|app: SocketAddr| {
        (app.port() == 20002).then(|| Label::new("hello.default.svc.cluster.local"))
    });
    let (up, seen) = answering(|_| ok("app"));
    let svc = ServiceBuilder::new()
        .layer(InboundLayer::new("ns/p", ports, service_of))
        .service(up);
    let mut req = test_util::arriving("hello", "/x?y=1", 15006);
    req.headers_mut()
        .insert(TARGET_PORT_HEADER, "20002".parse().expect("v"));
    req.headers_mut()
        .insert(SOURCE_WORKLOAD_HEADER, "client".parse().expect("v"));
    let report = Report::default();
    req.extensions_mut().insert(report.clone());
    svc.clone().oneshot(req).await.expect("delivered");
    let got = &seen.requests()[0];
    assert_eq!(got.uri(), "http://127.0.0.1:20002/x?y=1");
    assert!(!got.headers().contains_key(TARGET_PORT_HEADER));
    assert!(!got.headers().contains_key(SOURCE_WORKLOAD_HEADER));
    let noted = report.noted();
    assert_eq!(noted.source_workload, Some(Label::new("client")));
    assert_eq!(noted.upstream_cluster.as_deref(), Some("inbound|9090||"));
    assert_eq!(
        noted.destination_service,
        Some(Label::new("hello.default.svc.cluster.local"))
    );

    let mut req = test_util::arriving("hello", "/", 15006);
    req.headers_mut()
        .insert(TARGET_PORT_HEADER, "22".parse().expect("v"));
    let err = svc.oneshot(req).await.expect_err("refused");
    assert_eq!(
        (err.status().as_u16(), err.details()),
        (403, "rbac_access_denied")
    );
    assert_eq!(seen.requests().len(), 1);
}
