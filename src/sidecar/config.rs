//! The mesh configuration a sidecar receives: validation, and routing decisions made from it.
//!
//! Everything here is pure: the xDS client builds a [`MeshConfig`] per received version and the
//! listeners ask it where a request should go.

use crate::serviceproxy::{Registry, ResolveError};
use serde_json::Value;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Why a received configuration cannot be used (the sidecar NACKs it and keeps the old one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The document is not a JSON object.
    #[error("config must be a JSON object")]
    NotObject,
    /// A top-level field has the wrong shape.
    #[error("config field \"{field}\" must be {expected}")]
    BadField {
        field: &'static str,
        expected: &'static str,
    },
    /// An entry of `sidecars` is malformed.
    #[error("config sidecars[\"{key}\"]: {reason}")]
    BadSidecar { key: String, reason: String },
}

/// Why an outbound request has no upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The host names no known Service, or the Service lacks the port (Envoy: no route, 404).
    #[error("{0}")]
    NoRoute(ResolveError),
    /// The Service has no ready endpoints (Envoy: no healthy upstream, 503).
    #[error("{0}")]
    NoHealthyUpstream(ResolveError),
}

/// A pod an endpoint address belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

/// Where an outbound request may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `svc.ns.svc.cluster.local`.
    pub service: String,
    /// The Service port addressed.
    pub port: u16,
    /// Candidate upstreams, in Endpoints order.
    pub upstreams: Vec<Upstream>,
}

/// One endpoint of a route and how to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream {
    /// The endpoint (the pod's host port).
    pub endpoint: SocketAddr,
    /// The inbound port of the endpoint pod's sidecar, when it has one.
    pub sidecar: Option<u16>,
}

// === impl Upstream ===

impl Upstream {
    /// The address to connect to: the peer sidecar when there is one, else the endpoint.
    pub fn connect_to(&self) -> SocketAddr {
        match self.sidecar {
            Some(port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            None => self.endpoint,
        }
    }
}

/// One applied configuration version.
#[derive(Debug, Clone, Default)]
pub struct MeshConfig {
    registry: Registry,
    /// `(namespace, name)` → the Service's TCP ports, in spec order.
    services: HashMap<(String, String), Vec<u16>>,
    /// Cluster IP → `(namespace, name)`.
    cluster_ips: HashMap<String, (String, String)>,
    /// Endpoint address → the pod behind it.
    pods: HashMap<SocketAddr, PodRef>,
    /// Endpoint address → FQDN of the first Service listing it.
    service_of: HashMap<SocketAddr, String>,
    /// `NS/POD` → sidecar inbound host port.
    sidecars: HashMap<String, u16>,
}

// === impl MeshConfig ===

impl MeshConfig {
    /// Validate and index `{"services":[…],"endpoints":[…],"sidecars":{"NS/POD":{"inbound":N}}}`.
    pub fn parse(config: &Value) -> Result<MeshConfig, ConfigError> {
        let obj = config.as_object().ok_or(ConfigError::NotObject)?;
        let services = object_list(obj.get("services"), "services")?;
        let endpoints = object_list(obj.get("endpoints"), "endpoints")?;
        let mut sidecars = HashMap::new();
        match obj.get("sidecars") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (key, entry) in map {
                    let bad = |reason: &str| ConfigError::BadSidecar {
                        key: key.clone(),
                        reason: reason.to_string(),
                    };
                    if crate::xds::parse_proxy_id(key).is_err() {
                        return Err(bad("key must be NAMESPACE/POD"));
                    }
                    let port = entry
                        .get("inbound")
                        .and_then(Value::as_u64)
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|n| *n != 0)
                        .ok_or_else(|| bad("\"inbound\" must be a port number (1-65535)"))?;
                    sidecars.insert(key.clone(), port);
                }
            }
            Some(_) => {
                return Err(ConfigError::BadField {
                    field: "sidecars",
                    expected: "an object",
                })
            }
        }

        let mut index = HashMap::new();
        let mut cluster_ips = HashMap::new();
        for svc in services {
            let ns = str_at(svc, "/metadata/namespace").to_ascii_lowercase();
            let name = str_at(svc, "/metadata/name").to_ascii_lowercase();
            let ports = svc
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|p| matches!(str_at(p, "/protocol"), "" | "TCP"))
                .filter_map(|p| p.get("port").and_then(Value::as_u64))
                .filter_map(|n| u16::try_from(n).ok())
                .collect();
            let ips = svc
                .pointer("/spec/clusterIPs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .chain(svc.pointer("/spec/clusterIP").and_then(Value::as_str));
            for ip in ips.filter(|ip| !ip.is_empty() && *ip != "None") {
                cluster_ips.insert(ip.to_string(), (ns.clone(), name.clone()));
            }
            index.insert((ns, name), ports);
        }

        let mut pods = HashMap::new();
        let mut service_of = HashMap::new();
        for eps in endpoints {
            let ns = str_at(eps, "/metadata/namespace");
            let fqdn = fqdn(str_at(eps, "/metadata/name"), ns);
            for subset in eps
                .get("subsets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ports: Vec<u16> = subset
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.get("port").and_then(Value::as_u64))
                    .filter_map(|n| u16::try_from(n).ok())
                    .collect();
                for addr in subset
                    .get("addresses")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let ip = str_at(addr, "/ip")
                        .parse::<IpAddr>()
                        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
                    let pod = addr.get("targetRef").and_then(|r| {
                        let kind = str_at(r, "/kind");
                        let name = str_at(r, "/name");
                        (matches!(kind, "" | "Pod") && !name.is_empty()).then(|| PodRef {
                            namespace: Some(str_at(r, "/namespace"))
                                .filter(|n| !n.is_empty())
                                .unwrap_or(ns)
                                .to_string(),
                            name: name.to_string(),
                        })
                    });
                    for port in &ports {
                        let sa = SocketAddr::new(ip, *port);
                        if let Some(pod) = &pod {
                            pods.insert(sa, pod.clone());
                        }
                        service_of.entry(sa).or_insert_with(|| fqdn.clone());
                    }
                }
            }
        }

        Ok(MeshConfig {
            registry: Registry::new(services, endpoints),
            services: index,
            cluster_ips,
            pods,
            service_of,
            sidecars,
        })
    }

    /// Where a request for `host[:port]` from a pod in `namespace` may go.
    pub fn route(
        &self,
        host: &str,
        port: Option<u16>,
        namespace: &str,
    ) -> Result<Route, RouteError> {
        let backends = self
            .registry
            .resolve(host, port, namespace)
            .map_err(|e| match e {
                ResolveError::NoReadyEndpoints { .. } => RouteError::NoHealthyUpstream(e),
                other => RouteError::NoRoute(other),
            })?;
        let (svc_ns, svc_name) = self.identify(host, namespace);
        let port = port.unwrap_or_else(|| {
            // The registry's choice without a port: 80 when served, else the first port.
            let ports = self.services.get(&(svc_ns.clone(), svc_name.clone()));
            match ports {
                Some(p) if !p.contains(&80) => p.first().copied().unwrap_or(80),
                _ => 80,
            }
        });
        let upstreams = backends
            .into_iter()
            .map(|endpoint| Upstream {
                endpoint,
                sidecar: self.sidecar_of(endpoint),
            })
            .collect();
        Ok(Route {
            service: fqdn(&svc_name, &svc_ns),
            port,
            upstreams,
        })
    }

    /// The inbound port of the sidecar of the pod behind `endpoint`, if it has one.
    pub fn sidecar_of(&self, endpoint: SocketAddr) -> Option<u16> {
        let pod = self.pods.get(&endpoint)?;
        self.sidecars
            .get(&format!("{}/{}", pod.namespace, pod.name))
            .copied()
    }

    /// The pod behind an endpoint address.
    pub fn pod_at(&self, endpoint: SocketAddr) -> Option<&PodRef> {
        self.pods.get(&endpoint)
    }

    /// The FQDN of the first Service whose Endpoints list `endpoint`.
    pub fn service_at(&self, endpoint: SocketAddr) -> Option<&str> {
        self.service_of.get(&endpoint).map(String::as_str)
    }

    /// `(namespace, name)` of the Service `host` names; the registry has already accepted it.
    fn identify(&self, host: &str, namespace: &str) -> (String, String) {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Some(found) = self.cluster_ips.get(bare) {
            return found.clone();
        }
        let labels: Vec<&str> = bare.split('.').collect();
        match labels.as_slice() {
            [svc] => (namespace.to_ascii_lowercase(), svc.to_string()),
            [svc, ns, ..] => (ns.to_string(), svc.to_string()),
            _ => (namespace.to_ascii_lowercase(), bare.to_string()),
        }
    }
}

/// `svc.ns.svc.cluster.local`.
pub fn fqdn(service: &str, namespace: &str) -> String {
    format!("{service}.{namespace}.svc.cluster.local")
}

fn object_list<'a>(v: Option<&'a Value>, field: &'static str) -> Result<&'a [Value], ConfigError> {
    let bad = ConfigError::BadField {
        field,
        expected: "an array of objects",
    };
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items),
        Some(_) => Err(bad),
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests;
