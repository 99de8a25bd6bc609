//! Table-driven tests of validation: valid objects pass, each rule fails with kube's (or
//! istiod's) field path and message, unknown fields and type errors are found.

mod apps_kinds;
mod core_kinds;
mod decoding;
mod fixtures;
mod istio_policies;
mod istio_routing;
mod names;
mod robustness;

use serde_json::{json, Value};

use super::{validate, Reason, Report};

/// One expectation: a cause at `field` whose message equals `message`.
type Want = (&'static str, Reason, &'static str);

/// A validation case: an object (built from a valid base by `edit`) and what must be reported.
struct Case {
    name: &'static str,
    group: &'static str,
    kind: &'static str,
    obj: Value,
    want: Vec<Want>,
}

/// Sets `value` at a JSON pointer, creating objects on the way (`/a/b/0/c`).
fn set(mut obj: Value, pointer: &str, value: Value) -> Value {
    let mut cur = &mut obj;
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        cur = match cur {
            Value::Array(items) => {
                let idx: usize = part.parse().expect("array index in pointer");
                &mut items[idx]
            }
            Value::Object(map) => {
                if last {
                    map.insert((*part).to_string(), value);
                    return obj;
                }
                map.entry((*part).to_string()).or_insert_with(|| json!({}))
            }
            other => panic!("cannot descend into {other} at {part} of {pointer}"),
        };
        if last {
            *cur = value;
            return obj;
        }
    }
    obj
}

/// Removes the value at a JSON pointer.
fn remove(mut obj: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
    match obj.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(key);
        }
        Some(Value::Array(items)) => {
            items.remove(key.parse::<usize>().expect("array index"));
        }
        _ => panic!("nothing at {parent}"),
    }
    obj
}

fn render(report: &Report) -> String {
    let mut out: Vec<String> = report
        .causes
        .iter()
        .map(|c| format!("  {} [{}] {}", c.field, c.reason.as_str(), c.message))
        .collect();
    if let Some(e) = &report.decode_error {
        out.push(format!("  decode error: {e}"));
    }
    out.join("\n")
}

/// Runs cases: every wanted cause must be reported (exactly, field and message), and a
/// case that wants nothing must produce a clean report.
fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let report = validate(case.group, case.kind, &case.obj);
        if case.want.is_empty() {
            if !report.is_valid() || !report.unknown_fields.is_empty() {
                failures.push(format!(
                    "{}: expected a clean report, got:\n{}\n  unknown: {:?}",
                    case.name,
                    render(&report),
                    report.unknown_fields
                ));
            }
            continue;
        }
        for (field, reason, message) in &case.want {
            let found = report
                .causes
                .iter()
                .any(|c| c.field == *field && c.reason == *reason && c.message == *message);
            if !found {
                failures.push(format!(
                    "{}: missing `{field}` [{}] {message}\n got:\n{}",
                    case.name,
                    reason.as_str(),
                    render(&report)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A valid Deployment (the shape of the Istio samples).
fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "reviews-v1", "namespace": "default", "labels": {"app": "reviews", "version": "v1"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "reviews", "version": "v1"}},
            "template": {
                "metadata": {"labels": {"app": "reviews", "version": "v1"}, "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {
                    "serviceAccountName": "bookinfo-reviews",
                    "containers": [{
                        "name": "reviews",
                        "image": "docker.io/istio/examples-bookinfo-reviews-v1:1.20.3",
                        "imagePullPolicy": "IfNotPresent",
                        "env": [{"name": "LOG_DIR", "value": "/tmp/logs"}],
                        "ports": [{"containerPort": 9080, "name": "http"}],
                        "resources": {"requests": {"cpu": "100m", "memory": 128}, "limits": {"cpu": 1}},
                        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 5},
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        "securityContext": {"runAsUser": 1000}
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}}]
                }
            }
        }
    })
}

/// A valid Service.
fn service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "reviews", "labels": {"app": "reviews", "service": "reviews"}},
        "spec": {"ports": [{"port": 9080, "name": "http", "targetPort": 9080}], "selector": {"app": "reviews"}}
    })
}

/// A valid Pod.
fn pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "curl", "namespace": "default"},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "curl", "image": "curlimages/curl", "command": ["/bin/sleep", "infinity"]}]
        }
    })
}
