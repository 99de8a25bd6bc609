//! Cluster → load balancer → one endpoint: picks where this attempt goes (avoiding endpoints
//! earlier attempts tried), addresses the request to it (the pod's sidecar when it has one),
//! applies the per-try timeout and feeds the outcome to outlier detection.

use super::action::Chosen;
use super::balance::Outcome;
use super::client::Http2;
use super::error::ProxyError;
use super::forward::{self, Body};
use super::layer::{Inner, Step, StepFuture};
use super::retry::Attempt;
use super::{report, Downstream, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use crate::routes::{HashKey, LbPolicy};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::Request;
use std::net::SocketAddr;
use std::time::Instant;

/// Adds endpoint selection; `source` is this proxy's workload, told to peer sidecars.
#[derive(Clone)]
pub struct EndpointLayer {
    source: Option<HeaderValue>,
}

impl EndpointLayer {
    pub fn new(workload: &str) -> EndpointLayer {
        EndpointLayer {
            source: HeaderValue::from_str(workload).ok(),
        }
    }
}

crate::step!(EndpointLayer);

impl Step for EndpointLayer {
    fn call<S: Inner>(&self, inner: &mut S, mut req: Request<Body>) -> StepFuture<S::Future> {
        let Some(chosen) = req.extensions().get::<Chosen>().cloned() else {
            return StepFuture::ready(Err(ProxyError::NoCluster(
                "meshlite proxy: no cluster was chosen for the request\n".into(),
            )));
        };
        let attempt = req
            .extensions()
            .get::<Attempt>()
            .cloned()
            .unwrap_or_default();
        let cluster = &chosen.cluster;
        let remote = req.extensions().get::<Downstream>().map(|d| d.remote);
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let key = hash_key(&cluster.cluster.policy.lb, req.headers(), path, remote);
        let Some(pick) = cluster
            .balancer
            .pick(key.as_deref(), Instant::now(), &attempt.tried)
        else {
            return StepFuture::ready(Err(ProxyError::NoHealthy));
        };
        let address = pick.endpoint.address;
        let info = cluster.endpoints.get(&address);
        report::of(&req).note(|n| {
            n.upstream_host = Some(address);
            if let Some(info) = info {
                n.destination_workload = Some(info.workload.clone());
                n.destination_workload_namespace = Some(info.namespace.clone());
            }
        });
        if let Some(info) = info {
            forward::address(&mut req, info.dial.clone());
            if let Some(port) = &info.target_port {
                req.headers_mut().insert(TARGET_PORT_HEADER, port.clone());
                if let Some(source) = &self.source {
                    req.headers_mut()
                        .insert(SOURCE_WORKLOAD_HEADER, source.clone());
                }
            }
        }
        if cluster.cluster.http2 {
            req.extensions_mut().insert(Http2);
        }
        let sent = inner.call(req);
        let balancer = cluster.balancer.clone();
        StepFuture::boxed(async move {
            let result = match attempt.per_try_timeout {
                Some(limit) => tokio::time::timeout(limit, sent)
                    .await
                    .unwrap_or(Err(ProxyError::Timeout)),
                None => sent.await,
            };
            let outcome = match &result {
                Ok(resp) => Outcome::Status(resp.status().as_u16()),
                Err(ProxyError::Timeout) => Outcome::Timeout,
                Err(_) => Outcome::ConnectFailure,
            };
            balancer.report(address, outcome, Instant::now());
            drop(pick.active);
            let mut resp = result?;
            if let Some(cookie) = pick.set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(resp)
        })
    }
}

/// The value a consistent-hash balancer hashes for this request.
fn hash_key(
    policy: &LbPolicy,
    headers: &HeaderMap,
    path: &str,
    remote: Option<SocketAddr>,
) -> Option<String> {
    let LbPolicy::ConsistentHash(key) = policy else {
        return None;
    };
    match key {
        HashKey::Header(name) => headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        HashKey::Cookie { name, .. } => headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string()),
        HashKey::Query(name) => path.split_once('?').and_then(|(_, q)| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        }),
        HashKey::SourceIp => remote.map(|r| r.ip().to_string()),
    }
}

#[cfg(test)]
mod tests;
