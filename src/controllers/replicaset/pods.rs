//! Facts about Pods and owner references shared by the workload controllers.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// The alphabet Kubernetes uses for generated names and hashes (no vowels, no look-alikes).
pub const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Parse an RFC 3339 timestamp as the API writes them.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Format a timestamp the way the API does (`2024-01-02T03:04:05Z`).
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The uid of the object's controlling owner, if any.
pub fn controller_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
}

/// An owner reference that makes `owner` the controller of the object it is put on.
pub fn controller_ref(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

pub fn is_terminating(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// A Pod that still counts towards its owner: not being deleted and not finished.
pub fn is_active(pod: &Value) -> bool {
    !is_terminating(pod) && !is_finished(pod)
}

/// A Pod whose containers have all exited for good.
pub fn is_finished(pod: &Value) -> bool {
    matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// The Ready condition, when it is True: `Some(since)`, where `since` is its transition time.
pub fn ready_since(pod: &Value) -> Option<Option<DateTime<Utc>>> {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .filter(|c| c.get("status").and_then(Value::as_str) == Some("True"))
        .map(|c| {
            c.get("lastTransitionTime")
                .and_then(Value::as_str)
                .and_then(parse_time)
        })
}

pub fn is_ready(pod: &Value) -> bool {
    ready_since(pod).is_some()
}

/// Ready for at least `min_ready_seconds` (any Ready pod when that is 0).
pub fn is_available(pod: &Value, min_ready_seconds: i64, now: DateTime<Utc>) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(None) => false,
        Some(Some(since)) => elapsed(since, min_ready_seconds, now),
    }
}

/// Have `seconds` passed since `since`? (Saturates instead of overflowing on absurd values.)
pub fn elapsed(since: DateTime<Utc>, seconds: i64, now: DateTime<Utc>) -> bool {
    chrono::Duration::try_seconds(seconds)
        .and_then(|d| since.checked_add_signed(d))
        .is_some_and(|t| t <= now)
}

/// Does a label selector (`matchLabels` + `matchExpressions`) select these labels?
/// An empty or missing selector selects nothing, as for workload controllers.
pub fn selector_matches(selector: &Value, labels: Option<&Map<String, Value>>) -> bool {
    let empty = Map::new();
    let labels = labels.unwrap_or(&empty);
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let exprs = selector.get("matchExpressions").and_then(Value::as_array);
    if match_labels.is_none_or(Map::is_empty) && exprs.is_none_or(Vec::is_empty) {
        return false;
    }
    let labels_ok = match_labels
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = exprs.into_iter().flatten().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let have = labels.get(key).and_then(Value::as_str);
        match e.get("operator").and_then(Value::as_str) {
            Some("In") => have.is_some_and(|h| values.contains(&h)),
            Some("NotIn") => have.is_none_or(|h| !values.contains(&h)),
            Some("Exists") => have.is_some(),
            Some("DoesNotExist") => have.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

/// The Pods a controller owns: those whose controller reference carries its uid.
pub fn owned_by<'a>(uid: &str, pods: &'a [Value]) -> Vec<&'a Value> {
    pods.iter()
        .filter(|p| !uid.is_empty() && controller_uid(p) == Some(uid))
        .collect()
}
