//! The request pipeline: listener → virtual host → rule → action → filters → cluster.
//!
//! Local answers (no route, redirect, direct response, CORS preflight, fault abort) are decided
//! here; forwarding to a cluster is [`super::upstream`]'s job.

use super::exchange::Exchange;
use super::filters;
use super::forward::{self, Body};
use super::upstream::{self, Forward};
use super::Proxy;
use crate::routes::{self, Action, Request as RouteRequest, Selection};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;

/// Where a request came in.
#[derive(Debug, Clone, Copy)]
pub struct Downstream {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The listener's port as routes know it (the container port, or the URL's port for a
    /// sidecar's outbound call).
    pub port: u16,
    /// `http` or `https`.
    pub scheme: &'static str,
}

/// Handles one request that arrived on a routed listener. The request must be in origin form
/// with its authority in `Host` (HTTP/1) or the URI (HTTP/2).
pub async fn handle(
    proxy: Arc<Proxy>,
    mut req: Request<Incoming>,
    down: Downstream,
) -> Response<Body> {
    forward::ensure_request_id(req.headers_mut());
    let mut ex = Exchange::begin(
        proxy.metrics.clone(),
        &req,
        down.local,
        down.remote,
        super::exchange::Reporter::Source,
    );
    ex.labels.source_workload = proxy.identity.workload.clone();
    ex.labels.source_workload_namespace = proxy.identity.namespace.clone();
    let Some(table) = proxy.table.load_full() else {
        return ex.reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "UH",
            "no_healthy_upstream",
            "no healthy upstream\nmeshlite proxy: no configuration received from the control plane yet\n".to_string(),
        );
    };
    let authority = forward::header_text(req.headers(), "host")
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.to_string());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let method = req.method().to_string();
    let gateway = table
        .router
        .listeners
        .iter()
        .find(|l| l.port == down.port)
        .and_then(|l| l.gateways.first().cloned());
    let rreq = RouteRequest {
        method: &method,
        scheme: down.scheme,
        authority: &authority,
        path: &path,
        headers: &headers,
        port: down.port,
        source_labels: &table.labels,
        source_namespace: &proxy.identity.namespace,
        gateway: gateway.as_deref(),
    };

    if let Some(vhost) = routes::virtual_host(&table.router, down.port, &authority) {
        if vhost.https_redirect && down.scheme == "http" {
            let host = authority.split(':').next().unwrap_or_default();
            let location = format!("https://{host}{path}");
            return redirect(ex, StatusCode::MOVED_PERMANENTLY, &location);
        }
    }
    // Until a cluster is chosen, metrics name the destination by the host asked for.
    ex.labels.destination_service = authority
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
        .map_or(authority.as_str(), |(h, _)| h)
        .to_string();
    let route = match routes::select(&table.router, down.port, &rreq) {
        Selection::Route(route) => route,
        Selection::NoVirtualHost => {
            ex.log.route = None;
            let why = format!(
                "meshlite proxy: no route: no virtual host for {authority:?} on port {}\n",
                down.port
            );
            return ex.reply(StatusCode::NOT_FOUND, "NR", "route_not_found", why);
        }
        Selection::NoRoute => {
            ex.log.route = None;
            let why = format!(
                "meshlite proxy: no route: no rule for {authority:?} matches {method} {path}\n"
            );
            return ex.reply(StatusCode::NOT_FOUND, "NR", "route_not_found", why);
        }
    };
    ex.log.route = route.name.clone().or(Some("default".to_string()));
    let policy = &route.policy;
    let origin = forward::header_text(req.headers(), "origin");

    if let (Some(cors), Some(origin)) = (&policy.cors, &origin) {
        if filters::is_preflight(req.method(), req.headers()) {
            let allow = filters::preflight_headers(cors, origin);
            if !allow.is_empty() {
                let mut resp = local(ex, StatusCode::OK, "-", "cors_preflight", Bytes::new());
                for (k, v) in allow {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        resp.headers_mut().insert(k, v);
                    }
                }
                return resp;
            }
        }
    }

    let mut fault_flags = "-";
    if let Some(fault) = &policy.fault {
        if let Some(delay) = &fault.delay {
            if filters::hit(delay.percentage, filters::roll_percent()) {
                tokio::time::sleep(delay.duration).await;
                fault_flags = "DI";
            }
        }
        if let Some(abort) = &fault.abort {
            if filters::hit(abort.percentage, filters::roll_percent()) {
                let status = abort
                    .http_status
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let body = Bytes::from_static(b"fault filter abort");
                return local(ex, status, "FI", "fault_filter_abort", body);
            }
        }
    }

    match &route.action {
        Action::Redirect { code, .. } => {
            let location = route.action.redirect_location(&rreq).unwrap_or_default();
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::MOVED_PERMANENTLY);
            redirect(ex, status, &location)
        }
        Action::DirectResponse { status, body } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            let body = Bytes::from(body.clone().unwrap_or_default());
            local(ex, status, "-", "direct_response", body)
        }
        Action::Route(clusters) => {
            let total = routes::total_weight(clusters);
            let roll = filters::roll_below(total);
            let Some(chosen) = routes::pick_weighted(clusters, roll).or(clusters.first()) else {
                return ex.reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "NC",
                    "cluster_not_found",
                    String::new(),
                );
            };
            let rewritten = route.rewritten_path(&rreq);
            let fwd = Forward {
                table: &table,
                route,
                destination: chosen,
                listener_port: down.port,
                rewritten_path: rewritten,
                remote: down.remote,
                scheme: down.scheme,
                fault_flags,
            };
            let mut resp = upstream::forward(&proxy, &fwd, req, ex).await;
            if let (Some(cors), Some(origin)) = (&policy.cors, &origin) {
                for (k, v) in filters::response_cors_headers(cors, origin) {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        resp.headers_mut().insert(k, v);
                    }
                }
            }
            resp
        }
    }
}

/// A local answer with a body, logged with `flags` and `details`.
pub(super) fn local(
    mut ex: Exchange,
    status: StatusCode,
    flags: &str,
    details: &str,
    body: Bytes,
) -> Response<Body> {
    ex.log.flags = flags.to_string();
    ex.log.details = details.to_string();
    ex.log.response_code = status.as_u16();
    ex.log.bytes_sent = body.len() as u64;
    ex.finish();
    let mut resp = Response::new(Full::new(body).map_err(|never| match never {}).boxed());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("istio-envoy"));
    resp
}

fn redirect(ex: Exchange, status: StatusCode, location: &str) -> Response<Body> {
    let mut resp = local(ex, status, "-", "direct_response", Bytes::new());
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}
