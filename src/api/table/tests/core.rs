//! Namespaces, config maps, secrets, service accounts and events.

use serde_json::{json, Value};

use super::{ago, cells, column_names, table};

fn named(extra: Value) -> Value {
    let mut obj =
        json!({"metadata": {"name": "x", "namespace": "demo", "creationTimestamp": ago(30)}});
    if let (Some(o), Some(e)) = (obj.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    obj
}

#[test]
fn simple_kinds() {
    let cases: Vec<(&str, Value, Vec<&str>, Vec<Value>)> = vec![
        (
            "namespaces",
            named(json!({"status": {"phase": "Active"}})),
            vec!["Name", "Status", "Age"],
            vec![json!("x"), json!("Active"), json!("30s")],
        ),
        (
            "namespaces",
            named(json!({"status": {"phase": "Terminating"}})),
            vec!["Name", "Status", "Age"],
            vec![json!("x"), json!("Terminating"), json!("30s")],
        ),
        (
            "namespaces",
            named(json!({})),
            vec!["Name", "Status", "Age"],
            vec![json!("x"), json!("Active"), json!("30s")],
        ),
        (
            "configmaps",
            named(json!({"data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}})),
            vec!["Name", "Data", "Age"],
            vec![json!("x"), json!(3), json!("30s")],
        ),
        (
            "configmaps",
            named(json!({})),
            vec!["Name", "Data", "Age"],
            vec![json!("x"), json!(0), json!("30s")],
        ),
        (
            "secrets",
            named(json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}})),
            vec!["Name", "Type", "Data", "Age"],
            vec![
                json!("x"),
                json!("kubernetes.io/tls"),
                json!(2),
                json!("30s"),
            ],
        ),
        (
            "secrets",
            named(json!({"data": {"a": "YQ=="}, "stringData": {"a": "a", "b": "b"}})),
            vec!["Name", "Type", "Data", "Age"],
            vec![json!("x"), json!("Opaque"), json!(2), json!("30s")],
        ),
        (
            "serviceaccounts",
            named(json!({"secrets": [{"name": "t1"}, {"name": "t2"}]})),
            vec!["Name", "Secrets", "Age"],
            vec![json!("x"), json!(2), json!("30s")],
        ),
        (
            "serviceaccounts",
            named(json!({})),
            vec!["Name", "Secrets", "Age"],
            vec![json!("x"), json!(0), json!("30s")],
        ),
        (
            "leases",
            named(json!({})),
            vec!["Name", "Age"],
            vec![json!("x"), json!("30s")],
        ),
    ];
    for (resource, obj, columns, want) in cases {
        assert_eq!(column_names(resource), columns, "{resource}");
        assert_eq!(cells(resource, &obj), want, "{resource} {obj}");
    }
}

#[test]
fn event_columns() {
    assert_eq!(
        column_names("events"),
        [
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "Subobject",
            "Source",
            "Message",
            "First Seen",
            "Count",
            "Name"
        ]
    );
    let t = table("events", &json!({}));
    let cols = t["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let wide: Vec<&str> = cols
        .iter()
        .filter(|c| c["priority"] == json!(1))
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(wide, ["Subobject", "Source", "First Seen", "Count", "Name"]);
    let named: Vec<&str> = cols
        .iter()
        .filter(|c| c["format"] == json!("name"))
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(named, ["Name"]);
}

#[test]
fn event_cells() {
    let event = |extra: Value| {
        let mut e = json!({
            "metadata": {"name": "web.17c", "namespace": "demo", "creationTimestamp": ago(600)},
            "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
            "type": "Normal", "reason": "Pulled", "message": "  Successfully pulled image \"nginx\"\n",
        });
        if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
            for (k, v) in x {
                o.insert(k.clone(), v.clone());
            }
        }
        e
    };
    let cases: Vec<(Value, [Value; 10])> = vec![
        (
            event(
                json!({"firstTimestamp": ago(600), "lastTimestamp": ago(60), "count": 4,
                      "source": {"component": "kubelet", "host": "laptop"}}),
            ),
            [
                json!("60s"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web"),
                json!("spec.containers{app}"),
                json!("kubelet, laptop"),
                json!("Successfully pulled image \"nginx\""),
                json!("10m"),
                json!(4),
                json!("web.17c"),
            ],
        ),
        (
            event(
                json!({"eventTime": "2024-05-01T11:58:00.000000Z", "reportingComponent": "meshlite",
                      "reportingInstance": "node-1"}),
            ),
            [
                json!("2m"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web"),
                json!("spec.containers{app}"),
                json!("meshlite, node-1"),
                json!("Successfully pulled image \"nginx\""),
                json!("2m"),
                json!(1),
                json!("web.17c"),
            ],
        ),
        (
            event(
                json!({"eventTime": ago(600), "series": {"count": 7, "lastObservedTime": ago(5)},
                      "source": {"component": "scheduler"}, "involvedObject": {"kind": "Namespace"}}),
            ),
            [
                json!("5s"),
                json!("Normal"),
                json!("Pulled"),
                json!("namespace"),
                json!(""),
                json!("scheduler"),
                json!("Successfully pulled image \"nginx\""),
                json!("10m"),
                json!(7),
                json!("web.17c"),
            ],
        ),
        (
            event(json!({})),
            [
                json!("<unknown>"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web"),
                json!("spec.containers{app}"),
                json!(""),
                json!("Successfully pulled image \"nginx\""),
                json!("<unknown>"),
                json!(1),
                json!("web.17c"),
            ],
        ),
    ];
    for (obj, want) in cases {
        assert_eq!(cells("events", &obj), want.to_vec(), "{obj}");
    }
}
