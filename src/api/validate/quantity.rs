//! Resource quantities (`500m`, `128Mi`, `1e3`): syntax check and approximate value,
//! following `k8s.io/apimachinery/pkg/api/resource.ParseQuantity`.

/// Go's error for a quantity that does not fit the overall shape.
pub(crate) const ERR_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// Go's error for a numeric part that does not parse.
pub(crate) const ERR_NUMERIC: &str = "unable to parse quantity's numeric part";
/// Go's error for an unknown suffix.
pub(crate) const ERR_SUFFIX: &str = "unable to parse quantity's suffix";

/// A parsed quantity. The value is kept as a float: it only feeds comparisons and sign
/// checks, never arithmetic that must be exact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Quantity {
    pub(crate) value: f64,
}

/// Parses a quantity as Go's JSON decoder does (surrounding whitespace is ignored).
pub(crate) fn parse(text: &str) -> Result<Quantity, &'static str> {
    let s = text.trim();
    if s.is_empty() {
        return Err(ERR_FORMAT);
    }
    if s == "0" {
        return Ok(Quantity { value: 0.0 });
    }
    let (negative, value, suffix) = split(s)?;
    let multiplier = suffix_multiplier(suffix).ok_or(ERR_SUFFIX)?;
    let number: f64 = numeric(value).ok_or(ERR_NUMERIC)?;
    let magnitude = number * multiplier;
    Ok(Quantity {
        value: if negative { -magnitude } else { magnitude },
    })
}

/// Splits into (negative, numeric part without sign, suffix), or the format error.
fn split(s: &str) -> Result<(bool, &str, &str), &'static str> {
    let bytes = s.as_bytes();
    let mut pos = 0;
    let mut negative = false;
    match bytes.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let start = pos;
    while pos < bytes.len() && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < bytes.len() && bytes[pos] == b'.' {
        pos += 1;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
    }
    let value = &s[start..pos];
    let suffix_start = pos;
    while pos < bytes.len() && b"eEinumkKMGTP".contains(&bytes[pos]) {
        pos += 1;
    }
    if pos < bytes.len() && (bytes[pos] == b'-' || bytes[pos] == b'+') {
        pos += 1;
    }
    while pos < bytes.len() && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos != bytes.len() {
        return Err(ERR_FORMAT);
    }
    Ok((negative, value, &s[suffix_start..]))
}

/// The numeric part: digits with an optional fraction. An empty part (a bare sign) counts
/// as zero, as in Go.
fn numeric(value: &str) -> Option<f64> {
    if value.is_empty() {
        return Some(0.0);
    }
    if value == "." {
        return None;
    }
    let padded = if value.ends_with('.') {
        format!("{value}0")
    } else {
        value.to_string()
    };
    let padded = if padded.starts_with('.') {
        format!("0{padded}")
    } else {
        padded
    };
    padded.parse().ok()
}

fn suffix_multiplier(suffix: &str) -> Option<f64> {
    let binary = |power: i32| Some(1024f64.powi(power));
    let decimal = |exp: i32| Some(10f64.powi(exp));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        s => {
            let exp = s.strip_prefix('e').or_else(|| s.strip_prefix('E'))?;
            let exp: i32 = exp.parse().ok()?;
            decimal(exp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let cases: &[(&str, Result<f64, &str>)] = &[
            ("0", Ok(0.0)),
            ("100m", Ok(0.1)),
            ("1", Ok(1.0)),
            ("1.5", Ok(1.5)),
            ("128Mi", Ok(128.0 * 1024.0 * 1024.0)),
            ("1Gi", Ok(1024.0 * 1024.0 * 1024.0)),
            ("2k", Ok(2000.0)),
            ("1e3", Ok(1000.0)),
            ("1E-3", Ok(0.001)),
            (".5", Ok(0.5)),
            ("5.", Ok(5.0)),
            ("-1", Ok(-1.0)),
            ("+2", Ok(2.0)),
            (" 3 ", Ok(3.0)),
            ("", Err(ERR_FORMAT)),
            ("abc", Err(ERR_FORMAT)),
            ("1.2.3", Err(ERR_FORMAT)),
            ("1Gb", Err(ERR_FORMAT)),
            ("1 Gi", Err(ERR_FORMAT)),
            ("1Zi", Err(ERR_FORMAT)),
            ("1ki", Err(ERR_SUFFIX)),
            ("1mi", Err(ERR_SUFFIX)),
            ("1e", Err(ERR_SUFFIX)),
            (".", Err(ERR_NUMERIC)),
        ];
        for (text, want) in cases {
            let got = parse(text).map(|q| q.value);
            match (got, want) {
                (Ok(g), Ok(w)) => assert!((g - w).abs() < 1e-9, "{text:?}: {g} != {w}"),
                (g, w) => assert_eq!(g.map(|_| ()), w.map(|_| ()), "{text:?}"),
            }
        }
    }
}
