//! What a matched route does: answer with a redirect or a direct response, or forward to one
//! of its weighted destinations — the request rewritten as Envoy forwards it (path and
//! authority rewrites, `x-forwarded-for`/`-proto`, hop-by-hop headers removed).

use super::client;
use super::error::{local_answer, ProxyError};
use super::fault::roll_below;
use super::forward::Body;
use super::layer::{Inner, Step, StepFuture};
use super::route::{self, Routed};
use super::table::ClusterState;
use super::{report, Downstream, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use crate::routes::Action;
use hyper::header::{self, HeaderValue};
use hyper::http::uri::PathAndQuery;
use hyper::{Request, Response, StatusCode};
use std::sync::Arc;

/// The destination a request is forwarded to, in its extensions for the layers below.
#[derive(Clone)]
pub struct Chosen {
    /// Index into the route target's destinations (`None` for a mirrored copy).
    pub destination: Option<usize>,
    pub cluster: Arc<ClusterState>,
}

/// Adds the route's action.
#[derive(Clone, Copy, Default)]
pub struct ActionLayer;

crate::step!(ActionLayer);

impl Step for ActionLayer {
    fn call<S: Inner>(&self, inner: &mut S, req: Request<Body>) -> StepFuture<S::Future> {
        match act(req) {
            Ok(req) => StepFuture::inner(inner.call(req)),
            Err(answer) => StepFuture::ready(*answer),
        }
    }
}

/// The answer a layer gives instead of passing the request on (boxed: it is the rare path).
type Answer = Box<Result<Response<Body>, ProxyError>>;

/// The request to forward, or the answer the route gives instead.
fn act(mut req: Request<Body>) -> Result<Request<Body>, Answer> {
    let (Some(routed), Some(down)) = (
        req.extensions().get::<Routed>().cloned(),
        req.extensions().get::<Downstream>().copied(),
    ) else {
        // Nothing chose a route: nothing to do here.
        return Ok(req);
    };
    let route = routed.route();
    match &route.action {
        Action::Redirect { code, .. } => {
            let location = route
                .action
                .redirect_location(&routed.view(&req, &down))
                .unwrap_or_default();
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::MOVED_PERMANENTLY);
            Err(Box::new(Ok(route::redirect(status, &location))))
        }
        Action::DirectResponse { status, .. } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            let body = routed.target.direct_body.clone();
            Err(Box::new(Ok(local_answer(status, body, "direct_response"))))
        }
        Action::Route(_) => {
            let target = &routed.target;
            let roll = roll_below(target.total_weight);
            let Some((index, dest)) = target
                .pick(roll)
                .and_then(|i| Some((i, target.destinations.get(i)?)))
            else {
                return Err(Box::new(Err(ProxyError::NoCluster(Arc::from("")))));
            };
            report::of(&req).note(|n| {
                n.upstream_cluster = Some(dest.cluster_name.clone());
                n.destination_service = Some(dest.service.clone());
            });
            let cluster = dest
                .cluster
                .clone()
                .map_err(|why| Err(ProxyError::NoCluster(why)))?;
            let rewritten = route.rewritten_path(&routed.view(&req, &down));
            let authority = route.rewrite.as_ref().and_then(|r| r.authority.clone());
            rewrite(&mut req, rewritten, authority, &down);
            req.extensions_mut().insert(Chosen {
                destination: Some(index),
                cluster,
            });
            Ok(req)
        }
    }
}

/// Rewrites the request as it goes upstream.
fn rewrite(
    req: &mut Request<Body>,
    path: Option<String>,
    authority: Option<String>,
    down: &Downstream,
) {
    client::for_upstream(req);
    if let Some(path) = path {
        if let Ok(pq) = PathAndQuery::try_from(path.as_str()) {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = hyper::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    let host = match authority {
        Some(a) => HeaderValue::from_str(&a).ok(),
        None => req.headers().get(header::HOST).cloned().or_else(|| {
            req.uri()
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        }),
    };
    let headers = req.headers_mut();
    headers.remove(TARGET_PORT_HEADER);
    headers.remove(SOURCE_WORKLOAD_HEADER);
    if let Some(host) = host {
        headers.insert(header::HOST, host);
    }
    let client = down.remote.ip();
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {client}"),
        None => client.to_string(),
    };
    // The string's buffer becomes the header value's: no second copy.
    let xff = HeaderValue::from_maybe_shared(bytes::Bytes::from(xff));
    if let Ok(v) = xff {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static(down.scheme));
}

#[cfg(test)]
mod tests;
