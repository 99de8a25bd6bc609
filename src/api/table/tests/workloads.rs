//! Deployments and replica sets.

use serde_json::{json, Value};

use super::{ago, cells, column_names, table};

fn workload(kind: &str, spec: Value, status: Value) -> Value {
    json!({
        "kind": kind,
        "metadata": {"name": "web", "namespace": "demo", "creationTimestamp": ago(7200)},
        "spec": spec,
        "status": status,
    })
}

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
        {"name": "app", "image": "nginx:1.25"}, {"name": "istio-proxy", "image": "proxyv2:1.22"}]}})
}

#[test]
fn deployment_cells() {
    assert_eq!(
        column_names("deployments"),
        [
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let cases: Vec<(Value, Vec<Value>)> = vec![
        (
            workload(
                "Deployment",
                json!({"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()}),
                json!({"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}),
            ),
            vec![
                json!("2/3"),
                json!(3),
                json!(2),
                json!("120m"),
                json!("app,istio-proxy"),
                json!("nginx:1.25,proxyv2:1.22"),
                json!("app=web"),
            ],
        ),
        (
            workload(
                "Deployment",
                json!({"selector": {"matchLabels": {"tier": "front", "app": "web"},
                      "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                           {"key": "canary", "operator": "DoesNotExist"},
                                           {"key": "zone", "operator": "Exists"},
                                           {"key": "arch", "operator": "NotIn", "values": ["arm"]}]}}),
                json!({}),
            ),
            vec![
                json!("0/1"),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!("app=web,arch notin (arm),!canary,env in (dev,prod),tier=front,zone"),
            ],
        ),
        (
            workload("Deployment", json!({"replicas": 0}), json!({})),
            vec![
                json!("0/0"),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!(""),
            ],
        ),
        (
            workload(
                "Deployment",
                json!({"replicas": 1, "selector": {"matchExpressions": [
                      {"key": "env", "operator": "Near", "values": ["x"]}]}}),
                json!({}),
            ),
            vec![
                json!("0/1"),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!("<invalid>"),
            ],
        ),
        (
            workload(
                "Deployment",
                json!({"replicas": 1, "selector": {"matchExpressions": [
                      {"key": "env", "operator": "In", "values": []}]}}),
                json!({}),
            ),
            vec![
                json!("0/1"),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!("<invalid>"),
            ],
        ),
    ];
    for (obj, want) in cases {
        let row = cells("deployments", &obj);
        assert_eq!(row.first(), Some(&json!("web")));
        assert_eq!(&row[1..], &want[..], "{obj}");
    }
}

#[test]
fn replicaset_cells() {
    assert_eq!(
        column_names("replicasets"),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let t = table("replicasets", &json!({}));
    let types: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["type"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        types,
        ["string", "integer", "integer", "integer", "string", "string", "string", "string"]
    );

    let cases: Vec<(Value, Vec<Value>)> = vec![
        (
            workload(
                "ReplicaSet",
                json!({"replicas": 2, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "abc"}},
                      "template": template()}),
                json!({"replicas": 2, "readyReplicas": 1}),
            ),
            vec![
                json!(2),
                json!(2),
                json!(1),
                json!("120m"),
                json!("app,istio-proxy"),
                json!("nginx:1.25,proxyv2:1.22"),
                json!("app=web,pod-template-hash=abc"),
            ],
        ),
        (
            workload("ReplicaSet", json!({}), json!({})),
            vec![
                json!(1),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!("<none>"),
            ],
        ),
        (
            workload(
                "ReplicaSet",
                json!({"replicas": 1, "selector": {}}),
                json!({}),
            ),
            vec![
                json!(1),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!("<none>"),
            ],
        ),
        (
            workload(
                "ReplicaSet",
                json!({"replicas": 1, "selector": {"matchExpressions": [
                      {"key": "a", "operator": "Exists", "values": ["x"]}]}}),
                json!({}),
            ),
            vec![
                json!(1),
                json!(0),
                json!(0),
                json!("120m"),
                json!(""),
                json!(""),
                json!("<error>"),
            ],
        ),
    ];
    for (obj, want) in cases {
        let row = cells("replicasets", &obj);
        assert_eq!(&row[1..], &want[..], "{obj}");
    }
}
