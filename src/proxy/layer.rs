//! The shape every layer of the stack shares: a [`Step`] handles a request given the rest of
//! the stack below it; [`step!`](crate::step) makes it a `tower::Layer` whose service is
//! [`Stepped`].

use super::error::ProxyError;
use super::forward::Body;
use super::BoxFuture;
use hyper::{Request, Response};
use std::future::Future;
use std::pin::Pin;
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
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future>;
}

pin_project_lite::pin_project! {
    /// What a step answers with: the rest of the stack's own future passed on as it is (most
    /// requests through most layers: nothing to allocate), an answer known at once, or work
    /// of its own.
    #[project = StepFutureProj]
    pub enum StepFuture<F> {
        Inner { #[pin] inner: F },
        Ready { answer: Option<Result<Response<Body>, ProxyError>> },
        Boxed { work: BoxFuture<Result<Response<Body>, ProxyError>> },
    }
}

impl<F> StepFuture<F> {
    /// Passes the rest of the stack's future on.
    pub fn inner(inner: F) -> StepFuture<F> {
        StepFuture::Inner { inner }
    }

    pub fn ready(answer: Result<Response<Body>, ProxyError>) -> StepFuture<F> {
        StepFuture::Ready {
            answer: Some(answer),
        }
    }

    pub fn boxed(
        fut: impl Future<Output = Result<Response<Body>, ProxyError>> + Send + 'static,
    ) -> StepFuture<F> {
        StepFuture::Boxed {
            work: Box::pin(fut),
        }
    }
}

impl<F> Future for StepFuture<F>
where
    F: Future<Output = Result<Response<Body>, ProxyError>>,
{
    type Output = Result<Response<Body>, ProxyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            StepFutureProj::Inner { inner } => inner.poll(cx),
            StepFutureProj::Ready { answer } => match answer.take() {
                Some(answer) => Poll::Ready(answer),
                None => Poll::Pending,
            },
            StepFutureProj::Boxed { work } => work.as_mut().poll(cx),
        }
    }
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
    type Future = StepFuture<S::Future>;

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
