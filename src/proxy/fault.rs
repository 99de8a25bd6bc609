//! Fault injection from a route's `fault`: a delay (noted as `DI`) and an abort (`FI`), each
//! for its percentage of requests.

use super::error::ProxyError;
use super::forward::Body;
use super::route::Routed;
use super::{report, BoxFuture};
use hyper::{Request, Response, StatusCode};
use std::task::{Context, Poll};

/// Adds the route's fault injection.
#[derive(Clone, Copy, Default)]
pub struct FaultLayer;

#[derive(Clone)]
pub struct Fault<S> {
    inner: S,
}

impl<S> tower::Layer<S> for FaultLayer {
    type Service = Fault<S>;

    fn layer(&self, inner: S) -> Fault<S> {
        Fault { inner }
    }
}

impl<S> tower::Service<Request<Body>> for Fault<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = ProxyError;
    type Future = BoxFuture<Result<Response<Body>, ProxyError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let fault = req
            .extensions()
            .get::<Routed>()
            .and_then(|r| r.route().policy.fault.clone());
        let Some(fault) = fault else {
            return Box::pin(self.inner.call(req));
        };
        let mut inner = self.inner.clone();
        Box::pin(async move {
            if let Some(delay) = &fault.delay {
                if hit(delay.percentage, roll_percent()) {
                    tokio::time::sleep(delay.duration).await;
                    report::of(&req).note(|n| n.flags = Some("DI"));
                }
            }
            if let Some(abort) = &fault.abort {
                if hit(abort.percentage, roll_percent()) {
                    let status = abort
                        .http_status
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    return Err(ProxyError::FaultAbort(status));
                }
            }
            inner.call(req).await
        })
    }
}

/// Whether a `roll` in `[0, 100)` falls inside `percentage`.
pub fn hit(percentage: f64, roll: f64) -> bool {
    roll < percentage
}

/// A uniform roll in `[0, 100)`. (A function, so no RNG handle lives across an `.await`.)
pub fn roll_percent() -> f64 {
    use rand::Rng;
    rand::thread_rng().gen_range(0.0..100.0)
}

/// A uniform roll in `[0, upper)` (0 when `upper` is 0).
pub fn roll_below(upper: u32) -> u32 {
    use rand::Rng;
    if upper == 0 {
        0
    } else {
        rand::thread_rng().gen_range(0..upper)
    }
}

#[cfg(test)]
mod tests;
