//! Gateway compilation: selection, resolvePorts, server hosts, VS binding and actions.

use std::time::Duration;

use super::super::*;
use super::{add_yaml, describe, ingress, service, snapshot, Req};

const GATEWAYS: &str = r#"
kind: Gateway
metadata: {name: public, namespace: istio-system, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/*.example.com", "./own.local", "shop/*"]
  - port: {number: 9000, name: http-extra, protocol: http2}
    hosts: ["*"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: cert}
  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}
---
kind: Gateway
metadata: {name: other, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 81, name: http, protocol: HTTP}
    hosts: ["*"]
"#;

#[test]
fn listeners_follow_selector_and_resolve_ports() {
    let config = compile_gateway(&snapshot(GATEWAYS), &ingress());
    let got: Vec<(u16, &str)> = config
        .listeners
        .iter()
        .map(|l| (l.port, l.protocol.as_str()))
        .collect();
    // 80→8080 and 443→8443 via the Service; 9000 and 15443 bind as-is; `other` is not selected.
    assert_eq!(
        got,
        vec![
            (8080, "HTTP"),
            (8443, "HTTPS"),
            (9000, "HTTP2"),
            (15443, "TLS")
        ]
    );
    let https = config
        .listeners
        .iter()
        .find(|l| l.port == 8443)
        .expect("https");
    assert_eq!(
        https.tls.as_ref().map(|t| t.credential_name.as_str()),
        Some("cert")
    );
    assert_eq!(https.gateways, vec!["istio-system/public".to_string()]);
}

#[test]
fn empty_selector_selects_every_workload() {
    let s = snapshot(
        "kind: Gateway\nmetadata: {name: g}\nspec:\n  servers:\n  - port: {number: 8081, name: h, protocol: HTTP}\n    hosts: ['*']\n",
    );
    let config = compile_gateway(&s, &ingress());
    assert_eq!(
        config.listeners.iter().map(|l| l.port).collect::<Vec<_>>(),
        vec![8081]
    );
}

#[test]
fn server_host_namespaces_and_vs_binding() {
    let mut s = snapshot(GATEWAYS);
    add_yaml(
        &mut s,
        r#"
kind: VirtualService
metadata: {name: a, namespace: web, creationTimestamp: "2024-01-01T00:00:01Z"}
spec:
  hosts: ["a.example.com"]
  gateways: ["istio-system/public"]
  http: [{route: [{destination: {host: a}}]}]
---
kind: VirtualService
metadata: {name: own, namespace: istio-system}
spec:
  hosts: ["own.local"]
  gateways: ["public"]
  http: [{route: [{destination: {host: own}}]}]
---
kind: VirtualService
metadata: {name: own-elsewhere, namespace: web}
spec:
  hosts: ["own.local"]
  gateways: ["istio-system/public"]
  http: [{route: [{destination: {host: wrong}}]}]
---
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: ["*"]
  gateways: ["istio-system/public"]
  http: [{route: [{destination: {host: shop}}]}]
---
kind: VirtualService
metadata: {name: mesh-only, namespace: web}
spec:
  hosts: ["b.example.com"]
  http: [{route: [{destination: {host: b}}]}]
---
kind: VirtualService
metadata: {name: short-wrong-ns, namespace: web}
spec:
  hosts: ["c.example.com"]
  gateways: ["public"]
  http: [{route: [{destination: {host: c}}]}]
"#,
        None,
    );
    let config = compile_gateway(&s, &ingress());
    let cases = [
        ("a.example.com", "a.web.svc.cluster.local"),
        ("A.example.com:80", "a.web.svc.cluster.local"),
        ("own.local", "own.istio-system.svc.cluster.local"),
        // `shop/*` lets shop's `*` VS in, narrowed to nothing more specific than `*`.
        ("anything.else", "shop.shop.svc.cluster.local"),
        // b is bound to mesh only; the shop catch-all answers instead.
        ("b.example.com", "shop.shop.svc.cluster.local"),
        ("c.example.com", "shop.shop.svc.cluster.local"),
    ];
    for (authority, want) in cases {
        let req = Req::get(authority, "/");
        assert_eq!(
            describe(select(&config, 8080, &req.as_request())),
            want,
            "{authority}"
        );
    }
    // The catch-all of shop is narrowed to `*.example.com` by the `*/*.example.com` entry too;
    // virtual hosts appear in VirtualService creation order (untimestamped ones first).
    let listener = &config.listeners[0];
    let names: Vec<&str> = listener
        .virtual_hosts
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(
        names,
        vec!["own.local", "*.example.com", "*", "a.example.com"]
    );
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w == "VirtualService web/short-wrong-ns: gateway web/public not found"),
        "{:?}",
        config.warnings
    );
    // Unknown port and TLS passthrough listener have no HTTP virtual hosts.
    assert!(matches!(
        select(&config, 1234, &Req::get("a.example.com", "/").as_request()),
        Selection::NoVirtualHost
    ));
    let tls = config
        .listeners
        .iter()
        .find(|l| l.port == 15443)
        .expect("tls");
    assert!(tls.virtual_hosts.is_empty());
}

#[test]
fn merged_in_creation_order_first_match_wins() {
    let s = snapshot(
        r#"
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
kind: VirtualService
metadata: {name: later, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{match: [{uri: {prefix: /}}], route: [{destination: {host: later}}]}]
---
kind: VirtualService
metadata: {name: earlier, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {exact: /only}}]
    route: [{destination: {host: earlier}}]
  - match: [{uri: {prefix: /x}, gateways: [mesh]}]
    route: [{destination: {host: mesh-only}}]
"#,
    );
    let config = compile_gateway(&s, &ingress());
    let cases = [
        ("/only", "earlier.default.svc.cluster.local"),
        ("/x", "later.default.svc.cluster.local"),
        ("/other", "later.default.svc.cluster.local"),
    ];
    for (path, want) in cases {
        let req = Req {
            gateway: Some("default/gw".into()),
            ..Req::get("h", path)
        };
        assert_eq!(
            describe(select(&config, 8080, &req.as_request())),
            want,
            "{path}"
        );
    }
    let vhost = &config.listeners[0].virtual_hosts[0];
    let sources: Vec<&str> = vhost.routes.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources, vec!["default/earlier", "default/later"]);
}

#[test]
fn actions_subsets_weights_and_policy() {
    let mut s = snapshot(
        r#"
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
---
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
kind: DestinationRule
metadata: {name: reviews-gw, namespace: istio-system}
spec:
  host: reviews.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1, gw: "yes"}}]
---
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - name: moved
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, authority: new.example.com, derivePort: FROM_REQUEST_PORT, scheme: https}
  - match: [{uri: {exact: /gone}}]
    redirect: {uri: /x, port: 8443, redirectCode: 308}
  - match: [{uri: {exact: /teapot}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - match: [{uri: {exact: /bytes}}]
    directResponse: {status: 200, body: {bytes: "aGk="}}
  - match: [{uri: {prefix: /delegated}}]
    delegate: {name: other}
  - match: [{uri: {prefix: /split}}]
    route:
    - {destination: {host: reviews, subset: v1, port: {number: 9080}}, weight: 80}
    - {destination: {host: reviews, subset: v3}, weight: 20}
    rewrite: {uri: /reviews, authority: reviews.internal}
    timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx, reset"}
    fault:
      delay: {fixedDelay: 7s, percentage: {value: 10}}
      abort: {httpStatus: 500}
    mirror: {host: shadow}
    mirrorPercentage: {value: 25.5}
    headers: {request: {set: {x-a: b}}}
    corsPolicy: {allowMethods: [GET]}
  - route: [{destination: {host: ghost}, weight: 0}]
"#,
    );
    s.services.push(service("reviews", "default", &[9080]));
    s.services.push(service("ghost", "default", &[1234]));
    let config = compile_gateway(&s, &ingress());
    let vhost = &config.listeners[0].virtual_hosts[0];
    assert!(vhost.https_redirect);
    let route_for = |path: &str| match select(&config, 8080, &Req::get("h", path).as_request()) {
        Selection::Route(r) => r,
        other => panic!("{path}: {other:?}"),
    };

    let moved = route_for("/old/page");
    assert_eq!(moved.name.as_deref(), Some("moved"));
    match &moved.action {
        Action::Redirect {
            scheme,
            authority,
            uri,
            port,
            code,
        } => {
            assert_eq!(scheme.as_deref(), Some("https"));
            assert_eq!(authority.as_deref(), Some("new.example.com"));
            assert_eq!(uri.as_deref(), Some("/new"));
            assert_eq!(*port, Some(RedirectPort::FromRequestPort));
            assert_eq!(*code, 301);
        }
        other => panic!("{other:?}"),
    }
    match &route_for("/gone").action {
        Action::Redirect {
            port, code, scheme, ..
        } => {
            assert_eq!(
                (*port, *code, scheme.as_deref()),
                (Some(RedirectPort::Fixed(8443)), 308, None)
            );
        }
        other => panic!("{other:?}"),
    }
    match &route_for("/teapot").action {
        Action::DirectResponse { status, body } => {
            assert_eq!(
                (*status, body.as_deref()),
                (418, Some(&b"short and stout"[..]))
            );
        }
        other => panic!("{other:?}"),
    }
    match &route_for("/bytes").action {
        Action::DirectResponse { body, .. } => assert_eq!(body.as_deref(), Some(&b"hi"[..])),
        other => panic!("{other:?}"),
    }
    // The delegate rule is skipped, so the catch-all answers.
    let fallback = route_for("/delegated");
    match &fallback.action {
        Action::Route(c) => {
            assert_eq!(c.len(), 1);
            assert_eq!(
                (c[0].host.as_str(), c[0].port, c[0].weight),
                ("ghost.default.svc.cluster.local", Some(1234), 100)
            );
        }
        other => panic!("{other:?}"),
    }

    let split = route_for("/split/1");
    let Action::Route(clusters) = &split.action else {
        panic!("route")
    };
    type Row<'a> = (
        &'a str,
        Option<u16>,
        Option<&'a str>,
        u32,
        Vec<(&'a str, &'a str)>,
    );
    let got: Vec<Row> = clusters
        .iter()
        .map(|c| {
            (
                c.host.as_str(),
                c.port,
                c.subset.as_deref(),
                c.weight,
                c.subset_labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
            )
        })
        .collect();
    // The gateway's own namespace (istio-system) holds a DR for the host, so it wins; it has
    // no v3, which is reported.
    assert_eq!(
        got,
        vec![
            (
                "reviews.default.svc.cluster.local",
                Some(9080),
                Some("v1"),
                80,
                vec![("gw", "yes"), ("version", "v1")]
            ),
            (
                "reviews.default.svc.cluster.local",
                Some(9080),
                Some("v3"),
                20,
                vec![]
            ),
        ]
    );
    assert!(
        config.warnings.iter().any(|w| w.contains("subset v3")),
        "{:?}",
        config.warnings
    );
    assert!(config.warnings.iter().any(|w| w.contains("delegate")));
    assert!(config
        .warnings
        .iter()
        .any(|w| w.contains("shadow.default.svc.cluster.local not found")));
    let req = Req::get("h", "/split/1?q");
    assert_eq!(
        split.rewritten_path(&req.as_request()).as_deref(),
        Some("/reviews/1?q")
    );
    assert_eq!(
        split.rewrite.as_ref().and_then(|r| r.authority.as_deref()),
        Some("reviews.internal")
    );
    let p = &split.policy;
    assert_eq!(p.timeout, Some(Duration::from_millis(1500)));
    assert_eq!(
        p.retries,
        Some(RetryPolicy {
            attempts: 3,
            per_try_timeout: Some(Duration::from_secs(2)),
            retry_on: vec!["5xx".into(), "reset".into()]
        })
    );
    let fault = p.fault.as_ref().expect("fault");
    assert_eq!(
        fault.delay,
        Some(FaultDelay {
            duration: Duration::from_secs(7),
            percentage: 10.0
        })
    );
    assert_eq!(
        fault.abort,
        Some(FaultAbort {
            http_status: Some(500),
            grpc_status: None,
            percentage: 100.0
        })
    );
    assert_eq!(p.mirrors.len(), 1);
    assert_eq!(
        p.mirrors[0].cluster.host,
        "shadow.default.svc.cluster.local"
    );
    assert_eq!(p.mirrors[0].percentage, 25.5);
    assert!(p.headers.is_some() && p.cors.is_some());
}

#[test]
fn weights_and_invalid_rules() {
    let s = snapshot(
        r#"
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {regex: "("}}]
    route: [{destination: {host: bad}}]
  - match: [{uri: {prefix: /zero}}]
    route: [{destination: {host: a}}, {destination: {host: b}}]
  - match: [{uri: {prefix: /none}}]
  - route: [{destination: {host: a}, weight: 50}, {destination: {host: b}, weight: 0}, {destination: {host: c}, weight: 50}]
---
kind: VirtualService
metadata: {name: broken}
spec: {hosts: "not-a-list"}
"#,
    );
    let config = compile_gateway(&s, &ingress());
    let weights = |path: &str| match select(&config, 8080, &Req::get("h", path).as_request()) {
        Selection::Route(Route {
            action: Action::Route(c),
            ..
        }) => c.iter().map(|c| c.weight).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(weights("/zero"), vec![1, 1]);
    assert_eq!(weights("/none"), vec![50, 0, 50]);
    let expected = [
        "invalid regex",
        "all destination weights are 0",
        "HTTP route, redirect or direct_response is required",
        "VirtualService default/broken: invalid spec",
    ];
    for want in expected {
        assert!(
            config.warnings.iter().any(|w| w.contains(want)),
            "{want}: {:?}",
            config.warnings
        );
    }
}
