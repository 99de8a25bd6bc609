//! Whether a string would read back as something other than a string.
//!
//! kubectl's YAML writer (go-yaml v2 behind sigs.k8s.io/yaml) quotes a string
//! exactly when its plain form would resolve to another YAML 1.1 type: a bool
//! (`yes`, `on`, `n`…), null (`~`, empty), a number in any Go integer syntax,
//! a float, a timestamp (`2024-01-02`) or a base-60 number (`1:20`).

/// Words that resolve to bool, null, a special float or the merge key.
const RESERVED: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No",
    "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan",
    ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    "<<",
];

/// True when the plain scalar `s` would be read back as a string, so it may be
/// written without quotes.
pub(crate) fn plain_is_string(s: &str) -> bool {
    resolves_to_string(s) && !is_base60_float(s)
}

fn resolves_to_string(s: &str) -> bool {
    // The first byte decides which checks apply; "<<" starts with a byte that
    // has no hint, so it stays a string.
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint == 0 {
        return true;
    }
    if RESERVED.contains(&s) {
        return false;
    }
    match hint {
        b'.' => !is_dot_float(s),
        b'D' | b'S' => {
            if is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            !(parse_go_int(&plain) || is_yaml_float(&plain))
        }
        _ => true,
    }
}

/// `strconv.ParseInt(s, 0, 64)` or `strconv.ParseUint(s, 0, 64)` succeeds.
fn parse_go_int(s: &str) -> bool {
    let (negative, signed, body) = match s.as_bytes().first() {
        Some(b'-') => (true, true, &s[1..]),
        Some(b'+') => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let Some(magnitude) = parse_unsigned_base0(body) else {
        return false;
    };
    let fits_int = if negative {
        magnitude <= 1u128 << 63
    } else {
        magnitude <= i64::MAX as u128
    };
    // ParseUint takes no sign at all.
    let fits_uint = !signed && magnitude <= u64::MAX as u128;
    fits_int || fits_uint
}

/// Go's base-0 unsigned parse: `0x`, `0o`, `0b` prefixes, a leading `0` for
/// octal. Returns `None` on bad syntax or a value past `u128` (then surely past
/// `u64` as well).
fn parse_unsigned_base0(s: &str) -> Option<u128> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &s[2..]),
            Some(b'o') if b.len() >= 3 => (8, &s[2..]),
            Some(b'x') if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    let mut value: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(16)?;
        if d >= base {
            return None;
        }
        value = value
            .checked_mul(u128::from(base))?
            .checked_add(u128::from(d))?;
    }
    Some(value)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` and a finite value.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_digits = count_digits(&b[i..]);
    i += int_digits;
    if int_digits == 0 {
        if b.get(i) != Some(&b'.') {
            return false;
        }
        let frac = count_digits(&b[i + 1..]);
        if frac == 0 {
            return false;
        }
        i += 1 + frac;
    } else if b.get(i) == Some(&b'.') {
        i += 1 + count_digits(&b[i + 1..]);
    }
    if !exponent_then_end(b, i) {
        return false;
    }
    finite(s)
}

/// A float starting with a dot as Go's ParseFloat reads it: `.5`, `.5e3`, and
/// with underscores between digits (`.1_9`).
fn is_dot_float(s: &str) -> bool {
    if !underscores_ok(s) {
        return false;
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let b = plain.as_bytes();
    let frac = count_digits(&b[1..]);
    frac > 0 && exponent_then_end(b, 1 + frac) && finite(&plain)
}

/// Go's rule for digit separators in a decimal number: each underscore sits
/// between two digits.
fn underscores_ok(s: &str) -> bool {
    let mut previous_digit = false;
    let mut previous_underscore = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            previous_digit = true;
            previous_underscore = false;
        } else if c == '_' {
            if !previous_digit {
                return false;
            }
            previous_digit = false;
            previous_underscore = true;
        } else {
            if previous_underscore {
                return false;
            }
            previous_digit = false;
        }
    }
    !previous_underscore
}

/// Optional `[eE][-+]?[0-9]+` at `i`, then the end of input.
fn exponent_then_end(b: &[u8], mut i: usize) -> bool {
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = count_digits(&b[i.min(b.len())..]);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Go's ParseFloat reports values beyond float64 as an error.
fn finite(s: &str) -> bool {
    s.parse::<f64>().map(f64::is_finite).unwrap_or(false)
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if *c == b'+' || *c == b'-' || c.is_ascii_digit() => {}
        _ => return false,
    }
    if !s.contains(':') {
        return false;
    }
    let mut i = usize::from(matches!(b[0], b'+' | b'-'));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let ends_group = |j: usize| matches!(b.get(j), None | Some(b':' | b'.'));
        let two =
            matches!(b.get(i), Some(b'0'..=b'5')) && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if two && ends_group(i + 2) {
            i += 2;
        } else if b.get(i).is_some_and(u8::is_ascii_digit) && ends_group(i + 1) {
            i += 1;
        } else {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's timestamp check: Go's `time.Parse` with one of
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if count_digits(b) != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    let mut p = Cursor { b, i: 5 };
    let Some(month) = p.num() else { return false };
    if !(1..=12).contains(&month) || !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.num() else { return false };
    let year: u32 = s[..4].parse().unwrap_or(0);
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.at_end() {
        return true;
    }
    match b.get(p.i) {
        Some(b'T' | b't') => {
            p.i += 1;
            p.clock() && p.zone() && p.at_end()
        }
        Some(b' ') => {
            while p.eat(b' ') {}
            p.clock() && p.at_end()
        }
        _ => false,
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A reading position for the timestamp layouts.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

// === impl Cursor ===

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn digit(&self, at: usize) -> Option<u32> {
        self.b
            .get(at)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    }

    /// One or two digits, as Go's layout elements `1`, `2`, `15`, `4`, `5`.
    fn num(&mut self) -> Option<u32> {
        let first = self.digit(self.i)?;
        match self.digit(self.i + 1) {
            Some(second) => {
                self.i += 2;
                Some(first * 10 + second)
            }
            None => {
                self.i += 1;
                Some(first)
            }
        }
    }

    /// `15:4:5` and an optional fraction (`.` or `,` and digits).
    fn clock(&mut self) -> bool {
        if self.num().is_none_or(|h| h >= 24) || !self.eat(b':') {
            return false;
        }
        if self.num().is_none_or(|m| m >= 60) || !self.eat(b':') {
            return false;
        }
        if self.num().is_none_or(|s| s >= 60) {
            return false;
        }
        if matches!(self.b.get(self.i), Some(b'.' | b',')) && self.digit(self.i + 1).is_some() {
            self.i += 1;
            while self.digit(self.i).is_some() {
                self.i += 1;
            }
        }
        true
    }

    /// `Z07:00`: `Z`, or a sign, two hour digits, `:`, two minute digits.
    fn zone(&mut self) -> bool {
        if self.eat(b'Z') {
            return true;
        }
        let rest = &self.b[self.i.min(self.b.len())..];
        if rest.len() < 6 || rest[3] != b':' || !matches!(rest[0], b'+' | b'-') {
            return false;
        }
        let two = |a: u8, b: u8| {
            (a.is_ascii_digit() && b.is_ascii_digit())
                .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        };
        match (two(rest[1], rest[2]), two(rest[4], rest[5])) {
            (Some(h), Some(m)) if h <= 24 && m <= 60 => {
                self.i += 6;
                true
            }
            _ => false,
        }
    }
}
