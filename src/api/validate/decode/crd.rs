//! Decoding of custom resources, with type problems reported as schema causes.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::{dotted, lookup, strip_nulls, unknown_fields, DecodeError, Seg};
use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::Cause;

/// The outcome of decoding an object validated by a CRD schema: every type problem is a
/// cause (not just the first), and decoding proceeds without the offending values.
pub(crate) struct CrdDecoded<T> {
    pub(crate) value: Option<T>,
    pub(crate) causes: Vec<Cause>,
    pub(crate) unknown_fields: Vec<String>,
}

/// Decodes a custom resource, reporting type problems as the CRD's structural schema does.
pub(crate) fn crd<T: DeserializeOwned + Serialize>(obj: &Value) -> CrdDecoded<T> {
    let mut work = obj.clone();
    strip_nulls(&mut work);
    let mut causes = Vec::new();
    // Each failed attempt removes one offending value, so this terminates; the bound only
    // guards against pathological documents.
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, T>(&work) {
            Ok(value) => {
                let unknown_fields = match serde_json::to_value(&value) {
                    Ok(output) => unknown_fields(&work, &output),
                    Err(_) => Vec::new(),
                };
                return CrdDecoded {
                    value: Some(value),
                    causes,
                    unknown_fields,
                };
            }
            Err(err) => {
                let err = DecodeError::classify(err);
                causes.push(crd_cause(&work, &err));
                if !remove_at(&mut work, err.path()) {
                    break;
                }
            }
        }
    }
    CrdDecoded {
        value: None,
        causes,
        unknown_fields: Vec::new(),
    }
}

/// Removes the value at `path` so decoding can go on. A bad list element takes its whole
/// list with it, which keeps the indexes of later reports truthful.
fn remove_at(doc: &mut Value, path: &[Seg]) -> bool {
    let mut cut = path.len();
    while cut > 0 && matches!(path[cut - 1], Seg::Index(_)) {
        cut -= 1;
    }
    let Some((Seg::Key(key), parent_path)) = path[..cut].split_last() else {
        return false;
    };
    let mut parent = doc;
    for seg in parent_path {
        parent = match (seg, parent) {
            (Seg::Key(k), Value::Object(map)) => match map.get_mut(k) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Index(i), Value::Array(items)) => match items.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match parent {
        Value::Object(map) => map.remove(key).is_some(),
        _ => false,
    }
}

fn json_type_name(value: Option<&Value>) -> &'static str {
    match value {
        Some(Value::String(_)) => "string",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
        Some(Value::Number(n)) if n.is_f64() => "number",
        Some(Value::Number(_)) => "integer",
        Some(Value::Null) | None => "null",
    }
}

/// The schema type the CRD declares for what serde expected.
fn crd_type(expected: &str) -> &'static str {
    match expected {
        "i32" | "i64" | "u32" | "u64" => "integer",
        "f64" | "f32" => "number",
        "a boolean" => "boolean",
        "a sequence" => "array",
        e if e == "a map" || e.starts_with("struct ") => "object",
        _ => "string",
    }
}

/// A schema-validation cause for a decode problem, worded like the API server's
/// structural-schema errors.
fn crd_cause(doc: &Value, err: &DecodeError) -> Cause {
    let path = err.path();
    let at = FieldPath::new(&dotted(path));
    let found = lookup(doc, path);
    match err {
        DecodeError::Type { expected, .. } => {
            let actual = json_type_name(found);
            field::type_invalid(
                &at,
                Bad::str(actual),
                &format!(
                    "{} in body must be of type {}: {}",
                    at.as_str(),
                    crd_type(expected),
                    field::go_quote(actual)
                ),
            )
        }
        DecodeError::Range { expected, .. } => {
            let n = found.and_then(Value::as_i64).unwrap_or_default();
            let bad = found.map_or(Bad::Int(n), |v| Bad::Go(v.to_string()));
            let detail = match expected.as_str() {
                _ if n < 0 && expected.starts_with('u') => format!(
                    "{} in body should be greater than or equal to 0",
                    at.as_str()
                ),
                "u32" => format!(
                    "{} in body should be less than or equal to 4294967295",
                    at.as_str()
                ),
                "i32" => format!(
                    "{} in body must be of type int32: {}",
                    at.as_str(),
                    field::go_quote(&bad_text(found))
                ),
                _ => format!(
                    "{} in body must be of type int64: {}",
                    at.as_str(),
                    field::go_quote(&bad_text(found))
                ),
            };
            field::invalid(&at, bad, &detail)
        }
        DecodeError::Variant { supported, .. } => {
            let value = found.and_then(Value::as_str).unwrap_or_default();
            let supported: Vec<&str> = supported.iter().map(String::as_str).collect();
            field::not_supported(&at, Bad::str(value), &supported)
        }
        DecodeError::Other { message, .. } => {
            field::invalid(&at, Bad::str(&bad_text(found)), message)
        }
    }
}

fn bad_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}
