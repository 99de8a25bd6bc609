//! Field paths and the constructors of [`Cause`]s, worded like
//! `k8s.io/apimachinery/pkg/util/validation/field` (`Required value`, `Invalid value: ...`).

use std::fmt::Write as _;

use super::{Cause, Reason};

/// A field path such as `spec.containers[0].ports[1].name`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(String);

// === impl FieldPath ===

impl FieldPath {
    /// A path starting at the named top-level field.
    pub(crate) fn new(name: &str) -> Self {
        FieldPath(name.to_string())
    }

    /// The path of a named child field.
    pub(crate) fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            return FieldPath(name.to_string());
        }
        FieldPath(format!("{}.{name}", self.0))
    }

    /// The path of a list element.
    pub(crate) fn index(&self, i: usize) -> Self {
        FieldPath(format!("{}[{i}]", self.0))
    }

    /// The path of a map entry, kube style: `limits[cpu]`.
    pub(crate) fn key(&self, key: &str) -> Self {
        FieldPath(format!("{}[{key}]", self.0))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The offending value of an `Invalid`/`Duplicate`/`NotSupported` error, rendered as Go's
/// `field.Error` renders it: strings quoted, integers bare, anything else as
/// a pre-rendered Go `%#v`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Bad {
    Str(String),
    Int(i64),
    /// Already in Go syntax (structs, maps).
    Go(String),
}

// === impl Bad ===

impl Bad {
    pub(crate) fn str(s: &str) -> Self {
        Bad::Str(s.to_string())
    }

    fn render(&self) -> String {
        match self {
            Bad::Str(s) => go_quote(s),
            Bad::Int(i) => i.to_string(),
            Bad::Go(s) => s.clone(),
        }
    }
}

fn cause(path: &FieldPath, reason: Reason, message: String) -> Cause {
    Cause {
        field: path.as_str().to_string(),
        message,
        reason,
    }
}

fn with_detail(head: String, detail: &str) -> String {
    if detail.is_empty() {
        head
    } else {
        format!("{head}: {detail}")
    }
}

/// `Required value[: detail]`.
pub(crate) fn required(path: &FieldPath, detail: &str) -> Cause {
    cause(
        path,
        Reason::Required,
        with_detail("Required value".to_string(), detail),
    )
}

/// `Invalid value: <value>[: detail]`.
pub(crate) fn invalid(path: &FieldPath, value: Bad, detail: &str) -> Cause {
    cause(
        path,
        Reason::Invalid,
        with_detail(format!("Invalid value: {}", value.render()), detail),
    )
}

/// Like [`invalid`] but with reason `FieldValueTypeInvalid` (schema type mismatches).
pub(crate) fn type_invalid(path: &FieldPath, value: Bad, detail: &str) -> Cause {
    cause(
        path,
        Reason::TypeInvalid,
        with_detail(format!("Invalid value: {}", value.render()), detail),
    )
}

/// `Unsupported value: <value>: supported values: "a", "b"`.
pub(crate) fn not_supported(path: &FieldPath, value: Bad, supported: &[&str]) -> Cause {
    let list = supported
        .iter()
        .map(|s| go_quote(s))
        .collect::<Vec<_>>()
        .join(", ");
    let detail = if list.is_empty() {
        String::new()
    } else {
        format!("supported values: {list}")
    };
    cause(
        path,
        Reason::NotSupported,
        with_detail(format!("Unsupported value: {}", value.render()), &detail),
    )
}

/// `Duplicate value: <value>`.
pub(crate) fn duplicate(path: &FieldPath, value: Bad) -> Cause {
    cause(
        path,
        Reason::Duplicate,
        format!("Duplicate value: {}", value.render()),
    )
}

/// `Forbidden: detail`.
pub(crate) fn forbidden(path: &FieldPath, detail: &str) -> Cause {
    cause(
        path,
        Reason::Forbidden,
        with_detail("Forbidden".to_string(), detail),
    )
}

/// `Too long: may not be more than N bytes`.
pub(crate) fn too_long(path: &FieldPath, max: usize) -> Cause {
    let unit = if max == 1 { "byte" } else { "bytes" };
    cause(
        path,
        Reason::TooLong,
        format!("Too long: may not be more than {max} {unit}"),
    )
}

/// `Not found: <value>`.
pub(crate) fn not_found(path: &FieldPath, value: Bad) -> Cause {
    cause(
        path,
        Reason::NotFound,
        format!("Not found: {}", value.render()),
    )
}

/// Quotes a string the way Go's `%q` / `strconv.Quote` does.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Formats a float like Go's `%v`: the shortest representation, with an exponent for very
/// large or small magnitudes.
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".to_string()
        } else {
            "-Inf".to_string()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e21).contains(&abs) {
        // Go: 1e-05, 1.5e+21 (at least two exponent digits, explicit sign).
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    format!("{f}")
}

/// Formats a float like Go's `%f` (six decimals).
pub(crate) fn go_float_fixed(f: f64) -> String {
    format!("{f:.6}")
}

/// Renders a string map like Go's `%#v` of a `map[string]string` (keys sorted).
pub(crate) fn go_string_map<'a>(
    map: Option<impl IntoIterator<Item = (&'a String, &'a String)>>,
) -> String {
    let Some(map) = map else {
        return "map[string]string(nil)".to_string();
    };
    let mut entries: Vec<(&String, &String)> = map.into_iter().collect();
    entries.sort();
    let body = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("map[string]string{{{body}}}")
}
