//! Events, written as Kubernetes components write them (`kubectl get events`, `describe`):
//! repeats of the same reason and message about the same object bump `count` and
//! `lastTimestamp` instead of piling up, as the client-go event recorder's aggregation does.

use crate::admission::Admission;
use crate::api::meta;
use crate::api::resources;
use crate::store::{Change, Store};
use serde_json::{json, Value};

/// An Event's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

/// Record an event about `about`, reported by `component` (e.g. `kubelet`,
/// `deployment-controller`). `field_path` names the container (`spec.containers{httpbin}`).
pub async fn record(
    store: &Store,
    admission: &Admission,
    about: &Value,
    kind: EventType,
    reason: &str,
    message: &str,
    component: &str,
    field_path: Option<&str>,
) {
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
        source["host"] = json!(crate::kubelet::NODE_NAME);
    }
    let ev = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": involved,
        "reason": reason, "message": message,
        "type": match kind { EventType::Normal => "Normal", EventType::Warning => "Warning" },
        "count": 1,
        "source": source, "reportingComponent": component,
        "reportingInstance": if component == "kubelet" { crate::kubelet::NODE_NAME } else { "" },
        "firstTimestamp": at, "lastTimestamp": at,
    });
    super::create(store, admission, res, ns, ev).await;
}
