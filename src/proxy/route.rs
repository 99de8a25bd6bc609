//! Route selection: listener → virtual host (by authority) → the first matching rule, read
//! straight from the request's headers. Plain-HTTP requests to a `tls.httpsRedirect` server
//! get their 301 here; a request no rule takes fails with `NR`.

use super::error::{local_answer, ProxyError};
use super::forward::Body;
use super::layer::{Inner, Step, StepFuture};
use super::table::Table;
use super::target::RouteTarget;
use super::{report, Downstream, Proxy};
use crate::routes::{self, Miss, Route, RouteId};
use bytes::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::sync::Arc;

/// The route a request took, in its extensions for the layers below.
#[derive(Clone)]
pub struct Routed {
    pub table: Arc<Table>,
    pub id: RouteId,
    pub target: Arc<RouteTarget>,
}

// === impl Routed ===

impl Routed {
    pub fn route(&self) -> &Route {
        // `id` came from this table's own router, so the route is there.
        self.table
            .router
            .route(self.id)
            .expect("a route id indexes its own table")
    }

    /// The matcher's view of `req`, as it arrived on `down`.
    pub fn view<'a>(&'a self, req: &'a Request<Body>, down: &Downstream) -> routes::Request<'a> {
        view(req, &self.table, down, &self.table.namespace)
    }
}

/// The matcher's view of `req`: borrowed, nothing copied.
fn view<'a>(
    req: &'a Request<Body>,
    table: &'a Table,
    down: &Downstream,
    namespace: &'a str,
) -> routes::Request<'a> {
    routes::Request {
        method: req.method().as_str(),
        scheme: down.scheme,
        authority: authority(req),
        path: req.uri().path_and_query().map_or("/", |p| p.as_str()),
        headers: req.headers(),
        port: down.port,
        source_labels: &table.labels,
        source_namespace: namespace,
        gateway: table.gateway(down.port),
    }
}

/// The authority asked for: `Host` (HTTP/1), else the URI's (HTTP/2).
pub fn authority<B>(req: &Request<B>) -> &str {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default()
}

/// Adds route selection over the proxy's current table.
#[derive(Clone)]
pub struct RouteLayer {
    proxy: Arc<Proxy>,
}

impl RouteLayer {
    pub fn new(proxy: Arc<Proxy>) -> RouteLayer {
        RouteLayer { proxy }
    }
}

crate::step!(RouteLayer);

impl Step for RouteLayer {
    fn call<S: Inner>(&self, inner: &mut S, mut req: Request<Body>) -> StepFuture<S::Future> {
        match self.select(&req) {
            Ok(routed) => {
                report::of(&req).note(|n| n.route = Some(routed.target.name.clone()));
                req.extensions_mut().insert(routed);
                StepFuture::inner(inner.call(req))
            }
            Err(answer) => StepFuture::ready(*answer),
        }
    }
}

/// The answer a request gets instead of a route (boxed: it is the rare path).
type Answer = Box<Result<Response<Body>, ProxyError>>;

impl RouteLayer {
    /// The route for `req`, or the answer it gets instead.
    fn select(&self, req: &Request<Body>) -> Result<Routed, Answer> {
        let table = self
            .proxy
            .table
            .load_full()
            .ok_or_else(|| Box::new(Err(ProxyError::NoConfig)))?;
        let Some(down) = req.extensions().get::<Downstream>().copied() else {
            return Err(Box::new(Err(ProxyError::NoRoute(
                "meshlite proxy: no route: the request did not come through a listener\n".into(),
            ))));
        };
        let namespace = &self.proxy.identity.namespace;
        let view = view(req, &table, &down, namespace);
        if let Some(vhost) = routes::virtual_host(&table.router, down.port, view.authority) {
            if vhost.https_redirect && down.scheme == "http" {
                let host = view.authority.split(':').next().unwrap_or_default();
                let location = format!("https://{host}{}", view.path);
                return Err(Box::new(Ok(redirect(
                    StatusCode::MOVED_PERMANENTLY,
                    &location,
                ))));
            }
        }
        let id = routes::locate(&table.router, down.port, &view).map_err(|miss| {
            let why = match miss {
                Miss::NoVirtualHost => format!(
                    "meshlite proxy: no route: no virtual host for {:?} on port {}\n",
                    view.authority, down.port
                ),
                Miss::NoRoute => format!(
                    "meshlite proxy: no route: no rule for {:?} matches {} {}\n",
                    view.authority, view.method, view.path
                ),
            };
            Box::new(Err(ProxyError::NoRoute(why)))
        })?;
        let target = table.target(id).cloned().ok_or_else(|| {
            Box::new(Err(ProxyError::NoRoute(
                "meshlite proxy: no route: the config changed while routing\n".into(),
            )))
        })?;
        Ok(Routed { table, id, target })
    }
}

/// A redirect answered by the proxy.
pub fn redirect(status: StatusCode, location: &str) -> Response<Body> {
    let mut resp = local_answer(status, Bytes::new(), "direct_response");
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
mod tests;
