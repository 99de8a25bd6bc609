//! `-o json` dumps of routes and clusters.

use serde_json::json;

use super::*;

#[test]
fn sidecar_routes_dump() {
    let default_route = |fqdn: &str, port: u16| {
        json!({
            "name": "default",
            "route": [{
                "cluster": format!("outbound|{port}||{fqdn}"),
                "host": fqdn,
                "port": port,
                "weight": 100,
            }],
        })
    };
    let reviews = |subset: &str| {
        json!({
            "cluster": format!("outbound|9080|{subset}|reviews.default.svc.cluster.local"),
            "host": "reviews.default.svc.cluster.local",
            "port": 9080,
            "subset": subset,
            "subsetLabels": {"version": subset},
            "weight": 100,
        })
    };
    let want = json!({
        "listeners": [
            {
                "port": 8000,
                "protocol": "HTTP",
                "routeConfig": "8000",
                "virtualHosts": [{
                    "name": "httpbin.web.svc.cluster.local:8000",
                    "domains": ["httpbin.web.svc.cluster.local", "httpbin.web.svc", "httpbin.web"],
                    "routes": [default_route("httpbin.web.svc.cluster.local", 8000)],
                }],
            },
            {
                "port": 9080,
                "protocol": "HTTP",
                "routeConfig": "9080",
                "virtualHosts": [
                    {
                        "name": "ratings.default.svc.cluster.local:9080",
                        "domains": [
                            "ratings.default.svc.cluster.local",
                            "ratings.default.svc",
                            "ratings.default",
                            "ratings",
                        ],
                        "routes": [default_route("ratings.default.svc.cluster.local", 9080)],
                    },
                    {
                        "name": "reviews.default.svc.cluster.local:9080",
                        "domains": [
                            "reviews.default.svc.cluster.local",
                            "reviews.default.svc",
                            "reviews.default",
                            "reviews",
                        ],
                        "routes": [
                            {
                                "virtualService": "default/reviews",
                                "match": [{"headers": {"end-user": {"exact": "jason"}}}],
                                "route": [reviews("v2")],
                            },
                            {
                                "virtualService": "default/reviews",
                                "route": [reviews("v3")],
                            },
                        ],
                    },
                ],
            },
        ],
        "warnings": [],
    });
    let got = routes_json(&mesh_config());
    assert_eq!(got, want);
    // Keys keep the documented order (preserve_order), so the dump reads top-down.
    let text = serde_json::to_string(&got).expect("json");
    assert!(text.starts_with(
        r#"{"listeners":[{"port":8000,"protocol":"HTTP","routeConfig":"8000","virtualHosts""#
    ));
}

#[test]
fn ingress_routes_dump() {
    let got = routes_json(&ingress_config());
    let routes = "/listeners/0/virtualHosts/1/routes";
    let cases = [
        ("/listeners/0/routeConfig", json!("http.8080")),
        (
            "/listeners/0/gateways",
            json!(["default/helloworld-gateway", "default/httpbin-gateway"]),
        ),
        ("/listeners/0/virtualHosts/0/name", json!("*")),
        (
            &format!("{routes}/1"),
            json!({
                "name": "split",
                "virtualService": "default/httpbin",
                "match": [{"uri": {"prefix": "/status"}}],
                "route": [
                    {
                        "cluster": "outbound|8000|v1|httpbin.default.svc.cluster.local",
                        "host": "httpbin.default.svc.cluster.local",
                        "port": 8000,
                        "subset": "v1",
                        "subsetLabels": {"version": "v1"},
                        "weight": 75,
                    },
                    {
                        "cluster": "outbound|8000|v2|httpbin.default.svc.cluster.local",
                        "host": "httpbin.default.svc.cluster.local",
                        "port": 8000,
                        "subset": "v2",
                        "subsetLabels": {"version": "v2"},
                        "weight": 25,
                    },
                ],
                "timeout": "2s",
                "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "5xx,connect-failure"},
                "headers": {"request": {"set": {"x-route": "split"}}},
            }),
        ),
        (
            &format!("{routes}/2/match"),
            json!([
                {"uri": {"exact": "/delay"}},
                {"uri": {"regex": "/slow/[0-9]+"}, "method": {"exact": "POST"}},
            ]),
        ),
        (
            &format!("{routes}/2/fault"),
            json!({
                "delay": {"fixedDelay": "5s", "percentage": 50.0},
                "abort": {"httpStatus": 503, "percentage": 10.0},
            }),
        ),
        (
            &format!("{routes}/2/mirrors"),
            json!([{"cluster": "outbound|8000|v2|httpbin.default.svc.cluster.local", "percentage": 100.0}]),
        ),
        (
            &format!("{routes}/3/match"),
            json!([{"uri": {"prefix": "/api/"}, "ignoreUriCase": true}]),
        ),
        (
            &format!("{routes}/3/rewrite"),
            json!({"uri": "/", "authority": "internal.example.com"}),
        ),
        (
            &format!("{routes}/4/redirect"),
            json!({"uri": "/new", "redirectCode": 302}),
        ),
        (
            &format!("{routes}/5/directResponse"),
            json!({"status": 410, "body": {"string": "gone for good"}}),
        ),
        ("/listeners/1/virtualHosts/0/httpsRedirect", json!(true)),
        (
            "/listeners/2/tls",
            json!({
                "httpsRedirect": false,
                "mode": "SIMPLE",
                "credentialName": "secure-cert",
                "minProtocolVersion": "TLS_AUTO",
                "maxProtocolVersion": "TLS_AUTO",
            }),
        ),
        ("/listeners/3/protocol", json!("TLS")),
        ("/listeners/3/virtualHosts", json!([])),
    ];
    for (pointer, want) in cases {
        assert_eq!(got.pointer(pointer), Some(&want), "{pointer}");
    }
    assert_eq!(got.pointer("/listeners/3/routeConfig"), None);
}

#[test]
fn clusters_dump() {
    let clusters = super::tables::clusters();
    let got = clusters_json(&clusters);
    assert_eq!(got.as_array().map(Vec::len), Some(clusters.len()));
    let want_first_two = json!([
        {
            "name": "outbound|9080||reviews.default.svc.cluster.local",
            "serviceFqdn": "reviews.default.svc.cluster.local",
            "port": 9080,
            "type": "EDS",
            "loadBalancer": {"policy": "RANDOM"},
            "endpoints": [],
        },
        {
            "name": "outbound|8000|v2|httpbin.default.svc.cluster.local",
            "serviceFqdn": "httpbin.default.svc.cluster.local",
            "port": 8000,
            "subset": "v2",
            "type": "EDS",
            "destinationRule": "default/httpbin",
            "loadBalancer": {"policy": "RING_HASH", "consistentHash": {"httpHeaderName": "x-user"}},
            "connectionPool": {
                "maxConnections": 1,
                "http1MaxPendingRequests": 1,
                "connectTimeout": "500ms",
            },
            "outlierDetection": {
                "consecutive5xxErrors": 3,
                "interval": "10s",
                "baseEjectionTime": "30s",
                "maxEjectionPercent": 100,
                "minHealthPercent": 0,
            },
            "endpoints": [{
                "address": "10.0.0.9:8000",
                "sidecarInbound": 15006,
                "pod": "default/httpbin-v2",
                "labels": {"version": "v2"},
                "ready": true,
            }],
        },
    ]);
    let first_two: Vec<Value> = got
        .as_array()
        .map(|list| list.iter().take(2).cloned().collect())
        .unwrap_or_default();
    assert_eq!(Value::Array(first_two), want_first_two);
    let lbs: Vec<Value> = (0..clusters.len())
        .filter_map(|i| got.pointer(&format!("/{i}/loadBalancer")).cloned())
        .collect();
    assert_eq!(
        lbs,
        vec![
            json!({"policy": "RANDOM"}),
            json!({"policy": "RING_HASH", "consistentHash": {"httpHeaderName": "x-user"}}),
            json!({"policy": "LEAST_REQUEST"}),
            json!({"policy": "ROUND_ROBIN"}),
            json!({"policy": "RING_HASH", "consistentHash": {"httpCookie": {"name": "session", "path": "/", "ttl": "1h"}}}),
            json!({"policy": "RING_HASH", "consistentHash": {"useSourceIp": true}}),
        ]
    );
    assert_eq!(clusters_json(&[]), json!([]));
}
