//! JSON value helpers shared by the patch code: equality as Go's decoded JSON sees it, the
//! string form used to sort merge keys, JSON type classes and directive names.

use serde_json::{Map, Value};

use super::{Error, Result};

/// `$patch`: `replace`, `delete` (or `merge`) for the enclosing map or list element.
pub(super) const PATCH: &str = "$patch";
/// `$retainKeys`: the keys of the enclosing map to keep.
pub(super) const RETAIN_KEYS: &str = "$retainKeys";
/// `$setElementOrder/<field>`: the final order of a merged list.
pub(super) const SET_ELEMENT_ORDER: &str = "$setElementOrder";
/// `$deleteFromPrimitiveList/<field>`: scalars to remove from a merged list.
pub(super) const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

pub(super) type Object = Map<String, Value>;

/// The field named by a parallel-list directive key such as `$setElementOrder/containers`, if
/// `key` uses `prefix`. A key that starts with the prefix but has no field is malformed.
pub(super) fn directive_field<'k>(
    key: &'k str,
    prefix: &str,
    err: Error,
) -> Result<Option<&'k str>> {
    if !key.starts_with(prefix) {
        return Ok(None);
    }
    match key.split_once('/') {
        Some((p, field)) if p == prefix => Ok(Some(field)),
        _ => Err(err),
    }
}

/// Equality of two JSON values where numbers compare by value, as they do once Go decodes
/// every number into a float64 (so `1` equals `1.0`).
pub(super) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| json_eq(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The JSON type of a value as Go's `reflect.TypeOf` distinguishes decoded JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

pub(super) fn class(v: &Value) -> Class {
    match v {
        Value::Null => Class::Null,
        Value::Bool(_) => Class::Bool,
        Value::Number(_) => Class::Number,
        Value::String(_) => Class::String,
        Value::Array(_) => Class::Array,
        Value::Object(_) => Class::Object,
    }
}

/// The common element class of the given lists; `None` when all are empty. Mixed classes and
/// nested lists are errors, as in apimachinery.
pub(super) fn element_class(lists: &[&[Value]]) -> Result<Option<Class>> {
    let mut seen: Option<Class> = None;
    for v in lists.iter().flat_map(|l| l.iter()) {
        let c = class(v);
        match seen {
            None if c == Class::Array => return Err(Error::ListOfLists),
            None => seen = Some(c),
            Some(s) if s != c => {
                let all: Vec<Value> = lists.iter().map(|l| Value::Array(l.to_vec())).collect();
                return Err(Error::MixedListTypes(Value::Array(all).to_string()));
            }
            Some(_) => {}
        }
    }
    Ok(seen)
}

/// The string form Go's `fmt.Sprintf("%v")` gives a scalar, used to sort merge keys and scalar
/// lists the way kubectl does.
pub(super) fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_owned(),
        Value::Number(n) => match n.as_f64() {
            // float64 integral values print without a fraction.
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Value of the merge key `key` of a list element, if the element is an object that has it.
pub(super) fn merge_key<'v>(item: &'v Value, key: &str) -> Option<&'v Value> {
    item.as_object().and_then(|m| m.get(key))
}

/// The merge key of `item`, or the error apimachinery reports for an element without it.
pub(super) fn require_key<'v>(item: &'v Value, key: &'static str) -> Result<&'v Value> {
    merge_key(item, key).ok_or_else(|| Error::NoMergeKey {
        map: item.to_string(),
        key,
    })
}

/// Whether `item` is an object holding a `$patch` directive.
pub(super) fn has_directive(item: &Value) -> bool {
    item.as_object().is_some_and(|m| m.contains_key(PATCH))
}

/// Whether `item` is a `{"<key>": …, "$patch": "delete"}` list element.
pub(super) fn is_delete_item(item: &Value) -> bool {
    item.as_object()
        .and_then(|m| m.get(PATCH))
        .and_then(Value::as_str)
        == Some("delete")
}

/// Remove duplicate scalars, keeping the first occurrence.
pub(super) fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !out.iter().any(|o| json_eq(o, &v)) {
            out.push(v);
        }
    }
    out
}

/// A copy of `v` with every object's keys in byte order, which is how Go marshals maps; the
/// patches kubectl sends look exactly like this.
pub(super) fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}
