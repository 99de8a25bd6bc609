//! Fault injection from a route's `fault`: a delay (noted as `DI`) and an abort (`FI`), each
//! for its percentage of requests.

use super::error::ProxyError;
use super::forward::Body;
use super::layer::{Inner, Step, StepFuture};
use super::report;
use super::route::Routed;
use hyper::{Request, StatusCode};

/// Adds the route's fault injection.
#[derive(Clone, Copy, Default)]
pub struct FaultLayer;

crate::step!(FaultLayer);

impl Step for FaultLayer {
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future> {
        let fault = req
            .extensions()
            .get::<Routed>()
            .and_then(|r| r.route().policy.fault.clone());
        let Some(fault) = fault else {
            return StepFuture::inner(inner.call(req));
        };
        let mut inner = inner.clone();
        StepFuture::boxed(async move {
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
