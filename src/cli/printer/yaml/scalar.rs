//! Character classes, scalar analysis and key order of go-yaml v2's emitter.
//!
//! The emitter inspects every scalar to learn which styles can hold it
//! (plain, single-quoted, double-quoted, literal block) and then picks the
//! first one allowed. These rules decide, for example, that `a: b` needs
//! single quotes and that a tab forces double quotes.

/// YAML 1.1 printable characters as go-yaml tests them (its byte-level test
/// excludes tab, CR, NEL and everything outside the Basic Multilingual Plane).
pub(crate) fn is_printable(c: char) -> bool {
    let u = c as u32;
    c == '\n'
        || (0x20..=0x7e).contains(&u)
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

/// Line breaks: LF, CR, NEL, LS and PS.
pub(crate) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_blankz(c: char) -> bool {
    is_blank(c) || is_break(c) || c == '\0'
}

/// Which styles can represent a scalar, from go-yaml's `analyze_scalar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Analysis {
    /// Contains a line break.
    pub(crate) multiline: bool,
    /// May be written without quotes in block context.
    pub(crate) block_plain_allowed: bool,
    /// May be written in single quotes.
    pub(crate) single_quoted_allowed: bool,
    /// May be written as a literal block (`|`).
    pub(crate) block_allowed: bool,
}

/// Analyzes `value` as go-yaml does (flow context is never used here: empty
/// collections are the only flow nodes and hold no scalars).
pub(crate) fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;

    let chars: Vec<char> = value.chars().collect();
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|n| is_blank(*n));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(c);
    }

    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Sorts map keys in go-yaml v2's order: a "natural" order where runs of
/// digits compare by value and, at the first difference, a non-letter sorts
/// before a letter.
///
/// That order is not transitive for some key sets (`9x` < `10` < `1e` <
/// `9x`); go-yaml then depends on Go's random map order, so kubectl's output
/// varies between runs. A merge sort gives one of those outcomes and, unlike
/// the standard sort, tolerates the inconsistency.
pub(crate) fn sort_keys<T>(items: &mut Vec<(&str, T)>) {
    let keyed: Vec<(Vec<char>, (&str, T))> = std::mem::take(items)
        .into_iter()
        .map(|item| (item.0.chars().collect(), item))
        .collect();
    let sorted = merge_sort(keyed);
    items.extend(sorted.into_iter().map(|(_, item)| item));
}

fn merge_sort<T>(mut v: Vec<(Vec<char>, T)>) -> Vec<(Vec<char>, T)> {
    if v.len() <= 1 {
        return v;
    }
    let right = v.split_off(v.len() / 2);
    let left = merge_sort(v);
    let right = merge_sort(right);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_right = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => key_less(&r.0, &l.0),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        let next = if take_right {
            right.next()
        } else {
            left.next()
        };
        out.extend(next);
    }
    out
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn digit_value(c: char) -> i64 {
    i64::from(c as u32) - i64::from(b'0')
}

fn key_less(ar: &[char], br: &[char]) -> bool {
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            // A zero inside a longer number (e.g. the "0" of "10") still
            // counts; only leading zeros are special.
            if ar[..i]
                .iter()
                .rev()
                .take_while(|c| is_digit(**c))
                .any(|c| *c != '0')
            {
                an = 1;
                bn = 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}
