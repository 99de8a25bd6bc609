//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) decoded to JSON.
//!
//! kubectl 1.32 and later send `create namespace`, `create deployment` and the other typed
//! `create` subcommands as protobuf, and do not retry as JSON when refused. A body is the magic
//! `k8s\0` followed by a `runtime.Unknown` envelope whose `raw` bytes are the object. The
//! object is decoded with a table of the kinds meshlite serves (`schema`), giving the JSON the
//! same client would have sent; a field outside the table is refused by name rather than
//! dropped, so nothing a client sends is silently lost.

mod schema;
#[cfg(test)]
mod tests;

use base64::Engine as _;
use prost::encoding::{decode_varint, WireType};
use serde_json::{Map, Value};

use schema::{Field, Kind, Message};

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The four bytes every Kubernetes protobuf body starts with.
const MAGIC: &[u8] = b"k8s\0";

/// `metav1.Time`'s zero value (year 1), written for unset non-pointer timestamps.
const ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// Why a protobuf body could not be turned into an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body does not start with `k8s\0`.
    #[error("the body is not a Kubernetes protobuf message (it must start with \"k8s\\x00\")")]
    NoMagic,
    /// The envelope names a kind this server cannot read as protobuf.
    #[error("protobuf bodies of kind {0:?} are not supported; send the object as JSON or YAML (kubectl create -f FILE)")]
    Kind(String),
    /// A field number outside the table.
    #[error("protobuf field {tag} of {message} at {path} is not supported; send the object as JSON or YAML (kubectl create -f FILE)")]
    Field {
        /// The message type holding the field.
        message: &'static str,
        /// Where in the object, as a JSON path (`.spec.template.spec`).
        path: String,
        /// The protobuf field number.
        tag: u64,
    },
    /// The bytes do not follow the protobuf wire format.
    #[error("malformed protobuf at {path}: {reason}")]
    Wire {
        /// Where in the object.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// Decode a protobuf request body into the object as JSON, with `apiVersion` and `kind` first.
pub fn decode(body: &[u8]) -> Result<Value, DecodeError> {
    let mut inner = body.strip_prefix(MAGIC).ok_or(DecodeError::NoMagic)?;
    // The `runtime.Unknown` envelope: typeMeta 1 {apiVersion 1, kind 2}, raw 2, encoding 3, type 4.
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    while !inner.is_empty() {
        match next(&mut inner, "")? {
            (1, Raw::Bytes(mut meta)) => {
                while !meta.is_empty() {
                    match next(&mut meta, "")? {
                        (1, Raw::Bytes(b)) => api_version = utf8(b, "apiVersion")?,
                        (2, Raw::Bytes(b)) => kind = utf8(b, "kind")?,
                        _ => {}
                    }
                }
            }
            (2, Raw::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    let object = schema::object(&kind).ok_or_else(|| DecodeError::Kind(kind.clone()))?;
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(api_version));
    out.insert("kind".into(), Value::String(kind));
    out.extend(message(raw, object, "")?);
    Ok(Value::Object(out))
}

fn utf8(b: &[u8], path: &str) -> Result<String, DecodeError> {
    String::from_utf8(b.to_vec()).map_err(|_| wire(path, "a string is not UTF-8"))
}

fn wire(path: &str, reason: impl Into<String>) -> DecodeError {
    DecodeError::Wire {
        path: shown(path),
        reason: reason.into(),
    }
}

/// A path for a message: the object's root is `.`.
fn shown(path: &str) -> String {
    if path.is_empty() {
        ".".into()
    } else {
        path.into()
    }
}

/// One field's raw value as read off the wire.
enum Raw<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// Read the next `(field number, value)` pair.
fn next<'a>(buf: &mut &'a [u8], path: &str) -> Result<(u64, Raw<'a>), DecodeError> {
    let key = decode_varint(buf).map_err(|e| wire(path, e.to_string()))?;
    let tag = key >> 3;
    let wire_type =
        WireType::try_from(key & 7).map_err(|_| wire(path, format!("wire type {}", key & 7)))?;
    let raw = match wire_type {
        WireType::Varint => Raw::Varint(decode_varint(buf).map_err(|e| wire(path, e.to_string()))?),
        WireType::LengthDelimited => {
            let len = decode_varint(buf).map_err(|e| wire(path, e.to_string()))? as usize;
            if len > buf.len() {
                return Err(wire(path, "length past the end of the message"));
            }
            let (head, rest) = buf.split_at(len);
            *buf = rest;
            Raw::Bytes(head)
        }
        WireType::SixtyFourBit
        | WireType::ThirtyTwoBit
        | WireType::StartGroup
        | WireType::EndGroup => {
            return Err(wire(
                path,
                format!("unexpected wire type {wire_type:?} for field {tag}"),
            ));
        }
    };
    Ok((tag, raw))
}

/// Decode a message into a JSON object, following the field table.
fn message(mut buf: &[u8], m: &Message, path: &str) -> Result<Map<String, Value>, DecodeError> {
    let mut out = Map::new();
    while !buf.is_empty() {
        let (tag, raw) = next(&mut buf, path)?;
        let field = m.field(tag).ok_or_else(|| DecodeError::Field {
            message: m.name,
            path: shown(path),
            tag,
        })?;
        let here = format!("{path}.{}", field.json);
        match (&field.kind, raw) {
            (Kind::StrMap | Kind::BytesMap | Kind::QuantityMap, Raw::Bytes(entry)) => {
                let (k, v) = map_entry(entry, &field.kind, &here)?;
                let slot = out
                    .entry(field.json)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = slot {
                    map.insert(k, v);
                }
            }
            (kind, raw) if field.repeated => {
                let values = match raw {
                    // A packed run of varints.
                    Raw::Bytes(mut run) if kind.is_varint() => {
                        let mut vs = Vec::new();
                        while !run.is_empty() {
                            let n =
                                decode_varint(&mut run).map_err(|e| wire(&here, e.to_string()))?;
                            vs.push(varint(kind, n));
                        }
                        vs
                    }
                    raw => vec![value(field, raw, &here)?],
                };
                let slot = out
                    .entry(field.json)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = slot {
                    items.extend(values.into_iter().flatten());
                }
            }
            (_, raw) => match value(field, raw, &here)? {
                Some(v) => {
                    out.insert(field.json.into(), v);
                }
                None => {
                    out.remove(field.json);
                }
            },
        }
    }
    Ok(out)
}

/// A scalar or message field's JSON value; `None` for a value Go's JSON would leave out (the
/// zero value of a non-pointer field, which the protobuf encoder writes anyway).
fn value(field: &Field, raw: Raw<'_>, path: &str) -> Result<Option<Value>, DecodeError> {
    let keep = |v: Value, zero: bool| (!zero || field.keep_zero || field.repeated).then_some(v);
    Ok(match (&field.kind, raw) {
        (kind, Raw::Varint(n)) if kind.is_varint() => {
            let v = varint(kind, n).unwrap_or(Value::Null);
            keep(v, n == 0)
        }
        (Kind::Str, Raw::Bytes(b)) => {
            let s = utf8(b, path)?;
            let empty = s.is_empty();
            keep(Value::String(s), empty)
        }
        (Kind::Msg(m), Raw::Bytes(b)) => Some(Value::Object(message(b, m, path)?)),
        (Kind::Time, Raw::Bytes(b)) => time(b, path)?,
        (Kind::IntOrString, Raw::Bytes(b)) => int_or_string(b, path)?,
        _ => return Err(wire(path, "a value of the wrong wire type")),
    })
}

fn varint(kind: &Kind, n: u64) -> Option<Value> {
    match kind {
        Kind::Int32 => Some(Value::from(n as i32)),
        Kind::Int64 => Some(Value::from(n as i64)),
        Kind::Bool => Some(Value::Bool(n != 0)),
        _ => None,
    }
}

/// A map entry message: key 1, value 2.
fn map_entry(mut buf: &[u8], kind: &Kind, path: &str) -> Result<(String, Value), DecodeError> {
    let (mut key, mut val) = (String::new(), None);
    while !buf.is_empty() {
        match next(&mut buf, path)? {
            (1, Raw::Bytes(b)) => key = utf8(b, path)?,
            (2, Raw::Bytes(b)) => {
                val = Some(match kind {
                    Kind::StrMap => Value::String(utf8(b, path)?),
                    Kind::BytesMap => {
                        Value::String(base64::engine::general_purpose::STANDARD.encode(b))
                    }
                    _ => quantity(b, path)?,
                })
            }
            (tag, _) => return Err(wire(path, format!("map entry field {tag}"))),
        }
    }
    let empty = match kind {
        Kind::QuantityMap => Value::String("0".into()),
        _ => Value::String(String::new()),
    };
    Ok((key, val.unwrap_or(empty)))
}

/// `metav1.Time`: seconds and nanos since the epoch, shown as RFC 3339; the zero time is null.
fn time(mut buf: &[u8], path: &str) -> Result<Option<Value>, DecodeError> {
    let (mut secs, mut nanos) = (0i64, 0u32);
    let mut seen = false;
    while !buf.is_empty() {
        match next(&mut buf, path)? {
            (1, Raw::Varint(n)) => (secs, seen) = (n as i64, true),
            (2, Raw::Varint(n)) => nanos = n as u32,
            (tag, _) => return Err(wire(path, format!("time field {tag}"))),
        }
    }
    if !seen || secs == ZERO_TIME_SECONDS {
        return Ok(None);
    }
    let t = chrono::DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| wire(path, "time out of range"))?;
    Ok(Some(Value::String(
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )))
}

/// `intstr.IntOrString`: type 1 (0 int, 1 string), intVal 2, strVal 3; JSON is the bare value.
/// The zero value (integer 0) is an unset port, which the server defaults.
fn int_or_string(mut buf: &[u8], path: &str) -> Result<Option<Value>, DecodeError> {
    let (mut is_string, mut int, mut text) = (false, 0i32, String::new());
    while !buf.is_empty() {
        match next(&mut buf, path)? {
            (1, Raw::Varint(n)) => is_string = n == 1,
            (2, Raw::Varint(n)) => int = n as i32,
            (3, Raw::Bytes(b)) => text = utf8(b, path)?,
            (tag, _) => return Err(wire(path, format!("int-or-string field {tag}"))),
        }
    }
    Ok(match (is_string, int) {
        (true, _) => Some(Value::String(text)),
        (false, 0) => None,
        (false, n) => Some(Value::from(n)),
    })
}

/// `resource.Quantity`: its canonical string in field 1.
fn quantity(mut buf: &[u8], path: &str) -> Result<Value, DecodeError> {
    let mut text = String::new();
    while !buf.is_empty() {
        match next(&mut buf, path)? {
            (1, Raw::Bytes(b)) => text = utf8(b, path)?,
            (tag, _) => return Err(wire(path, format!("quantity field {tag}"))),
        }
    }
    Ok(Value::String(text))
}
