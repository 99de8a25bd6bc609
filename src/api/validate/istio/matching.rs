//! String matches, regexes and header names shared by the Istio kinds.

use super::Errs;
use crate::api::istio::{self as api, StringMatch};
use crate::api::validate::field::{go_quote, FieldPath};

/// The schema's oneOf of a [`StringMatch`], then istiod's checks of it. `empty_prefix_ok`
/// is set for URIs (Envoy accepts an empty URI prefix but no other empty prefix).
pub(super) fn string_match(
    errs: &mut Errs,
    sm: &StringMatch,
    where_: &str,
    empty_prefix_ok: bool,
    path: &FieldPath,
) {
    let set = [&sm.exact, &sm.prefix, &sm.regex]
        .iter()
        .filter(|v| v.is_some())
        .count();
    errs.one_of(path, set);
    if set > 1 {
        return;
    }
    if sm.prefix.as_deref() == Some("") && !empty_prefix_ok {
        errs.err(
            path,
            format!(
                "{}: prefix string match should not be empty",
                go_quote(where_)
            ),
        );
    }
    if let Some(re) = &sm.regex {
        if re.is_empty() {
            errs.err(
                path,
                format!(
                    "{}: regex string match should not be empty",
                    go_quote(where_)
                ),
            );
        } else {
            errs.check(path, regexp(re, where_));
        }
    }
}

/// istiod compiles regexes with Go's RE2 engine; Rust's `regex` accepts the same syntax.
pub(super) fn regexp(re: &str, where_: &str) -> Result<(), String> {
    if re.len() > 1024 {
        return Err(format!(
            "{}: regex is too large, max length allowed is 1024",
            go_quote(where_)
        ));
    }
    match regex::Regex::new(re) {
        Ok(_) => Ok(()),
        Err(err) => {
            let text = err.to_string();
            let reason = text
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or("invalid regular expression");
            // Go's wording for the common mistakes.
            let reason = match reason {
                "unclosed group" => "missing closing )",
                "unopened group" => "unexpected )",
                "unclosed character class" => "missing closing ]",
                "repetition operator missing expression" => {
                    "missing argument to repetition operator"
                }
                "unrecognized escape sequence" => "invalid escape sequence",
                other => other,
            };
            Err(format!(
                "{}: error parsing regexp: {reason}: `{re}`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)",
                go_quote(where_)
            ))
        }
    }
}

/// Header names used in header operations.
pub(super) fn header_operations(errs: &mut Errs, headers: Option<&api::Headers>, path: &FieldPath) {
    let Some(headers) = headers else { return };
    if let Some(req) = &headers.request {
        let at = path.child("request");
        for (name, value) in req.add.iter().chain(&req.set) {
            errs.check(&at, header_name_with_authority(name));
            errs.check(&at, header_value(value));
        }
        for name in &req.remove {
            errs.check(&at.child("remove"), header_operation_name(name));
        }
    }
    if let Some(resp) = &headers.response {
        let at = path.child("response");
        for (name, value) in resp.add.iter().chain(&resp.set) {
            errs.check(&at, header_operation_name(name));
            errs.check(&at, header_value(value));
        }
        for name in &resp.remove {
            errs.check(&at.child("remove"), header_operation_name(name));
        }
    }
}

fn is_internal_header(name: &str) -> bool {
    name.starts_with(':') || name.eq_ignore_ascii_case("host")
}

pub(super) fn is_authority_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case("host")
}

fn header_name_with_authority(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("header name cannot be empty".to_string());
    }
    if is_internal_header(name) && !is_authority_header(name) {
        return Err(format!(
            "invalid header {}: header cannot have \":\" prefix",
            go_quote(name)
        ));
    }
    Ok(())
}

fn header_operation_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("header name cannot be empty".to_string());
    }
    if name.eq_ignore_ascii_case("host") {
        return Err(format!(
            "invalid header {}: cannot set Host header",
            go_quote(name)
        ));
    }
    if is_internal_header(name) {
        return Err(format!(
            "invalid header {}: header cannot have \":\" prefix",
            go_quote(name)
        ));
    }
    Ok(())
}

/// Header values may not contain control characters other than tab.
fn header_value(value: &str) -> Result<(), String> {
    if value
        .chars()
        .any(|c| (c < ' ' && c != '\t') || c == '\u{7f}')
    {
        return Err(format!("header value configuration {value} is invalid"));
    }
    Ok(())
}

/// A header name (`^[-_A-Za-z0-9]+$`).
pub(super) fn header_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("header name cannot be empty".to_string());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!("header name {name} is not a valid header name"));
    }
    Ok(())
}

/// A header name in a match, or a JWT claim routing key.
pub(super) fn match_header_name(name: &str) -> Result<(), String> {
    if is_jwt_claim(name) {
        return Ok(());
    }
    header_name(name)
}

/// `@request.auth.claims.<claim>` (or `@request.auth.claims[<claim>]`) routing keys.
pub(super) fn is_jwt_claim(name: &str) -> bool {
    name.strip_prefix("@request.auth.claims")
        .is_some_and(|rest| {
            (rest.starts_with('.') && rest.len() > 1)
                || (rest.starts_with('[') && rest.ends_with(']'))
        })
}
