//! kubectl's client-side apply patch: additions and changes from the live object to the new
//! manifest, deletions from the last-applied configuration to the new manifest
//! (`CreateThreeWayMergePatch` / `CreateThreeWayJSONMergePatch`), and the last-applied
//! annotation that carries the configuration between runs.

use std::mem;

use serde_json::Value;

use super::diff::{diff_maps, Options};
use super::order;
use super::schema::{self, Merge, Ty};
use super::value::{dedup, json_eq, merge_key, require_key, Object, SET_ELEMENT_ORDER};
use super::{as_object, Error, Result};

/// The annotation in which `kubectl apply` stores the applied manifest.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Strategic three-way patch for an object with schema `ty`.
pub(super) fn strategic(
    original: &Object,
    modified: &Object,
    current: &Object,
    ty: Ty,
) -> Result<Object> {
    // Server-set fields exist only in `current`, so ignoring deletions leaves them alone.
    let delta = Options {
        ignore_deletions: true,
        ..Options::default()
    };
    let delta = diff_maps(current, modified, ty, delta)?;
    let deletions = Options {
        ignore_changes: true,
        ..Options::default()
    };
    let deletions = diff_maps(original, modified, ty, deletions)?;
    combine(deletions, delta, ty)
}

/// Merge two strategic patches into one (apimachinery `mergeMap` without parallel-list
/// merging): directives are kept, nulls are kept, keyed lists merge element by element.
fn combine(mut base: Object, over: Object, ty: Ty) -> Result<Object> {
    let orders: Vec<(String, Value)> = over
        .iter()
        .chain(base.iter())
        .filter(|(k, _)| k.starts_with(SET_ELEMENT_ORDER))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, value) in over {
        if key.starts_with('$') {
            // Both patches derive their directives from `modified`, so they agree.
            base.entry(key).or_insert(value);
            continue;
        }
        let Some(slot) = base.get_mut(&key) else {
            base.insert(key, value);
            continue;
        };
        let field = schema::field(ty, &key);
        let current = mem::take(slot);
        *slot = match (current, value) {
            (Value::Object(b), Value::Object(o)) => {
                Value::Object(combine(b, o, field.and_then(|f| f.ty))?)
            }
            (Value::Array(b), Value::Array(o)) => {
                let order_key = format!("{SET_ELEMENT_ORDER}/{key}");
                let set_order = orders
                    .iter()
                    .find(|(k, _)| *k == order_key)
                    .and_then(|(_, v)| v.as_array());
                match field.map(|f| (f.merge, f.ty)) {
                    Some((Merge::ByKey(k), ty)) => {
                        Value::Array(combine_lists(b, o, k, ty, set_order)?)
                    }
                    Some((Merge::Set, _)) => {
                        let order = set_order.map_or(o.as_slice(), Vec::as_slice).to_vec();
                        let mut merged = b.clone();
                        merged.extend(o);
                        Value::Array(order::enforce(dedup(merged), &order, &b, None)?)
                    }
                    _ => Value::Array(o),
                }
            }
            (_, o) => o,
        };
    }
    Ok(base)
}

fn combine_lists(
    base: Vec<Value>,
    over: Vec<Value>,
    key: &'static str,
    ty: Ty,
    set_order: Option<&Vec<Value>>,
) -> Result<Vec<Value>> {
    let server_order = base.clone();
    let over_order = over.clone();
    let mut merged = base;
    for item in over {
        let id = require_key(&item, key)?;
        match merged
            .iter_mut()
            .find(|m| merge_key(m, key).is_some_and(|v| json_eq(v, id)))
        {
            Some(slot) => {
                let current = mem::take(slot);
                *slot = match (current, item) {
                    (Value::Object(b), Value::Object(o)) => Value::Object(combine(b, o, ty)?),
                    (_, o) => o,
                };
            }
            None => merged.push(item),
        }
    }
    let order = set_order.unwrap_or(&over_order);
    order::enforce(merged, order, &server_order, Some(key))
}

/// JSON merge three-way patch: lists are atomic; deletions are the nulls of the
/// original→modified merge diff, everything else comes from the current→modified diff.
pub(super) fn json_merge(original: &Object, modified: &Object, current: &Object) -> Result<Object> {
    let additions = filter(merge_diff(current, modified), false);
    let deletions = filter(merge_diff(original, modified), true);
    let patch = merge_patches(deletions, additions);
    // kubectl refuses to send such a patch rather than rename or retype an object.
    let renamed = patch
        .get("metadata")
        .and_then(Value::as_object)
        .is_some_and(|m| m.contains_key("name"));
    if patch.contains_key("apiVersion") || patch.contains_key("kind") || renamed {
        return Err(Error::IdentityChanged);
    }
    Ok(patch)
}

/// RFC 7386 merge patch from `a` to `b` (objects recurse, everything else is replaced whole,
/// keys missing from `b` become null).
fn merge_diff(a: &Object, b: &Object) -> Object {
    let mut out = Object::new();
    for (key, new) in b {
        match (a.get(key), new) {
            (None, _) => {
                out.insert(key.clone(), new.clone());
            }
            (Some(Value::Object(old)), Value::Object(new_map)) => {
                let diff = merge_diff(old, new_map);
                if !diff.is_empty() {
                    out.insert(key.clone(), Value::Object(diff));
                }
            }
            (Some(old), _) if !json_eq(old, new) => {
                out.insert(key.clone(), new.clone());
            }
            _ => {}
        }
    }
    for key in a.keys().filter(|k| !b.contains_key(*k)) {
        out.insert(key.clone(), Value::Null);
    }
    out
}

/// Keep only the nulls (`keep_nulls`) or only the non-nulls of a merge patch. An explicitly
/// empty object is a value, not an empty sub-patch.
fn filter(patch: Object, keep_nulls: bool) -> Object {
    let mut out = Object::new();
    for (key, value) in patch {
        match value {
            Value::Null if keep_nulls => {
                out.insert(key, Value::Null);
            }
            Value::Object(m) if !m.is_empty() => {
                let sub = filter(m, keep_nulls);
                if !sub.is_empty() {
                    out.insert(key, Value::Object(sub));
                }
            }
            Value::Null => {}
            // Scalars, lists and explicitly empty objects.
            other if !keep_nulls => {
                out.insert(key, other);
            }
            _ => {}
        }
    }
    out
}

/// Merge patch `over` into patch `base`, keeping nulls.
fn merge_patches(mut base: Object, over: Object) -> Object {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => {
                let merged = merge_patches(mem::take(b), o);
                *b = merged;
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
    base
}

/// The `modified` document kubectl's apply computes from a manifest: the manifest with
/// `metadata.annotations` present and the last-applied annotation set to the manifest's own
/// JSON (keys sorted, HTML characters escaped and a trailing newline, as Go's encoder writes
/// it).
pub fn modified_configuration(manifest: &Value) -> Result<Value> {
    let mut object = as_object(manifest, "manifest")?.clone();
    let meta = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Object::new()));
    let meta = meta
        .as_object_mut()
        .ok_or(Error::NotAnObject { what: "metadata" })?;
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Object::new()));
    if annotations.is_null() {
        *annotations = Value::Object(Object::new());
    }
    let annotations = annotations.as_object_mut().ok_or(Error::NotAnObject {
        what: "metadata.annotations",
    })?;
    annotations.shift_remove(LAST_APPLIED_ANNOTATION);
    // Go's encoder (sorted keys, HTML-safe escapes) and the newline its `Encoder` adds.
    let encoded = crate::api::gojson::compact(&Value::Object(object.clone())) + "\n";
    if let Some(Value::Object(annotations)) = object
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        annotations.insert(LAST_APPLIED_ANNOTATION.to_owned(), Value::String(encoded));
    }
    Ok(Value::Object(object))
}

/// The last-applied configuration stored on a live object, if any.
pub fn original_configuration(current: &Value) -> Result<Option<Value>> {
    let stored = current
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str);
    let Some(stored) = stored.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let parsed: Value =
        serde_json::from_str(stored).map_err(|e| Error::LastApplied(e.to_string()))?;
    if !parsed.is_object() {
        return Err(Error::LastApplied("not a JSON object".to_owned()));
    }
    Ok(Some(parsed))
}
