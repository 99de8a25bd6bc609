//! The route's overall `timeout`: no response headers in time means 504 `UT`, whatever the
//! retries were doing. Upgraded connections are not timed.

use super::client::Upgrade;
use super::error::ProxyError;
use super::forward::Body;
use super::layer::{Inner, Step, StepFuture};
use super::route::Routed;
use hyper::Request;

/// Adds the route's timeout.
#[derive(Clone, Copy, Default)]
pub struct TimeoutLayer;

crate::step!(TimeoutLayer);

impl Step for TimeoutLayer {
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future> {
        let limit = req
            .extensions()
            .get::<Routed>()
            .and_then(|r| r.route().policy.timeout)
            .filter(|t| !t.is_zero())
            .filter(|_| req.extensions().get::<Upgrade>().is_none());
        let fut = inner.call(req);
        match limit {
            None => StepFuture::inner(fut),
            Some(limit) => StepFuture::boxed(async move {
                tokio::time::timeout(limit, fut)
                    .await
                    .unwrap_or(Err(ProxyError::Timeout))
            }),
        }
    }
}

#[cfg(test)]
mod tests;
