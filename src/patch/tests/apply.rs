//! Tests of applying strategic merge patches: maps, every directive, keyed and primitive lists
//! and the element order rules.

use serde_json::{json, Value};

use super::{pod_spec, run, Case};

#[test]
fn maps_and_scalars() {
    run(vec![
        Case {
            name: "null deletes, new keys added, others kept",
            kind: "Namespace",
            target: json!({"metadata": {"name": "n", "labels": {"a": "1", "b": "2"}}}),
            patch: json!({"metadata": {"labels": {"a": null, "c": "3"}}}),
            want: json!({"metadata": {"name": "n", "labels": {"b": "2", "c": "3"}}}),
        },
        Case {
            name: "null for a missing key is ignored",
            kind: "Namespace",
            target: json!({"metadata": {"name": "n"}}),
            patch: json!({"metadata": {"labels": null}, "spec": null}),
            want: json!({"metadata": {"name": "n"}}),
        },
        Case {
            name: "scalar and type changes replace",
            kind: "ConfigMap",
            target: json!({"data": {"a": "1"}, "binaryData": "x", "immutable": false}),
            patch: json!({"data": {"a": "2"}, "binaryData": {"k": "dg=="}, "immutable": true}),
            want: json!({"data": {"a": "2"}, "binaryData": {"k": "dg=="}, "immutable": true}),
        },
        Case {
            name: "new subtree drops nulls and resolves directives",
            kind: "Pod",
            target: json!({"metadata": {"name": "p"}}),
            patch: json!({"spec": {"nodeName": null, "containers": [
                {"name": "a", "image": "x", "args": null},
                {"name": "b", "$patch": "delete"}]}}),
            want: json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}),
        },
        Case {
            name: "empty patch",
            kind: "Pod",
            target: json!({"metadata": {"name": "p"}}),
            patch: json!({}),
            want: json!({"metadata": {"name": "p"}}),
        },
    ]);
}

#[test]
fn patch_directive_on_maps() {
    run(vec![
        Case {
            name: "replace a map",
            kind: "Deployment",
            target: json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
            patch: json!({"metadata": {"labels": {"$patch": "replace", "c": "3", "d": null}}}),
            want: json!({"metadata": {"labels": {"c": "3"}}}),
        },
        Case {
            name: "delete a map leaves it empty",
            kind: "Deployment",
            target: json!({"spec": {"selector": {"matchLabels": {"a": "1"}}, "replicas": 1}}),
            patch: json!({"spec": {"selector": {"$patch": "delete"}}}),
            want: json!({"spec": {"selector": {}, "replicas": 1}}),
        },
        Case {
            name: "replace the whole object",
            kind: "Pod",
            target: json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n"}}),
            patch: json!({"$patch": "replace", "metadata": {"name": "q"}}),
            want: json!({"metadata": {"name": "q"}}),
        },
        Case {
            name: "replace a map that did not exist",
            kind: "Pod",
            target: json!({"metadata": {"name": "p"}}),
            patch: json!({"metadata": {"labels": {"$patch": "replace", "a": "1"}}}),
            want: json!({"metadata": {"name": "p", "labels": {"a": "1"}}}),
        },
    ]);
}

#[test]
fn keyed_lists_of_containers() {
    let base = || {
        pod_spec(json!({"containers": [
        {"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent"},
        {"name": "b", "image": "b:1"}]}))
    };
    run(vec![
        Case {
            name: "change one element, keep server fields",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": [{"name": "a", "image": "a:2"}]}}),
            want: pod_spec(json!({"containers": [
                {"name": "a", "image": "a:2", "imagePullPolicy": "IfNotPresent"},
                {"name": "b", "image": "b:1"}]})),
        },
        Case {
            // Without $setElementOrder apimachinery puts new patch elements first.
            name: "new element without order goes first",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": [{"name": "c", "image": "c:1"}]}}),
            want: pod_spec(json!({"containers": [
                {"name": "c", "image": "c:1"},
                {"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent"},
                {"name": "b", "image": "b:1"}]})),
        },
        Case {
            name: "new element placed by $setElementOrder",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {
                "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "containers": [{"name": "c", "image": "c:1"}]}}),
            want: pod_spec(json!({"containers": [
                {"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent"},
                {"name": "b", "image": "b:1"},
                {"name": "c", "image": "c:1"}]})),
        },
        Case {
            name: "$setElementOrder alone reorders",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}),
            want: pod_spec(json!({"containers": [
                {"name": "b", "image": "b:1"},
                {"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent"}]})),
        },
        Case {
            name: "server-only elements keep their place",
            kind: "Pod",
            target: pod_spec(json!({"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]})),
            patch: json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}),
            want: pod_spec(json!({"containers": [{"name": "x"}, {"name": "b"}, {"name": "a"}]})),
        },
        Case {
            name: "$patch: delete removes an element",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
            want: pod_spec(json!({"containers": [{"name": "b", "image": "b:1"}]})),
        },
        Case {
            name: "deleting a missing element is a no-op",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": [{"name": "zz", "$patch": "delete"}]}}),
            want: base(),
        },
        Case {
            name: "$patch: replace element replaces the list",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "z", "image": "z:1", "args": null}]}}),
            want: pod_spec(json!({"containers": [{"name": "z", "image": "z:1"}]})),
        },
        Case {
            name: "an empty patch list changes nothing",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": []}}),
            want: base(),
        },
        Case {
            name: "null removes the whole list",
            kind: "Pod",
            target: base(),
            patch: json!({"spec": {"containers": null}}),
            want: pod_spec(json!({})),
        },
        Case {
            name: "lists without merge key are replaced",
            kind: "Pod",
            target: pod_spec(
                json!({"tolerations": [{"key": "a"}], "containers": [{"name": "a", "args": ["x", "y"]}]}),
            ),
            patch: json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "a", "args": ["z"]}]}}),
            want: pod_spec(
                json!({"tolerations": [{"key": "b"}], "containers": [{"name": "a", "args": ["z"]}]}),
            ),
        },
    ]);
}

#[test]
fn primitive_lists() {
    let meta = |f: Value| json!({"metadata": {"name": "x", "finalizers": f}});
    run(vec![
        Case {
            name: "finalizers merge as a set",
            kind: "Namespace",
            target: meta(json!(["a", "b"])),
            patch: json!({"metadata": {"finalizers": ["c", "a"]}}),
            want: meta(json!(["c", "a", "b"])),
        },
        Case {
            name: "$deleteFromPrimitiveList removes values",
            kind: "Deployment",
            target: meta(json!(["a", "b", "c"])),
            patch: json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zz"]}}),
            want: meta(json!(["a", "c"])),
        },
        Case {
            name: "$deleteFromPrimitiveList on a missing list",
            kind: "Deployment",
            target: json!({"metadata": {"name": "x"}}),
            patch: json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
            want: json!({"metadata": {"name": "x"}}),
        },
        Case {
            name: "$setElementOrder with additions and deletions",
            kind: "Service",
            target: meta(json!(["a", "b", "c"])),
            patch: json!({"metadata": {
                "$setElementOrder/finalizers": ["c", "a", "d"],
                "$deleteFromPrimitiveList/finalizers": ["b"],
                "finalizers": ["d"]}}),
            want: meta(json!(["c", "a", "d"])),
        },
        Case {
            name: "unknown kind replaces finalizers",
            kind: "Gateway",
            target: meta(json!(["a", "b"])),
            patch: json!({"metadata": {"finalizers": ["c"]}}),
            want: meta(json!(["c"])),
        },
    ]);
}

#[test]
fn retain_keys() {
    run(vec![
        Case {
            name: "Deployment strategy switch clears rollingUpdate",
            kind: "Deployment",
            target: json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}}}}),
            patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            want: json!({"spec": {"strategy": {"type": "Recreate"}}}),
        },
        Case {
            name: "volume source switch",
            kind: "Pod",
            target: pod_spec(json!({"volumes": [
                {"name": "v", "configMap": {"name": "cm", "defaultMode": 420}},
                {"name": "w", "emptyDir": {}}]})),
            patch: json!({"spec": {"volumes": [
                {"name": "v", "$retainKeys": ["name", "secret"], "secret": {"secretName": "s"}, "configMap": null}]}}),
            want: pod_spec(json!({"volumes": [
                {"name": "v", "secret": {"secretName": "s"}},
                {"name": "w", "emptyDir": {}}]})),
        },
        Case {
            name: "listed keys merge",
            kind: "Deployment",
            target: json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}}),
            patch: json!({"spec": {"strategy": {"$retainKeys": ["type", "rollingUpdate"], "rollingUpdate": {"maxSurge": 2}}}}),
            want: json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 1}}}}),
        },
    ]);
}
