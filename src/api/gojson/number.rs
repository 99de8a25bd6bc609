//! Number formatting as kubectl's Go runtime prints decoded JSON numbers.
//!
//! kubectl decodes JSON into "unstructured" values: a number that fits an
//! `int64` stays an integer, anything else becomes a `float64`. Floats are then
//! printed by `fmt.Sprint` (tables, JSONPath text), by `encoding/json` (`-o
//! json`, JSONPath objects) or by `strconv.FormatFloat(f, 'g', -1, 64)` (`-o
//! yaml`). Each of these has its own rule for when to switch to an exponent.

use serde_json::Number;

/// A JSON number as kubectl holds it after decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GoNumber {
    /// Fits `int64`.
    Int(i64),
    /// Everything else, including integers beyond `int64`.
    Float(f64),
}

/// Classifies a decoded number the way kubectl's unstructured decoder does.
pub fn classify(n: &Number) -> GoNumber {
    if let Some(i) = n.as_i64() {
        GoNumber::Int(i)
    } else {
        // u64 above i64::MAX, or a float: Go keeps only a float64.
        GoNumber::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// Go's `fmt.Sprint` of an unstructured number (`%v`).
pub fn number_v(n: &Number) -> String {
    match classify(n) {
        GoNumber::Int(i) => i.to_string(),
        GoNumber::Float(f) => float_g(f),
    }
}

/// Go's `encoding/json` text of an unstructured number.
pub fn number_json(n: &Number) -> String {
    match classify(n) {
        GoNumber::Int(i) => i.to_string(),
        GoNumber::Float(f) => float_json(f),
    }
}

/// Shortest round-trip decimal digits of `|f|` and the position of the
/// decimal point: `f = 0.DIGITS × 10^dp`.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest digits that round-trip, as Go's
    // shortest formatting does: "1.2345e8", "1e-7", "0e0".
    let text = format!("{:e}", f.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

fn sign(f: f64) -> &'static str {
    if f.is_sign_negative() {
        "-"
    } else {
        ""
    }
}

/// `%e` with all shortest digits: `1.5e+08`, `1e-07`.
fn format_e(f: f64, digits: &str, dp: i32) -> String {
    let exp = dp - 1;
    let mut out = String::from(sign(f));
    let (first, rest) = digits.split_at(digits.len().min(1));
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let abs = exp.unsigned_abs();
    if abs < 10 {
        out.push('0');
    }
    out.push_str(&abs.to_string());
    out
}

/// `%f` with all shortest digits and no trailing zeros.
fn format_f(f: f64, digits: &str, dp: i32) -> String {
    let mut out = String::from(sign(f));
    let nd = digits.len() as i32;
    if dp <= 0 {
        out.push('0');
    } else {
        let take = dp.min(nd) as usize;
        out.push_str(&digits[..take]);
        for _ in nd..dp {
            out.push('0');
        }
    }
    if dp < nd {
        out.push('.');
        for _ in dp..0 {
            out.push('0');
        }
        out.push_str(&digits[dp.max(0) as usize..]);
    }
    out
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is also what `%v` prints:
/// an exponent when it is below -4 or at least 6.
pub fn float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let (digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    if f != 0.0 && !(-4..6).contains(&exp) {
        format_e(f, &digits, dp)
    } else {
        format_f(f, &digits, dp)
    }
}

/// Go's `encoding/json` float text: plain unless below 1e-6 or at least 1e21,
/// and a one-digit negative exponent loses its leading zero (`1e-7`).
pub fn float_json(f: f64) -> String {
    let (digits, dp) = shortest_digits(f);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut s = format_e(f, &digits, dp);
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        s
    } else {
        format_f(f, &digits, dp)
    }
}
