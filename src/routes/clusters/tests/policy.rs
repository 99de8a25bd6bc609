//! Table tests of DestinationRule policy merging and translation.

use std::time::Duration;

use serde_json::Value;

use super::super::*;

/// Parses a DestinationRule spec from YAML.
fn dr(yaml: &str) -> DestinationRule {
    let value: Value = serde_yaml::from_str(yaml).expect("yaml");
    serde_json::from_value(value).expect("DestinationRule spec")
}

fn outlier(consecutive_5xx: Option<u32>, gateway: Option<u32>) -> OutlierPolicy {
    OutlierPolicy {
        consecutive_5xx,
        consecutive_gateway_errors: gateway,
        interval: Duration::from_secs(10),
        base_ejection_time: Duration::from_secs(30),
        max_ejection_percent: 10,
        min_health_percent: 0,
    }
}

fn policy(lb: LbPolicy, pool: PoolLimits, outlier: Option<OutlierPolicy>) -> ClusterPolicy {
    ClusterPolicy { lb, pool, outlier }
}

#[test]
fn cluster_policy_merging() {
    let layered = r#"
host: reviews
trafficPolicy:
  loadBalancer: {simple: ROUND_ROBIN}
  connectionPool: {tcp: {maxConnections: 100}}
  outlierDetection: {consecutive5xxErrors: 3}
  portLevelSettings:
  - port: {number: 9090}
    connectionPool: {http: {http2MaxRequests: 7}}
  - port: {number: 9091}
    outlierDetection: {consecutiveGatewayErrors: 2}
subsets:
- name: lb-only
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
- name: ported
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
    connectionPool: {tcp: {maxConnections: 5}}
    portLevelSettings:
    - port: {number: 9091}
      loadBalancer: {simple: RANDOM}
- name: bare
"#;
    let tcp100 = PoolLimits {
        max_connections: Some(100),
        ..PoolLimits::default()
    };
    let tcp5 = PoolLimits {
        max_connections: Some(5),
        ..PoolLimits::default()
    };
    let http7 = PoolLimits {
        max_requests: Some(7),
        ..PoolLimits::default()
    };
    let cases: Vec<(&str, u16, Option<&str>, ClusterPolicy)> = vec![
        (
            "top level",
            9080,
            None,
            policy(
                LbPolicy::RoundRobin,
                tcp100.clone(),
                Some(outlier(Some(3), None)),
            ),
        ),
        (
            "port entry replaces the whole top level; omitted parts are defaults",
            9090,
            None,
            policy(LbPolicy::LeastRequest, http7.clone(), None),
        ),
        (
            "another port entry",
            9091,
            None,
            policy(
                LbPolicy::LeastRequest,
                PoolLimits::default(),
                Some(outlier(Some(5), Some(2))),
            ),
        ),
        (
            "subset overrides only what it sets",
            9080,
            Some("lb-only"),
            policy(
                LbPolicy::Random,
                tcp100.clone(),
                Some(outlier(Some(3), None)),
            ),
        ),
        (
            "subset on top of the destination's port entry",
            9090,
            Some("lb-only"),
            policy(LbPolicy::Random, http7, None),
        ),
        (
            "subset without a port entry for this port: its top level",
            9080,
            Some("ported"),
            policy(LbPolicy::LeastRequest, tcp5, Some(outlier(Some(3), None))),
        ),
        (
            "subset's port entry replaces everything, even what it omits",
            9091,
            Some("ported"),
            policy(LbPolicy::Random, PoolLimits::default(), None),
        ),
        (
            "subset without policy",
            9080,
            Some("bare"),
            policy(
                LbPolicy::RoundRobin,
                tcp100.clone(),
                Some(outlier(Some(3), None)),
            ),
        ),
        (
            "unknown subset: destination policy",
            9080,
            Some("nope"),
            policy(LbPolicy::RoundRobin, tcp100, Some(outlier(Some(3), None))),
        ),
    ];
    let rule = dr(layered);
    for (name, port, subset, want) in cases {
        assert_eq!(cluster_policy(Some(&rule), port, subset), want, "{name}");
    }
    assert_eq!(cluster_policy(None, 80, None), ClusterPolicy::default());
    assert_eq!(
        cluster_policy(Some(&dr("host: x\nsubsets: [{name: a}]")), 80, Some("a")),
        ClusterPolicy::default()
    );
    assert_eq!(
        cluster_policy(
            Some(&dr(
                "host: x\nsubsets: [{name: a, trafficPolicy: {loadBalancer: {simple: RANDOM}}}]"
            )),
            80,
            Some("a")
        ),
        policy(LbPolicy::Random, PoolLimits::default(), None)
    );
}

#[test]
fn load_balancers() {
    let cookie = |ttl: Option<Duration>| {
        LbPolicy::ConsistentHash(HashKey::Cookie {
            name: "user".into(),
            path: "/app".into(),
            ttl,
        })
    };
    let cases: Vec<(&str, LbPolicy)> = vec![
        ("{}", LbPolicy::LeastRequest),
        ("{simple: UNSPECIFIED}", LbPolicy::LeastRequest),
        ("{simple: LEAST_CONN}", LbPolicy::LeastRequest),
        ("{simple: LEAST_REQUEST}", LbPolicy::LeastRequest),
        ("{simple: ROUND_ROBIN}", LbPolicy::RoundRobin),
        ("{simple: PASSTHROUGH}", LbPolicy::RoundRobin),
        ("{simple: RANDOM}", LbPolicy::Random),
        (
            "{consistentHash: {httpHeaderName: X-Session-ID}}",
            LbPolicy::ConsistentHash(HashKey::Header("x-session-id".into())),
        ),
        (
            "{simple: ROUND_ROBIN, consistentHash: {httpQueryParameterName: uid}}",
            LbPolicy::ConsistentHash(HashKey::Query("uid".into())),
        ),
        (
            "{consistentHash: {useSourceIp: true}}",
            LbPolicy::ConsistentHash(HashKey::SourceIp),
        ),
        (
            "{consistentHash: {httpCookie: {name: user, path: /app, ttl: 0.5h}}}",
            cookie(Some(Duration::from_secs(1800))),
        ),
        (
            "{consistentHash: {httpCookie: {name: user, path: /app}}}",
            cookie(None),
        ),
        (
            "{consistentHash: {httpCookie: {name: user, path: /app, ttl: 0s}}}",
            cookie(Some(Duration::ZERO)),
        ),
        (
            "{consistentHash: {httpCookie: {path: /}}}",
            LbPolicy::Random,
        ),
        ("{consistentHash: {useSourceIp: false}}", LbPolicy::Random),
        (
            "{consistentHash: {ringHash: {minimumRingSize: 1024}}}",
            LbPolicy::Random,
        ),
    ];
    for (lb, want) in cases {
        let rule = dr(&format!("host: x\ntrafficPolicy: {{loadBalancer: {lb}}}"));
        assert_eq!(cluster_policy(Some(&rule), 80, None).lb, want, "{lb}");
    }
}

#[test]
fn connection_pools() {
    let cases: Vec<(&str, PoolLimits)> = vec![
        ("{}", PoolLimits::default()),
        (
            "{tcp: {maxConnections: 10, connectTimeout: 30ms}, http: {http1MaxPendingRequests: 1, http2MaxRequests: 2, maxRequestsPerConnection: 3, maxRetries: 4}}",
            PoolLimits {
                max_connections: Some(10),
                max_pending_requests: Some(1),
                max_requests: Some(2),
                max_requests_per_connection: Some(3),
                max_retries: Some(4),
                connect_timeout: Some(Duration::from_millis(30)),
                h2_upgrade: false,
            },
        ),
        (
            "{http: {h2UpgradePolicy: UPGRADE}}",
            PoolLimits {
                h2_upgrade: true,
                ..PoolLimits::default()
            },
        ),
        (
            "{tcp: {maxConnections: 0, connectTimeout: soon}, http: {http1MaxPendingRequests: -1, maxRetries: 0}}",
            PoolLimits::default(),
        ),
    ];
    for (pool, want) in cases {
        let rule = dr(&format!(
            "host: x\ntrafficPolicy: {{connectionPool: {pool}}}"
        ));
        assert_eq!(cluster_policy(Some(&rule), 80, None).pool, want, "{pool}");
    }
}

#[test]
fn outlier_detection() {
    let with = |f: fn(&mut OutlierPolicy)| {
        let mut o = outlier(Some(5), None);
        f(&mut o);
        Some(o)
    };
    let cases: Vec<(&str, Option<OutlierPolicy>)> = vec![
        ("{loadBalancer: {simple: RANDOM}}", None),
        ("{outlierDetection: {}}", Some(outlier(Some(5), None))),
        ("{outlierDetection: {consecutive5xxErrors: 0}}", Some(outlier(None, None))),
        ("{outlierDetection: {consecutive5xxErrors: 2, consecutiveGatewayErrors: 4}}", Some(outlier(Some(2), Some(4)))),
        ("{outlierDetection: {consecutiveGatewayErrors: 0}}", Some(outlier(Some(5), None))),
        ("{outlierDetection: {consecutiveErrors: 7}}", Some(outlier(None, Some(7)))),
        ("{outlierDetection: {consecutiveErrors: 7, consecutive5xxErrors: 2}}", Some(outlier(Some(2), Some(7)))),
        ("{outlierDetection: {consecutiveErrors: 7, consecutiveGatewayErrors: 3}}", Some(outlier(None, Some(3)))),
        (
            "{outlierDetection: {interval: 1m, baseEjectionTime: 2m30s, maxEjectionPercent: 50, minHealthPercent: 40}}",
            with(|o| {
                o.interval = Duration::from_secs(60);
                o.base_ejection_time = Duration::from_secs(150);
                o.max_ejection_percent = 50;
                o.min_health_percent = 40;
            }),
        ),
        (
            "{outlierDetection: {interval: bogus, maxEjectionPercent: 0, minHealthPercent: -1}}",
            with(|o| o.min_health_percent = 50),
        ),
        ("{outlierDetection: {maxEjectionPercent: 250}}", with(|o| o.max_ejection_percent = 100)),
    ];
    for (tp, want) in cases {
        let rule = dr(&format!("host: x\ntrafficPolicy: {tp}"));
        assert_eq!(cluster_policy(Some(&rule), 80, None).outlier, want, "{tp}");
    }
}
