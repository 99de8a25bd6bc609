//! Tests of JSON merge patch, JSON patch, `is_empty` and the last-applied annotation helpers.

use serde_json::{json, Value};

use crate::patch::{
    is_empty, json, merge, modified_configuration, original_configuration, Error,
    LAST_APPLIED_ANNOTATION,
};

#[test]
fn merge_patch_follows_rfc7386_examples() {
    // Appendix A of RFC 7386.
    let cases = [
        (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
        (
            json!({"a": "b"}),
            json!({"b": "c"}),
            json!({"a": "b", "b": "c"}),
        ),
        (json!({"a": "b"}), json!({"a": null}), json!({})),
        (
            json!({"a": "b", "b": "c"}),
            json!({"a": null}),
            json!({"b": "c"}),
        ),
        (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
        (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
        (
            json!({"a": {"b": "c"}}),
            json!({"a": {"b": "d", "c": null}}),
            json!({"a": {"b": "d"}}),
        ),
        (
            json!({"a": [{"b": "c"}]}),
            json!({"a": [1]}),
            json!({"a": [1]}),
        ),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a": "b"}), json!(["c"]), json!(["c"])),
        (json!({"a": "foo"}), json!(null), json!(null)),
        (json!({"a": "foo"}), json!("bar"), json!("bar")),
        (
            json!({"e": null}),
            json!({"a": 1}),
            json!({"e": null, "a": 1}),
        ),
        (
            json!([1, 2]),
            json!({"a": "b", "c": null}),
            json!({"a": "b"}),
        ),
        (
            json!({}),
            json!({"a": {"bb": {"ccc": null}}}),
            json!({"a": {"bb": {}}}),
        ),
    ];
    for (i, (target, patch, want)) in cases.into_iter().enumerate() {
        let mut got = target;
        merge(&mut got, &patch);
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn merge_patch_keeps_dollar_keys_of_custom_resources() {
    // Merge patch has no directives: `$`-keys are ordinary data there.
    let mut target = json!({"spec": {"schema": {"type": "object"}}});
    merge(&mut target, &json!({"spec": {"schema": {"$ref": "#/x"}}}));
    assert_eq!(
        target,
        json!({"spec": {"schema": {"type": "object", "$ref": "#/x"}}})
    );
}

#[test]
fn json_patch_operations() {
    let doc = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}});
    let cases = [
        (
            "add member",
            json!([{"op": "add", "path": "/metadata/labels/b", "value": "2"}]),
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"list": [1, 2, 3]}}),
        ),
        (
            "add element",
            json!([{"op": "add", "path": "/spec/list/1", "value": 9}]),
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 9, 2, 3]}}),
        ),
        (
            "append",
            json!([{"op": "add", "path": "/spec/list/-", "value": 4}]),
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3, 4]}}),
        ),
        (
            "remove",
            json!([{"op": "remove", "path": "/metadata/labels/a"}]),
            json!({"metadata": {"labels": {}}, "spec": {"list": [1, 2, 3]}}),
        ),
        (
            "replace",
            json!([{"op": "replace", "path": "/spec/list/0", "value": 7}]),
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [7, 2, 3]}}),
        ),
        (
            "move",
            json!([{"op": "move", "from": "/metadata/labels/a", "path": "/metadata/labels/z"}]),
            json!({"metadata": {"labels": {"z": "1"}}, "spec": {"list": [1, 2, 3]}}),
        ),
        (
            "copy",
            json!([{"op": "copy", "from": "/spec/list/2", "path": "/spec/n"}]),
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3], "n": 3}}),
        ),
        (
            "test then replace",
            json!([
            {"op": "test", "path": "/metadata/labels/a", "value": "1"},
            {"op": "replace", "path": "/metadata/labels/a", "value": "2"}]),
            json!({"metadata": {"labels": {"a": "2"}}, "spec": {"list": [1, 2, 3]}}),
        ),
        ("empty patch", json!([]), doc.clone()),
    ];
    for (name, patch, want) in cases {
        let mut got = doc.clone();
        json(&mut got, &patch).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn json_patch_failures_name_the_operation_and_leave_the_target_alone() {
    let doc = json!({"metadata": {"labels": {"a": "1"}}});
    let cases = [
        (
            "failed test",
            json!([
            {"op": "add", "path": "/metadata/labels/b", "value": "2"},
            {"op": "test", "path": "/metadata/labels/a", "value": "9"}]),
            "/1",
            "/metadata/labels/a",
        ),
        (
            "missing parent",
            json!([{"op": "add", "path": "/spec/x", "value": 1}]),
            "/0",
            "/spec/x",
        ),
        (
            "remove missing",
            json!([{"op": "remove", "path": "/metadata/name"}]),
            "/0",
            "/metadata/name",
        ),
    ];
    for (name, patch, op, path) in cases {
        let mut got = doc.clone();
        let err = json(&mut got, &patch).expect_err(name);
        assert!(matches!(err, Error::JsonPatch(_)), "{name}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains(op) && msg.contains(path), "{name}: {msg}");
        assert_eq!(got, doc, "{name}: target changed");
    }
}

#[test]
fn json_patch_rejects_malformed_documents() {
    let cases = [
        json!({"op": "add", "path": "/a", "value": 1}),
        json!([{"op": "frobnicate", "path": "/a"}]),
        json!([{"op": "add", "value": 1}]),
        json!([{"op": "add", "path": "a", "value": 1}]),
    ];
    for patch in cases {
        let mut target = json!({});
        let err = json(&mut target, &patch).expect_err("malformed");
        assert!(
            matches!(err, Error::InvalidJsonPatch(_)),
            "{patch}: {err:?}"
        );
    }
}

#[test]
fn is_empty_only_for_the_empty_object() {
    let cases = [
        (json!({}), true),
        (json!({"a": 1}), false),
        (json!({"metadata": {}}), false),
        (json!([]), false),
        (json!(null), false),
    ];
    for (v, want) in cases {
        assert_eq!(is_empty(&v), want, "{v}");
    }
}

fn last_applied(v: &Value) -> Option<&str> {
    v.pointer("/metadata/annotations")?
        .get(LAST_APPLIED_ANNOTATION)?
        .as_str()
}

#[test]
fn modified_configuration_encodes_like_kubectl() {
    let cases = [
        (
            "annotations created, keys sorted, html escaped",
            json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}, "data": {"a": "<b>&"}}),
            "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"\\u003cb\\u003e\\u0026\"},\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},\"name\":\"x\"}}\n",
        ),
        (
            "previous annotation not nested",
            json!({"metadata": {"name": "x", "annotations": {"k": "v", LAST_APPLIED_ANNOTATION: "old"}}}),
            "{\"metadata\":{\"annotations\":{\"k\":\"v\"},\"name\":\"x\"}}\n",
        ),
        (
            "null annotations",
            json!({"metadata": {"name": "x", "annotations": null}}),
            "{\"metadata\":{\"annotations\":{},\"name\":\"x\"}}\n",
        ),
    ];
    for (name, manifest, want) in cases {
        let modified = modified_configuration(&manifest).expect(name);
        assert_eq!(last_applied(&modified), Some(want), "{name}");
        let original = original_configuration(&modified).expect(name).expect(name);
        let mut expected: Value = serde_json::from_str(want).expect(name);
        assert_eq!(original, expected, "{name}: round trip");
        // The stored annotation is exactly the modified document without it.
        if let Some(a) = expected
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            a.insert(
                LAST_APPLIED_ANNOTATION.to_owned(),
                Value::String(want.to_owned()),
            );
        }
        assert_eq!(modified, expected, "{name}: modified");
    }
}

#[test]
fn modified_configuration_rejects_non_objects() {
    for manifest in [
        json!([]),
        json!({"metadata": []}),
        json!({"metadata": {"annotations": "x"}}),
    ] {
        assert!(
            matches!(
                modified_configuration(&manifest),
                Err(Error::NotAnObject { .. })
            ),
            "{manifest}"
        );
    }
}

#[test]
fn original_configuration_reads_the_annotation() {
    let with = |s: &str| json!({"metadata": {"annotations": {LAST_APPLIED_ANNOTATION: s}}});
    let cases: [(Value, Result<Option<Value>, ()>); 6] = [
        (json!({"metadata": {"name": "x"}}), Ok(None)),
        (json!({}), Ok(None)),
        (with(""), Ok(None)),
        (with("{\"a\":1}\n"), Ok(Some(json!({"a": 1})))),
        (with("{not json"), Err(())),
        (with("[1]"), Err(())),
    ];
    for (current, want) in cases {
        let got = original_configuration(&current)
            .map_err(|e| assert!(matches!(e, Error::LastApplied(_))));
        assert_eq!(got, want, "{current}");
    }
}
