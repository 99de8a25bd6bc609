//! Table tests for the Endpoints controller's decision.

use super::*;
use serde_json::json;

fn svc(extra_spec: Value) -> Value {
    let mut s = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": {"app": "web"},
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}
    });
    if let (Some(spec), Some(extra)) = (
        s.get_mut("spec").and_then(Value::as_object_mut),
        extra_spec.as_object(),
    ) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    s
}

fn pod(name: &str, ready: bool, host_ports: Option<&str>) -> Value {
    let mut p = json!({
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"),
                     "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "ports": [{"name": "web", "containerPort": 8080}]}]},
        "status": {"phase": "Running",
                   "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
    });
    if let Some(hp) = host_ports {
        p["metadata"]["annotations"] = json!({HOST_PORTS_ANNOTATION: hp});
    }
    p
}

fn addr(name: &str) -> Value {
    json!({"ip": "127.0.0.1", "nodeName": "meshlite",
           "targetRef": {"kind": "Pod", "namespace": "default", "name": name, "uid": format!("uid-{name}")}})
}

/// `v` with the field at `pointer` set (its parent object must exist).
fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    if let Some(obj) = v.pointer_mut(parent).and_then(Value::as_object_mut) {
        obj.insert(key.to_string(), value);
    }
    v
}

#[test]
fn endpoints_table() {
    let http = |port: u64| json!([{"name": "http", "port": port, "protocol": "TCP"}]);
    let meta = json!({"name": "web", "namespace": "default", "labels": {"app": "web"}});
    let cases: Vec<(&str, Value, Vec<Value>, Option<Value>)> = vec![
        (
            "no selector",
            with(svc(json!({})), "/spec/selector", Value::Null),
            vec![pod("a", true, Some(r#"{"8080":30001}"#))],
            None,
        ),
        ("empty selector", svc(json!({"selector": {}})), vec![], None),
        (
            "no pods: no subsets key",
            svc(json!({})),
            vec![],
            Some(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta})),
        ),
        (
            "one ready pod publishes its host port",
            svc(json!({})),
            vec![pod("a", true, Some(r#"{"8080":30001}"#))],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                     "subsets": [{"addresses": [addr("a")], "ports": http(30001)}]}),
            ),
        ),
        (
            "not ready pod goes to notReadyAddresses",
            svc(json!({})),
            vec![pod("a", false, Some(r#"{"8080":30001}"#))],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                     "subsets": [{"notReadyAddresses": [addr("a")], "ports": http(30001)}]}),
            ),
        ),
        (
            "publishNotReadyAddresses makes it ready",
            svc(json!({"publishNotReadyAddresses": true})),
            vec![pod("a", false, Some(r#"{"8080":30001}"#))],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                     "subsets": [{"addresses": [addr("a")], "ports": http(30001)}]}),
            ),
        ),
        (
            "pod without host ports is left out",
            svc(json!({})),
            vec![pod("a", true, None)],
            Some(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta})),
        ),
        (
            "terminating, finished, other namespace and unmatched pods are left out",
            svc(json!({})),
            vec![
                with(
                    pod("t", true, Some(r#"{"8080":1}"#)),
                    "/metadata/deletionTimestamp",
                    json!("2024-01-01T00:00:00Z"),
                ),
                with(
                    pod("s", true, Some(r#"{"8080":2}"#)),
                    "/status/phase",
                    json!("Succeeded"),
                ),
                with(
                    pod("f", true, Some(r#"{"8080":3}"#)),
                    "/status/phase",
                    json!("Failed"),
                ),
                with(
                    pod("n", true, Some(r#"{"8080":4}"#)),
                    "/metadata/namespace",
                    json!("other"),
                ),
                with(
                    pod("l", true, Some(r#"{"8080":5}"#)),
                    "/metadata/labels",
                    json!({"app": "db"}),
                ),
            ],
            Some(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta})),
        ),
        (
            "terminating pod kept when publishing not-ready",
            svc(json!({"publishNotReadyAddresses": true})),
            vec![with(
                pod("t", true, Some(r#"{"8080":30001}"#)),
                "/metadata/deletionTimestamp",
                json!("2024-01-01T00:00:00Z"),
            )],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                     "subsets": [{"addresses": [addr("t")], "ports": http(30001)}]}),
            ),
        ),
        (
            "pods with different host ports get separate subsets, sorted by name",
            svc(json!({})),
            vec![
                pod("b", true, Some(r#"{"8080":30002}"#)),
                pod("a", false, Some(r#"{"8080":30001}"#)),
            ],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": [
                   {"notReadyAddresses": [addr("a")], "ports": http(30001)},
                   {"addresses": [addr("b")], "ports": http(30002)},
                ]}),
            ),
        ),
        (
            "pods with identical port lists share a subset",
            svc(json!({})),
            vec![
                pod("b", true, Some(r#"{"8080":30001}"#)),
                pod("a", true, Some(r#"{"8080":30001}"#)),
                pod("c", false, Some(r#"{"8080":30001}"#)),
            ],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": [
                   {"addresses": [addr("a"), addr("b")], "notReadyAddresses": [addr("c")], "ports": http(30001)},
                ]}),
            ),
        ),
        (
            "named targetPort, default protocol and unnamed port",
            svc(json!({"ports": [{"port": 80, "targetPort": "web"}]})),
            vec![pod("a", true, Some(r#"{"8080":30001}"#))],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                     "subsets": [{"addresses": [addr("a")], "ports": [{"port": 30001, "protocol": "TCP"}]}]}),
            ),
        ),
        (
            "unknown named targetPort: pod left out",
            svc(json!({"ports": [{"port": 80, "targetPort": "nope"}]})),
            vec![pod("a", true, Some(r#"{"8080":30001}"#))],
            Some(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta})),
        ),
        (
            "targetPort defaults to port",
            svc(json!({"ports": [{"name": "http", "port": 8080}]})),
            vec![pod("a", true, Some(r#"{"8080":30001}"#))],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                     "subsets": [{"addresses": [addr("a")], "ports": http(30001)}]}),
            ),
        ),
        (
            "only mapped ports are published",
            svc(json!({"ports": [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "admin", "port": 9000, "targetPort": 9000, "appProtocol": "http"}]})),
            vec![
                pod("a", true, Some(r#"{"8080":30001}"#)),
                pod("b", true, Some(r#"{"8080":30002,"9000":30003}"#)),
            ],
            Some(
                json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": [
                   {"addresses": [addr("a")], "ports": http(30001)},
                   {"addresses": [addr("b")], "ports": [
                       {"name": "http", "port": 30002, "protocol": "TCP"},
                       {"name": "admin", "port": 30003, "protocol": "TCP", "appProtocol": "http"}]},
                ]}),
            ),
        ),
        (
            "headless without ports publishes port-less addresses",
            svc(json!({"clusterIP": "None", "ports": []})),
            vec![pod("a", true, Some(r#"{}"#))],
            Some(json!({"apiVersion": "v1", "kind": "Endpoints",
                     "metadata": {"name": "web", "namespace": "default",
                                  "labels": {"app": "web", HEADLESS_LABEL: ""}},
                     "subsets": [{"addresses": [addr("a")]}]})),
        ),
        (
            "malformed host-ports annotation: left out",
            svc(json!({})),
            vec![pod("a", true, Some("not json"))],
            Some(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta})),
        ),
    ];
    for (name, service, pods, want) in cases {
        assert_eq!(endpoints_for(&service, &pods), want, "case: {name}");
    }
}

#[test]
fn hostname_published_when_subdomain_matches() {
    let mut p = pod("a", true, Some(r#"{"8080":30001}"#));
    if let Some(spec) = p.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("hostname".into(), json!("a0"));
        spec.insert("subdomain".into(), json!("web"));
    }
    let ep = endpoints_for(&svc(json!({})), &[p]);
    let hostname = ep
        .as_ref()
        .and_then(|e| e.pointer("/subsets/0/addresses/0/hostname"))
        .cloned();
    assert_eq!(hostname, Some(json!("a0")));
    // Key order follows Kubernetes' struct: ip, hostname, nodeName, targetRef.
    let keys: Vec<String> = ep
        .as_ref()
        .and_then(|e| e.pointer("/subsets/0/addresses/0"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["ip", "hostname", "nodeName", "targetRef"]);
}

#[test]
fn service_without_labels_has_no_labels_key() {
    let s = with(svc(json!({})), "/metadata/labels", Value::Null);
    let ep = endpoints_for(&s, &[]);
    assert_eq!(
        ep.and_then(|e| e.pointer("/metadata/labels").cloned()),
        None
    );
}
