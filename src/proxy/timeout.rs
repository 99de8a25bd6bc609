//! The route's overall `timeout`: no response headers in time means 504 `UT`, whatever the
//! retries were doing. Upgraded connections are not timed.

use super::client::Upgrade;
use super::error::ProxyError;
use super::forward::Body;
use super::route::Routed;
use super::BoxFuture;
use hyper::{Request, Response};
use std::task::{Context, Poll};

/// Adds the route's timeout.
#[derive(Clone, Copy, Default)]
pub struct TimeoutLayer;

#[derive(Clone)]
pub struct Timeout<S> {
    inner: S,
}

impl<S> tower::Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout { inner }
    }
}

impl<S> tower::Service<Request<Body>> for Timeout<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = ProxyError;
    type Future = BoxFuture<Result<Response<Body>, ProxyError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let limit = req
            .extensions()
            .get::<Routed>()
            .and_then(|r| r.route().policy.timeout)
            .filter(|t| !t.is_zero())
            .filter(|_| req.extensions().get::<Upgrade>().is_none());
        let fut = self.inner.call(req);
        match limit {
            None => Box::pin(fut),
            Some(limit) => Box::pin(async move {
                tokio::time::timeout(limit, fut)
                    .await
                    .unwrap_or(Err(ProxyError::Timeout))
            }),
        }
    }
}

#[cfg(test)]
mod tests;
