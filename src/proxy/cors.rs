//! CORS as Envoy's filter applies a route's `corsPolicy`: preflights from allowed origins are
//! answered here; other responses to allowed origins get the `Access-Control-*` headers.

use super::error::local_answer;
use super::forward::Body;
use super::layer::{Inner, Step, StepFuture};
use super::route::Routed;
use crate::api::istio::{parse_duration, CorsPolicy};
use crate::routes::StringMatcher;
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, StatusCode};

/// Adds CORS handling for routes that have a `corsPolicy`.
#[derive(Clone, Copy, Default)]
pub struct CorsLayer;

crate::step!(CorsLayer);

impl Step for CorsLayer {
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future> {
        let origin = req
            .headers()
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let policy = req
            .extensions()
            .get::<Routed>()
            .and_then(|r| r.route().policy.cors.clone());
        let (Some(cors), Some(origin)) = (policy, origin) else {
            return StepFuture::inner(inner.call(req));
        };
        if is_preflight(req.method(), req.headers()) {
            let allow = preflight_headers(&cors, &origin);
            if !allow.is_empty() {
                let mut resp = local_answer(StatusCode::OK, Bytes::new(), "cors_preflight");
                insert(resp.headers_mut(), allow);
                return StepFuture::ready(Ok(resp));
            }
        }
        let fut = inner.call(req);
        StepFuture::boxed(async move {
            let mut resp = fut.await?;
            insert(resp.headers_mut(), response_cors_headers(&cors, &origin));
            Ok(resp)
        })
    }
}

fn insert(headers: &mut HeaderMap, values: Vec<(&'static str, String)>) {
    for (k, v) in values {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    }
}

/// Whether `origin` is allowed by `cors` (`allowOrigins` StringMatches or the deprecated exact list).
pub fn origin_allowed(cors: &CorsPolicy, origin: &str) -> bool {
    cors.allow_origin.iter().any(|o| o == "*" || o == origin)
        || cors.allow_origins.iter().any(|m| {
            StringMatcher::compile(m).is_ok_and(|m| match m {
                // An empty StringMatch would be "present": treat it as no match here.
                StringMatcher::Present => false,
                m => m.matches(origin),
            })
        })
}

/// A CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(method: &hyper::Method, headers: &HeaderMap) -> bool {
    method == hyper::Method::OPTIONS
        && headers.contains_key("origin")
        && headers.contains_key("access-control-request-method")
}

/// The headers Envoy's CORS filter answers a preflight with (empty when the origin is not
/// allowed: the preflight then goes upstream, as `unmatchedPreflights: FORWARD` does).
pub fn preflight_headers(cors: &CorsPolicy, origin: &str) -> Vec<(&'static str, String)> {
    if !origin_allowed(cors, origin) {
        return Vec::new();
    }
    let mut out = vec![("access-control-allow-origin", origin.to_string())];
    if !cors.allow_methods.is_empty() {
        out.push(("access-control-allow-methods", cors.allow_methods.join(",")));
    }
    if !cors.allow_headers.is_empty() {
        out.push(("access-control-allow-headers", cors.allow_headers.join(",")));
    }
    if let Some(age) = cors.max_age.as_deref().and_then(parse_duration) {
        out.push(("access-control-max-age", age.as_secs().to_string()));
    }
    if cors.allow_credentials == Some(true) {
        out.push(("access-control-allow-credentials", "true".to_string()));
    }
    out
}

/// Headers added to an actual (non-preflight) response for an allowed origin.
pub fn response_cors_headers(cors: &CorsPolicy, origin: &str) -> Vec<(&'static str, String)> {
    if !origin_allowed(cors, origin) {
        return Vec::new();
    }
    let mut out = vec![("access-control-allow-origin", origin.to_string())];
    if !cors.expose_headers.is_empty() {
        out.push((
            "access-control-expose-headers",
            cors.expose_headers.join(","),
        ));
    }
    if cors.allow_credentials == Some(true) {
        out.push(("access-control-allow-credentials", "true".to_string()));
    }
    out
}

#[cfg(test)]
mod tests;
