//! Request matching: compiled StringMatch values and the HTTPMatchRequest conditions.

use std::borrow::Cow;
use std::collections::BTreeMap;

use regex::Regex;

use super::{Match, Request, RouteError};
use crate::api::istio::{HttpMatchRequest, StringMatch};

/// A compiled `StringMatch`; regexes are anchored so they must match the whole value.
#[derive(Clone, Debug)]
pub enum StringMatcher {
    Exact(String),
    Prefix(String),
    Regex(Regex),
    /// The key only has to be present: `{}` in a header or query-param map, and Istio's
    /// header catch-alls `prefix: ""` and `regex: "*"`.
    Present,
}

// === impl StringMatcher ===

impl StringMatcher {
    /// Compiles a StringMatch; one with no field set means presence.
    pub fn compile(m: &StringMatch) -> Result<Self, RouteError> {
        if let Some(exact) = &m.exact {
            return Ok(Self::Exact(exact.clone()));
        }
        if let Some(prefix) = &m.prefix {
            return Ok(Self::Prefix(prefix.clone()));
        }
        if let Some(pattern) = &m.regex {
            return full_regex(pattern).map(Self::Regex);
        }
        Ok(Self::Present)
    }

    /// Case-sensitive test of a present value.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(want) => value == want,
            Self::Prefix(prefix) => value.starts_with(prefix.as_str()),
            Self::Regex(re) => re.is_match(value),
            Self::Present => true,
        }
    }

    /// Exact and prefix compare ASCII case-insensitively (`ignoreUriCase`); regex is unaffected.
    fn matches_ignore_case(&self, value: &str) -> bool {
        match self {
            Self::Exact(want) => value.eq_ignore_ascii_case(want),
            Self::Prefix(prefix) => value
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
            _ => self.matches(value),
        }
    }
}

/// Compiles `pattern` so that it has to match the entire input, as Envoy's safe_regex does.
pub(crate) fn full_regex(pattern: &str) -> Result<Regex, RouteError> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| RouteError::InvalidRegex {
        pattern: pattern.to_string(),
        source: Box::new(e),
    })
}

/// Header keys Istio does not treat as headers in `headers` / `withoutHeaders`.
const PSEUDO_KEYS: [&str; 4] = ["uri", "scheme", "method", "authority"];

/// Whether a header StringMatch is Istio's catch-all (`{}`, `prefix: ""`, `regex: "*"`),
/// which becomes a presence match.
fn is_catch_all(m: &StringMatch) -> bool {
    match (&m.exact, &m.prefix, &m.regex) {
        (None, None, None) => true,
        (None, Some(prefix), None) => prefix.is_empty(),
        (None, None, Some(regex)) => regex == "*",
        _ => false,
    }
}

/// Compiles a header (`headers = true`: lower-cased keys, pseudo keys skipped, catch-alls
/// as presence) or query-parameter map.
fn compile_map(
    map: &BTreeMap<String, StringMatch>,
    headers: bool,
) -> Result<Vec<(String, StringMatcher)>, RouteError> {
    let mut out = Vec::new();
    for (key, m) in map {
        if headers && PSEUDO_KEYS.contains(&key.as_str()) {
            continue;
        }
        if headers && is_catch_all(m) {
            out.push((key.to_ascii_lowercase(), StringMatcher::Present));
            continue;
        }
        let key = if headers {
            key.to_ascii_lowercase()
        } else {
            key.clone()
        };
        out.push((key, StringMatcher::compile(m)?));
    }
    Ok(out)
}

fn compile_opt(m: &Option<StringMatch>) -> Result<Option<StringMatcher>, RouteError> {
    m.as_ref().map(StringMatcher::compile).transpose()
}

/// Where the matcher reads request headers from: the proxy's `http::HeaderMap` as it arrived
/// (no copy), or the name/value pairs `trace` builds.
pub trait HeaderSource: std::fmt::Debug + Sync {
    /// All values of header `name` (case-insensitive), joined with "," as Envoy does.
    fn joined(&self, name: &str) -> Option<Cow<'_, str>>;
}

impl HeaderSource for http::HeaderMap {
    fn joined(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut values = self.get_all(name).iter().filter_map(|v| v.to_str().ok());
        let first = values.next()?;
        match values.next() {
            None => Some(Cow::Borrowed(first)),
            Some(second) => {
                let mut all = format!("{first},{second}");
                for v in values {
                    all.push(',');
                    all.push_str(v);
                }
                Some(Cow::Owned(all))
            }
        }
    }
}

impl HeaderSource for [(String, String)] {
    fn joined(&self, name: &str) -> Option<Cow<'_, str>> {
        let values: Vec<&str> = self
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        match values.as_slice() {
            [] => None,
            [one] => Some(Cow::Borrowed(one)),
            _ => Some(Cow::Owned(values.join(","))),
        }
    }
}

impl HeaderSource for Vec<(String, String)> {
    fn joined(&self, name: &str) -> Option<Cow<'_, str>> {
        self.as_slice().joined(name)
    }
}

/// All values of header `name` (case-insensitive), joined with "," as Envoy does.
pub fn header_value<'h>(headers: &'h dyn HeaderSource, name: &str) -> Option<Cow<'h, str>> {
    headers.joined(name)
}

/// First value of query parameter `name` (`?key` alone is the empty value).
pub fn query_value<'a>(path: &'a str, name: &str) -> Option<&'a str> {
    let query = path.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// The authority without a trailing `:port` (IPv6 literals keep their brackets).
pub(crate) fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => authority.get(..=end).unwrap_or(authority),
            None => authority,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

// === impl Match ===

impl Match {
    /// Compiles one HTTPMatchRequest; `gateways` are already qualified by the caller.
    pub(crate) fn compile(m: &HttpMatchRequest, gateways: Vec<String>) -> Result<Self, RouteError> {
        Ok(Self {
            name: (!m.name.is_empty()).then(|| m.name.clone()),
            uri: compile_opt(&m.uri)?,
            scheme: compile_opt(&m.scheme)?,
            method: compile_opt(&m.method)?,
            authority: compile_opt(&m.authority)?,
            headers: compile_map(&m.headers, true)?,
            without_headers: compile_map(&m.without_headers, true)?,
            query_params: compile_map(&m.query_params, false)?,
            port: u16::try_from(m.port).ok().filter(|p| *p != 0),
            ignore_uri_case: m.ignore_uri_case,
            source_labels: m.source_labels.clone(),
            source_namespace: (!m.source_namespace.is_empty()).then(|| m.source_namespace.clone()),
            gateways,
        })
    }

    /// Whether every condition of this block holds for `req`.
    pub fn matches(&self, req: &Request) -> bool {
        let path = req.path.split(['?', '#']).next().unwrap_or(req.path);
        let uri_ok = self.uri.as_ref().is_none_or(|m| {
            if self.ignore_uri_case {
                m.matches_ignore_case(path)
            } else {
                m.matches(path)
            }
        });
        uri_ok
            && self.scheme.as_ref().is_none_or(|m| m.matches(req.scheme))
            && self.method.as_ref().is_none_or(|m| m.matches(req.method))
            && self
                .authority
                .as_ref()
                .is_none_or(|m| m.matches(req.authority))
            && self.headers.iter().all(|(name, m)| {
                header_value(req.headers, name).is_some_and(|v| m.matches(&v))
            })
            // Envoy's invert_match: a presence matcher then means "absent", but any value
            // matcher still needs the header (Istio does not treat missing as empty).
            && self.without_headers.iter().all(|(name, m)| {
                match (header_value(req.headers, name), m) {
                    (None, StringMatcher::Present) => true,
                    (None, _) => false,
                    (Some(v), m) => !m.matches(&v),
                }
            })
            && self.query_params.iter().all(|(name, m)| {
                query_value(req.path, name).is_some_and(|v| m.matches(v))
            })
            && self.port.is_none_or(|p| p == req.port)
            && self
                .source_labels
                .iter()
                .all(|(k, v)| req.source_labels.get(k) == Some(v))
            && self
                .source_namespace
                .as_ref()
                .is_none_or(|ns| ns == req.source_namespace)
            && (self.gateways.is_empty()
                || self
                    .gateways
                    .iter()
                    .any(|g| g == req.gateway.unwrap_or("mesh")))
    }
}
