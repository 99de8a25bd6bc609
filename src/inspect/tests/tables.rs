//! istioctl-style tables: exact text, sorting, domain folding and match cells.

use std::net::SocketAddr;
use std::time::Duration;

use super::super::tables::{domains_cell, match_cell};
use super::*;
use crate::routes::{
    Cluster, ClusterPolicy, Endpoint, HashKey, LbPolicy, Match, OutlierPolicy, PoolLimits,
    StringMatcher,
};

fn endpoint(addr: &str, version: &str) -> Endpoint {
    Endpoint {
        address: addr.parse::<SocketAddr>().expect("address"),
        sidecar_inbound: Some(15006),
        pod: Some(("default".into(), format!("httpbin-{version}"))),
        labels: BTreeMap::from([("version".to_string(), version.to_string())]),
        ready: true,
    }
}

fn cluster(
    host: &str,
    port: u16,
    subset: Option<&str>,
    rule: Option<&str>,
    lb: LbPolicy,
) -> Cluster {
    Cluster {
        name: crate::routes::cluster_name(port, subset, host),
        host: host.into(),
        port,
        subset: subset.map(str::to_string),
        policy: ClusterPolicy {
            lb,
            ..ClusterPolicy::default()
        },
        destination_rule: rule.map(str::to_string),
        endpoints: Vec::new(),
        http2: false,
    }
}

const HTTPBIN: &str = "httpbin.default.svc.cluster.local";

/// Clusters as a compiler might list them, deliberately out of istioctl's order.
pub(super) fn clusters() -> Vec<Cluster> {
    let mut v1 = cluster(
        HTTPBIN,
        8000,
        Some("v1"),
        Some("default/httpbin"),
        LbPolicy::RoundRobin,
    );
    v1.endpoints = vec![
        endpoint("10.0.0.7:8000", "v1"),
        endpoint("10.0.0.12:8000", "v1"),
    ];
    let mut v2 = cluster(
        HTTPBIN,
        8000,
        Some("v2"),
        Some("default/httpbin"),
        LbPolicy::ConsistentHash(HashKey::Header("x-user".into())),
    );
    v2.policy.outlier = Some(OutlierPolicy {
        consecutive_5xx: Some(3),
        consecutive_gateway_errors: None,
        interval: Duration::from_secs(10),
        base_ejection_time: Duration::from_secs(30),
        max_ejection_percent: 100,
        min_health_percent: 0,
    });
    v2.policy.pool = PoolLimits {
        max_connections: Some(1),
        max_pending_requests: Some(1),
        connect_timeout: Some(Duration::from_millis(500)),
        ..PoolLimits::default()
    };
    v2.endpoints = vec![endpoint("10.0.0.9:8000", "v2")];
    let cookie = HashKey::Cookie {
        name: "session".into(),
        path: "/".into(),
        ttl: Some(Duration::from_secs(3600)),
    };
    vec![
        cluster(
            "reviews.default.svc.cluster.local",
            9080,
            None,
            None,
            LbPolicy::Random,
        ),
        v2,
        cluster(
            HTTPBIN,
            8000,
            None,
            Some("default/httpbin"),
            LbPolicy::LeastRequest,
        ),
        v1,
        cluster(
            "helloworld.default.svc.cluster.local",
            5000,
            None,
            Some("istio-system/mesh-wide"),
            LbPolicy::ConsistentHash(cookie),
        ),
        cluster(
            HTTPBIN,
            80,
            None,
            None,
            LbPolicy::ConsistentHash(HashKey::SourceIp),
        ),
    ]
}

#[test]
fn ingress_routes_table() {
    let want = "\
NAME           VHOST NAME              DOMAINS                 MATCH                  VIRTUAL SERVICE
http.8080      *                       *                       /hello                 helloworld.default
http.8080      httpbin.example.com     httpbin.example.com     /status*               httpbin.default
http.8080      httpbin.example.com     httpbin.example.com     /status*               httpbin.default
http.8080      httpbin.example.com     httpbin.example.com     /delay                 httpbin.default
http.8080      httpbin.example.com     httpbin.example.com     regex /slow/[0-9]+     httpbin.default
http.8080      httpbin.example.com     httpbin.example.com     /api/*                 httpbin.default
http.8080      httpbin.example.com     httpbin.example.com     /old*                  httpbin.default
http.8080      httpbin.example.com     httpbin.example.com     /gone                  httpbin.default
http.8081      secure.example.com      secure.example.com      /*                     secure.default
https.8443     secure.example.com      secure.example.com      /*                     secure.default
";
    assert_eq!(routes_table(&ingress_config()), want);
}

#[test]
fn sidecar_routes_table() {
    // Default routes have no VirtualService behind them, so that cell stays empty.
    let want = "\
NAME     VHOST NAME                                 DOMAINS                      MATCH     VIRTUAL SERVICE
8000     httpbin.web.svc.cluster.local:8000         httpbin.web                  /*
9080     ratings.default.svc.cluster.local:9080     ratings.default, ratings     /*
9080     reviews.default.svc.cluster.local:9080     reviews.default, reviews     /*        reviews.default
9080     reviews.default.svc.cluster.local:9080     reviews.default, reviews     /*        reviews.default
";
    assert_eq!(routes_table(&mesh_config()), want);
}

#[test]
fn empty_hosts_answer_404() {
    let yaml = r#"
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 9001, name: http2, protocol: HTTP2}
    hosts: ["tcp.example.com"]
  - port: {number: 9002, name: http-unused, protocol: HTTP}
    hosts: ["unused.example.com"]
  - port: {number: 9003, name: mongo, protocol: MONGO}
    hosts: ["*"]
---
kind: VirtualService
metadata: {name: tcp-only, namespace: default}
spec:
  hosts: [tcp.example.com]
  gateways: [istio-system/edge]
  tcp: [{route: [{destination: {host: db}}]}]
"#;
    let gw = GatewayWorkload {
        namespace: "istio-system".into(),
        labels: BTreeMap::from([("istio".to_string(), "ingressgateway".to_string())]),
        service_ports: vec![],
    };
    let config = compile_gateway(&snapshot(yaml), &gw);
    let want = "\
NAME          VHOST NAME          DOMAINS             MATCH     VIRTUAL SERVICE
http.9001     tcp.example.com     tcp.example.com     /*        404
http.9002     blackhole:9002      *                   /*        404
";
    assert_eq!(routes_table(&config), want);
    let want = "\
ADDRESSES     PORT     MATCH     DESTINATION
0.0.0.0       9001     ALL       Route: http.9001
0.0.0.0       9002     ALL       Route: http.9002
0.0.0.0       9003     ALL       Non-HTTP/Non-TCP
";
    assert_eq!(listeners_table(&config), want);
    assert_eq!(
        routes_table(&RouterConfig::default()),
        "NAME     VHOST NAME     DOMAINS     MATCH     VIRTUAL SERVICE\n"
    );
}

#[test]
fn listener_tables() {
    let want = "\
ADDRESSES     PORT      MATCH     DESTINATION
0.0.0.0       8080      ALL       Route: http.8080
0.0.0.0       8081      ALL       Route: http.8081
0.0.0.0       8443      ALL       Route: https.8443
0.0.0.0       15443     ALL       Non-HTTP/Non-TCP
";
    assert_eq!(listeners_table(&ingress_config()), want);
    let want = "\
ADDRESSES     PORT     MATCH     DESTINATION
0.0.0.0       8000     ALL       Route: 8000
0.0.0.0       9080     ALL       Route: 9080
";
    assert_eq!(listeners_table(&mesh_config()), want);
}

#[test]
fn clusters_table_sorted_like_istioctl() {
    let want = "\
SERVICE FQDN                             PORT     SUBSET     DIRECTION     TYPE     DESTINATION RULE           LB
helloworld.default.svc.cluster.local     5000     -          outbound      EDS      mesh-wide.istio-system     RING_HASH cookie=session
httpbin.default.svc.cluster.local        80       -          outbound      EDS                                 RING_HASH source-ip
httpbin.default.svc.cluster.local        8000     -          outbound      EDS      httpbin.default            LEAST_REQUEST
httpbin.default.svc.cluster.local        8000     v1         outbound      EDS      httpbin.default            ROUND_ROBIN
httpbin.default.svc.cluster.local        8000     v2         outbound      EDS      httpbin.default            RING_HASH header=x-user
reviews.default.svc.cluster.local        9080     -          outbound      EDS                                 RANDOM
";
    assert_eq!(clusters_table(&clusters()), want);
    assert_eq!(
        clusters_table(&[]),
        "SERVICE FQDN     PORT     SUBSET     DIRECTION     TYPE     DESTINATION RULE     LB\n"
    );
}

#[test]
fn endpoints_table_sorted_like_istioctl() {
    let healthy = EndpointHealth {
        healthy: true,
        ejected: false,
    };
    let v1 = "outbound|8000|v1|httpbin.default.svc.cluster.local";
    let all = "outbound|8000||httpbin.default.svc.cluster.local";
    let rows = vec![
        (v1.to_string(), endpoint("10.0.0.7:8000", "v1"), healthy),
        (all.to_string(), endpoint("10.0.0.7:8000", "v1"), healthy),
        (
            all.to_string(),
            endpoint("10.0.0.12:8000", "v1"),
            EndpointHealth {
                healthy: true,
                ejected: true,
            },
        ),
        (
            all.to_string(),
            endpoint("10.0.0.7:80", "v1"),
            EndpointHealth {
                healthy: false,
                ejected: false,
            },
        ),
        (all.to_string(), endpoint("[::1]:8000", "v1"), healthy),
    ];
    // Addresses and cluster names sort as text, as istioctl does (10.0.0.12 before
    // 10.0.0.7; `|v1|` before `||`).
    let want = "\
ENDPOINT           STATUS        OUTLIER CHECK     CLUSTER
10.0.0.12:8000     HEALTHY       FAILED            outbound|8000||httpbin.default.svc.cluster.local
10.0.0.7:80        UNHEALTHY     OK                outbound|8000||httpbin.default.svc.cluster.local
10.0.0.7:8000      HEALTHY       OK                outbound|8000|v1|httpbin.default.svc.cluster.local
10.0.0.7:8000      HEALTHY       OK                outbound|8000||httpbin.default.svc.cluster.local
[::1]:8000         HEALTHY       OK                outbound|8000||httpbin.default.svc.cluster.local
";
    assert_eq!(endpoints_table(&rows), want);
}

#[test]
fn domain_cells() {
    let cases: &[(&[&str], &str)] = &[
        (&[], ""),
        (&["only.example.com:80"], "only.example.com:80"),
        (
            &[
                "reviews.default.svc.cluster.local",
                "reviews.default.svc",
                "reviews.default",
                "reviews",
            ],
            "reviews.default, reviews",
        ),
        (
            &[
                "reviews.default.svc.cluster.local",
                "reviews.default.svc",
                "reviews.default",
            ],
            "reviews.default",
        ),
        (
            &["a.svc.cluster.local", "b.svc", "c", "d", "e:80", "10.0.0.1"],
            "a.svc.cluster.local, b.svc + 3 more...",
        ),
        (&["x.com", "x.com:*"], "x.com"),
        (
            &[
                "[fd00:10:96::7fc7]",
                "[fd00:10:96::7fc7]:8090",
                "fd00::1",
                "x",
            ],
            "[fd00:10:96::7fc7], x",
        ),
    ];
    for (domains, want) in cases {
        let domains: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
        assert_eq!(domains_cell(&domains), *want, "{domains:?}");
    }
}

#[test]
fn match_cells() {
    let block = |uri: Option<StringMatcher>| Match {
        uri,
        ..Match::default()
    };
    let regex = regex::Regex::new("^(?:/v[0-9]+/.*)$").expect("regex");
    let cases = [
        (None, "/*"),
        (Some(block(None)), "/*"),
        (Some(block(Some(StringMatcher::Present))), "/*"),
        (Some(block(Some(StringMatcher::Prefix("/".into())))), "/*"),
        (
            Some(block(Some(StringMatcher::Prefix("/api".into())))),
            "/api*",
        ),
        (
            Some(block(Some(StringMatcher::Exact("/api".into())))),
            "/api",
        ),
        (
            Some(block(Some(StringMatcher::Regex(regex)))),
            "regex /v[0-9]+/.*",
        ),
    ];
    for (m, want) in cases {
        assert_eq!(match_cell(m.as_ref()), want, "{m:?}");
    }
}
