//! Tests of the JSON merge three-way apply patch (custom resources) and of input checks.

use serde_json::{json, Value};

use super::server::{apply, created, edit, set, strip_annotation};
use crate::patch::{
    is_empty, modified_configuration, original_configuration, three_way, Error, Strategy,
};

fn virtual_service(hosts: Value, extra: Value) -> Value {
    let mut vs = json!({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": "demo"},
        "spec": {"hosts": hosts, "http": [{"route": [{"destination": {"host": "a"}}]}]}
    });
    if let (Some(spec), Some(extra)) = (
        vs.get_mut("spec").and_then(Value::as_object_mut),
        extra.as_object(),
    ) {
        spec.extend(extra.clone());
    }
    vs
}

#[test]
fn json_merge_round_trips() {
    let base = virtual_service(json!(["a.example.com"]), json!({"gateways": ["gw"]}));
    let cases = [
        (
            "hosts changed",
            virtual_service(json!(["b.example.com"]), json!({"gateways": ["gw"]})),
            json!({"spec": {"hosts": ["b.example.com"]}}),
        ),
        (
            "field removed",
            virtual_service(json!(["a.example.com"]), json!({})),
            json!({"spec": {"gateways": null}}),
        ),
        (
            "list element changed is sent whole",
            edit(base.clone(), |v| {
                set(v, "/spec/http/0/route/0/destination/host", json!("b"))
            }),
            json!({"spec": {"http": [{"route": [{"destination": {"host": "b"}}]}]}}),
        ),
        (
            "label added",
            edit(base.clone(), |v| {
                set(
                    v,
                    "/metadata",
                    json!({"name": "vs", "namespace": "demo", "labels": {"x": "y"}}),
                )
            }),
            json!({"metadata": {"labels": {"x": "y"}}}),
        ),
    ];
    for (name, after, want) in cases {
        let mut live = created(&base);
        // A server-side field of the custom resource, never in a manifest.
        if let Some(o) = live.as_object_mut() {
            o.insert("status".into(), json!({"observedGeneration": 1}));
        }
        let (noop, _) = apply(&base, &live, Strategy::JsonMerge);
        assert!(is_empty(&noop), "{name}: re-apply sent {noop}");
        let (patch, result) = apply(&after, &live, Strategy::JsonMerge);
        assert_eq!(strip_annotation(&patch), want, "{name}: patch");
        let mut expected = created(&after);
        if let Some(o) = expected.as_object_mut() {
            o.insert("status".into(), json!({"observedGeneration": 1}));
        }
        assert_eq!(result, expected, "{name}: result");
    }
}

#[test]
fn json_merge_refuses_identity_changes() {
    let base = virtual_service(json!(["a"]), json!({}));
    let live = created(&base);
    let original = original_configuration(&live).expect("original");
    let cases = [
        (
            "kind",
            edit(base.clone(), |v| set(v, "/kind", json!("Gateway"))),
        ),
        (
            "apiVersion",
            edit(base.clone(), |v| {
                set(v, "/apiVersion", json!("networking.istio.io/v1"))
            }),
        ),
        (
            "name",
            edit(base.clone(), |v| set(v, "/metadata/name", json!("other"))),
        ),
    ];
    for (name, after) in cases {
        let modified = modified_configuration(&after).expect("modified");
        let err =
            three_way(original.as_ref(), &modified, &live, Strategy::JsonMerge).expect_err(name);
        assert!(matches!(err, Error::IdentityChanged), "{name}: {err:?}");
        assert_eq!(
            err.to_string(),
            "At least one of apiVersion, kind and name was changed"
        );
    }
}

#[test]
fn three_way_rejects_non_objects() {
    let obj = json!({});
    let cases = [
        (Some(json!([])), obj.clone(), obj.clone(), "original"),
        (None, json!("x"), obj.clone(), "modified"),
        (None, obj.clone(), json!(null), "current"),
    ];
    for (original, modified, current, what) in cases {
        for strategy in [Strategy::JsonMerge, Strategy::Strategic { kind: "Pod" }] {
            let err = three_way(original.as_ref(), &modified, &current, strategy).expect_err(what);
            assert!(
                matches!(err, Error::NotAnObject { what: w } if w == what),
                "{what}: {err:?}"
            );
        }
    }
}
