//! The Table envelope: columns, rows and the object each row carries.

use serde_json::json;

use super::{ago, now, table};
use crate::api::table::{build, Include};

#[test]
fn envelope_shape() {
    let obj = json!({"metadata": {"name": "default", "creationTimestamp": ago(90),
                                  "labels": {"kubernetes.io/metadata.name": "default"}},
                     "status": {"phase": "Active"}});
    let t = table("namespaces", &obj);
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(t["metadata"], json!({}));
    let name = &t["columnDefinitions"][0];
    assert_eq!(name["name"], "Name");
    assert_eq!(name["type"], "string");
    assert_eq!(name["format"], "name");
    assert_eq!(name["priority"], 0);
    assert!(name["description"].as_str().is_some_and(|d| !d.is_empty()));
    let keys: Vec<&str> = name
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["name", "type", "format", "description", "priority"]);
    assert_eq!(t["rows"][0]["cells"], json!(["default", "Active", "90s"]));
}

#[test]
fn include_object_variants() {
    let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "cm", "namespace": "demo", "labels": {"a": "b"}, "uid": "u1",
                                  "resourceVersion": "7", "creationTimestamp": ago(10)},
                     "data": {"k": "v"}});
    let objects = [obj.clone()];

    let none = build("configmaps", &objects, now(), Include::None);
    assert!(none["rows"][0].get("object").is_none());

    let meta = build("configmaps", &objects, now(), Include::Metadata);
    assert_eq!(
        meta["rows"][0]["object"],
        json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"].clone(),
        })
    );

    let full = build("configmaps", &objects, now(), Include::Object);
    assert_eq!(full["rows"][0]["object"], obj);

    let no_meta = build("configmaps", &[json!({})], now(), Include::Metadata);
    assert_eq!(no_meta["rows"][0]["object"]["metadata"], json!({}));
    assert_eq!(no_meta["rows"][0]["cells"], json!(["", 0, "<unknown>"]));
}

#[test]
fn include_from_query() {
    let cases = vec![
        (None, Include::Metadata),
        (Some("Metadata"), Include::Metadata),
        (Some("None"), Include::None),
        (Some("Object"), Include::Object),
        (Some("object"), Include::Metadata),
        (Some(""), Include::Metadata),
    ];
    for (query, want) in cases {
        assert_eq!(Include::from_query(query), want, "{query:?}");
    }
}

#[test]
fn rows_keep_input_order_and_empty_lists_have_columns() {
    let objects: Vec<_> = ["b", "a", "c"]
        .iter()
        .map(|n| json!({"metadata": {"name": n, "creationTimestamp": ago(1)}}))
        .collect();
    let t = build("widgets", &objects, now(), Include::None);
    let names: Vec<_> = t["rows"]
        .as_array()
        .map(|r| r.iter().map(|r| r["cells"][0].clone()).collect())
        .unwrap_or_default();
    assert_eq!(names, [json!("b"), json!("a"), json!("c")]);

    let empty = build("pods", &[], now(), Include::Metadata);
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(
        empty["columnDefinitions"].as_array().map(Vec::len),
        Some(10)
    );
}

#[test]
fn hostile_shapes_do_not_panic() {
    let shapes = vec![
        json!(null),
        json!(42),
        json!("pod"),
        json!([1, 2]),
        json!({"metadata": "x", "spec": [], "status": 7}),
        json!({"spec": {"containers": "nope", "initContainers": [1, null]},
               "status": {"containerStatuses": [null, 3, {"state": "x", "restartCount": "many"}],
                          "initContainerStatuses": [{"state": {"terminated": 5}}]}}),
        json!({"spec": {"ports": [{"port": "http", "nodePort": -1}], "type": 3, "selector": ["a"]},
               "subsets": [{"addresses": "x", "ports": [null]}], "status": {"loadBalancer": {"ingress": [7]}}}),
        json!({"spec": {"selector": {"matchLabels": {"a": 1}, "matchExpressions": "x"}, "replicas": "2"}}),
    ];
    let resources = [
        "pods",
        "services",
        "endpoints",
        "namespaces",
        "configmaps",
        "secrets",
        "serviceaccounts",
        "events",
        "deployments",
        "replicasets",
        "gateways",
        "virtualservices",
        "destinationrules",
        "serviceentries",
        "sidecars",
        "peerauthentications",
        "authorizationpolicies",
        "anything",
        "",
    ];
    for resource in resources {
        let t = build(resource, &shapes, now(), Include::Object);
        let width = t["columnDefinitions"].as_array().map(Vec::len);
        for row in t["rows"].as_array().into_iter().flatten() {
            assert_eq!(
                row["cells"].as_array().map(Vec::len),
                width,
                "{resource}: one cell per column"
            );
        }
    }
}
