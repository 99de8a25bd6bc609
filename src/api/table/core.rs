//! Printers for namespaces, config maps, secrets, service accounts and events.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::duration::{age, since};
use super::{array_at, at, int_at, map_len, name_cell, str_at, Column, Printer, Row, AGE, NAME};

/// Columns of `kubectl get namespaces`.
pub(crate) fn namespaces() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Status", "The status of the namespace"),
            AGE,
        ],
        row: Box::new(|ns, now| {
            // A namespace is Active from creation on; the apiserver sets the phase itself.
            let phase = match str_at(ns, &["status", "phase"]) {
                "" => "Active",
                p => p,
            };
            Row::cells(vec![
                name_cell(ns),
                Value::String(phase.to_string()),
                Value::String(age(ns, now)),
            ])
        }),
    }
}

/// Columns of `kubectl get configmaps`.
pub(crate) fn configmaps() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Data", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."),
            AGE,
        ],
        row: Box::new(|cm, now| {
            let data = map_len(cm, &["data"]) + map_len(cm, &["binaryData"]);
            Row::cells(vec![name_cell(cm), json!(data), Value::String(age(cm, now))])
        }),
    }
}

/// Columns of `kubectl get secrets`.
pub(crate) fn secrets() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Type", "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
            Column::text("Data", "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
            AGE,
        ],
        row: Box::new(|secret, now| {
            let ty = match str_at(secret, &["type"]) {
                "" => "Opaque",
                t => t,
            };
            Row::cells(vec![
                name_cell(secret),
                Value::String(ty.to_string()),
                json!(secret_keys(secret)),
                Value::String(age(secret, now)),
            ])
        }),
    }
}

/// The number of data keys; `stringData` is write-only and lands in `data` on a real server.
fn secret_keys(secret: &Value) -> usize {
    ["data", "stringData"]
        .iter()
        .filter_map(|field| secret.get(field).and_then(Value::as_object))
        .flat_map(|m| m.keys())
        .collect::<BTreeSet<_>>()
        .len()
}

/// Columns of `kubectl get serviceaccounts`.
pub(crate) fn serviceaccounts() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret"),
            AGE,
        ],
        row: Box::new(|sa, now| {
            let secrets = array_at(sa, &["secrets"]).len();
            Row::cells(vec![name_cell(sa), json!(secrets), Value::String(age(sa, now))])
        }),
    }
}

/// Columns of `kubectl get events`: no leading Name column, and wide adds several.
pub(crate) fn events() -> Printer {
    Printer {
        columns: vec![
            Column::text("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            Column::text("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
            Column::text("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            Column::text("Object", "The object that this event is about."),
            Column::text("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.").wide(),
            Column::text("Source", "The component reporting this event. Should be a short machine understandable string.").wide(),
            Column::text("Message", "A human-readable description of the status of this operation."),
            Column::text("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)").wide(),
            Column::text("Count", "The number of times this event has occurred.").wide(),
            Column { format: "name", ..Column::text("Name", super::NAME_DOC) }.wide(),
        ],
        row: Box::new(event_row),
    }
}

fn event_row(event: &Value, now: DateTime<Utc>) -> Row {
    let first = match str_at(event, &["firstTimestamp"]) {
        "" => since(str_at(event, &["eventTime"]), now),
        t => since(t, now),
    };
    let mut last = match str_at(event, &["lastTimestamp"]) {
        "" => first.clone(),
        t => since(t, now),
    };
    let mut count = int_at(event, &["count"]);
    if let Some(series) = at(event, &["series"]).filter(|s| s.is_object()) {
        last = since(str_at(series, &["lastObservedTime"]), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        // Events of the newer API that happened once carry no count.
        count = 1;
    }
    let kind = str_at(event, &["involvedObject", "kind"]).to_lowercase();
    let target = match str_at(event, &["involvedObject", "name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    Row::cells(vec![
        Value::String(last),
        Value::String(str_at(event, &["type"]).to_string()),
        Value::String(str_at(event, &["reason"]).to_string()),
        Value::String(target),
        Value::String(str_at(event, &["involvedObject", "fieldPath"]).to_string()),
        Value::String(event_source(event)),
        Value::String(str_at(event, &["message"]).trim().to_string()),
        Value::String(first),
        json!(count),
        name_cell(event),
    ])
}

/// `component, host`, falling back to the reporting controller and instance of newer events.
fn event_source(event: &Value) -> String {
    let first_set = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            a.to_string()
        }
    };
    let component = first_set(
        str_at(event, &["source", "component"]),
        str_at(event, &["reportingComponent"]),
    );
    let instance = first_set(
        str_at(event, &["source", "host"]),
        str_at(event, &["reportingInstance"]),
    );
    if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    }
}
