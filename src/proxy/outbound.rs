//! A sidecar's outbound listener: the app's HTTP forward proxy. Requests for loopback
//! addresses pass straight through (Envoy's PassthroughCluster); every other host is routed
//! by the mesh's rules, in origin form with its authority in `Host`, as Envoy sees it.

use super::error::ProxyError;
use super::forward::{self, Body};
use super::telemetry::Label;
use super::{report, BoxFuture, Downstream, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Where an outbound request goes, decided before any connection is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A loopback address: straight there (Envoy's PassthroughCluster).
    Passthrough(SocketAddr),
    /// A name for the routing table, on this port (the URL's, 80 by default).
    Routed { port: u16 },
}

/// Why an outbound request is refused before routing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
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
pub fn target(uri: &hyper::Uri, own_port: u16) -> Result<Target, OutboundError> {
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

/// Splits outbound requests between the routed stack and the passthrough client.
#[derive(Clone)]
pub struct Outbound<R, P> {
    routed: R,
    passthrough: P,
    /// The outbound listener's own port (requests to it would loop).
    own_port: u16,
}

impl<R, P> Outbound<R, P> {
    pub fn new(routed: R, passthrough: P, own_port: u16) -> Outbound<R, P> {
        Outbound {
            routed,
            passthrough,
            own_port,
        }
    }
}

fn refused(status: StatusCode, details: &'static str, body: String) -> ProxyError {
    ProxyError::Refused {
        status,
        flags: "-",
        details,
        body: body.into(),
    }
}

impl<R, P> tower::Service<Request<Body>> for Outbound<R, P>
where
    R: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>,
    R::Future: Send + 'static,
    P: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>,
    P::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = ProxyError;
    type Future = BoxFuture<Result<Response<Body>, ProxyError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        if req.method() == Method::CONNECT {
            let e = refused(
                StatusCode::METHOD_NOT_ALLOWED,
                "connect_not_supported",
                "meshlite sidecar: HTTPS through the sidecar is not supported (CONNECT); use http:// URLs\n".to_string(),
            );
            return Box::pin(std::future::ready(Err(e)));
        }
        match target(req.uri(), self.own_port) {
            Err(e) => {
                let e = refused(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("meshlite sidecar: {e}\n"),
                );
                Box::pin(std::future::ready(Err(e)))
            }
            Ok(Target::Passthrough(endpoint)) => {
                passthrough(&mut req, endpoint);
                Box::pin(self.passthrough.call(req))
            }
            Ok(Target::Routed { port }) => {
                // Envoy routes by Host and sees origin-form requests: convert the proxy request.
                if let Some(a) = req.uri().authority() {
                    if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                        req.headers_mut().insert(header::HOST, v);
                    }
                }
                let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
                *req.uri_mut() = path
                    .parse()
                    .unwrap_or_else(|_| hyper::Uri::from_static("/"));
                if let Some(down) = req.extensions_mut().get_mut::<Downstream>() {
                    down.port = port;
                }
                Box::pin(self.routed.call(req))
            }
        }
    }
}

/// Readies a request for a loopback address to go as it is.
fn passthrough(req: &mut Request<Body>, endpoint: SocketAddr) {
    report::of(req).note(|n| {
        n.destination_service = Some(Label::new(&endpoint.to_string()));
        n.upstream_cluster = Some(Arc::from("PassthroughCluster"));
        n.upstream_host = Some(endpoint);
    });
    let headers = req.headers_mut();
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    forward::strip_hop_by_hop(headers);
    headers.remove(TARGET_PORT_HEADER);
    headers.remove(SOURCE_WORKLOAD_HEADER);
    forward::address(req, forward::authority_of(endpoint));
}

#[cfg(test)]
mod tests;
