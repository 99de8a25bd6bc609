//! Sidecar compilation: mesh binding, service domains, default routes, port filtering.

use super::super::*;
use super::{add_yaml, describe, service, Req};

#[test]
fn sidecar_routes() {
    let mut s = Snapshot::default();
    s.services.push(service("reviews", "default", &[9080]));
    s.services.push(service("ratings", "default", &[9080]));
    s.services.push(service("web", "prod", &[80, 8080]));
    add_yaml(
        &mut s,
        r#"
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
---
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
kind: VirtualService
metadata: {name: web, namespace: prod}
spec:
  hosts: [web]
  http:
  - match: [{port: 8080}]
    route: [{destination: {host: web, port: {number: 8080}}}]
---
kind: VirtualService
metadata: {name: gw-only}
spec:
  hosts: [ratings]
  gateways: [some-gw]
  http: [{route: [{destination: {host: nowhere}}]}]
---
kind: VirtualService
metadata: {name: hidden, namespace: prod}
spec:
  hosts: [ratings.default.svc.cluster.local]
  exportTo: ["."]
  http: [{route: [{destination: {host: nowhere}}]}]
---
kind: VirtualService
metadata: {name: dangling}
spec:
  hosts: [missing]
  http: [{route: [{destination: {host: missing}}]}]
"#,
        None,
    );
    let config = compile_sidecar(&s, "default");
    let cases: Vec<(u16, Req, &str)> = vec![
        (
            9080,
            Req::get("reviews:9080", "/"),
            "reviews.default.svc.cluster.local:9080/v1",
        ),
        (
            9080,
            Req::get("reviews", "/").header("end-user", "jason"),
            "reviews.default.svc.cluster.local:9080/v2",
        ),
        (
            9080,
            Req::get("reviews.default.svc.cluster.local", "/"),
            "reviews.default.svc.cluster.local:9080/v1",
        ),
        (
            9080,
            Req::get("ratings.default", "/"),
            "ratings.default.svc.cluster.local:9080",
        ),
        // A bare name only resolves within the client's namespace.
        (80, Req::get("web", "/"), "no-vhost"),
        (80, Req::get("web.prod", "/"), "no-route"),
        (
            8080,
            Req::get("web.prod:8080", "/"),
            "web.prod.svc.cluster.local:8080",
        ),
        (9999, Req::get("reviews", "/"), "no-vhost"),
    ];
    for (port, req, want) in cases {
        let req = Req { port, ..req };
        assert_eq!(
            describe(select(&config, port, &req.as_request())),
            want,
            "{port} {}",
            req.authority
        );
    }
    let Selection::Route(r) = select(&config, 9080, &Req::get("reviews", "/").as_request()) else {
        panic!("route")
    };
    let Action::Route(c) = &r.action else {
        panic!("action")
    };
    assert_eq!(
        c[0].subset_labels.get("version").map(String::as_str),
        Some("v1")
    );
    assert_eq!(
        config
            .listeners
            .iter()
            .map(|l| (l.port, l.protocol.as_str()))
            .collect::<Vec<_>>(),
        vec![(80, "HTTP"), (8080, "HTTP"), (9080, "HTTP")]
    );
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("missing.default.svc.cluster.local matches no Service")),
        "{:?}",
        config.warnings
    );

    // From prod, the prod-only VS applies to ratings.
    let prod = compile_sidecar(&s, "prod");
    assert_eq!(
        describe(select(
            &prod,
            9080,
            &Req::get("ratings.default", "/").as_request()
        )),
        "nowhere.prod.svc.cluster.local"
    );
}
