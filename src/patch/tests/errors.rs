//! Tests of the errors of strategic merge patches.

use serde_json::{json, Value};

use super::pod_spec;
use crate::patch::{strategic, Error};

/// (name, target, patch, expected variant, expected message fragment)
type ErrorCase = (&'static str, Value, Value, fn(&Error) -> bool, &'static str);

#[test]
fn errors() {
    let pod = || pod_spec(json!({"containers": [{"name": "a"}], "tolerations": []}));
    let cases: Vec<ErrorCase> = vec![
        (
            "unknown $patch on a map",
            pod(),
            json!({"spec": {"$patch": "frob"}}),
            |e| matches!(e, Error::UnknownPatchType { .. }),
            "unknown patch type: frob in map:",
        ),
        (
            "$patch: merge on a map",
            pod(),
            json!({"metadata": {"$patch": "merge"}}),
            |e| matches!(e, Error::UnknownPatchType { .. }),
            "unknown patch type: merge",
        ),
        (
            "unknown $patch in a list",
            pod(),
            json!({"spec": {"containers": [{"name": "a", "$patch": "frob"}]}}),
            |e| matches!(e, Error::UnknownPatchType { .. }),
            "unknown patch type: frob",
        ),
        (
            "$patch: merge in a list",
            pod(),
            json!({"spec": {"containers": [{"$patch": "merge"}]}}),
            |e| matches!(e, Error::MergeDirectiveInList),
            "merging lists cannot yet be specified in the patch",
        ),
        (
            "element without merge key",
            pod(),
            json!({"spec": {"containers": [{"image": "x"}]}}),
            |e| matches!(e, Error::NoMergeKey { key: "name", .. }),
            "does not contain declared merge key: name",
        ),
        (
            "delete without merge key",
            pod(),
            json!({"spec": {"containers": [{"$patch": "delete"}]}}),
            |e| matches!(e, Error::NoMergeKey { .. }),
            "merge key",
        ),
        (
            "$setElementOrder not a list",
            pod(),
            json!({"spec": {"$setElementOrder/containers": {"name": "a"}}}),
            |e| matches!(e, Error::SetElementOrder),
            "invalid patch format of setElementOrder list",
        ),
        (
            "$setElementOrder without field",
            pod(),
            json!({"spec": {"$setElementOrder": []}}),
            |e| matches!(e, Error::SetElementOrder),
            "setElementOrder",
        ),
        (
            "order mismatch",
            pod(),
            json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b"}, {"name": "a"}]}}),
            |e| matches!(e, Error::OrderMismatch { .. }),
            "doesn't match $setElementOrder list",
        ),
        (
            "$deleteFromPrimitiveList not a list",
            pod(),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}),
            |e| matches!(e, Error::PrimitiveList),
            "invalid patch format of primitive list",
        ),
        (
            "$retainKeys not a list",
            pod(),
            json!({"spec": {"$retainKeys": "containers"}}),
            |e| matches!(e, Error::RetainKeys),
            "invalid patch format of retainKeys",
        ),
        (
            "$retainKeys misses a patched key",
            pod(),
            json!({"spec": {"$retainKeys": ["nodeName"], "hostname": "h"}}),
            |e| matches!(e, Error::RetainKeys),
            "retainKeys",
        ),
        (
            "mixed element types",
            json!({"metadata": {"finalizers": ["a"]}}),
            json!({"metadata": {"finalizers": [1]}}),
            |e| matches!(e, Error::MixedListTypes(_)),
            "list element types are not identical",
        ),
        (
            "list of lists",
            json!({"metadata": {"finalizers": [["a"]]}}),
            json!({"metadata": {"finalizers": [["b"]]}}),
            |e| matches!(e, Error::ListOfLists),
            "lists of lists are not supported",
        ),
        (
            "objects in a set list",
            json!({"metadata": {"finalizers": [{"a": 1}]}}),
            json!({"metadata": {"finalizers": [{"b": 1}]}}),
            |e| matches!(e, Error::NoMergeKeyDeclared { .. }),
            "cannot merge lists without merge key for finalizers",
        ),
        (
            "patch not an object",
            pod(),
            json!([1]),
            |e| matches!(e, Error::NotAnObject { what: "patch" }),
            "patch must be a JSON object",
        ),
        (
            "target not an object",
            json!("x"),
            json!({}),
            |e| matches!(e, Error::NotAnObject { what: "target" }),
            "target must be a JSON object",
        ),
    ];
    for (name, target, patch, is, msg) in cases {
        let err = strategic(&target, &patch, "Pod").expect_err(name);
        assert!(is(&err), "{name}: {err:?}");
        assert!(err.to_string().contains(msg), "{name}: {err}");
    }
}
