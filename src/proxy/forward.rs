//! HTTP/1.1 plumbing shared by the listeners: connecting upstream, header hygiene, local
//! replies, and bodies that report their size when they end.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// The body type every listener answers with.
pub type Body = BoxBody<Bytes, hyper::Error>;

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
/// the connections it serves).
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
                tracing::debug!("sidecar client connection: {e}");
            }
        }
    })
    .await
}

pub use crate::serviceproxy::dial::connect;

/// Send `req` over a fresh connection on `stream`.
pub async fn send(
    stream: TcpStream,
    req: Request<Body>,
) -> Result<Response<Incoming>, hyper::Error> {
    let peer = stream.peer_addr().ok();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(?peer, "sidecar upstream connection: {e}");
        }
    });
    sender.send_request(req).await
}

pub use crate::serviceproxy::resolver::strip_hop_by_hop;

/// The protocol an HTTP/1.1 request asks to switch to (`Connection: upgrade` + `Upgrade: X`),
/// e.g. `websocket`.
pub fn upgrade_protocol(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
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
    let stream = connect(addr).await?;
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

/// Keeps the request's `x-request-id`, or gives it a new one (as Envoy does at the edge).
pub fn ensure_request_id(headers: &mut HeaderMap) {
    if !headers.contains_key("x-request-id") {
        if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            headers.insert("x-request-id", v);
        }
    }
}

/// A header's value as text, if present and printable.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A plain-text reply made by the sidecar itself.
pub fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = status;
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

/// A body that counts the bytes passing through it and runs a callback when dropped (whether
/// it finished or the peer went away), so logs and metrics see the whole exchange.
pub struct Counted {
    inner: Body,
    count: Arc<AtomicU64>,
    on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

// === impl Counted ===

impl Counted {
    pub fn new(
        inner: Body,
        count: Arc<AtomicU64>,
        on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
    ) -> Counted {
        Counted {
            inner,
            count,
            on_drop,
        }
    }
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.count.fetch_add(data.len() as u64, Ordering::Relaxed);
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

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}
