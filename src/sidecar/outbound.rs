//! The outbound listener: the app's HTTP forward proxy. Names go through the routing table
//! ([`crate::proxy`]); loopback addresses pass straight through.

use super::{Shared, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use crate::proxy::exchange::{Exchange, Reporter};
use crate::proxy::forward::{self, Body};
use crate::proxy::pipeline::{self, Downstream};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Envoy's local reply when the upstream cannot be reached.
const UPSTREAM_CONNECT_ERROR: &str = "upstream connect error or disconnect/reset before headers";

/// Where an outbound request goes, decided before any connection is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A loopback address: straight there (Envoy's PassthroughCluster).
    Passthrough(SocketAddr),
    /// A name for the routing table, on this port (the URL's, 80 by default).
    Routed { port: u16 },
}

/// Why an outbound request is refused before routing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OutboundError {
    /// Not an absolute `http://` URL.
    #[error("requests to the sidecar must use an absolute http:// URL (set HTTP_PROXY to use it)")]
    NotAbsolute,
    /// A scheme other than `http`.
    #[error("only http:// URLs are supported, not {0}://")]
    Scheme(String),
    /// The URL points back at the outbound listener.
    #[error("refusing to forward to the sidecar's own outbound port ({0})")]
    Loop(SocketAddr),
}

/// Decide how `uri` is handled by the outbound listener on `own_port`.
pub(crate) fn target(uri: &hyper::Uri, own_port: u16) -> Result<Target, OutboundError> {
    let Some(authority) = uri.authority() else {
        return Err(OutboundError::NotAbsolute);
    };
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => return Err(OutboundError::Scheme(other.to_string())),
        None => return Err(OutboundError::NotAbsolute),
    }
    let port = authority.port_u16().unwrap_or(80);
    if let Some(ip) = loopback(authority.host()) {
        let endpoint = SocketAddr::new(ip, port);
        if endpoint.port() == own_port {
            return Err(OutboundError::Loop(endpoint));
        }
        return Ok(Target::Passthrough(endpoint));
    }
    Ok(Target::Routed { port })
}

/// Loopback hosts pass through without a Service lookup.
fn loopback(host: &str) -> Option<IpAddr> {
    match host.trim_end_matches('.').to_ascii_lowercase().as_str() {
        "localhost" | "127.0.0.1" => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "[::1]" | "::1" => Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        _ => None,
    }
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    local: SocketAddr,
    remote: SocketAddr,
) -> Response<Body> {
    if req.method() == Method::CONNECT {
        let ex = Exchange::begin(
            shared.metrics.clone(),
            &req,
            local,
            remote,
            Reporter::Source,
        );
        return ex.reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "-",
            "connect_not_supported",
            "meshlite sidecar: HTTPS through the sidecar is not supported (CONNECT); use http:// URLs\n".to_string(),
        );
    }
    let routed = match target(req.uri(), shared.settings.outbound) {
        Ok(t) => t,
        Err(e) => {
            let ex = Exchange::begin(
                shared.metrics.clone(),
                &req,
                local,
                remote,
                Reporter::Source,
            );
            return ex.reply(
                StatusCode::BAD_REQUEST,
                "-",
                "bad_request",
                format!("meshlite sidecar: {e}\n"),
            );
        }
    };
    match routed {
        Target::Passthrough(endpoint) => passthrough(shared, req, local, remote, endpoint).await,
        Target::Routed { port } => {
            // Envoy routes by Host and sees origin-form requests: convert the proxy request.
            let (mut parts, body) = req.into_parts();
            if let Some(a) = parts.uri.authority() {
                if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                    parts.headers.insert(header::HOST, v);
                }
            }
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            parts.uri = path
                .parse()
                .unwrap_or_else(|_| hyper::Uri::from_static("/"));
            let down = Downstream {
                local,
                remote,
                port,
                scheme: "http",
            };
            pipeline::handle(shared.proxy.clone(), Request::from_parts(parts, body), down).await
        }
    }
}

/// Forwards a request for a loopback address as it is (Envoy's PassthroughCluster).
async fn passthrough(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    local: SocketAddr,
    remote: SocketAddr,
    endpoint: SocketAddr,
) -> Response<Body> {
    let mut ex = Exchange::begin(
        shared.metrics.clone(),
        &req,
        local,
        remote,
        Reporter::Source,
    );
    ex.labels.source_workload = shared.workload.clone();
    ex.labels.source_workload_namespace = shared.settings.namespace.clone();
    ex.labels.destination_service = endpoint.to_string();
    ex.log.upstream_cluster = Some("PassthroughCluster".to_string());
    ex.log.upstream_host = Some(endpoint);
    let (mut parts, body) = req.into_parts();
    forward::ensure_request_id(&mut parts.headers);
    parts
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static("http"));
    forward::strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(TARGET_PORT_HEADER);
    parts.headers.remove(SOURCE_WORKLOAD_HEADER);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("http://{endpoint}{path}")
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/"));
    parts.version = hyper::Version::HTTP_11;
    let body = ex.count_request(body);
    match shared.proxy.client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => ex.respond(resp),
        Err(e) => ex.reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "UF",
            "upstream_reset_before_response_started{connection_failure}",
            format!("{UPSTREAM_CONNECT_ERROR}. reset reason: connection failure, transport failure reason: {e}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let uri = |s: &str| s.parse::<hyper::Uri>().expect("uri");
        let lo = |p: u16| Ok(Target::Passthrough(SocketAddr::from(([127, 0, 0, 1], p))));
        let cases: [(&str, Result<Target, &str>); 7] = [
            ("http://127.0.0.1:8080/", lo(8080)),
            ("http://localhost/", lo(80)),
            ("http://127.0.0.1:15001/", Err("refusing to forward to the sidecar's own outbound port (127.0.0.1:15001)")),
            ("/relative", Err("requests to the sidecar must use an absolute http:// URL (set HTTP_PROXY to use it)")),
            ("https://x/", Err("only http:// URLs are supported, not https://")),
            ("http://hello/", Ok(Target::Routed { port: 80 })),
            ("http://hello.other:5000/x", Ok(Target::Routed { port: 5000 })),
        ];
        for (u, want) in cases {
            let got = target(&uri(u), 15001).map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{u}");
        }
    }
}
