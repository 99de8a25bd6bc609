//! Events, written as Kubernetes components write them (`kubectl get events`, `describe`):
//! repeats of the same reason and message about the same object bump `count` and
//! `lastTimestamp` instead of piling up, as the client-go event recorder's aggregation does.

use crate::admission::Admission;
use crate::api::meta;
use crate::api::node::NODE_NAME;
use crate::api::resources;
use crate::store::{Change, Store};
use serde_json::{json, Value};

/// An Event's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

/// What an event says, and who says it.
#[derive(Debug, Clone, Copy)]
pub struct Note<'a> {
    pub kind: EventType,
    pub reason: &'a str,
    pub message: &'a str,
    /// The reporting component (`kubelet`, `deployment-controller`, …).
    pub component: &'a str,
    /// The part of the object meant (`spec.containers{httpbin}`).
    pub field_path: Option<&'a str>,
}

// === impl Note ===

impl<'a> Note<'a> {
    pub fn normal(component: &'a str, reason: &'a str, message: &'a str) -> Note<'a> {
        Note {
            kind: EventType::Normal,
            reason,
            message,
            component,
            field_path: None,
        }
    }

    pub fn warning(component: &'a str, reason: &'a str, message: &'a str) -> Note<'a> {
        Note {
            kind: EventType::Warning,
            ..Note::normal(component, reason, message)
        }
    }

    /// The same note about one part of the object.
    pub fn at(self, field_path: Option<&'a str>) -> Note<'a> {
        Note { field_path, ..self }
    }
}

/// Record an event about `about`.
pub async fn record(store: &Store, admission: &Admission, about: &Value, note: &Note<'_>) {
    let Note {
        kind,
        reason,
        message,
        component,
        field_path,
    } = *note;
    let ns = meta::namespace(about).unwrap_or("default");
    let uid = about
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let res = resources::core("events");
    let at = meta::now_rfc3339();
    // A repeat of an earlier event about the same object bumps that one. Names sort by time
    // (`<object>.<hex nanoseconds>`, as Kubernetes names them), so lists come out in order.
    let same = |e: &Value| {
        e.pointer("/involvedObject/uid").and_then(Value::as_str) == Some(uid)
            && e.get("reason").and_then(Value::as_str) == Some(reason)
            && e.get("message").and_then(Value::as_str) == Some(message)
            && e.pointer("/involvedObject/fieldPath")
                .and_then(Value::as_str)
                == field_path
    };
    let earlier = store
        .list(&format!("{}{ns}/{}.", res.key_prefix(), meta::name(about)))
        .map(|(events, _)| events.into_iter().find(|e| same(e)))
        .ok()
        .flatten();
    if let Some(earlier) = earlier {
        let key = res.key(Some(ns), meta::name(&earlier));
        let bumped = store
            .mutate(&key, |cur| {
                Ok(match cur {
                    Some(cur) => {
                        let mut next = cur.clone();
                        let count = cur.get("count").and_then(Value::as_i64).unwrap_or(1);
                        next["count"] = json!(count + 1);
                        next["lastTimestamp"] = json!(at);
                        Change::Put(next)
                    }
                    None => Change::Keep,
                })
            })
            .await;
        if matches!(bumped, Ok(Some(_))) {
            return;
        }
    }
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let name = format!("{}.{nanos:x}", meta::name(about));
    let mut involved = json!({
        "apiVersion": about.get("apiVersion"), "kind": about.get("kind"), "namespace": ns,
        "name": meta::name(about), "uid": uid,
        "resourceVersion": meta::resource_version(about),
    });
    if let Some(fp) = field_path {
        involved["fieldPath"] = json!(fp);
    }
    let mut source = json!({"component": component});
    if component == "kubelet" {
        source["host"] = json!(NODE_NAME);
    }
    let ev = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": involved,
        "reason": reason, "message": message,
        "type": match kind { EventType::Normal => "Normal", EventType::Warning => "Warning" },
        "count": 1,
        "source": source, "reportingComponent": component,
        "reportingInstance": if component == "kubelet" { NODE_NAME } else { "" },
        "firstTimestamp": at, "lastTimestamp": at,
    });
    super::create(store, admission, res, ns, ev).await;
}
