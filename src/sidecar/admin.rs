//! The sidecar's own endpoints: readiness (15021) and Prometheus metrics (15090, 15020).

use super::forward::{text, Body};
use super::Shared;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

/// `GET /healthz/ready`: ready once a configuration has been applied.
pub(crate) fn status<B>(shared: &Shared, req: &Request<B>) -> Response<Body> {
    if req.method() != Method::GET || req.uri().path() != "/healthz/ready" {
        return text(StatusCode::NOT_FOUND, "not found\n".to_string());
    }
    if shared.config.load().is_some() {
        return text(StatusCode::OK, String::new());
    }
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "not ready: no configuration received yet from the control plane at {}\n",
            shared.settings.xds
        ),
    )
}

/// `GET /stats/prometheus`: the text exposition.
pub(crate) fn prometheus<B>(shared: &Shared, req: &Request<B>) -> Response<Body> {
    if req.method() != Method::GET || req.uri().path() != "/stats/prometheus" {
        return text(StatusCode::NOT_FOUND, "not found\n".to_string());
    }
    let mut resp = text(StatusCode::OK, shared.metrics.encode());
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    resp
}
