//! The HTTP/1.1 forward proxy pods use as `HTTP_PROXY`, resolving Service names for them.
//!
//! Names resolve the way cluster DNS would; each request goes to a ready backend.
//!
//! Pods get `HTTP_PROXY=http://<namespace>:x@127.0.0.1:<port>`, so the proxy learns the client's
//! namespace from the `Proxy-Authorization` username and short names resolve as in-cluster.

use super::registry::{Registry, ResolveError};
use crate::hop::strip_hop_by_hop;
use arc_swap::ArcSwap;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The namespace of clients that do not say theirs.
const DEFAULT_NAMESPACE: &str = "default";

/// Why a request could not be forwarded. Each becomes a plain-text error response.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The host did not resolve to ready backends.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The request is not in absolute form, so there is nowhere to forward it.
    #[error(
        "requests to the resolver must use an absolute http:// URL (set HTTP_PROXY to use it)"
    )]
    NotAbsolute,
    /// The URL's scheme is not `http`.
    #[error("only http:// URLs are supported, not {0}://")]
    Scheme(String),
    /// Every backend refused or timed out.
    #[error("cannot connect to {host}: {detail}")]
    Connect { host: String, detail: String },
    /// The target is the resolver's own address: forwarding would loop.
    #[error("refusing to forward to the resolver itself ({0})")]
    Loop(SocketAddr),
    /// The backend connection failed after it was established.
    #[error("request to {backend} failed: {detail}")]
    Upstream { backend: SocketAddr, detail: String },
}

type Body = BoxBody<Bytes, hyper::Error>;

/// Serve proxy clients on `listener` until this future is dropped (which also drops the client
/// connections it serves).
pub async fn serve(listener: TcpListener, registry: Arc<ArcSwap<Registry>>) {
    let own = listener.local_addr().ok();
    let next = Arc::new(AtomicUsize::new(0));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let registry = registry.clone();
                    let next = next.clone();
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let registry = registry.clone();
                            let next = next.clone();
                            async move { Ok::<_, std::convert::Infallible>(handle(req, &registry, &next, own).await) }
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service);
                        if let Err(e) = conn.await {
                            tracing::debug!("resolver client connection: {e}");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("resolver accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn handle(
    req: Request<Incoming>,
    registry: &ArcSwap<Registry>,
    next: &AtomicUsize,
    own: Option<SocketAddr>,
) -> Response<Body> {
    if req.method() == Method::CONNECT {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "meshlite: HTTPS through the resolver is not supported (CONNECT); use http:// URLs\n",
        );
    }
    match forward(req, registry, next, own).await {
        Ok(resp) => resp,
        Err(e @ (ProxyError::NotAbsolute | ProxyError::Scheme(_))) => {
            text(StatusCode::BAD_REQUEST, &format!("meshlite: {e}\n"))
        }
        Err(e) => text(StatusCode::BAD_GATEWAY, &format!("meshlite: {e}\n")),
    }
}

async fn forward(
    req: Request<Incoming>,
    registry: &ArcSwap<Registry>,
    next: &AtomicUsize,
    own: Option<SocketAddr>,
) -> Result<Response<Body>, ProxyError> {
    let uri = req.uri().clone();
    let Some(authority) = uri.authority().cloned() else {
        return Err(ProxyError::NotAbsolute);
    };
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => return Err(ProxyError::Scheme(other.to_string())),
        None => return Err(ProxyError::NotAbsolute),
    }
    let host = authority.host().to_string();
    let port = authority.port_u16();
    let namespace = client_namespace(req.headers());

    let backends = match loopback(&host) {
        Some(ip) => {
            let target = SocketAddr::new(ip, port.unwrap_or(80));
            if own.is_some_and(|o| o.port() == target.port()) {
                return Err(ProxyError::Loop(target));
            }
            vec![target]
        }
        None => registry.load().resolve(&host, port, &namespace)?,
    };
    let (stream, backend) = crate::dial::connect_any(&backends, next)
        .await
        .map_err(|detail| ProxyError::Connect {
            host: authority.to_string(),
            detail,
        })?;

    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if !parts.headers.contains_key(header::HOST) {
        if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(header::HOST, v);
        }
    }
    // Backends expect origin form: only the path and query travel on.
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    parts.uri = match path.parse() {
        Ok(u) => u,
        Err(_) => hyper::Uri::from_static("/"),
    };
    parts.version = hyper::Version::HTTP_11;
    let upstream_req = Request::from_parts(parts, body);

    let upstream = |e: hyper::Error| ProxyError::Upstream {
        backend,
        detail: e.to_string(),
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(upstream)?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(%backend, "resolver backend connection: {e}");
        }
    });
    let resp = sender.send_request(upstream_req).await.map_err(upstream)?;
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, body.boxed()))
}

/// Loopback hosts are forwarded as is rather than looked up as Services.
fn loopback(host: &str) -> Option<IpAddr> {
    match host.trim_end_matches('.').to_ascii_lowercase().as_str() {
        "localhost" | "127.0.0.1" => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "[::1]" | "::1" => Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        _ => None,
    }
}

/// The namespace named by the `Proxy-Authorization: Basic` username, else `default`.
pub(crate) fn client_namespace(headers: &HeaderMap) -> String {
    headers
        .get(header::PROXY_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, creds) = v.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("basic") {
                return None;
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(creds.trim())
                .ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let user = decoded.split(':').next().unwrap_or("");
            (!user.is_empty()).then(|| user.to_string())
        })
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut resp = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
