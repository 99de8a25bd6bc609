//! Tests that every merge key of the schema merges by its key, and that unknown kinds replace.

use serde_json::{json, Value};

use super::super::schema::{keyed_lists, Merge};
use super::{at, pod_spec, run, Case};
use crate::patch::strategic;

#[test]
fn container_level_merge_keys() {
    // Every keyed list of a Container, in every container list of a PodSpec.
    let fields = [
        ("ports", "containerPort"),
        ("env", "name"),
        ("volumeMounts", "mountPath"),
        ("volumeDevices", "devicePath"),
    ];
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for (field, key) in fields {
            let target = pod_spec(
                json!({ list: [{"name": "c", field: [{key: "a", "x": 1}, {key: "b", "x": 2}]}] }),
            );
            let patch = json!({"spec": { list: [{"name": "c", field: [{key: "b", "y": 3}, {key: "a", "$patch": "delete"}]}] }});
            let want =
                pod_spec(json!({ list: [{"name": "c", field: [{key: "b", "x": 2, "y": 3}]}] }));
            run(vec![Case {
                name: "container list",
                kind: "Pod",
                target,
                patch,
                want,
            }]);
        }
    }
    // resizePolicy is atomic (`+listType=atomic`, no patch strategy).
    run(vec![Case {
        name: "resizePolicy replaced",
        kind: "Pod",
        target: pod_spec(
            json!({"containers": [{"name": "c", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}]}]}),
        ),
        patch: json!({"spec": {"containers": [{"name": "c", "resizePolicy": [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]}]}}),
        want: pod_spec(
            json!({"containers": [{"name": "c", "resizePolicy": [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]}]}),
        ),
    }]);
    // Numeric merge keys match numerically.
    run(vec![Case {
        name: "containerPort numbers",
        kind: "Pod",
        target: pod_spec(
            json!({"containers": [{"name": "c", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}),
        ),
        patch: json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80.0, "name": "http"}]}]}}),
        // Matched numerically; the patch's own value of the key is what ends up stored.
        want: pod_spec(
            json!({"containers": [{"name": "c", "ports": [{"containerPort": 80.0, "protocol": "TCP", "name": "http"}]}]}),
        ),
    }]);
}

#[test]
fn every_schema_list_merges_and_unknown_kinds_replace() {
    let lists = keyed_lists();
    assert!(
        lists.len() > 30,
        "schema walk found only {} lists",
        lists.len()
    );
    for (kind, path, merge) in lists {
        let name = format!("{kind} {}", path.join("."));
        let (target, patch, merged) = match merge {
            Merge::ByKey(key) => (
                json!([{key: "a", "x": 1}, {key: "b", "x": 2}]),
                json!([{key: "b", "y": 3}]),
                json!([{key: "a", "x": 1}, {key: "b", "x": 2, "y": 3}]),
            ),
            Merge::Set => (json!(["a", "b"]), json!(["c", "a"]), json!(["c", "a", "b"])),
            Merge::Replace => unreachable!("walk lists merged fields only"),
        };
        let got = strategic(&at(&path, target.clone()), &at(&path, patch.clone()), kind)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, at(&path, merged), "{name}");
        // Without a schema the same patch replaces the list.
        let got = strategic(&at(&path, target), &at(&path, patch.clone()), "Unknown")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, at(&path, patch), "{name} (unknown kind)");
    }
}

#[test]
fn merge_keys_of_kinds() {
    let template =
        |spec: Value| json!({"template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}});
    run(vec![
        Case {
            name: "Deployment template env by name",
            kind: "Deployment",
            target: json!({"spec": template(json!({"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}))}),
            patch: json!({"spec": {"template": {"spec": {"containers": [{"name": "c",
                "$setElementOrder/env": [{"name": "A"}], "env": [{"name": "B", "$patch": "delete"}]}]}}}}),
            want: json!({"spec": template(json!({"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}]}]}))}),
        },
        Case {
            name: "CronJob job template containers",
            kind: "CronJob",
            target: json!({"spec": {"jobTemplate": {"spec": template(json!({"containers": [{"name": "c", "image": "1"}, {"name": "d"}]}))}}}),
            patch: json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "2"}]}}}}}}),
            want: json!({"spec": {"jobTemplate": {"spec": template(json!({"containers": [{"name": "c", "image": "2"}, {"name": "d"}]}))}}}),
        },
        Case {
            name: "PodTemplate template containers and template finalizers",
            kind: "PodTemplate",
            target: json!({"template": {"metadata": {"finalizers": ["a"]}, "spec": {"containers": [{"name": "c", "image": "1"}, {"name": "d"}]}}}),
            patch: json!({"template": {"metadata": {"finalizers": ["b"]}, "spec": {"containers": [{"name": "d", "image": "2"}]}}}),
            want: json!({"template": {"metadata": {"finalizers": ["b", "a"]}, "spec": {"containers": [{"name": "c", "image": "1"}, {"name": "d", "image": "2"}]}}}),
        },
        Case {
            name: "Service ports by port keep allocated fields",
            kind: "Service",
            target: json!({"spec": {"ports": [
                {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30080},
                {"name": "https", "port": 443, "protocol": "TCP", "nodePort": 30443}]}}),
            patch: json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
            want: json!({"spec": {"ports": [
                {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP", "nodePort": 30080},
                {"name": "https", "port": 443, "protocol": "TCP", "nodePort": 30443}]}}),
        },
        Case {
            name: "Pod conditions by type",
            kind: "Pod",
            target: json!({"status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}, {"type": "Scheduled", "status": "True"}]}}),
            patch: json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}),
            want: json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}, {"type": "Scheduled", "status": "True"}]}}),
        },
        Case {
            name: "ownerReferences by uid",
            kind: "ReplicaSet",
            target: json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}, {"uid": "2", "name": "b"}]}}),
            patch: json!({"metadata": {"ownerReferences": [{"uid": "2", "controller": true}, {"uid": "1", "$patch": "delete"}]}}),
            want: json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b", "controller": true}]}}),
        },
        Case {
            name: "unknown kind: lists replaced, directives dropped",
            kind: "VirtualService",
            target: json!({"spec": {"hosts": ["a"], "http": [{"name": "r", "timeout": "1s"}]}}),
            patch: json!({"spec": {"$setElementOrder/http": [{"name": "r"}], "$retainKeys": ["hosts", "http"],
                "http": [{"name": "r", "retries": {"attempts": 3}}]}}),
            want: json!({"spec": {"hosts": ["a"], "http": [{"name": "r", "retries": {"attempts": 3}}]}}),
        },
    ]);
}
