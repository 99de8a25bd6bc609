//! Serving a sample app the way a well-behaved server leaves a rollout: on shutdown it stops
//! accepting (so the Service sends new connections to other pods), answers what is still in
//! flight with `Connection: close` for a short drain, and only then closes what remains idle
//! — so keep-alive clients move to another pod without a failed request.

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// How long open connections get to make one more request after shutdown begins.
const DRAIN: Duration = Duration::from_secs(2);

/// The longest the final close of remaining connections may take.
const CLOSE: Duration = Duration::from_secs(5);

/// Serve `app` on `listener` until `shutdown`, then drain as described above. Handlers can
/// extract `ConnectInfo<SocketAddr>`.
///
/// A connection that stays idle through the whole drain is closed at its end; a client that
/// sends on it at that very moment can still see the close (as with any server).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let draining = Arc::new(AtomicBool::new(false));
    let flag = draining.clone();
    let app = app.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let flag = flag.clone();
            async move {
                let mut resp: Response = next.run(req).await;
                if flag.load(Ordering::Relaxed) {
                    resp.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                resp
            }
        },
    ));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(req.map(axum::body::Body::new))
                });
                let builder = auto::Builder::new(TokioExecutor::new());
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    // Refuse new connections from now on; tell the open ones to go elsewhere.
    drop(listener);
    draining.store(true, Ordering::Relaxed);
    // Over early when every connection has gone.
    let deadline = tokio::time::Instant::now() + DRAIN;
    while graceful.count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = tokio::time::timeout(CLOSE, graceful.shutdown()).await;
    Ok(())
}
