//! Request traces: outcomes, per-rule reasons, agreement with the router, rendered text.

use super::conditions::{conditions_config, strict_request};
use super::*;
use crate::routes::{select, Selection};

/// Outcome shorthand: `route 1 c1@75,c2@25`, `redirect 302 LOCATION`, `direct 410`, ...
pub(super) fn summary(o: &Outcome) -> String {
    match o {
        Outcome::NoListener => "no-listener".into(),
        Outcome::NoVirtualHost { .. } => "no-vhost".into(),
        Outcome::NoRoute => "no-route".into(),
        Outcome::Route { rule, clusters, .. } => {
            let list: Vec<String> = clusters
                .iter()
                .map(|(c, w, p)| format!("{c}@{w}/{p}"))
                .collect();
            format!("route {rule} {}", list.join(","))
        }
        Outcome::Redirect { location, code } => format!("redirect {code} {location}"),
        Outcome::DirectResponse { status, body } => {
            format!("direct {status} {}", body.as_deref().unwrap_or("-"))
        }
    }
}

const V1: &str = "outbound|8000|v1|httpbin.default.svc.cluster.local";
const V2: &str = "outbound|8000|v2|httpbin.default.svc.cluster.local";

#[test]
fn ingress_outcomes() {
    let config = ingress_config();
    assert_eq!(config.warnings, Vec::<String>::new());
    let cases: Vec<(u16, TraceRequest, String, Vec<usize>)> = vec![
        (
            8080,
            get("http://httpbin.example.com/status/200", &[]),
            format!("route 1 {V1}@75/75,{V2}@25/25"),
            vec![0, 1],
        ),
        (
            8080,
            get(
                "http://httpbin.example.com:80/status/200",
                &["x-canary: true"],
            ),
            format!("route 0 {V2}@100/100"),
            vec![0],
        ),
        (
            8080,
            get("http://httpbin.example.com/delay", &[]),
            format!("route 2 {V1}@100/100"),
            vec![0, 1, 2],
        ),
        (
            8080,
            get("http://httpbin.example.com/old/x?k=v", &[]),
            "redirect 302 http://httpbin.example.com/new?k=v".into(),
            vec![0, 1, 2, 3, 4],
        ),
        (
            8080,
            get("http://httpbin.example.com/gone", &[]),
            "direct 410 gone for good".into(),
            vec![0, 1, 2, 3, 4, 5],
        ),
        (
            8080,
            get("http://httpbin.example.com/nothing", &[]),
            "no-route".into(),
            vec![0, 1, 2, 3, 4, 5],
        ),
        (
            8080,
            get("http://anything.test/hello", &[]),
            "route 0 outbound|5000||helloworld.default.svc.cluster.local@100/100".into(),
            vec![0],
        ),
        (
            8080,
            get("http://anything.test/hello/", &[]),
            "no-route".into(),
            vec![0],
        ),
        (
            8081,
            get("http://secure.example.com:8081/a?b", &[]),
            "redirect 301 https://secure.example.com/a?b".into(),
            vec![],
        ),
        (
            8443,
            get("https://secure.example.com/a", &[]),
            "route 0 outbound|8000||httpbin.default.svc.cluster.local@100/100".into(),
            vec![0],
        ),
        (
            8443,
            get("https://other.example.com/a", &[]),
            "no-vhost".into(),
            vec![],
        ),
        (
            15443,
            get("https://secure.example.com/a", &[]),
            "no-vhost".into(),
            vec![],
        ),
        (
            80,
            get("http://httpbin.example.com/", &[]),
            "no-listener".into(),
            vec![],
        ),
    ];
    for (port, req, want, tried) in cases {
        let t = trace(&config, port, &req.as_request());
        assert_eq!(summary(&t.outcome), want, "{port} {}", t.request);
        let got: Vec<usize> = t.steps.iter().map(|s| s.index).collect();
        assert_eq!(got, tried, "{port} {}", t.request);
        // Only the last rule tried can have matched.
        let matched: Vec<bool> = t.steps.iter().map(|s| s.matched).collect();
        let routed = matches!(
            t.outcome,
            Outcome::Route { .. } | Outcome::Redirect { .. } | Outcome::DirectResponse { .. }
        ) && !tried.is_empty();
        let mut want_matched = vec![false; tried.len()];
        if let Some(last) = want_matched.last_mut() {
            *last = routed;
        }
        assert_eq!(matched, want_matched, "{port} {}", t.request);
    }
}

#[test]
fn route_details() {
    let config = ingress_config();
    let cases = [
        (
            get("http://httpbin.example.com/status/500", &[]),
            None,
            vec![
                "timeout 2s",
                "retries 3 on 5xx,connect-failure (per try 1s)",
                "request headers: set x-route=split",
            ],
        ),
        (
            get("http://httpbin.example.com/delay", &[]),
            None,
            vec![
                "fault delay 5s for 50%",
                "fault abort 503 for 10%",
                "mirror outbound|8000|v2|httpbin.default.svc.cluster.local 100%",
            ],
        ),
        (
            get("http://httpbin.example.com/Api/anything?x=1", &[]),
            Some("/anything?x=1"),
            vec!["rewrite authority internal.example.com"],
        ),
    ];
    for (req, want_rewrite, want_policies) in cases {
        let t = trace(&config, 8080, &req.as_request());
        let Outcome::Route {
            rewrite, policies, ..
        } = &t.outcome
        else {
            panic!("{}: {:?}", t.request, t.outcome);
        };
        assert_eq!(rewrite.as_deref(), want_rewrite, "{}", t.request);
        assert_eq!(policies, &want_policies, "{}", t.request);
    }
    let t = trace(&config, 8443, &get("https://nope.test/", &[]).as_request());
    assert_eq!(
        t.outcome,
        Outcome::NoVirtualHost {
            authority: "nope.test".into(),
            domains: vec!["secure.example.com".into()],
        }
    );
    assert_eq!(t.virtual_host, None);
    assert_eq!(t.gateways, vec!["default/httpbin-gateway".to_string()]);
}

/// Traces must pick exactly what the router picks, and never fall back to the generic
/// reasons (which would mean the explanation and the router disagree).
#[test]
fn agrees_with_router() {
    let mut requests = vec![strict_request()];
    for url in [
        "http://httpbin.example.com/status/1",
        "http://HTTPBIN.example.com:8080/delay",
        "http://httpbin.example.com/slow/7",
        "http://httpbin.example.com/api/x",
        "http://httpbin.example.com/old",
        "http://httpbin.example.com/gone?",
        "http://x.test/hello",
        "http://secure.example.com/",
        "http://reviews/",
        "http://reviews.default:9080/",
        "http://ratings.default.svc.cluster.local/r?page=1",
        "http://httpbin.web/",
        "http://httpbin/",
    ] {
        for headers in [&[][..], &["x-canary: true", "end-user: jason"][..]] {
            requests.push(get(url, headers));
            let mut post = get(url, headers);
            post.method = "POST".into();
            requests.push(post);
        }
    }
    let configs = [ingress_config(), mesh_config(), conditions_config()];
    for config in &configs {
        for listener in &config.listeners {
            for req in &requests {
                let view = req.as_request();
                let t = trace(config, listener.port, &view);
                let chosen = match select(config, listener.port, &view) {
                    Selection::Route(route) => {
                        let vhost = listener
                            .virtual_hosts
                            .iter()
                            .find(|v| v.routes.iter().any(|r| std::ptr::eq(r, route)));
                        let index = vhost
                            .and_then(|v| v.routes.iter().position(|r| std::ptr::eq(r, route)));
                        assert_eq!(
                            t.virtual_host,
                            vhost.map(|v| v.name.clone()),
                            "{}",
                            t.request
                        );
                        format!("rule {index:?}")
                    }
                    Selection::NoRoute => "no-route".into(),
                    Selection::NoVirtualHost => "no-vhost".into(),
                };
                let traced = match &t.outcome {
                    Outcome::Route { rule, .. } => format!("rule {:?}", Some(rule)),
                    Outcome::Redirect { .. } if t.steps.is_empty() => continue,
                    Outcome::Redirect { .. } | Outcome::DirectResponse { .. } => {
                        format!("rule {:?}", t.steps.last().map(|s| s.index))
                    }
                    other => summary(other),
                };
                assert_eq!(traced, chosen, "port {} {}", listener.port, t.request);
                for step in &t.steps {
                    for reason in &step.reasons {
                        assert!(
                            !reason.ends_with("does not match")
                                && !reason.ends_with("no conditions: every request matches"),
                            "fallback reason for {}: {reason}",
                            t.request
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn direct_response_bodies_and_zero_weights() {
    let yaml = r#"
kind: VirtualService
metadata: {name: odd, namespace: default}
spec:
  hosts: [odd]
  http:
  - match: [{uri: {prefix: /bytes}}]
    directResponse: {status: 503, body: {bytes: "/w=="}}
  - match: [{uri: {prefix: /empty}}]
    directResponse: {status: 204}
  - route:
    - {destination: {host: odd, subset: a}, weight: 0}
    - {destination: {host: odd, subset: b}, weight: 0}
"#;
    let mut s = snapshot(yaml);
    s.services.push(service("odd", "default", &[80]));
    let config = compile_sidecar(&s, "default");
    let cases = [
        ("http://odd/bytes", "direct 503 \u{fffd}"),
        ("http://odd/empty", "direct 204 -"),
        (
            "http://odd/",
            "route 2 outbound|80|a|odd.default.svc.cluster.local@1/50,outbound|80|b|odd.default.svc.cluster.local@1/50",
        ),
    ];
    for (url, want) in cases {
        let t = trace(&config, 80, &get(url, &[]).as_request());
        assert_eq!(summary(&t.outcome), want, "{url}");
    }
}

#[test]
fn most_specific_virtual_host_wins() {
    let yaml = r#"
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
kind: VirtualService
metadata: {name: any, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [edge]
  http: [{directResponse: {status: 200}}]
---
kind: VirtualService
metadata: {name: wide, namespace: default, creationTimestamp: "2024-01-01T00:00:01Z"}
spec:
  hosts: ["*.example.com"]
  gateways: [edge]
  http: [{directResponse: {status: 201}}]
---
kind: VirtualService
metadata: {name: narrow, namespace: default, creationTimestamp: "2024-01-01T00:00:02Z"}
spec:
  hosts: ["*.shop.example.com"]
  gateways: [edge]
  http: [{directResponse: {status: 202}}]
---
kind: VirtualService
metadata: {name: exact, namespace: default, creationTimestamp: "2024-01-01T00:00:03Z"}
spec:
  hosts: ["a.shop.example.com"]
  gateways: [edge]
  http: [{directResponse: {status: 203}}]
"#;
    let gw = GatewayWorkload {
        namespace: "istio-system".into(),
        labels: BTreeMap::from([("istio".to_string(), "ingressgateway".to_string())]),
        service_ports: vec![],
    };
    let config = compile_gateway(&snapshot(yaml), &gw);
    let cases = [
        ("http://A.Shop.Example.com:80/", "a.shop.example.com", 203),
        ("http://b.shop.example.com/", "*.shop.example.com", 202),
        ("http://shop.example.com/", "*.example.com", 201),
        ("http://example.com/", "*", 200),
        ("http://[::1]:80/", "*", 200),
    ];
    for (url, vhost, status) in cases {
        let t = trace(&config, 80, &get(url, &[]).as_request());
        assert_eq!(t.virtual_host.as_deref(), Some(vhost), "{url}");
        assert_eq!(
            t.outcome,
            Outcome::DirectResponse { status, body: None },
            "{url}"
        );
    }
}
