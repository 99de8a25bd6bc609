//! A simulated API server and kubectl apply for the three-way tests: server defaults, object
//! creation and one apply run (patch computed, sent, applied, re-defaulted).

use serde_json::{json, Value};

use super::has_dollar_key;
use crate::patch::{
    is_empty, merge, modified_configuration, original_configuration, strategic, three_way,
    Strategy, LAST_APPLIED_ANNOTATION,
};

/// Set `key` to `value` in `map` unless it is present.
fn default(map: &mut Value, key: &str, value: Value) {
    if let Some(m) = map.as_object_mut() {
        m.entry(key).or_insert(value);
    }
}

fn each(v: &mut Value, pointer: &str, f: impl Fn(usize, &mut Value)) {
    if let Some(Value::Array(items)) = v.pointer_mut(pointer) {
        items
            .iter_mut()
            .enumerate()
            .for_each(|(i, item)| f(i, item));
    }
}

/// What the API server adds to the objects used here (a deterministic subset of the real
/// defaults and allocations).
pub(super) fn server_defaults(obj: &mut Value) {
    if let Some(meta) = obj.get_mut("metadata") {
        default(meta, "uid", json!("0f9a7c4e-uid"));
        default(meta, "resourceVersion", json!("42"));
        default(meta, "generation", json!(1));
        default(meta, "creationTimestamp", json!("2024-05-01T10:00:00Z"));
    }
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let pod_spec = match kind.as_str() {
        "Deployment" => "/spec/template/spec",
        "Pod" => "/spec",
        _ => "",
    };
    if kind == "Deployment" {
        if let Some(spec) = obj.get_mut("spec") {
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "progressDeadlineSeconds", json!(600));
            default(spec, "strategy", json!({"type": "RollingUpdate"}));
            if let Some(s) = spec.get_mut("strategy") {
                if s.get("type") == Some(&json!("RollingUpdate")) {
                    default(
                        s,
                        "rollingUpdate",
                        json!({"maxSurge": "25%", "maxUnavailable": "25%"}),
                    );
                }
            }
        }
        default(
            obj,
            "status",
            json!({"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}),
        );
    }
    if !pod_spec.is_empty() {
        if let Some(spec) = obj.pointer_mut(pod_spec) {
            default(spec, "restartPolicy", json!("Always"));
            default(spec, "dnsPolicy", json!("ClusterFirst"));
            default(spec, "terminationGracePeriodSeconds", json!(30));
            default(spec, "securityContext", json!({}));
        }
        each(obj, &format!("{pod_spec}/containers"), |_, c| {
            default(c, "imagePullPolicy", json!("IfNotPresent"));
            default(c, "terminationMessagePath", json!("/dev/termination-log"));
            default(c, "terminationMessagePolicy", json!("File"));
            default(c, "resources", json!({}));
            each(c, "/ports", |_, p| default(p, "protocol", json!("TCP")));
        });
        each(obj, &format!("{pod_spec}/volumes"), |_, v| {
            if let Some(cm) = v.get_mut("configMap") {
                default(cm, "defaultMode", json!(420));
            }
        });
    }
    if kind == "Service" {
        let node_port = obj.pointer("/spec/type") == Some(&json!("NodePort"));
        if let Some(spec) = obj.get_mut("spec") {
            default(spec, "type", json!("ClusterIP"));
            default(spec, "clusterIP", json!("10.96.0.10"));
            default(spec, "clusterIPs", json!(["10.96.0.10"]));
            default(spec, "sessionAffinity", json!("None"));
            default(spec, "ipFamilies", json!(["IPv4"]));
        }
        each(obj, "/spec/ports", |i, p| {
            default(p, "protocol", json!("TCP"));
            let port = p.get("port").cloned().unwrap_or(Value::Null);
            default(p, "targetPort", port);
            if node_port {
                default(p, "nodePort", json!(30000 + i));
            }
        });
        default(obj, "status", json!({"loadBalancer": {}}));
    }
}

/// The live object after `kubectl apply` created `manifest`.
pub(super) fn created(manifest: &Value) -> Value {
    let mut live = modified_configuration(manifest).expect("modified");
    server_defaults(&mut live);
    live
}

/// One `kubectl apply` of `manifest` against `live`: the patch sent and the resulting object.
pub(super) fn apply(manifest: &Value, live: &Value, strategy: Strategy<'_>) -> (Value, Value) {
    let modified = modified_configuration(manifest).expect("modified");
    let original = original_configuration(live).expect("original");
    let patch = three_way(original.as_ref(), &modified, live, strategy).expect("three_way");
    if strategy == Strategy::JsonMerge {
        assert!(
            !has_dollar_key(&patch),
            "directive in a merge patch: {patch}"
        );
    }
    let mut result = match strategy {
        Strategy::Strategic { kind } => strategic(live, &patch, kind).expect("strategic"),
        Strategy::JsonMerge => {
            let mut v = live.clone();
            merge(&mut v, &patch);
            v
        }
    };
    assert!(!has_dollar_key(&result), "directive stored: {result}");
    server_defaults(&mut result);
    (patch, result)
}

/// The patch without the last-applied annotation (and the maps it leaves empty).
pub(super) fn strip_annotation(patch: &Value) -> Value {
    let mut p = patch.clone();
    if let Some(a) = p
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.shift_remove(LAST_APPLIED_ANNOTATION);
        if a.is_empty() {
            if let Some(m) = p.get_mut("metadata").and_then(Value::as_object_mut) {
                m.shift_remove("annotations");
                if m.is_empty() {
                    p.as_object_mut().map(|o| o.shift_remove("metadata"));
                }
            }
        }
    }
    p
}

pub(super) fn deployment(containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web", "tier": "frontend"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}
        }
    })
}

pub(super) fn nginx() -> Value {
    json!({"name": "nginx", "image": "nginx:1.15", "ports": [{"containerPort": 80}],
           "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]})
}

pub(super) fn edit(mut v: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut v);
    v
}

pub(super) fn set(v: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = value;
    }
}

pub(super) struct Case {
    pub name: &'static str,
    pub before: Value,
    pub after: Value,
    /// Expected patch, without the last-applied annotation.
    pub patch: Value,
}

/// Apply `before`, then `after`; check the patch, the result (which must equal a fresh
/// creation of `after`, server fields included) and that re-applying is a no-op.
pub(super) fn run(kind: &str, cases: Vec<Case>) {
    let strategy = Strategy::Strategic { kind };
    for c in cases {
        let live = created(&c.before);
        let (noop, _) = apply(&c.before, &live, strategy);
        assert!(
            is_empty(&noop),
            "{}: re-applying the same manifest sent {noop}",
            c.name
        );
        let (patch, result) = apply(&c.after, &live, strategy);
        assert_eq!(strip_annotation(&patch), c.patch, "{}: patch", c.name);
        assert_eq!(result, created(&c.after), "{}: result", c.name);
        let (again, _) = apply(&c.after, &result, strategy);
        assert!(is_empty(&again), "{}: second apply sent {again}", c.name);
    }
}
