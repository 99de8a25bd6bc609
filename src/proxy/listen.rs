//! Accepting connections for a stack: HTTP/1.1 and h2c (with upgrades) on plain listeners,
//! and TLS (`tls.mode: SIMPLE`) with the certificate of the Gateway server's `credentialName`
//! Secret on the gateway's HTTPS ones.

use super::stack::Stack;
use super::{Downstream, Proxy};
use crate::api::istio::ServerTlsMode;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tower::Service;

/// Serves `listener` with `stack` until dropped; requests route as listener `port`. With a
/// `proxy`, the listener terminates TLS when its Gateway server asks for it.
pub async fn serve(stack: Stack, listener: TcpListener, port: u16, tls: Option<Arc<Proxy>>) {
    super::forward::accept(listener, |stream, local, remote| {
        let stack = stack.clone();
        let proxy = tls.clone();
        async move {
            let down = |scheme| Downstream {
                local,
                remote,
                port,
                scheme,
            };
            match proxy.as_deref().and_then(|p| tls_config(p, port)) {
                Some(Ok(config)) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match acceptor.accept(stream).await {
                        Ok(tls) => connection(stack, tls, down("https")).await,
                        Err(e) => tracing::debug!("TLS handshake from {remote}: {e}"),
                    }
                }
                Some(Err(e)) => tracing::warn!("listener {port}: {e}"),
                None => connection(stack, stream, down("http")).await,
            }
        }
    })
    .await
}

async fn connection<S>(stack: Stack, stream: S, down: Downstream)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // One stack per connection, called under a lock: the call itself only builds the
    // request's future (the layers are always ready), so the lock is held for moments and a
    // request does not pay for cloning the stack.
    let stack = std::sync::Mutex::new(stack);
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(down);
        let mut stack = stack
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stack.call(req)
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    if let Err(e) = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!("downstream connection from {}: {e}", down.remote);
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
