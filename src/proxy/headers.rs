//! Header operations of the route and of the chosen destination, on the way up (request) and
//! on the way back (response), in Envoy's order: the route's first, then the destination's.

use super::action::Chosen;
use super::forward::Body;
use super::layer::{Inner, Step, StepFuture};
use super::route::Routed;
use hyper::header::{self, HeaderValue};
use hyper::Request;

/// Adds the header operations.
#[derive(Clone, Copy, Default)]
pub struct HeadersLayer;

crate::step!(HeadersLayer);

impl Step for HeadersLayer {
    fn call<S: Inner>(&self, inner: &mut S, mut req: Request<Body>) -> StepFuture<S::Future> {
        let routed = req.extensions().get::<Routed>().cloned();
        let chosen = req.extensions().get::<Chosen>().and_then(|c| c.destination);
        if let Some(r) = &routed {
            r.target.request_headers.apply(req.headers_mut());
            if let Some(d) = chosen.and_then(|i| r.target.destinations.get(i)) {
                d.request_headers.apply(req.headers_mut());
            }
        }
        let fut = inner.call(req);
        StepFuture::boxed(async move {
            let mut resp = fut.await?;
            if let Some(r) = &routed {
                r.target.response_headers.apply(resp.headers_mut());
                if let Some(d) = chosen.and_then(|i| r.target.destinations.get(i)) {
                    d.response_headers.apply(resp.headers_mut());
                }
            }
            resp.headers_mut()
                .insert(header::SERVER, HeaderValue::from_static("istio-envoy"));
            Ok(resp)
        })
    }
}

#[cfg(test)]
mod tests;
