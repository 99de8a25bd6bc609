//! The shape every layer of the stack shares: a [`Step`] handles a request given the rest of
//! the stack below it; [`step!`](crate::step) makes it a `tower::Layer` whose service is
//! [`Stepped`].

use super::error::ProxyError;
use super::forward::Body;
use super::BoxFuture;
use hyper::{Request, Response};
use std::task::{Context, Poll};

/// What a layer's service calls: the rest of the stack.
pub trait Inner:
    tower::Service<
        Request<Body>,
        Response = Response<Body>,
        Error = ProxyError,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<T> Inner for T where
    T: tower::Service<
            Request<Body>,
            Response = Response<Body>,
            Error = ProxyError,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// One layer's work on a request. `inner` is the rest of the stack: call it (at once, or on
/// a clone once something has been awaited) or answer without it.
pub trait Step: Clone + Send + Sync + 'static {
    fn call<S: Inner>(
        &self,
        inner: &mut S,
        req: Request<Body>,
    ) -> BoxFuture<Result<Response<Body>, ProxyError>>;
}

/// A [`Step`] in front of the rest of the stack.
#[derive(Clone)]
pub struct Stepped<T, S> {
    step: T,
    inner: S,
}

impl<T, S> Stepped<T, S> {
    pub fn new(step: T, inner: S) -> Stepped<T, S> {
        Stepped { step, inner }
    }
}

impl<T: Step, S: Inner> tower::Service<Request<Body>> for Stepped<T, S> {
    type Response = Response<Body>;
    type Error = ProxyError;
    type Future = BoxFuture<Result<Response<Body>, ProxyError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        self.step.call(&mut self.inner, req)
    }
}

/// Makes a [`Step`] type a `tower::Layer`.
#[macro_export]
macro_rules! step {
    ($step:ty) => {
        impl<S> tower::Layer<S> for $step {
            type Service = $crate::proxy::layer::Stepped<$step, S>;

            fn layer(&self, inner: S) -> Self::Service {
                $crate::proxy::layer::Stepped::new(self.clone(), inner)
            }
        }
    };
}
