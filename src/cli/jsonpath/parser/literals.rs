//! Literal syntax inside actions: array bounds, numbers and quoted strings.

use super::{Error, Param};

/// `^(-?\d*)(:-?\d*)?(:-?\d*)?$` into start, end and step.
pub(super) fn parse_slice(text: &str) -> Result<[Param; 3], Error> {
    let groups = slice_groups(text).ok_or_else(|| Error::InvalidArrayIndex(text.to_string()))?;
    let mut params = [Param::default(); 3];
    for i in 0..3 {
        let group = groups[i];
        if group.is_empty() {
            if i == 1 {
                params[1] = Param {
                    value: params[0].value + 1,
                    known: true,
                    derived: true,
                };
            }
            continue;
        }
        let number = if i > 0 { &group[1..] } else { group };
        if i == 1 && number.is_empty() {
            continue;
        }
        let value = go_atoi(number).ok_or_else(|| Error::IndexNotNumber(number.to_string()))?;
        params[i] = Param {
            value,
            known: true,
            derived: false,
        };
    }
    Ok(params)
}

/// The three groups of the slice syntax, each with its leading `:`.
fn slice_groups(text: &str) -> Option<[&str; 3]> {
    let b = text.as_bytes();
    let number_end = |from: usize| {
        let mut i = from;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let first_end = number_end(0);
    let mut groups = [&text[..first_end], "", ""];
    let mut i = first_end;
    for group in groups.iter_mut().skip(1) {
        if b.get(i) == Some(&b':') {
            let end = number_end(i + 1);
            *group = &text[i..end];
            i = end;
        }
    }
    (i == b.len()).then_some(groups)
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, 64-bit range.
pub(super) fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

/// Go's `strconv.ParseFloat` for the digits-and-dots text a number token can hold.
pub(super) fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || body == "." || body.matches('.').count() > 1 {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `strconv.Unquote` extended to single quotes: the escapes `\a \b \f
/// \n \r \t \v \\ \' \"` (the quote not delimiting the string is refused),
/// `\xHH`, `\ooo`, `\uHHHH`, `\UHHHHHHHH`. Octal and `\x` escapes are raw
/// bytes, so invalid UTF-8 becomes U+FFFD.
pub(super) fn unquote(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 2 {
        return None;
    }
    let quote = chars[0];
    if quote != chars[chars.len() - 1] || (quote != '"' && quote != '\'') {
        return None;
    }
    let inner = &chars[1..chars.len() - 1];
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        i += 1;
        if c == quote {
            return None;
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = *inner.get(i)?;
        i += 1;
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '\'' | '"' if e == quote => Some(e as u8),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match e {
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex = inner.get(i..i + n)?;
                i += n;
                let mut v: u32 = 0;
                for h in hex {
                    v = v * 16 + h.to_digit(16)?;
                }
                if e == 'x' {
                    out.push(v as u8);
                } else {
                    let c = char::from_u32(v)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            '0'..='7' => {
                let rest = inner.get(i..i + 2)?;
                i += 2;
                let mut v = e.to_digit(8)?;
                for o in rest {
                    v = v * 8 + o.to_digit(8)?;
                }
                out.push(u8::try_from(v).ok()?);
            }
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}
