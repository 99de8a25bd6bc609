//! HTTP plumbing the proxy's layers share: the body type, plain replies, accept loops,
//! upgraded (WebSocket) connections and bodies that count their bytes.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

pub use crate::hop::{strip_hop_by_hop, upgrade_protocol};

/// The body type every listener answers with.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// A body from bytes in memory.
pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// A response with a body from memory.
pub fn full_response(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp
}

/// Accepts connections on `listener` and runs `connection(stream, local, remote)` for each
/// until this future is dropped (which also drops the connections).
pub async fn accept<F, Fut>(listener: TcpListener, connection: F)
where
    F: Fn(TcpStream, SocketAddr, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let local = stream.local_addr().unwrap_or(remote);
                    connections.spawn(connection(stream, local, remote));
                }
                Err(e) => {
                    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
                    tracing::warn!("accept failed on port {port}: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serve HTTP/1.1 on `listener` with `handle` until this future is dropped (which also drops
/// the connections it serves). For the proxy's own small endpoints (status, metrics).
pub async fn serve<F, Fut>(listener: TcpListener, handle: F)
where
    F: Fn(Request<Incoming>, SocketAddr, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    accept(listener, |stream, local, remote| {
        let handle = handle.clone();
        async move {
            let service = hyper::service::service_fn(move |req| {
                let fut = handle(req, local, remote);
                async move { Ok::<_, std::convert::Infallible>(fut.await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = conn.await {
                tracing::debug!("client connection: {e}");
            }
        }
    })
    .await
}

/// Forwards an upgrade request on a connection of its own to `addr` (the pooled client does not
/// hand connections over) and, when the upstream switches protocols, splices the downstream
/// and upstream connections until either side closes. `protocol` is put back on the request
/// after hop-by-hop stripping.
pub async fn upgrade(
    addr: SocketAddr,
    mut req: Request<Body>,
    protocol: HeaderValue,
    downstream: hyper::upgrade::OnUpgrade,
) -> Result<Response<Incoming>, String> {
    req.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    req.headers_mut().insert(header::UPGRADE, protocol);
    // Origin form on the wire.
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *req.uri_mut() = path.parse().map_err(|e| format!("{e}"))?;
    let stream = crate::dial::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!("upgraded upstream connection: {e}");
        }
    });
    let mut resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        let upstream = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            let (Ok(up), Ok(down)) = (upstream.await, downstream.await) else {
                return;
            };
            let (mut up, mut down) = (TokioIo::new(up), TokioIo::new(down));
            let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
        });
    }
    Ok(resp)
}

/// Addresses `req` to `authority` over plain HTTP, keeping its path and query (what a pooled
/// client needs to know where to connect).
pub fn address<B>(req: &mut Request<B>, authority: hyper::http::uri::Authority) {
    let mut parts = hyper::http::uri::Parts::default();
    parts.scheme = Some(hyper::http::uri::Scheme::HTTP);
    parts.authority = Some(authority);
    parts.path_and_query = Some(
        req.uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| hyper::http::uri::PathAndQuery::from_static("/")),
    );
    if let Ok(uri) = hyper::Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
}

/// The authority of a socket address.
pub fn authority_of(addr: std::net::SocketAddr) -> hyper::http::uri::Authority {
    hyper::http::uri::Authority::try_from(addr.to_string().as_str())
        .unwrap_or_else(|_| hyper::http::uri::Authority::from_static("127.0.0.1"))
}

/// A small number as a header value (attempt counts, milliseconds): the common ones are
/// made once, so most requests allocate nothing for them.
pub fn number(n: u64) -> HeaderValue {
    static SMALL: std::sync::LazyLock<Vec<HeaderValue>> =
        std::sync::LazyLock::new(|| (0..100u64).map(HeaderValue::from).collect());
    usize::try_from(n)
        .ok()
        .and_then(|i| SMALL.get(i))
        .cloned()
        .unwrap_or_else(|| HeaderValue::from(n))
}

/// A header's value as text, if present and printable.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A plain-text reply.
pub fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = full_response(status, Bytes::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}

/// The protocol as access logs print it.
pub fn protocol(version: hyper::Version) -> &'static str {
    match version {
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_2 => "HTTP/2",
        _ => "HTTP/1.1",
    }
}

/// What a [`Counted`] body does as bytes pass and when it goes away.
pub trait Tally: Send + Sync + 'static {
    /// `n` more bytes passed.
    fn add(&mut self, n: u64);
    /// The body is done with: it ended, or the peer went away.
    fn done(&mut self) {}
}

/// A body that tells its [`Tally`] about the bytes passing through it and when it is dropped
/// (whether it finished or the peer went away), so logs and metrics see the whole exchange.
pub struct Counted<T: Tally> {
    inner: Body,
    tally: T,
}

// === impl Counted ===

impl<T: Tally> Counted<T> {
    pub fn new(inner: Body, tally: T) -> Counted<T> {
        Counted { inner, tally }
    }
}

impl<T: Tally + Unpin> HttpBody for Counted<T> {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                let n = data.len() as u64;
                self.tally.add(n);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<T: Tally> Drop for Counted<T> {
    fn drop(&mut self) {
        self.tally.done();
    }
}
