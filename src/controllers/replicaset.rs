//! The ReplicaSet controller: keeps `spec.replicas` Pods of the template alive and counted.

pub mod pods;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use pods::{controller_ref, str_at};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// What the ReplicaSet controller wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create this Pod.
    CreatePod(Value),
    /// Delete the named Pod (in the ReplicaSet's namespace).
    DeletePod { name: String },
    /// Replace the ReplicaSet's `.status` with this value.
    UpdateStatus(Value),
}

/// Why a ReplicaSet cannot be reconciled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The ReplicaSet has no `metadata.name`.
    #[error("the ReplicaSet has no name")]
    NoName,
    /// The ReplicaSet has no `metadata.uid`, so it cannot own Pods yet.
    #[error("ReplicaSet {0:?} has no uid")]
    NoUid(String),
}

/// The most Pods created or deleted in one pass (Kubernetes' `BurstReplicas`).
pub const BURST: i64 = 500;

/// Pods for a ReplicaSet are named `<rs-name>-<5 random characters>`.
pub fn pod_name(rs_name: &str) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let suffix: String = (0..5)
        .map(|_| {
            let i = rng.gen_range(0..pods::ALPHABET.len());
            pods::ALPHABET.get(i).copied().unwrap_or(b'x') as char
        })
        .collect();
    format!("{rs_name}-{suffix}")
}

/// Reconcile one ReplicaSet against the Pods of its namespace. Invalid input yields no actions.
pub fn reconcile(rs: &Value, pods: &[Value], now: DateTime<Utc>) -> Vec<Action> {
    try_reconcile(rs, pods, now).unwrap_or_default()
}

/// [`reconcile`], saying why nothing can be done.
pub fn try_reconcile(rs: &Value, pods: &[Value], now: DateTime<Utc>) -> Result<Vec<Action>, Error> {
    let name = str_at(rs, "/metadata/name");
    if name.is_empty() {
        return Err(Error::NoName);
    }
    let uid = str_at(rs, "/metadata/uid");
    if uid.is_empty() {
        return Err(Error::NoUid(name.to_string()));
    }
    let want = rs
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0);

    let owned = pods::owned_by(uid, pods);
    let active: Vec<&Value> = owned
        .iter()
        .copied()
        .filter(|p| pods::is_active(p))
        .collect();
    let have = i64::try_from(active.len()).unwrap_or(i64::MAX);

    let mut actions = Vec::new();
    // Deleting an RS stops it making Pods (the garbage collector removes them).
    if !pods::is_terminating(rs) {
        if have < want {
            // Like Kubernetes, change at most BURST Pods per pass; the next pass does the rest.
            for _ in have..want.min(have.saturating_add(BURST)) {
                actions.push(Action::CreatePod(new_pod(rs, name, uid)));
            }
        } else if have > want {
            let mut doomed = active.clone();
            doomed.sort_by(|a, b| deletion_order(a, b, now));
            let extra = usize::try_from((have - want).min(BURST)).unwrap_or(0);
            for p in doomed.into_iter().take(extra) {
                actions.push(Action::DeletePod {
                    name: str_at(p, "/metadata/name").to_string(),
                });
            }
        }
    }

    let status = status(rs, &active, now);
    if rs.get("status") != Some(&status) {
        actions.push(Action::UpdateStatus(status));
    }
    Ok(actions)
}

/// A Pod from the ReplicaSet's template, controlled by the ReplicaSet.
fn new_pod(rs: &Value, name: &str, uid: &str) -> Value {
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut meta = template
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Names, uids and timestamps belong to the API server, not the template.
    for k in [
        "name",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "namespace",
    ] {
        meta.remove(k);
    }
    let mut out = Map::new();
    out.insert("name".into(), json!(pod_name(name)));
    out.insert("generateName".into(), json!(format!("{name}-")));
    if let Some(ns) = rs.pointer("/metadata/namespace") {
        out.insert("namespace".into(), ns.clone());
    }
    out.extend(meta);
    out.insert(
        "ownerReferences".into(),
        json!([controller_ref("apps/v1", "ReplicaSet", name, uid)]),
    );
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": out,
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}

/// The order Pods are deleted in when scaling down, cheapest loss first: unscheduled before
/// scheduled, Pending before Unknown before Running, not ready before ready, ready for less time
/// first, more restarts first, newest first.
fn deletion_order(a: &Value, b: &Value, now: DateTime<Utc>) -> Ordering {
    let scheduled = |p: &Value| !str_at(p, "/spec/nodeName").is_empty();
    let phase = |p: &Value| match str_at(p, "/status/phase") {
        "Pending" | "" => 0,
        "Unknown" => 1,
        _ => 2,
    };
    let ready_for = |p: &Value| {
        pods::ready_since(p).map(|since| since.map(|t| (now - t).num_seconds()).unwrap_or(0))
    };
    let restarts = |p: &Value| -> i64 {
        p.pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                    .sum()
            })
            .unwrap_or(0)
    };
    let created = |p: &Value| str_at(p, "/metadata/creationTimestamp").to_string();
    scheduled(a)
        .cmp(&scheduled(b))
        .then(phase(a).cmp(&phase(b)))
        .then(ready_for(a).cmp(&ready_for(b)))
        .then(restarts(b).cmp(&restarts(a)))
        .then(created(b).cmp(&created(a)))
}

/// The ReplicaSet's status as its active Pods show it.
fn status(rs: &Value, active: &[&Value], now: DateTime<Utc>) -> Value {
    let min_ready = rs
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let template_labels = rs
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object);
    let count = |f: &dyn Fn(&Value) -> bool| active.iter().filter(|p| f(p)).count();
    let fully_labeled = count(&|p| {
        let labels = p.pointer("/metadata/labels").and_then(Value::as_object);
        template_labels
            .into_iter()
            .flatten()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
    });
    let ready = count(&|p| pods::is_ready(p));
    let available = count(&|p| pods::is_available(p, min_ready, now));
    let mut st = Map::new();
    // `replicas` is always present; the other counts are omitted when zero, as the API does.
    st.insert("replicas".into(), json!(active.len()));
    for (k, v) in [
        ("fullyLabeledReplicas", fully_labeled),
        ("readyReplicas", ready),
        ("availableReplicas", available),
    ] {
        if v > 0 {
            st.insert(k.into(), json!(v));
        }
    }
    if let Some(g) = rs.pointer("/metadata/generation").and_then(Value::as_i64) {
        st.insert("observedGeneration".into(), json!(g));
    }
    // Conditions are kept: this controller reports none of its own but must not erase others'.
    if let Some(c) = rs.pointer("/status/conditions").filter(|c| !c.is_null()) {
        st.insert("conditions".into(), c.clone());
    }
    Value::Object(st)
}
