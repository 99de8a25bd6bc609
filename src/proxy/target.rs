//! What forwarding along one route needs, computed once per config version: its destinations
//! resolved to clusters, header operations parsed into header names and values, retries with
//! Istio's default filled in, mirrors and the direct response body.

use super::table::ClusterState;
use super::telemetry::Label;
use crate::api::istio::{HeaderOperations, Headers};
use crate::routes::{Action, RetryPolicy, Route, WeightedCluster};
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
use std::sync::Arc;

/// One route's forwarding state.
#[derive(Debug)]
pub struct RouteTarget {
    /// The route's name in access logs (`default` when it has none).
    pub name: Arc<str>,
    /// The route's retries, or Istio's default policy.
    pub retries: RetryPolicy,
    pub destinations: Vec<Destination>,
    pub total_weight: u32,
    /// Shadow destinations with their percentage.
    pub mirrors: Vec<(f64, Destination)>,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
    /// A direct response's body.
    pub direct_body: Bytes,
}

/// One weighted destination of a route.
#[derive(Debug)]
pub struct Destination {
    /// The Service FQDN (metrics' `destination_service`).
    pub service: Label,
    /// `outbound|PORT|SUBSET|HOST`.
    pub cluster_name: Arc<str>,
    /// The cluster, or the local reply's body saying why there is none.
    pub cluster: Result<Arc<ClusterState>, Arc<str>>,
    pub weight: u32,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
}

/// Istio's header operations, ready to apply: remove, then set, then add (Envoy's order).
/// Names or values that are not valid HTTP are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderOps {
    remove: Vec<HeaderName>,
    set: Vec<(HeaderName, HeaderValue)>,
    add: Vec<(HeaderName, HeaderValue)>,
}

/// What [`RouteTarget::build`] reads besides the route: clusters by name and Service ports.
pub struct Context<'a> {
    pub clusters: &'a HashMap<String, Arc<ClusterState>>,
    /// Service FQDN → its ports.
    pub service_ports: &'a HashMap<String, Vec<u16>>,
    /// The listener the route serves.
    pub listener_port: u16,
}

// === impl RouteTarget ===

impl RouteTarget {
    pub fn build(route: &Route, cx: &Context<'_>) -> RouteTarget {
        let policy = &route.policy;
        let (destinations, direct_body) = match &route.action {
            Action::Route(clusters) => (
                clusters
                    .iter()
                    .map(|d| Destination::build(d, route, cx))
                    .collect(),
                Bytes::new(),
            ),
            Action::DirectResponse { body, .. } => {
                (Vec::new(), Bytes::from(body.clone().unwrap_or_default()))
            }
            Action::Redirect { .. } => (Vec::new(), Bytes::new()),
        };
        let total_weight = match &route.action {
            Action::Route(clusters) => crate::routes::total_weight(clusters),
            _ => 0,
        };
        RouteTarget {
            name: Arc::from(route.name.as_deref().unwrap_or("default")),
            retries: policy
                .retries
                .clone()
                .unwrap_or_else(super::retry::default_policy),
            destinations,
            total_weight,
            mirrors: policy
                .mirrors
                .iter()
                .map(|m| (m.percentage, Destination::build(&m.cluster, route, cx)))
                .collect(),
            request_headers: HeaderOps::request(&policy.headers),
            response_headers: HeaderOps::response(&policy.headers),
            direct_body,
        }
    }

    /// The index of the destination a uniform `roll` in `0..total_weight` lands on (the first
    /// when the weights add up to nothing); `None` without destinations.
    pub fn pick(&self, roll: u32) -> Option<usize> {
        let mut upper: u64 = 0;
        for (i, d) in self.destinations.iter().enumerate() {
            upper += u64::from(d.weight);
            if u64::from(roll) < upper {
                return Some(i);
            }
        }
        (!self.destinations.is_empty()).then_some(0)
    }
}

// === impl Destination ===

impl Destination {
    fn build(dest: &WeightedCluster, route: &Route, cx: &Context<'_>) -> Destination {
        let port = destination_port(cx, dest);
        let name = crate::routes::cluster_name(port, dest.subset.as_deref(), &dest.host);
        let cluster = match cx.clusters.get(&name) {
            Some(state) => Ok(state.clone()),
            None => Err(Arc::from(format!(
                "no cluster found: {name}\n{}",
                missing_cluster(cx, dest, port, route)
            ))),
        };
        Destination {
            service: Label::new(&dest.host),
            cluster_name: Arc::from(name),
            cluster,
            weight: dest.weight,
            request_headers: HeaderOps::request(&dest.headers),
            response_headers: HeaderOps::response(&dest.headers),
        }
    }
}

/// The Service port a destination without `port` means: the Service's only port, else the
/// port the request came in on.
fn destination_port(cx: &Context<'_>, dest: &WeightedCluster) -> u16 {
    if let Some(p) = dest.port {
        return p;
    }
    match cx.service_ports.get(&dest.host).map(Vec::as_slice) {
        Some([only]) => *only,
        _ => cx.listener_port,
    }
}

/// Why no cluster exists for a destination, in words.
fn missing_cluster(cx: &Context<'_>, dest: &WeightedCluster, port: u16, route: &Route) -> String {
    let from = if route.source.is_empty() {
        String::new()
    } else {
        format!("; VirtualService {} routes here", route.source)
    };
    match cx.service_ports.get(&dest.host) {
        None => format!("meshlite proxy: no Service {} exists{from}\n", dest.host),
        Some(ports) if !ports.contains(&port) => {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!(
                "meshlite proxy: Service {} has no port {port} (its ports: {}){from}\n",
                dest.host,
                list.join(", ")
            )
        }
        Some(_) => format!(
            "meshlite proxy: subset {:?} of {} is not defined by any DestinationRule{from}\n",
            dest.subset.as_deref().unwrap_or_default(),
            dest.host
        ),
    }
}

// === impl HeaderOps ===

impl HeaderOps {
    pub fn new(ops: Option<&HeaderOperations>) -> HeaderOps {
        let Some(ops) = ops else {
            return HeaderOps::default();
        };
        let pairs = |map: &crate::api::istio::StringMap| {
            map.iter()
                .filter_map(|(n, v)| {
                    Some((
                        HeaderName::try_from(n.as_str()).ok()?,
                        HeaderValue::from_str(v).ok()?,
                    ))
                })
                .collect()
        };
        HeaderOps {
            remove: ops
                .remove
                .iter()
                .filter_map(|n| HeaderName::try_from(n.as_str()).ok())
                .collect(),
            set: pairs(&ops.set),
            add: pairs(&ops.add),
        }
    }

    fn request(headers: &Option<Headers>) -> HeaderOps {
        HeaderOps::new(headers.as_ref().and_then(|h| h.request.as_ref()))
    }

    fn response(headers: &Option<Headers>) -> HeaderOps {
        HeaderOps::new(headers.as_ref().and_then(|h| h.response.as_ref()))
    }

    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.set.is_empty() && self.add.is_empty()
    }

    /// Remove, then set (overwrite), then add (append).
    pub fn apply(&self, headers: &mut HeaderMap) {
        for name in &self.remove {
            headers.remove(name);
        }
        for (name, value) in &self.set {
            headers.insert(name.clone(), value.clone());
        }
        for (name, value) in &self.add {
            headers.append(name.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_operations_order() {
        let mut headers = HeaderMap::new();
        headers.insert("x-old", HeaderValue::from_static("1"));
        headers.insert("x-keep", HeaderValue::from_static("a"));
        let ops: HeaderOperations = serde_json::from_value(serde_json::json!({
            "remove": ["x-old"], "set": {"x-keep": "b", "x-new": "c"}, "add": {"x-keep": "d"}
        }))
        .expect("ops");
        HeaderOps::new(Some(&ops)).apply(&mut headers);
        assert!(!headers.contains_key("x-old"));
        let keep: Vec<_> = headers.get_all("x-keep").iter().collect();
        assert_eq!(keep, ["b", "d"]);
        assert_eq!(headers["x-new"], "c");
        let bad: HeaderOperations = serde_json::from_value(serde_json::json!({
            "set": {"bad name": "x", "x-ok": "bad\nvalue"}, "remove": ["also bad"]
        }))
        .expect("ops");
        assert!(HeaderOps::new(Some(&bad)).is_empty());
    }
}
