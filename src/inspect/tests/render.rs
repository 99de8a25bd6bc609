//! Rendered traces: every rule tried, why it failed, and the result with its policies.

use super::*;

#[test]
fn renders_every_rule_tried() {
    let config = ingress_config();
    let req = get("http://httpbin.example.com/slow/12?x=1", &[]);
    let mut post = req.clone();
    post.method = "POST".into();
    let want = r#"request: POST http://httpbin.example.com/slow/12?x=1
listener: 8080 (gateway default/helloworld-gateway, default/httpbin-gateway)
virtual host: httpbin.example.com
rule 0 "canary" (default/httpbin): no match
    uri: "/slow/12" is not prefix "/status"
    header x-canary: absent
rule 1 "split" (default/httpbin): no match
    uri: "/slow/12" is not prefix "/status"
rule 2 "faulty" (default/httpbin): matched
    match[0]: uri: "/slow/12" is not exact "/delay"
    match[1]: uri: "/slow/12" is regex "/slow/[0-9]+"
    match[1]: method: "POST" is exact "POST"
result: rule 2 forwards to
    outbound|8000|v1|httpbin.default.svc.cluster.local  weight 100 (100%)
    fault delay 5s for 50%
    fault abort 503 for 10%
    mirror outbound|8000|v2|httpbin.default.svc.cluster.local 100%
"#;
    assert_eq!(
        render_trace(&trace(&config, 8080, &post.as_request())),
        want
    );

    let cases = [
        (
            8080,
            get("http://httpbin.example.com/status/3", &[]),
            r#"request: GET http://httpbin.example.com/status/3
listener: 8080 (gateway default/helloworld-gateway, default/httpbin-gateway)
virtual host: httpbin.example.com
rule 0 "canary" (default/httpbin): no match
    header x-canary: absent
rule 1 "split" (default/httpbin): matched
    uri: "/status/3" is prefix "/status"
result: rule 1 forwards to
    outbound|8000|v1|httpbin.default.svc.cluster.local  weight 75 (75%)
    outbound|8000|v2|httpbin.default.svc.cluster.local  weight 25 (25%)
    timeout 2s
    retries 3 on 5xx,connect-failure (per try 1s)
    request headers: set x-route=split
"#,
        ),
        (
            8080,
            get("http://httpbin.example.com/API/get", &[]),
            r#"request: GET http://httpbin.example.com/API/get
listener: 8080 (gateway default/helloworld-gateway, default/httpbin-gateway)
virtual host: httpbin.example.com
rule 0 "canary" (default/httpbin): no match
    uri: "/API/get" is not prefix "/status"
    header x-canary: absent
rule 1 "split" (default/httpbin): no match
    uri: "/API/get" is not prefix "/status"
rule 2 "faulty" (default/httpbin): no match
    match[0]: uri: "/API/get" is not exact "/delay"
    match[1]: uri: "/API/get" is not regex "/slow/[0-9]+"
    match[1]: method: "GET" is not exact "POST"
rule 3 "api" (default/httpbin): matched
    uri: "/API/get" is prefix "/api/" (ignoring case)
result: rule 3 forwards to
    outbound|8000||httpbin.default.svc.cluster.local  weight 100 (100%)
    path rewritten to /get
    rewrite authority internal.example.com
"#,
        ),
        (
            8081,
            get("http://secure.example.com:8081/x?y", &[]),
            r#"request: GET http://secure.example.com:8081/x?y
listener: 8081 (gateway default/httpbin-gateway)
virtual host: secure.example.com
note: the Gateway server sets tls.httpsRedirect: plain HTTP is redirected to https before any rule is tried
result: redirect 301 to https://secure.example.com/x?y
"#,
        ),
        (
            8443,
            get("https://other.example.com/", &[]),
            r#"request: GET https://other.example.com/
listener: 8443 (gateway default/httpbin-gateway)
result: 404 NR: no virtual host for authority "other.example.com"
    domains: secure.example.com
"#,
        ),
        (
            9999,
            get("http://x/", &[]),
            r#"request: GET http://x/
listener: none
note: no listener on port 9999; listeners: 8080, 8081, 8443, 15443
result: connection refused: nothing listens on this port
"#,
        ),
    ];
    for (port, req, want) in cases {
        assert_eq!(render_trace(&trace(&config, port, &req.as_request())), want);
    }

    let mesh = mesh_config();
    let cases = [
        (
            get("http://reviews:9080/", &["end-user: bob"]),
            r#"request: GET http://reviews:9080/
listener: 9080 (sidecar)
virtual host: reviews.default.svc.cluster.local:9080
rule 0 (default/reviews): no match
    header end-user: "bob" is not exact "jason"
rule 1 (default/reviews): matched
    no match conditions: every request matches
result: rule 1 forwards to
    outbound|9080|v3|reviews.default.svc.cluster.local  weight 100 (100%)
"#,
        ),
        (
            get("http://ratings/", &[]),
            r#"request: GET http://ratings/
listener: 9080 (sidecar)
virtual host: ratings.default.svc.cluster.local:9080
rule 0 "default": matched
    no match conditions: every request matches
result: rule 0 forwards to
    outbound|9080||ratings.default.svc.cluster.local  weight 100 (100%)
"#,
        ),
        (
            get("http://unknown/", &[]),
            r#"request: GET http://unknown/
listener: 9080 (sidecar)
result: 404 NR: no virtual host for authority "unknown"
    domains: ratings.default.svc.cluster.local, ratings.default.svc, ratings.default, ratings, reviews.default.svc.cluster.local, reviews.default.svc, reviews.default, reviews
"#,
        ),
    ];
    for (req, want) in cases {
        assert_eq!(render_trace(&trace(&mesh, 9080, &req.as_request())), want);
    }
    let empty = trace(
        &RouterConfig::default(),
        80,
        &get("http://x/", &[]).as_request(),
    );
    assert_eq!(
        empty.notes,
        vec!["no listener on port 80; the proxy has no listeners".to_string()]
    );
}
