//! Service name resolution for pods: cluster DNS names and cluster IPs to ready backends.

use super::plan::{backends_for, find_endpoints, port_number, str_at, tcp_ports};
use serde_json::Value;
use std::net::SocketAddr;

/// Why a host and port do not lead to a backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No Service of that name in the namespace searched.
    #[error("no Service \"{service}\" in namespace \"{namespace}\"")]
    UnknownService { service: String, namespace: String },
    /// A literal IP that is no Service's cluster IP.
    #[error("no Service has cluster IP {0}")]
    UnknownClusterIp(String),
    /// The host is neither a Service name form nor an IP.
    #[error("cannot resolve host \"{0}\": expected <service>[.<namespace>[.svc[.cluster.local]]]")]
    BadHost(String),
    /// The Service exists but does not serve the port asked for.
    #[error(
        "Service \"{service}\" in namespace \"{namespace}\" has no port {port} (its ports: {ports})"
    )]
    PortNotServed {
        service: String,
        namespace: String,
        port: u16,
        ports: String,
    },
    /// The Service has no TCP port at all.
    #[error("Service \"{service}\" in namespace \"{namespace}\" has no TCP ports")]
    NoPorts { service: String, namespace: String },
    /// The port exists but no pod behind it is ready.
    #[error(
        "Service \"{service}\" in namespace \"{namespace}\" port {port} has no ready endpoints"
    )]
    NoReadyEndpoints {
        service: String,
        namespace: String,
        port: u16,
    },
}

/// A snapshot of Services and their ready backends, for resolving names.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    services: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    namespace: String,
    name: String,
    cluster_ips: Vec<String>,
    ports: Vec<PortEntry>,
}

#[derive(Debug, Clone)]
struct PortEntry {
    port: u16,
    backends: Vec<SocketAddr>,
}

// === impl Registry ===

impl Registry {
    /// Index `services` (any namespaces) with backends from their Endpoints.
    pub fn new(services: &[Value], endpoints: &[Value]) -> Registry {
        let services = services
            .iter()
            .map(|svc| {
                let namespace = str_at(svc, "/metadata/namespace").to_string();
                let name = str_at(svc, "/metadata/name").to_string();
                let eps = find_endpoints(endpoints, &namespace, &name);
                let mut cluster_ips: Vec<String> = svc
                    .pointer("/spec/clusterIPs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                let ip = str_at(svc, "/spec/clusterIP");
                if !ip.is_empty() && !cluster_ips.iter().any(|i| i == ip) {
                    cluster_ips.push(ip.to_string());
                }
                cluster_ips.retain(|i| i != "None");
                let ports = tcp_ports(svc)
                    .filter_map(|sp| {
                        Some(PortEntry {
                            port: port_number(sp.get("port"))?,
                            backends: backends_for(sp, eps),
                        })
                    })
                    .collect();
                Entry {
                    namespace: namespace.to_ascii_lowercase(),
                    name: name.to_ascii_lowercase(),
                    cluster_ips,
                    ports,
                }
            })
            .collect();
        Registry { services }
    }

    /// The ready backends for `host:port` as seen from a pod in `client_namespace`.
    ///
    /// `host` is `svc`, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local` (any case, trailing
    /// dot allowed) or a cluster IP. Without a port (`http://svc/`), port 80 is used when the
    /// Service has it, else its first port.
    pub fn resolve(
        &self,
        host: &str,
        port: Option<u16>,
        client_namespace: &str,
    ) -> Result<Vec<SocketAddr>, ResolveError> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let entry = if host.parse::<std::net::IpAddr>().is_ok() {
            self.services
                .iter()
                .find(|e| e.cluster_ips.iter().any(|ip| ip == host))
                .ok_or_else(|| ResolveError::UnknownClusterIp(host.to_string()))?
        } else {
            let labels: Vec<&str> = host.split('.').collect();
            let (service, namespace) = match labels.as_slice() {
                [svc] => (*svc, client_namespace.to_ascii_lowercase()),
                [svc, ns] | [svc, ns, "svc"] | [svc, ns, "svc", "cluster", "local"] => {
                    (*svc, ns.to_string())
                }
                _ => return Err(ResolveError::BadHost(host.to_string())),
            };
            if service.is_empty() || namespace.is_empty() {
                return Err(ResolveError::BadHost(host.to_string()));
            }
            self.services
                .iter()
                .find(|e| e.name == service && e.namespace == namespace)
                .ok_or_else(|| ResolveError::UnknownService {
                    service: service.to_string(),
                    namespace,
                })?
        };
        entry.backends(port)
    }
}

// === impl Entry ===

impl Entry {
    fn backends(&self, port: Option<u16>) -> Result<Vec<SocketAddr>, ResolveError> {
        let chosen = match port {
            Some(p) => self.ports.iter().find(|e| e.port == p),
            None => self
                .ports
                .iter()
                .find(|e| e.port == 80)
                .or(self.ports.first()),
        };
        let Some(chosen) = chosen else {
            if self.ports.is_empty() {
                return Err(ResolveError::NoPorts {
                    service: self.name.clone(),
                    namespace: self.namespace.clone(),
                });
            }
            let ports: Vec<String> = self.ports.iter().map(|p| p.port.to_string()).collect();
            return Err(ResolveError::PortNotServed {
                service: self.name.clone(),
                namespace: self.namespace.clone(),
                port: port.unwrap_or(80),
                ports: ports.join(", "),
            });
        };
        if chosen.backends.is_empty() {
            return Err(ResolveError::NoReadyEndpoints {
                service: self.name.clone(),
                namespace: self.namespace.clone(),
                port: chosen.port,
            });
        }
        Ok(chosen.backends.clone())
    }
}
