//! Table tests of the inspect views over configs compiled from real Istio YAML.

mod conditions;
mod describe;
mod json;
mod render;
mod request;
mod tables;
mod trace;

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::routes::{compile_gateway, compile_sidecar, GatewayWorkload, RouterConfig, Snapshot};

/// The helloworld and httpbin samples' shapes, plus an httpbin VirtualService that exercises
/// header matches, weights, retries, timeouts, faults, mirrors, rewrites, redirects and
/// direct responses.
pub(super) const INGRESS_YAML: &str = r#"
kind: Gateway
metadata: {name: helloworld-gateway, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
kind: Gateway
metadata: {name: httpbin-gateway, namespace: default, creationTimestamp: "2024-01-01T00:00:01Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [httpbin.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: secure-cert, httpsRedirect: false}
  - port: {number: 8081, name: http-secure, protocol: HTTP}
    hosts: [secure.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}
---
kind: VirtualService
metadata: {name: helloworld, namespace: default, creationTimestamp: "2024-01-01T00:00:02Z"}
spec:
  hosts: ["*"]
  gateways: [helloworld-gateway]
  http:
  - match:
    - uri: {exact: /hello}
    route:
    - destination: {host: helloworld, port: {number: 5000}}
---
kind: VirtualService
metadata: {name: httpbin, namespace: default, creationTimestamp: "2024-01-01T00:00:03Z"}
spec:
  hosts: [httpbin.example.com]
  gateways: [httpbin-gateway]
  http:
  - name: canary
    match:
    - uri: {prefix: /status}
      headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: httpbin, subset: v2, port: {number: 8000}}
  - name: split
    match:
    - uri: {prefix: /status}
    route:
    - destination: {host: httpbin, subset: v1, port: {number: 8000}}
      weight: 75
    - destination: {host: httpbin, subset: v2, port: {number: 8000}}
      weight: 25
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,connect-failure"}
    headers:
      request: {set: {x-route: split}}
  - name: faulty
    match:
    - uri: {exact: /delay}
    - uri: {regex: "/slow/[0-9]+"}
      method: {exact: POST}
    route:
    - destination: {host: httpbin, subset: v1, port: {number: 8000}}
    fault:
      delay: {fixedDelay: 5s, percentage: {value: 50}}
      abort: {httpStatus: 503, percentage: {value: 10}}
    mirror: {host: httpbin, subset: v2, port: {number: 8000}}
    mirrorPercentage: {value: 100}
  - name: api
    match:
    - uri: {prefix: /api/}
      ignoreUriCase: true
    rewrite: {uri: /, authority: internal.example.com}
    route:
    - destination: {host: httpbin, port: {number: 8000}}
  - name: moved
    match:
    - uri: {prefix: /old}
    redirect: {uri: /new, redirectCode: 302}
  - name: gone
    match:
    - uri: {exact: /gone}
    directResponse: {status: 410, body: {string: gone for good}}
---
kind: VirtualService
metadata: {name: secure, namespace: default, creationTimestamp: "2024-01-01T00:00:04Z"}
spec:
  hosts: [secure.example.com]
  gateways: [httpbin-gateway]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
---
kind: DestinationRule
metadata: {name: httpbin, namespace: default}
spec:
  host: httpbin
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"#;

/// Bookinfo's reviews routing (jason → v2, everyone else → v3) seen from a sidecar.
pub(super) const MESH_YAML: &str = r#"
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v3}
---
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
"#;

/// Parses multi-document YAML into a snapshot by `kind`.
pub(super) fn snapshot(yaml: &str) -> Snapshot {
    let mut s = Snapshot::default();
    for doc in serde_yaml::Deserializer::from_str(yaml) {
        let value: Value = serde::Deserialize::deserialize(doc).expect("yaml document");
        match value.get("kind").and_then(Value::as_str) {
            Some("Gateway") => s.gateways.push(value),
            Some("VirtualService") => s.virtual_services.push(value),
            Some("DestinationRule") => s.destination_rules.push(value),
            Some("Service") => s.services.push(value),
            _ => {}
        }
    }
    s
}

/// A Service with `http-PORT` ports.
pub(super) fn service(name: &str, ns: &str, ports: &[u16]) -> Value {
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| serde_json::json!({"name": format!("http-{p}"), "port": p}))
        .collect();
    serde_json::json!({
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"ports": ports},
    })
}

/// The standard ingress gateway workload: 80→8080, 443→8443.
pub(super) fn ingress_config() -> RouterConfig {
    let mut s = snapshot(INGRESS_YAML);
    s.services.push(service("helloworld", "default", &[5000]));
    s.services.push(service("httpbin", "default", &[8000]));
    let gw = GatewayWorkload {
        namespace: "istio-system".into(),
        labels: BTreeMap::from([("istio".to_string(), "ingressgateway".to_string())]),
        service_ports: vec![(15021, 15021), (80, 8080), (443, 8443)],
    };
    compile_gateway(&s, &gw)
}

/// What a sidecar in `default` sees: reviews routed by its VirtualService, ratings and
/// httpbin (another namespace) by default routes.
pub(super) fn mesh_config() -> RouterConfig {
    let mut s = snapshot(MESH_YAML);
    s.services.push(service("reviews", "default", &[9080]));
    s.services.push(service("ratings", "default", &[9080]));
    s.services.push(service("httpbin", "web", &[8000]));
    compile_sidecar(&s, "default")
}

/// A GET (or other) request from a URL and `Name: value` headers.
pub(super) fn get(url: &str, headers: &[&str]) -> TraceRequest {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    TraceRequest::parse("GET", url, &headers).expect("request")
}
