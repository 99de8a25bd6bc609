//! Table tests of cluster compilation: subsets, rule lookup, endpoints.

mod policy;

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// Parses multi-document YAML into a snapshot by `kind` (namespace defaults to "default").
fn snapshot(yaml: &str) -> Snapshot {
    let mut s = Snapshot::default();
    for doc in serde_yaml::Deserializer::from_str(yaml) {
        let mut value: Value = serde::Deserialize::deserialize(doc).expect("yaml document");
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.entry("namespace")
                .or_insert_with(|| Value::String("default".into()));
        }
        match value.get("kind").and_then(Value::as_str) {
            Some("DestinationRule") => s.destination_rules.push(value),
            Some("Service") => s.services.push(value),
            Some("Endpoints") => s.endpoints.push(value),
            Some("Pod") => s.pods.push(value),
            Some("VirtualService") => s.virtual_services.push(value),
            _ => {}
        }
    }
    s
}

/// One line per cluster: name, rule, balancer, then the endpoints
/// (`pod address [sidecar=PORT] [not-ready]`).
fn render(clusters: &[Cluster]) -> Vec<String> {
    clusters
        .iter()
        .map(|c| {
            let endpoints: Vec<String> = c
                .endpoints
                .iter()
                .map(|e| {
                    let mut text = match &e.pod {
                        Some((ns, name)) => format!("{ns}/{name} {}", e.address),
                        None => e.address.to_string(),
                    };
                    if let Some(port) = e.sidecar_inbound {
                        text.push_str(&format!(" sidecar={port}"));
                    }
                    if !e.ready {
                        text.push_str(" not-ready");
                    }
                    text
                })
                .collect();
            format!(
                "{} dr={} lb={:?} | {}",
                c.name,
                c.destination_rule.as_deref().unwrap_or("-"),
                c.policy.lb,
                endpoints.join(", ")
            )
        })
        .collect()
}

/// Service `reviews` (ports http 9080, grpc 9090) with three pods: v1 and v2 with sidecars and
/// ready, v3 without a sidecar and not ready.
const REVIEWS: &str = r#"
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: 9080}
  - {name: grpc, port: 9090, targetPort: 9090}
---
kind: Endpoints
metadata: {name: reviews}
subsets:
- addresses:
  - ip: 127.0.0.1
    targetRef: {kind: Pod, name: reviews-v1, namespace: default}
  ports:
  - {name: grpc, port: 20002, protocol: TCP}
  - {name: http, port: 20001, protocol: TCP}
- addresses:
  - ip: 127.0.0.1
    targetRef: {kind: Pod, name: reviews-v2}
  notReadyAddresses:
  - ip: 127.0.0.1
    targetRef: {kind: Pod, name: reviews-v3, namespace: default}
  ports:
  - {name: http, port: 20011, protocol: TCP}
  - {name: grpc, port: 20012, protocol: TCP}
---
kind: Pod
metadata:
  name: reviews-v1
  labels: {app: reviews, version: v1}
  annotations: {meshlite.io/host-ports: '{"9080":20001,"9090":20002,"15006":20003}'}
spec:
  containers: [{name: reviews}, {name: istio-proxy}]
---
kind: Pod
metadata:
  name: reviews-v2
  labels: {app: reviews, version: v2}
  annotations: {meshlite.io/host-ports: '{"9080":20011,"9090":20012,"15006":"20013"}'}
spec:
  initContainers: [{name: istio-proxy, restartPolicy: Always}]
  containers: [{name: reviews}]
---
kind: Pod
metadata:
  name: reviews-v3
  labels: {app: reviews, version: v3}
  annotations: {meshlite.io/host-ports: '{"9080":20011,"9090":20012}'}
spec:
  containers: [{name: reviews}]
"#;

/// Subsets v1/v2 (v2 with its own balancer), round robin overall, random on 9090.
const REVIEWS_DR: &str = r#"
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    portLevelSettings:
    - port: {number: 9090}
      loadBalancer: {simple: RANDOM}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpHeaderName: X-User}
  - name: v1
    labels: {version: v3}
  - labels: {version: v9}
"#;

/// A mesh-wide rule for every `.local` host, from the root namespace.
const MESH_DR: &str = r#"
kind: DestinationRule
metadata: {name: mesh-default, namespace: istio-system}
spec:
  host: "*.local"
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
"#;

#[test]
fn compile_clusters_table() {
    const V1: &str = "default/reviews-v1 127.0.0.1:20001 sidecar=20003";
    const V2: &str = "default/reviews-v2 127.0.0.1:20011 sidecar=20013";
    const V3: &str = "default/reviews-v3 127.0.0.1:20011 not-ready";
    const V1G: &str = "default/reviews-v1 127.0.0.1:20002 sidecar=20003";
    const V2G: &str = "default/reviews-v2 127.0.0.1:20012 sidecar=20013";
    const V3G: &str = "default/reviews-v3 127.0.0.1:20012 not-ready";
    const HOST: &str = "reviews.default.svc.cluster.local";
    let line =
        |port: u16, subset: &str, rest: &str| format!("outbound|{port}|{subset}|{HOST} {rest}");
    let no_dr = vec![
        line(
            9080,
            "",
            &format!("dr=- lb=LeastRequest | {V1}, {V2}, {V3}"),
        ),
        line(
            9090,
            "",
            &format!("dr=- lb=LeastRequest | {V1G}, {V2G}, {V3G}"),
        ),
    ];
    let with_dr = vec![
        line(
            9080,
            "v1",
            &format!("dr=default/reviews lb=RoundRobin | {V1}"),
        ),
        line(
            9080,
            "v2",
            &format!("dr=default/reviews lb=ConsistentHash(Header(\"x-user\")) | {V2}"),
        ),
        line(
            9080,
            "",
            &format!("dr=default/reviews lb=RoundRobin | {V1}, {V2}, {V3}"),
        ),
        line(9090, "v1", &format!("dr=default/reviews lb=Random | {V1G}")),
        line(
            9090,
            "v2",
            &format!("dr=default/reviews lb=ConsistentHash(Header(\"x-user\")) | {V2G}"),
        ),
        line(
            9090,
            "",
            &format!("dr=default/reviews lb=Random | {V1G}, {V2G}, {V3G}"),
        ),
    ];
    let mesh_wide = vec![
        line(
            9080,
            "",
            &format!("dr=istio-system/mesh-default lb=Random | {V1}, {V2}, {V3}"),
        ),
        line(
            9090,
            "",
            &format!("dr=istio-system/mesh-default lb=Random | {V1G}, {V2G}, {V3G}"),
        ),
    ];
    let private_dr = REVIEWS_DR.replace(
        "  host: reviews\n",
        "  host: reviews\n  exportTo: [\".\"]\n",
    );
    let other_ns_dr = r#"
kind: DestinationRule
metadata: {name: mine, namespace: other}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}
  subsets: [{name: canary, labels: {version: v2}}]
"#;
    let cases: Vec<(&str, String, &str, Vec<String>)> = vec![
        (
            "no DestinationRule: defaults, no subsets",
            REVIEWS.into(),
            "default",
            no_dr.clone(),
        ),
        (
            "subsets, subset policy, port-level override, label filtering",
            format!("{REVIEWS}---{REVIEWS_DR}"),
            "default",
            with_dr.clone(),
        ),
        (
            "host-namespace rule seen from another namespace",
            format!("{REVIEWS}---{REVIEWS_DR}"),
            "other",
            with_dr.clone(),
        ),
        (
            "host namespace beats the root namespace",
            format!("{REVIEWS}---{REVIEWS_DR}---{MESH_DR}"),
            "other",
            with_dr.clone(),
        ),
        (
            "root-namespace rule applies in every namespace",
            format!("{REVIEWS}---{MESH_DR}"),
            "elsewhere",
            mesh_wide.clone(),
        ),
        (
            "rule exported only to its namespace: invisible elsewhere, root rule instead",
            format!("{REVIEWS}---{private_dr}---{MESH_DR}"),
            "other",
            mesh_wide,
        ),
        (
            "rule exported only to its namespace still applies there",
            format!("{REVIEWS}---{private_dr}---{MESH_DR}"),
            "default",
            with_dr.clone(),
        ),
        (
            "private rule without fallback",
            format!("{REVIEWS}---{private_dr}"),
            "other",
            no_dr,
        ),
        (
            "client-namespace rule beats the host's",
            format!("{REVIEWS}---{REVIEWS_DR}---{other_ns_dr}"),
            "other",
            vec![
                line(
                    9080,
                    "canary",
                    &format!("dr=other/mine lb=LeastRequest | {V2}"),
                ),
                line(
                    9080,
                    "",
                    &format!("dr=other/mine lb=LeastRequest | {V1}, {V2}, {V3}"),
                ),
                line(
                    9090,
                    "canary",
                    &format!("dr=other/mine lb=LeastRequest | {V2G}"),
                ),
                line(
                    9090,
                    "",
                    &format!("dr=other/mine lb=LeastRequest | {V1G}, {V2G}, {V3G}"),
                ),
            ],
        ),
        (
            "rule with a workloadSelector is not a destination rule for clusters",
            format!(
                "{REVIEWS}---{}",
                REVIEWS_DR.replace(
                    "  host: reviews\n",
                    "  host: reviews\n  workloadSelector: {matchLabels: {app: x}}\n"
                )
            ),
            "default",
            vec![
                line(
                    9080,
                    "",
                    &format!("dr=- lb=LeastRequest | {V1}, {V2}, {V3}"),
                ),
                line(
                    9090,
                    "",
                    &format!("dr=- lb=LeastRequest | {V1G}, {V2G}, {V3G}"),
                ),
            ],
        ),
    ];
    for (name, yaml, client_ns, want) in cases {
        let got = render(&compile_clusters(&snapshot(&yaml), client_ns));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn endpoints_table() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unnamed single port maps to the only Endpoints port",
            r#"
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
---
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets:
- addresses: [{ip: 127.0.0.1, targetRef: {kind: Pod, name: web-0}}]
  ports: [{port: 30001}]
---
kind: Pod
metadata: {name: web-0, namespace: shop}
spec: {containers: [{name: web}]}
"#,
            &["outbound|80||web.shop.svc.cluster.local | shop/web-0 127.0.0.1:30001"],
        ),
        (
            "no Endpoints object: no endpoints",
            "kind: Service\nmetadata: {name: web}\nspec: {ports: [{name: http, port: 80}]}\n",
            &["outbound|80||web.default.svc.cluster.local | "],
        ),
        (
            "Service port without an Endpoints port of its name, bad IPs, foreign targets",
            r#"
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}, {name: admin, port: 81}]}
---
kind: Endpoints
metadata: {name: web}
subsets:
- addresses:
  - {ip: not-an-ip}
  - {ip: "::1", targetRef: {kind: Node, name: n}}
  - {ip: 127.0.0.1, targetRef: {kind: Pod, name: gone}}
  ports: [{name: http, port: 30001}, {name: metrics, port: 30002}]
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: http, port: 70000}]
"#,
            &[
                "outbound|80||web.default.svc.cluster.local | [::1]:30001, default/gone 127.0.0.1:30001",
                "outbound|81||web.default.svc.cluster.local | ",
            ],
        ),
        (
            "sidecar without a published inbound port, malformed annotation",
            r#"
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}]}
---
kind: Endpoints
metadata: {name: web}
subsets:
- addresses:
  - {ip: 127.0.0.1, targetRef: {kind: Pod, name: a}}
  - {ip: 127.0.0.1, targetRef: {kind: Pod, name: b}}
  - {ip: 127.0.0.1, targetRef: {kind: Pod, name: c}}
  ports: [{name: http, port: 30001}]
---
kind: Pod
metadata: {name: a, annotations: {meshlite.io/host-ports: '{"80":30001}'}}
spec: {containers: [{name: istio-proxy}]}
---
kind: Pod
metadata: {name: b, annotations: {meshlite.io/host-ports: 'not json'}}
spec: {containers: [{name: istio-proxy}]}
---
kind: Pod
metadata: {name: c, annotations: {meshlite.io/host-ports: '{"15006":30009}'}}
spec: {initContainers: [{name: istio-proxy}]}
"#,
            &["outbound|80||web.default.svc.cluster.local | default/a 127.0.0.1:30001, default/b 127.0.0.1:30001, default/c 127.0.0.1:30001"],
        ),
        (
            "subset keeps only pods carrying all its labels",
            r#"
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}]}
---
kind: Endpoints
metadata: {name: web}
subsets:
- addresses:
  - {ip: 127.0.0.1, targetRef: {kind: Pod, name: a}}
  - {ip: 127.0.0.1, targetRef: {kind: Pod, name: b}}
  ports: [{name: http, port: 30001}]
---
kind: Pod
metadata: {name: a, labels: {app: web, track: canary, zone: x}}
---
kind: Pod
metadata: {name: b, labels: {app: web, track: stable}}
---
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets:
  - {name: canary, labels: {app: web, track: canary}}
  - {name: all}
  - {name: none, labels: {track: other}}
"#,
            &[
                "outbound|80|all|web.default.svc.cluster.local | default/a 127.0.0.1:30001, default/b 127.0.0.1:30001",
                "outbound|80|canary|web.default.svc.cluster.local | default/a 127.0.0.1:30001",
                "outbound|80|none|web.default.svc.cluster.local | ",
                "outbound|80||web.default.svc.cluster.local | default/a 127.0.0.1:30001, default/b 127.0.0.1:30001",
            ],
        ),
    ];
    for (name, yaml, want) in cases {
        let got: Vec<String> = render(&compile_clusters(&snapshot(yaml), "default"))
            .into_iter()
            .map(|l| {
                // Only the name and the endpoints matter here.
                let (head, endpoints) = l.split_once(" | ").unwrap_or((&l, ""));
                let name = head.split(' ').next().unwrap_or_default();
                format!("{name} | {endpoints}")
            })
            .collect();
        assert_eq!(got, *want, "{name}");
    }
}

#[test]
fn pod_labels_are_strings_only() {
    let pod = serde_json::json!({"metadata": {"name": "p", "labels": {"a": "1", "b": 2}}});
    let facts = pod_facts(&[pod]);
    let got = facts
        .get(&("default".to_string(), "p".to_string()))
        .map(|f| f.labels.clone());
    assert_eq!(
        got,
        Some(BTreeMap::from([("a".to_string(), "1".to_string())]))
    );
}
