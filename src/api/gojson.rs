//! JSON text byte for byte as Go's `encoding/json` writes unstructured objects — what kubectl
//! prints, what kubectl stores in `last-applied-configuration`, and what CRD printer columns show.
//!
//! Go marshals `map[string]interface{}` with keys sorted by byte order and
//! escapes `<`, `>`, `&`, U+2028 and U+2029, so `-o json` and JSONPath output
//! differ from the order the server sent.

pub mod number;

use serde_json::{Map, Value};

/// `json.Marshal(v)`: compact, keys sorted, HTML-safe.
pub fn compact(v: &Value) -> String {
    let mut out = String::new();
    write_compact(v, &mut out);
    out
}

/// Writes `v` compactly (`json.Marshal`).
pub fn write_compact(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_compact(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        other => write_scalar(other, out),
    }
}

/// Writes `v` indented by `unit` per level (`json.MarshalIndent(v, "", unit)`).
/// Empty objects and arrays stay `{}` and `[]`.
pub fn write_indented(v: &Value, unit: &str, depth: usize, out: &mut String) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (k, v)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(unit, depth + 1, out);
                write_string(k, out);
                out.push_str(": ");
                write_indented(v, unit, depth + 1, out);
            }
            newline(unit, depth, out);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(unit, depth + 1, out);
                write_indented(item, unit, depth + 1, out);
            }
            newline(unit, depth, out);
            out.push(']');
        }
        other => write_compact(other, out),
    }
}

fn newline(unit: &str, depth: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str(unit);
    }
}

/// Go sorts map keys by their bytes; Rust's `str` ordering is the same.
fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn write_scalar(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number::number_json(n)),
        Value::String(s) => write_string(s, out),
        // Containers are handled by the callers; written compactly if reached.
        Value::Array(_) | Value::Object(_) => write_compact(v, out),
    }
}

/// A JSON string literal with Go's escaping (HTML-safe, `\u00XX` in lower-case hex).
pub fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = c as u32 as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}
