//! What httpbin echoes back about a request: args, headers, origin, url and parsed bodies.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::HttpbinError;

/// A multi-valued string map; `BTreeMap` keeps keys sorted the way Go's JSON encoder does.
pub type MultiMap = BTreeMap<String, Vec<String>>;

/// The request facts every echo endpoint reports.
#[derive(Debug, Clone)]
pub struct Echo {
    pub method: String,
    pub url: String,
    pub origin: String,
    pub args: MultiMap,
    pub headers: MultiMap,
    pub raw_headers: HeaderMap,
}

// === impl Echo ===

impl<S: Send + Sync> FromRequestParts<S> for Echo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(Echo {
            method: parts.method.as_str().to_string(),
            url: full_url(parts),
            origin: peer.unwrap_or_else(|| forwarded_origin(&parts.headers)),
            args: parse_query(parts.uri.query().unwrap_or("")),
            headers: header_map(&parts.headers),
            raw_headers: parts.headers.clone(),
        })
    }
}

impl Echo {
    /// The fields `/get` reports: args, headers, method, origin, url.
    pub fn base(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("args".into(), multi_to_json(&self.args));
        m.insert("headers".into(), multi_to_json(&self.headers));
        m.insert("method".into(), Value::String(self.method.clone()));
        m.insert("origin".into(), Value::String(self.origin.clone()));
        m.insert("url".into(), Value::String(self.url.clone()));
        m
    }

    /// The first value of a request header, if it is valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.raw_headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `/get` fields plus data, files, form and json parsed from `body`.
    pub fn with_body(&self, body: &[u8]) -> Result<Map<String, Value>, HttpbinError> {
        let parsed = parse_body(self.header(CONTENT_TYPE.as_str()).unwrap_or(""), body)?;
        let mut m = self.base();
        m.insert("data".into(), Value::String(parsed.data));
        m.insert("files".into(), multi_to_json(&parsed.files));
        m.insert("form".into(), multi_to_json(&parsed.form));
        m.insert("json".into(), parsed.json);
        Ok(m)
    }
}

/// The pieces of a request body httpbin reports.
#[derive(Debug, Default, PartialEq)]
pub struct ParsedBody {
    pub data: String,
    pub form: MultiMap,
    pub files: MultiMap,
    pub json: Value,
}

/// Splits a body by its content type into form fields, files, JSON and raw data.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<ParsedBody, HttpbinError> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut out = ParsedBody {
        json: Value::Null,
        ..Default::default()
    };
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            out.form = parse_query(&String::from_utf8_lossy(body));
        }
        "multipart/form-data" => {
            let boundary = param(content_type, "boundary").ok_or_else(|| {
                HttpbinError::InvalidMultipart("missing boundary parameter".into())
            })?;
            parse_multipart(&boundary, body, &mut out)?;
        }
        _ => {
            out.data = String::from_utf8_lossy(body).into_owned();
            let is_json = mime == "application/json" || mime.ends_with("+json");
            if is_json && !body.is_empty() {
                out.json = serde_json::from_slice(body)
                    .map_err(|e| HttpbinError::InvalidJson(e.to_string()))?;
            }
        }
    }
    Ok(out)
}

/// Reads `name=value` (optionally quoted) out of a header value's `;` parameters.
pub fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            Some(v.trim().trim_matches('"').to_string())
        } else {
            None
        }
    })
}

fn parse_multipart(boundary: &str, body: &[u8], out: &mut ParsedBody) -> Result<(), HttpbinError> {
    let text = String::from_utf8_lossy(body);
    let delim = format!("--{boundary}");
    let mut sections = text.split(delim.as_str());
    // Anything before the first delimiter is preamble.
    sections.next();
    for section in sections {
        if section.starts_with("--") {
            break;
        }
        let section = section.strip_prefix("\r\n").unwrap_or(section);
        let (head, content) = section
            .split_once("\r\n\r\n")
            .ok_or_else(|| HttpbinError::InvalidMultipart("part without header end".into()))?;
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let disposition = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        let Some(name) = param(&disposition, "name") else {
            return Err(HttpbinError::InvalidMultipart("part without a name".into()));
        };
        let target = if param(&disposition, "filename").is_some() {
            &mut out.files
        } else {
            &mut out.form
        };
        target.entry(name).or_default().push(content.to_string());
    }
    Ok(())
}

/// Parses an `a=1&a=2&b` query or urlencoded form into a multi-map.
pub fn parse_query(query: &str) -> MultiMap {
    let mut m = MultiMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        m.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    m
}

/// Request headers keyed by their canonical (Go-style) names, e.g. `X-Request-Id`.
pub fn header_map(headers: &HeaderMap) -> MultiMap {
    let mut m = MultiMap::new();
    for (name, value) in headers {
        m.entry(canonical_header(name.as_str()))
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    m
}

/// Upper-cases the first letter of each dash-separated word and lower-cases the rest.
pub fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Converts a multi-map into a JSON object of string lists.
pub fn multi_to_json(m: &MultiMap) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect(),
    )
}

/// The host the client addressed, for absolute URLs.
pub fn host_of(parts_headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    parts_headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string())
}

fn full_url(parts: &Parts) -> String {
    let scheme = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    let path = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    format!("{scheme}://{}{path}", host_of(&parts.headers, &parts.uri))
}

/// The first `X-Forwarded-For` hop, or loopback when there is none.
pub fn forwarded_origin(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| "127.0.0.1".to_string())
}
