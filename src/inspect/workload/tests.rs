//! Tests of `describe pod|svc`: bookinfo- and httpbin-shaped fixtures and the harness that
//! describes a pod or Service of them; the whole text is compared.

mod describe;
mod parts;
mod render;

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// Bookinfo's reviews: three sidecar-injected versions behind one Service, a DestinationRule
/// with a subset each (v2 with its own pool limits) and an 80/20 split between v1 and v2.
const REVIEWS: &str = r#"
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 9080, protocol: TCP}]
---
kind: Pod
metadata: {name: reviews-v1, namespace: default, uid: uid-r1, labels: {app: reviews, version: v1}, annotations: {istio.io/rev: default}}
spec:
  containers:
  - {name: reviews, ports: [{containerPort: 9080, protocol: TCP}]}
  - {name: istio-proxy, ports: [{containerPort: 15090, name: http-envoy-prom, protocol: TCP}]}
status: {phase: Running, containerStatuses: [{name: reviews, ready: true}, {name: istio-proxy, ready: true}]}
---
kind: Pod
metadata: {name: reviews-v2, namespace: default, uid: uid-r2, labels: {app: reviews, version: v2}, annotations: {istio.io/rev: default}}
spec:
  containers:
  - {name: reviews, ports: [{containerPort: 9080, protocol: TCP}]}
  - {name: istio-proxy, ports: [{containerPort: 15090, name: http-envoy-prom, protocol: TCP}]}
status: {phase: Running, containerStatuses: [{name: reviews, ready: true}, {name: istio-proxy, ready: true}]}
---
kind: Pod
metadata: {name: reviews-v3, namespace: default, uid: uid-r3, labels: {app: reviews, version: v3}, annotations: {istio.io/rev: default}}
spec:
  containers:
  - {name: reviews, ports: [{containerPort: 9080, protocol: TCP}]}
  - {name: istio-proxy, ports: [{containerPort: 15090, name: http-envoy-prom, protocol: TCP}]}
status: {phase: Running, containerStatuses: [{name: reviews, ready: true}, {name: istio-proxy, ready: true}]}
"#;

const REVIEWS_DR: &str = r#"
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
    loadBalancer: {simple: ROUND_ROBIN}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy: {connectionPool: {tcp: {maxConnections: 10}}}
  - {name: v3, labels: {version: v3}}
"#;

const REVIEWS_80_20: &str = r#"
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v2}
      weight: 20
"#;

/// Bookinfo's jason → v2, everyone else → v3.
const REVIEWS_JASON: &str = r#"
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
"#;

const REVIEWS_ALL_V1: &str = r#"
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
"#;

/// httpbin on a named container port, published through an ingress Gateway whose Service maps
/// port 80 to the gateway's 8080.
const HTTPBIN: &str = r#"
kind: Service
metadata: {name: httpbin, namespace: default}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: http-web}]
---
kind: Pod
metadata:
  name: httpbin-7f9d
  namespace: default
  uid: uid-h1
  labels: {app: httpbin, version: v1}
  annotations: {sidecar.istio.io/status: '{"containers":["istio-proxy"],"revision":"canary"}'}
spec:
  containers:
  - {name: httpbin, ports: [{containerPort: 8080, name: http-web}]}
  - {name: istio-proxy, ports: [{containerPort: 15090, name: http-envoy-prom}]}
status: {phase: Running, containerStatuses: [{name: httpbin, ready: true}, {name: istio-proxy, ready: true}]}
---
kind: Gateway
metadata: {name: httpbin-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [httpbin.example.com]
---
kind: VirtualService
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.example.com]
  gateways: [httpbin-gateway]
  http:
  - match:
    - uri: {prefix: /status}
    - uri: {prefix: /delay}
    route:
    - destination: {host: httpbin, port: {number: 8000}}
---
"#;

/// The ingress gateway's Service: port 80 to the gateway's 8080.
const INGRESS_SERVICE: &str = r#"
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports: [{name: http2, port: 80, targetPort: 8080}]
"#;

/// A plain pod without a sidecar, with a UDP port.
const SLEEP: &str = r#"
kind: Service
metadata: {name: sleep, namespace: default}
spec:
  selector: {app: sleep}
  ports: [{name: http, port: 80}]
---
kind: Pod
metadata: {name: sleep-5d4b, namespace: default, labels: {app: sleep}}
spec:
  containers:
  - {name: sleep, ports: [{containerPort: 80}, {containerPort: 53, name: dns, protocol: UDP}]}
status: {phase: Running, containerStatuses: [{name: sleep, ready: true}]}
"#;

/// Parses multi-document YAML into a snapshot by `kind`.
fn snapshot(docs: &[&str]) -> Snapshot {
    let mut s = Snapshot::default();
    for doc in docs {
        for part in serde_yaml::Deserializer::from_str(doc) {
            let value: Value = serde::Deserialize::deserialize(part).expect("yaml document");
            match value.get("kind").and_then(Value::as_str) {
                None if value.is_null() => {}
                Some("Gateway") => s.gateways.push(value),
                Some("VirtualService") => s.virtual_services.push(value),
                Some("DestinationRule") => s.destination_rules.push(value),
                Some("Service") => s.services.push(value),
                Some("Pod") => s.pods.push(value),
                other => panic!("unexpected kind {other:?}"),
            }
        }
    }
    s
}

/// The ingress gateway as `meshlite up` runs it.
fn ingress() -> Ingress {
    Ingress {
        url: "http://localhost:8080".into(),
        namespace: "istio-system".into(),
        labels: BTreeMap::from([
            ("app".to_string(), "istio-ingressgateway".to_string()),
            ("istio".to_string(), "ingressgateway".to_string()),
        ]),
    }
}

/// What is described.
#[derive(Clone, Copy, Debug)]
enum Subject {
    Pod(&'static str),
    Service(&'static str),
}

/// Describes `subject` in a snapshot of `docs`.
fn describe(docs: &[&str], subject: Subject, ingress: Option<&Ingress>) -> String {
    let s = snapshot(docs);
    let find = |list: &[Value], name: &str| {
        list.iter()
            .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
            .cloned()
            .unwrap_or_else(|| panic!("no object {name}"))
    };
    match subject {
        Subject::Pod(name) => describe_pod(&find(&s.pods, name), &s, ingress),
        Subject::Service(name) => describe_service(&find(&s.services, name), &s, ingress),
    }
}

/// istioctl's closing block for a meshed pod.
pub(super) const PEER_AUTHN: &str = "--------------------
Effective PeerAuthentication:
   Workload mTLS mode: PERMISSIVE
";

/// The first lines of a reviews pod's description, up to its Service's port.
fn reviews_head(version: &str) -> String {
    format!(
        "Pod: reviews-{version}
   Pod Revision: default
   Pod Ports: 9080 (reviews), 15090 (istio-proxy)
--------------------
Service: reviews
   Port: http 9080/HTTP targets pod port 9080
"
    )
}

/// The reviews DestinationRule block for one pod version.
fn reviews_dr(version: &str, others: &str) -> String {
    format!(
        "DestinationRule: reviews for \"reviews\"
   Matching subsets: {version}
      (Non-matching subsets {others})
   Traffic Policy TLS Mode: ISTIO_MUTUAL
   Policies: load balancer
   Effective Traffic Policy (subset {version}):
      loadBalancer: ROUND_ROBIN
"
    )
}
