//! Reading and writing the `metadata` of raw JSON objects, and the server's time format.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `metadata.name` (empty when absent).
pub fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `metadata.namespace`, if set.
pub fn namespace(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/namespace").and_then(Value::as_str)
}

/// `metadata.resourceVersion`, if set and non-empty.
pub fn resource_version(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// `metadata.labels` as a sorted map (non-string values are ignored).
pub fn labels(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj.pointer("/metadata/labels"))
}

/// `metadata.annotations` as a sorted map.
pub fn annotations(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj.pointer("/metadata/annotations"))
}

/// A JSON object of strings as a sorted map (non-string values are skipped).
pub fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The `metadata` object, created if missing (and replacing a non-object).
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let root = obj.as_object_mut().expect("made an object above");
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("made an object above")
}

/// A named sub-map of metadata (`labels`, `annotations`), created if missing.
pub fn metadata_map_mut<'a>(obj: &'a mut Value, field: &str) -> &'a mut Map<String, Value> {
    let meta = metadata_mut(obj);
    let m = meta
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !m.is_object() {
        *m = Value::Object(Map::new());
    }
    m.as_object_mut().expect("made an object above")
}

/// Now, in the RFC 3339 form with second precision that Kubernetes uses (`2024-05-01T10:00:00Z`).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
