//! The sidecar's own endpoints: readiness and endpoint health (15021), Prometheus metrics
//! (15090, 15020).

use super::Shared;
use crate::proxy::forward::{text, Body};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

/// `GET /healthz/ready`: ready once a configuration has been applied.
/// `GET /debug/endpoints`: every cluster endpoint's health and outlier state, as JSON.
pub(crate) fn status<B>(shared: &Shared, req: &Request<B>) -> Response<Body> {
    if req.method() == Method::GET && req.uri().path() == "/debug/endpoints" {
        let mut resp = text(StatusCode::OK, endpoints(shared).to_string());
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return resp;
    }
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

/// `[{"cluster", "address", "healthy", "ejectedForMs", "consecutiveErrors", "activeRequests"}]`.
fn endpoints(shared: &Shared) -> serde_json::Value {
    let Some(table) = shared.proxy.table.load_full() else {
        return serde_json::json!([]);
    };
    let now = std::time::Instant::now();
    let mut names: Vec<&String> = table.clusters.keys().collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let Some(state) = table.clusters.get(name) else {
            continue;
        };
        for st in state.balancer.status(now) {
            out.push(serde_json::json!({
                "cluster": name,
                "address": st.address.to_string(),
                "healthy": st.healthy,
                "ejectedForMs": st.ejected_for.map(|d| d.as_millis() as u64),
                "consecutiveErrors": st.consecutive_errors,
                "activeRequests": st.active_requests,
            }));
        }
    }
    serde_json::Value::Array(out)
}
