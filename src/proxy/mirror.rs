//! Traffic mirroring: for each of the route's mirrors (by its percentage), a copy of the
//! request goes to the mirror's cluster with `-shadow` added to the host, and its answer is
//! thrown away. Only bodies kept by [`super::replay`] can be copied.

use super::action::Chosen;
use super::fault::{hit, roll_percent};
use super::forward::{self, Body};
use super::layer::{Inner, Step, StepFuture, Stepped};
use super::replay::Replay;
use super::report::Report;
use super::route::Routed;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderValue};
use hyper::Request;
use tower::ServiceExt;

/// Adds mirroring; `upstream` sends the copies (the endpoint and client layers).
#[derive(Clone)]
pub struct MirrorLayer<U> {
    upstream: U,
}

impl<U> MirrorLayer<U> {
    pub fn new(upstream: U) -> MirrorLayer<U> {
        MirrorLayer { upstream }
    }
}

impl<S, U: Clone> tower::Layer<S> for MirrorLayer<U> {
    type Service = Stepped<MirrorLayer<U>, S>;

    fn layer(&self, inner: S) -> Self::Service {
        Stepped::new(self.clone(), inner)
    }
}

impl<U: Inner + Sync> Step for MirrorLayer<U> {
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future> {
        if let (Some(routed), Some(Replay(bytes))) = (
            req.extensions().get::<Routed>(),
            req.extensions().get::<Replay>(),
        ) {
            for (percentage, dest) in &routed.target.mirrors {
                let Ok(cluster) = &dest.cluster else {
                    continue;
                };
                if !hit(*percentage, roll_percent()) {
                    continue;
                }
                let mut copy = Request::new(forward::full(bytes.clone()));
                *copy.method_mut() = req.method().clone();
                *copy.uri_mut() = req.uri().clone();
                *copy.headers_mut() = req.headers().clone();
                if let Some(host) = shadow_host(super::route::authority(&req)) {
                    copy.headers_mut().insert(header::HOST, host);
                }
                // A report of its own: the copy is not this exchange.
                copy.extensions_mut().insert(Report::default());
                copy.extensions_mut().insert(Chosen {
                    destination: None,
                    cluster: cluster.clone(),
                });
                let upstream = self.upstream.clone();
                tokio::spawn(async move {
                    if let Ok(resp) = upstream.oneshot(copy).await {
                        // Drain so the pooled connection can be reused.
                        let _ = resp.into_body().collect().await;
                    }
                });
            }
        }
        StepFuture::inner(inner.call(req))
    }
}

/// `host-shadow[:port]`, as Envoy names a mirrored request's authority.
fn shadow_host(authority: &str) -> Option<HeaderValue> {
    let host = crate::routes::strip_port(authority);
    let port = authority.get(host.len()..).unwrap_or_default();
    let value = format!("{host}-shadow{port}");
    HeaderValue::from_str(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::action::ActionLayer;
    use crate::proxy::replay::ReplayLayer;
    use crate::proxy::route::RouteLayer;
    use crate::proxy::test_util::{self, answering, ok};
    use serde_json::json;
    use tower::{ServiceBuilder, ServiceExt};

    #[tokio::test]
    async fn copies_go_to_the_mirror_with_a_shadow_host() {
        let rules = json!([{"route": [{"destination": {"host": "web"}}],
                            "mirror": {"host": "web"}, "mirrorPercentage": {"value": 100}}]);
        let (mirror, copies) = answering(|_| ok("shadow"));
        let (up, seen) = answering(|_| ok("up"));
        let ep: std::net::SocketAddr = "127.0.0.1:20019".parse().expect("addr");
        let svc = ServiceBuilder::new()
            .layer(RouteLayer::new(test_util::proxy(&[ep], Some(rules), None)))
            .layer(ActionLayer)
            .layer(ReplayLayer)
            .layer(MirrorLayer::new(mirror))
            .service(up);
        let resp = svc
            .oneshot(test_util::arriving("web", "/m", 80))
            .await
            .expect("ok");
        assert_eq!(test_util::body(resp).await, "up");
        assert_eq!(seen.requests().len(), 1);
        for _ in 0..100 {
            if !copies.requests().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let copy = &copies.requests()[0];
        assert_eq!(copy.headers()["host"], "web-shadow");
        assert_eq!(copy.uri(), "/m");
    }

    #[test]
    fn shadow_hosts() {
        for (authority, want) in [
            ("a.example", "a.example-shadow"),
            ("a.example:8080", "a.example-shadow:8080"),
        ] {
            assert_eq!(super::shadow_host(authority).expect("valid"), want);
        }
    }
}
