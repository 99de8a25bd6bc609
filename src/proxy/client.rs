//! The innermost service: pooled upstream connections (HTTP/1.1 keep-alive, or HTTP/2 where
//! the cluster says so), and upgraded (WebSocket) requests on connections of their own.

use super::error::ProxyError;
use super::forward::{self, Body};
use super::BoxFuture;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Istio's default upstream connect timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Idle connections kept per upstream address: enough for a laptop's concurrency, few enough
/// that an idle proxy holds little.
const MAX_IDLE_PER_HOST: usize = 64;

/// The protocol an upgrade request switches to, put in the request's extensions by the layer
/// that strips hop-by-hop headers (which removes `Upgrade` itself).
#[derive(Debug, Clone)]
pub struct Upgrade(pub HeaderValue);

/// Readies a request's headers for the upstream: an upgrade it asks for is remembered (for
/// [`Client`]) before the hop-by-hop headers, `Upgrade` among them, are removed.
pub fn for_upstream<B>(req: &mut Request<B>) {
    if let Some(protocol) = forward::upgrade_protocol(req.headers()) {
        req.extensions_mut().insert(Upgrade(protocol));
    }
    forward::strip_hop_by_hop(req.headers_mut());
}

/// Send this request over HTTP/2 (the cluster speaks it).
#[derive(Debug, Clone, Copy)]
pub struct Http2;

/// Pooled connections to every upstream; clones share them (one reference count).
#[derive(Clone)]
pub struct Client(Arc<Pools>);

struct Pools {
    http1: hyper_util::client::legacy::Client<HttpConnector, Body>,
    http2: hyper_util::client::legacy::Client<HttpConnector, Body>,
}

// === impl Client ===

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    pub fn new() -> Client {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let build = |h2: bool| {
            hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(MAX_IDLE_PER_HOST)
                .http2_only(h2)
                .build(connector.clone())
        };
        Client(Arc::new(Pools {
            http1: build(false),
            http2: build(true),
        }))
    }
}

impl tower::Service<Request<Body>> for Client {
    type Response = Response<Body>;
    type Error = ProxyError;
    type Future = BoxFuture<Result<Response<Body>, ProxyError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        if let Some(Upgrade(protocol)) = req.extensions_mut().remove::<Upgrade>() {
            return Box::pin(upgraded(req, protocol));
        }
        let client = if req.extensions().get::<Http2>().is_some() {
            *req.version_mut() = hyper::Version::HTTP_2;
            &self.0.http2
        } else {
            *req.version_mut() = hyper::Version::HTTP_11;
            &self.0.http1
        };
        let sent = client.request(req);
        Box::pin(async move {
            let resp = sent.await.map_err(|e| ProxyError::from_client(&e))?;
            Ok(pass_on(resp, None))
        })
    }
}

/// An upgrade request: one exchange on a connection of its own, then the two sides spliced.
async fn upgraded(
    mut req: Request<Body>,
    protocol: HeaderValue,
) -> Result<Response<Body>, ProxyError> {
    let downstream = hyper::upgrade::on(&mut req);
    let addr: SocketAddr = req
        .uri()
        .authority()
        .and_then(|a| a.as_str().parse().ok())
        .ok_or_else(|| ProxyError::Connect(format!("no upstream address in {}", req.uri())))?;
    let resp = forward::upgrade(addr, req, protocol.clone(), downstream)
        .await
        .map_err(ProxyError::Connect)?;
    Ok(pass_on(resp, Some(protocol)))
}

/// The upstream's response without its hop-by-hop headers; a switch of protocols keeps the
/// headers that announce it.
fn pass_on(resp: Response<hyper::body::Incoming>, upgrade: Option<HeaderValue>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    forward::strip_hop_by_hop(&mut parts.headers);
    if let (StatusCode::SWITCHING_PROTOCOLS, Some(protocol)) = (parts.status, upgrade) {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, protocol);
    }
    Response::from_parts(parts, body.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::test_util;
    use tower::{Service, ServiceExt};

    #[tokio::test]
    async fn pooled_requests_and_connect_failures() {
        let (addr, _server) = test_util::upstream("up").await;
        let mut client = Client::new();
        for _ in 0..3 {
            let req = test_util::request(&format!("http://{addr}/x"));
            let resp = client
                .ready()
                .await
                .expect("ready")
                .call(req)
                .await
                .expect("answer");
            assert_eq!(resp.status(), 200);
            assert!(!resp.headers().contains_key("connection"));
            assert_eq!(test_util::body(resp).await, "up GET /x");
        }
        let closed = test_util::closed_port();
        let req = test_util::request(&format!("http://127.0.0.1:{closed}/"));
        let err = Client::new().oneshot(req).await.expect_err("refused");
        assert_eq!(err.flags(), "UF", "{err:?}");
    }
}
