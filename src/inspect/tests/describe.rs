//! Shared text: durations, percentages and policy lines.

use std::time::Duration;

use super::super::describe::{duration, percent, policy_lines};
use super::*;

#[test]
fn durations() {
    let cases = [
        (Duration::ZERO, "0s"),
        (Duration::from_nanos(7), "7ns"),
        (Duration::from_micros(250), "250us"),
        (Duration::from_millis(500), "500ms"),
        (Duration::from_secs(2), "2s"),
        (Duration::from_millis(1500), "1.5s"),
        (Duration::from_millis(90_250), "1m30.25s"),
        (Duration::from_secs(3600), "1h"),
        (Duration::from_secs(5400), "1h30m"),
        (Duration::from_secs(7201), "2h1s"),
    ];
    for (d, want) in cases {
        assert_eq!(duration(d), want, "{d:?}");
    }
}

#[test]
fn percentages() {
    let cases = [
        (0.0, "0"),
        (-0.0, "0"),
        (10.0, "10"),
        (100.0, "100"),
        (0.5, "0.5"),
        (100.0 / 3.0, "33.33"),
        (12.345, "12.35"),
        (0.001, "0"),
    ];
    for (p, want) in cases {
        assert_eq!(percent(p), want, "{p}");
    }
}

#[test]
fn policy_lines_cover_every_policy() {
    let yaml = r#"
kind: VirtualService
metadata: {name: all, namespace: default}
spec:
  hosts: [web]
  http:
  - name: everything
    route:
    - destination: {host: web, subset: v1}
      weight: 60
      headers:
        request: {add: {x-dest: v1}}
    - destination: {host: web, subset: v2}
      weight: 40
    retries: {attempts: 0}
    fault:
      delay: {fixedDelay: 100ms, percent: 7}
      abort: {grpcStatus: UNAVAILABLE}
    mirrors:
    - destination: {host: web, subset: v2}
      percentage: {value: 12.5}
    headers:
      request: {set: {x-a: b, x-c: d}, remove: [x-e, x-f]}
      response: {add: {x-served-by: mesh}}
    corsPolicy:
      allowOrigins: [{exact: "https://a.com"}, {prefix: "https://b."}, {regex: ".*\\.c\\.com"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-token]
      exposeHeaders: [x-id]
      maxAge: 24h
      allowCredentials: true
  - name: quiet
    retries: {attempts: 2}
    route:
    - destination: {host: web}
    corsPolicy: {}
"#;
    let mut s = snapshot(yaml);
    s.services.push(service("web", "default", &[80]));
    let config = compile_sidecar(&s, "default");
    let routes = config
        .listeners
        .first()
        .and_then(|l| l.virtual_hosts.first())
        .map(|v| v.routes.clone())
        .expect("routes");
    let want: Vec<Vec<&str>> = vec![
        vec![
            "retries disabled",
            "fault delay 100ms for 7%",
            "fault abort grpc UNAVAILABLE for 100%",
            "mirror outbound|80|v2|web.default.svc.cluster.local 12.5%",
            "request headers: set x-a=b x-c=d, remove x-e x-f",
            "response headers: add x-served-by=mesh",
            "request headers for outbound|80|v1|web.default.svc.cluster.local: add x-dest=v1",
            "cors: origins https://a.com,https://b.*,regex .*\\.c\\.com; methods GET,POST; headers x-token; expose x-id; max age 24h; credentials",
        ],
        vec!["retries 2", "cors: origins (none)"],
    ];
    let got: Vec<Vec<String>> = routes.iter().map(policy_lines).collect();
    assert_eq!(got, want);
}
