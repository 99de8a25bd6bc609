//! Accepting connections on a routed listener: HTTP/1.1 and h2c, and TLS (`tls.mode: SIMPLE`)
//! with the certificate of the Gateway server's `credentialName` Secret.

use super::pipeline::{self, Downstream};
use super::Proxy;
use crate::api::istio::ServerTlsMode;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

/// Serves `listener`, whose requests route as listener `port`, until dropped.
pub async fn serve(proxy: Arc<Proxy>, listener: TcpListener, port: u16) {
    super::forward::accept(listener, |stream, local, remote| {
        let proxy = proxy.clone();
        async move {
            match tls_config(&proxy, port) {
                Some(Ok(config)) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match acceptor.accept(stream).await {
                        Ok(tls) => connection(proxy, tls, local, remote, port, "https").await,
                        Err(e) => tracing::debug!("TLS handshake from {remote}: {e}"),
                    }
                }
                Some(Err(e)) => tracing::warn!("listener {port}: {e}"),
                None => connection(proxy, stream, local, remote, port, "http").await,
            }
        }
    })
    .await
}

async fn connection<S>(
    proxy: Arc<Proxy>,
    stream: S,
    local: SocketAddr,
    remote: SocketAddr,
    port: u16,
    scheme: &'static str,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let down = Downstream {
        local,
        remote,
        port,
        scheme,
    };
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let proxy = proxy.clone();
        async move { Ok::<_, std::convert::Infallible>(pipeline::handle(proxy, req, down).await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    if let Err(e) = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!("downstream connection from {remote}: {e}");
    }
}

/// The TLS settings of listener `port`: `None` for plain HTTP, an error when the Secret is
/// missing or unusable.
fn tls_config(proxy: &Proxy, port: u16) -> Option<Result<Arc<rustls::ServerConfig>, String>> {
    let table = proxy.table.load_full()?;
    let listener = table.router.listeners.iter().find(|l| l.port == port)?;
    let tls = listener.tls.as_ref()?;
    if !matches!(tls.mode, ServerTlsMode::Simple) || listener.protocol != "HTTPS" {
        return None;
    }
    let name = &tls.credential_name;
    let Some(config) = table.tls.get(name) else {
        return Some(Err(format!(
            "credentialName {name:?}: no kubernetes.io/tls Secret with tls.crt and tls.key in namespace {}",
            proxy.identity.namespace
        )));
    };
    Some(
        config
            .clone()
            .map_err(|e| format!("credentialName {name:?}: {e}")),
    )
}
