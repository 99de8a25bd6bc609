//! Read-only debugging views over compiled proxy configs: why one request is routed where it
//! is ([`trace`]), and istioctl-style `proxy-config` tables and JSON dumps.
//!
//! Nothing here sends traffic or changes a config: every function is a pure view of a
//! [`RouterConfig`](crate::routes::RouterConfig) or of
//! [`Cluster`](crate::routes::Cluster)s. Each table row and trace step names the
//! VirtualService or DestinationRule it comes from, so "why" is always one look away.

mod describe;
mod explain;
mod json;
mod tables;
#[cfg(test)]
mod tests;
mod workload;

use std::collections::BTreeMap;

use crate::routes::Request;

pub use explain::{render_trace, trace};
pub use json::{clusters_json, routes_json};
pub use tables::{clusters_table, endpoints_table, listeners_table, routes_table};
pub use workload::{describe_pod, describe_service, Ingress};

/// Problems turning command-line input into a [`TraceRequest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// The URL is not `http://` or `https://` followed by a host (and optional port).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: &'static str },
    /// A `-H` argument that is not `Name: value` (or curl's `Name;` for an empty value).
    #[error("invalid header {0:?}: expected \"Name: value\"")]
    InvalidHeader(String),
    /// A method that is empty or contains characters an HTTP token cannot have.
    #[error("invalid method {0:?}")]
    InvalidMethod(String),
}

/// Why one request goes where it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The request as traced, e.g. `GET http://httpbin.example.com/status/200`.
    pub request: String,
    /// The listener port that took the request; `None` when nothing listens on it.
    pub listener: Option<u16>,
    /// `ns/name` of the Gateways behind the listener (empty for sidecars).
    pub gateways: Vec<String>,
    /// Name of the chosen virtual host.
    pub virtual_host: Option<String>,
    /// Every rule tried, in order, up to and including the one that matched.
    pub steps: Vec<RuleStep>,
    pub outcome: Outcome,
    /// Extra context: the listeners that exist, TLS redirects, ...
    pub notes: Vec<String>,
}

/// One rule of the virtual host as tried against the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleStep {
    /// Position in the virtual host's route list.
    pub index: usize,
    /// The HTTPRoute's `name`.
    pub name: Option<String>,
    /// `ns/name` of the VirtualService (empty for a synthesized default route).
    pub source: String,
    pub matched: bool,
    /// The conditions that failed (or, for the matching rule, held), e.g.
    /// `uri: "/hello" is not prefix "/api"` or `header x-canary: absent`.
    pub reasons: Vec<String>,
}

/// What the proxy does with the request.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Nothing listens on the port.
    NoListener,
    /// No virtual host's domains cover the authority (Envoy answers 404 NR).
    NoVirtualHost {
        authority: String,
        domains: Vec<String>,
    },
    /// A virtual host matched but none of its rules did (Envoy answers 404 NR).
    NoRoute,
    /// Forwarded upstream by rule `rule`.
    Route {
        rule: usize,
        /// `(cluster name, weight, percent of the total weight)`.
        clusters: Vec<(String, u32, f64)>,
        /// The path (with query) sent upstream when the rule rewrites the URI.
        rewrite: Option<String>,
        /// One human-readable line per policy: `timeout 2s`, `retries 3 on 5xx (per try 1s)`, ...
        policies: Vec<String>,
    },
    /// Answered with a redirect.
    Redirect { location: String, code: u16 },
    /// Answered with a fixed response.
    DirectResponse { status: u16, body: Option<String> },
}

/// What the proxy knows about one endpoint's health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// Passes readiness (Envoy's HEALTHY / UNHEALTHY).
    pub healthy: bool,
    /// Currently ejected by outlier detection.
    pub ejected: bool,
}

/// An owned request built from `METHOD URL -H ...`, for [`trace`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceRequest {
    pub method: String,
    /// Lower-case `http` or `https`.
    pub scheme: String,
    /// Host with the URL's port if it had one, or the `Host` header when given.
    pub authority: String,
    /// Path with query, never empty.
    pub path: String,
    /// Headers other than `Host`, in the order given.
    pub headers: Vec<(String, String)>,
    /// The URL's port, or the scheme's default.
    pub port: u16,
    pub source_labels: BTreeMap<String, String>,
    pub source_namespace: String,
    /// `ns/name` of the Gateway the request comes through; `None` for sidecars.
    pub gateway: Option<String>,
}

// === impl TraceRequest ===

impl TraceRequest {
    /// Parses a curl-like request: `method`, an absolute `http(s)://` URL and `Name: value`
    /// headers. A `Host` header replaces the URL's authority, as it does for curl.
    pub fn parse(method: &str, url: &str, headers: &[String]) -> Result<Self, InspectError> {
        if method.is_empty() || !method.bytes().all(is_token_byte) {
            return Err(InspectError::InvalidMethod(method.to_string()));
        }
        let bad = |reason| InspectError::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected http:// or https://"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(bad("expected http:// or https://")),
        };
        let rest = rest.split('#').next().unwrap_or(rest);
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        // Credentials never reach the authority Envoy sees.
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("invalid port"))?;
        if host.is_empty() || host == "[]" {
            return Err(bad("missing host"));
        }
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        let mut out = Self {
            method: method.to_string(),
            scheme,
            authority: authority.to_string(),
            path,
            headers: Vec::new(),
            port: port.unwrap_or(default_port),
            source_labels: BTreeMap::new(),
            source_namespace: String::new(),
            gateway: None,
        };
        for raw in headers {
            let (name, value) = parse_header(raw)?;
            if name.eq_ignore_ascii_case("host") {
                out.authority = value;
            } else {
                out.headers.push((name, value));
            }
        }
        Ok(out)
    }

    /// The borrowed view the matcher takes.
    pub fn as_request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            scheme: &self.scheme,
            authority: &self.authority,
            path: &self.path,
            headers: &self.headers,
            port: self.port,
            source_labels: &self.source_labels,
            source_namespace: &self.source_namespace,
            gateway: self.gateway.as_deref(),
        }
    }
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `Name: value` (value trimmed) or curl's `Name;` for an empty value.
fn parse_header(raw: &str) -> Result<(String, String), InspectError> {
    let bad = || InspectError::InvalidHeader(raw.to_string());
    let (name, value) = match raw.split_once(':') {
        Some((name, value)) => (name.trim(), value.trim()),
        None => match raw.trim().strip_suffix(';') {
            Some(name) => (name.trim(), ""),
            None => return Err(bad()),
        },
    };
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(bad());
    }
    Ok((name.to_string(), value.to_string()))
}

/// Splits `host[:port]` (IPv6 literals in brackets); `None` when a port is present but invalid.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |i| i + 1)
    } else {
        authority.rfind(':').unwrap_or(authority.len())
    };
    let (host, rest) = authority.split_at(host_end);
    match rest.strip_prefix(':') {
        None if rest.is_empty() => Some((host, None)),
        None => None,
        Some(port) => port.parse::<u16>().ok().map(|p| (host, Some(p))),
    }
}
