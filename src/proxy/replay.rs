//! Keeps a small request body in memory when the route may send it more than once (retries,
//! mirrors); larger bodies, and upgrades, stream through once.

use super::client::Upgrade;
use super::error::ProxyError;
use super::forward::{self, Body};
use super::layer::{Inner, Step, StepFuture};
use super::route::Routed;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body as _;
use hyper::Request;

/// Bodies up to this size are kept for retries and mirrors; larger ones stream once.
pub const MAX_BUFFERED_BODY: u64 = 1 << 20;

/// The whole request body, for sending again; in the request's extensions.
#[derive(Clone, Debug)]
pub struct Replay(pub Bytes);

/// Adds body buffering where the route needs it.
#[derive(Clone, Copy, Default)]
pub struct ReplayLayer;

crate::step!(ReplayLayer);

impl Step for ReplayLayer {
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future> {
        let wanted = req
            .extensions()
            .get::<Routed>()
            .is_some_and(|r| r.target.retries.attempts > 0 || !r.target.mirrors.is_empty())
            && req.extensions().get::<Upgrade>().is_none();
        let body = req.body();
        let fits = body.is_end_stream()
            || body
                .size_hint()
                .upper()
                .is_some_and(|n| n <= MAX_BUFFERED_BODY);
        if !(wanted && fits) {
            return StepFuture::inner(inner.call(req));
        }
        if body.is_end_stream() {
            // Nothing to read (most GETs): the empty body is kept without waiting.
            let mut req = req;
            req.extensions_mut().insert(Replay(Bytes::new()));
            return StepFuture::inner(inner.call(req));
        }
        let mut inner = inner.clone();
        StepFuture::boxed(async move {
            let (mut parts, body) = req.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| ProxyError::DownstreamBody(e.to_string()))?
                .to_bytes();
            parts.extensions.insert(Replay(bytes.clone()));
            inner
                .call(Request::from_parts(parts, forward::full(bytes)))
                .await
        })
    }
}
