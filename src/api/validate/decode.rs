//! Typed decoding of raw objects: type errors with their field paths, and unknown fields.
//!
//! Decoding goes through `serde_path_to_error`, so a failure names the offending value's
//! location. Unknown fields are found by a round trip: the typed model is serialised back
//! and every key of the input that did not survive is unknown. That is exact because the
//! models keep every known key they were given (k8s-openapi emits every `Some` field, the
//! Istio models emit every field), and free-form maps round-trip all of their keys.

mod crd;
mod go;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::quantity;

pub(crate) use self::crd::crd;

/// One step of a location inside a JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Why decoding into a typed model failed, at which location.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// The JSON type of the value does not fit the field; `expected` is serde's wording.
    #[error("invalid type at {}: expected {expected}", dotted(path))]
    Type { path: Vec<Seg>, expected: String },
    /// An integer does not fit the field's integer type.
    #[error("integer out of range at {}: expected {expected}", dotted(path))]
    Range { path: Vec<Seg>, expected: String },
    /// A string is not one of the enum's values.
    #[error("unsupported value at {}", dotted(path))]
    Variant {
        path: Vec<Seg>,
        supported: Vec<String>,
    },
    /// Any other failure (bad base64, bad timestamp, ...), with serde's message.
    #[error("{message} at {}", dotted(path))]
    Other { path: Vec<Seg>, message: String },
}

// === impl DecodeError ===

impl DecodeError {
    fn classify(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = err
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = err.into_inner().to_string();
        let expected = || {
            message
                .split_once(", expected ")
                .map(|(_, e)| e.to_string())
                .unwrap_or_default()
        };
        if message.starts_with("invalid type:") {
            DecodeError::Type {
                path,
                expected: expected(),
            }
        } else if message.starts_with("invalid value: integer") {
            DecodeError::Range {
                path,
                expected: expected(),
            }
        } else if message.starts_with("unknown variant") {
            // "unknown variant `X`, expected one of `A`, `B`" (or "`A` or `B`").
            let supported = message
                .split('`')
                .skip(1)
                .step_by(2)
                .skip(1)
                .map(str::to_string)
                .collect();
            DecodeError::Variant { path, supported }
        } else {
            DecodeError::Other { path, message }
        }
    }

    fn path(&self) -> &[Seg] {
        match self {
            DecodeError::Type { path, .. }
            | DecodeError::Range { path, .. }
            | DecodeError::Variant { path, .. }
            | DecodeError::Other { path, .. } => path,
        }
    }
}

/// `a.b[0].c`, with map keys joined by dots (the CRD/JSON style).
pub(crate) fn dotted(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Looks up a location in a document.
pub(crate) fn lookup<'a>(mut value: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    for seg in path {
        value = match (seg, value) {
            (Seg::Key(k), Value::Object(map)) => map.get(k)?,
            (Seg::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Removes object keys whose value is `null`, at every depth. The API server treats an
/// explicit null like an absent field, and so do the checks here.
pub(crate) fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Every key of `input` (at any depth) that is missing from `output`, in document order.
pub(crate) fn unknown_fields(input: &Value, output: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(input, output, &mut Vec::new(), &mut out);
    out
}

fn diff(input: &Value, output: &Value, path: &mut Vec<Seg>, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(inp), Value::Object(outp)) => {
            for (key, value) in inp {
                path.push(Seg::Key(key.clone()));
                match outp.get(key) {
                    Some(known) => diff(value, known, path, out),
                    None if value.is_null() => {}
                    None => out.push(dotted(path)),
                }
                path.pop();
            }
        }
        (Value::Array(inp), Value::Array(outp)) => {
            for (i, (a, b)) in inp.iter().zip(outp).enumerate() {
                path.push(Seg::Index(i));
                diff(a, b, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A successfully decoded object.
pub(crate) struct Decoded<T> {
    pub(crate) value: T,
    pub(crate) unknown_fields: Vec<String>,
}

/// Decodes a core/apps object the way kube-apiserver does: the first problem aborts
/// decoding and is reported as Go's `encoding/json` would word it.
pub(crate) fn kube<T: DeserializeOwned + Serialize>(
    obj: &Value,
    api_version: &str,
    kind: &str,
) -> Result<Decoded<T>, String> {
    let mut work = obj.clone();
    strip_nulls(&mut work);
    if let Value::Object(map) = &mut work {
        // The caller has already routed the object by kind; k8s-openapi insists on them.
        map.insert("apiVersion".into(), Value::String(api_version.into()));
        map.insert("kind".into(), Value::String(kind.into()));
    }
    normalize_quantities(&mut work, None)?;
    let value: T = serde_path_to_error::deserialize(&work)
        .map_err(|e| go::decode_message(kind, &work, &DecodeError::classify(e)))?;
    let output = serde_json::to_value(&value).map_err(|e| e.to_string())?;
    Ok(Decoded {
        unknown_fields: unknown_fields(&work, &output),
        value,
    })
}

/// Quantities may be written as JSON numbers, which the typed model wants as strings.
/// Malformed quantities fail decoding in kube-apiserver, with Go's parse error.
fn normalize_quantities(value: &mut Value, key: Option<&str>) -> Result<(), String> {
    let is_quantity_map = matches!(key, Some("limits" | "requests" | "overhead"));
    match value {
        Value::Object(map) if is_quantity_map => {
            for v in map.values_mut() {
                normalize_quantity(v)?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "sizeLimit" {
                    normalize_quantity(v)?;
                } else {
                    normalize_quantities(v, Some(k))?;
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                normalize_quantities(v, None)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn normalize_quantity(value: &mut Value) -> Result<(), String> {
    let text = match &*value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    quantity::parse(&text).map_err(str::to_string)?;
    *value = Value::String(text);
    Ok(())
}
