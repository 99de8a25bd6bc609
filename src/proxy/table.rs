//! One proxy's compiled configuration: its routes and clusters, built from the control plane's
//! snapshot for the proxy's role, with load-balancer state carried across versions and every
//! route's forwarding state ([`RouteTarget`]) computed once.

use super::balance::Balancer;
use super::target::{self, RouteTarget};
use super::telemetry::{self, Label};
use crate::api::meta;
use crate::routes::{self, Cluster, GatewayWorkload, RouteId, RouterConfig, Snapshot};
use hyper::header::HeaderValue;
use hyper::http::uri::Authority;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// What kind of proxy is being configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An ingress gateway: Gateways select it by its pod's labels.
    Gateway,
    /// A sidecar: Services and mesh-bound VirtualServices.
    Sidecar,
}

/// Who the proxy is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub role: Role,
    pub namespace: String,
    pub pod: String,
    /// Istio's workload name (the Deployment for Deployment pods).
    pub workload: String,
}

/// A cluster and its balancer.
#[derive(Debug)]
pub struct ClusterState {
    pub cluster: Cluster,
    pub balancer: Arc<Balancer>,
    /// What requests to each endpoint need, by the endpoint's address.
    pub endpoints: HashMap<SocketAddr, EndpointInfo>,
}

/// One endpoint as requests to it need it, computed once per version.
#[derive(Debug, Clone)]
pub struct EndpointInfo {
    /// Where to connect: the pod's sidecar when it has one, else the app.
    pub dial: Authority,
    /// The app's host port for the peer sidecar (`x-meshlite-target-port`); `None` without one.
    pub target_port: Option<HeaderValue>,
    pub workload: Label,
    pub namespace: Label,
}

/// A compiled configuration version.
pub struct Table {
    pub router: RouterConfig,
    pub clusters: HashMap<String, Arc<ClusterState>>,
    /// Service FQDN → its ports, to explain a missing cluster and to pick a single port.
    pub service_ports: HashMap<String, Vec<u16>>,
    /// The proxy pod's labels (gateway selection, `sourceLabels`).
    pub labels: BTreeMap<String, String>,
    /// The proxy's namespace (`sourceNamespace`).
    pub namespace: String,
    /// Server TLS from the `kubernetes.io/tls` Secrets of the proxy's namespace, by Secret
    /// name; built once per version, not per connection.
    pub tls: HashMap<String, Result<Arc<rustls::ServerConfig>, String>>,
    /// Forwarding state of every route, by listener, virtual host and rule.
    targets: Vec<Vec<Vec<Arc<RouteTarget>>>>,
}

/// The raw objects of a published config.
pub fn snapshot(config: &Value) -> Snapshot {
    let list = |key: &str| {
        config
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Snapshot {
        gateways: list("gateways"),
        virtual_services: list("virtualservices"),
        destination_rules: list("destinationrules"),
        services: list("services"),
        endpoints: list("endpoints"),
        pods: list("pods"),
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The gateway workload `id` is: its labels and the ports of the Services selecting it.
pub fn gateway_workload(
    s: &Snapshot,
    id: &Identity,
    labels: &BTreeMap<String, String>,
) -> GatewayWorkload {
    let mut service_ports = Vec::new();
    for svc in &s.services {
        if text(svc, "/metadata/namespace") != id.namespace {
            continue;
        }
        let selector = meta::string_map(svc.pointer("/spec/selector"));
        if selector.is_empty() || !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            continue;
        }
        for p in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let number = |key: &str| {
                p.get(key)
                    .and_then(Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok())
            };
            if let Some(port) = number("port") {
                service_ports.push((port, number("targetPort").unwrap_or(port)));
            }
        }
    }
    GatewayWorkload {
        namespace: id.namespace.clone(),
        labels: labels.clone(),
        service_ports,
    }
}

// === impl Table ===

impl Table {
    /// Compiles `config` for `id`; balancers of clusters that still exist are kept from
    /// `previous` so ejections and counters survive a new version.
    pub fn build(config: &Value, id: &Identity, previous: Option<&Table>) -> Table {
        let s = snapshot(config);
        let labels = s
            .pods
            .iter()
            .find(|p| {
                text(p, "/metadata/name") == id.pod
                    && text(p, "/metadata/namespace") == id.namespace
            })
            .map(meta::labels)
            .unwrap_or_default();
        let router = match id.role {
            Role::Gateway => routes::compile_gateway(&s, &gateway_workload(&s, id, &labels)),
            Role::Sidecar => routes::compile_sidecar(&s, &id.namespace),
        };
        let mut clusters = HashMap::new();
        for cluster in routes::compile_clusters(&s, &id.namespace) {
            let balancer = match previous.and_then(|t| t.clusters.get(&cluster.name)) {
                Some(old) => {
                    old.balancer.update(&cluster.policy, &cluster.endpoints);
                    old.balancer.clone()
                }
                None => Arc::new(Balancer::new(&cluster.policy, &cluster.endpoints)),
            };
            let endpoints = cluster
                .endpoints
                .iter()
                .map(|e| (e.address, EndpointInfo::new(e)))
                .collect();
            clusters.insert(
                cluster.name.clone(),
                Arc::new(ClusterState {
                    cluster,
                    balancer,
                    endpoints,
                }),
            );
        }
        let mut service_ports = HashMap::new();
        for svc in &s.services {
            let fqdn = routes::resolve_short_name(
                text(svc, "/metadata/name"),
                text(svc, "/metadata/namespace"),
            );
            let ports = svc
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("port").and_then(Value::as_u64))
                .filter_map(|n| u16::try_from(n).ok())
                .collect();
            service_ports.insert(fqdn, ports);
        }
        let mut tls = HashMap::new();
        for secret in config
            .get("secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if text(secret, "/metadata/namespace") != id.namespace {
                continue;
            }
            let decode = |key: &str| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(text(secret, &format!("/data/{key}")))
                    .ok()
            };
            if let (Some(cert), Some(key)) = (decode("tls.crt"), decode("tls.key")) {
                let name = text(secret, "/metadata/name").to_string();
                tls.insert(name, crate::pki::server_config_from_pem(&cert, &key));
            }
        }
        let targets = router
            .listeners
            .iter()
            .map(|l| {
                let cx = target::Context {
                    clusters: &clusters,
                    service_ports: &service_ports,
                    listener_port: l.port,
                };
                l.virtual_hosts
                    .iter()
                    .map(|v| {
                        v.routes
                            .iter()
                            .map(|r| Arc::new(RouteTarget::build(r, &cx)))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Table {
            router,
            clusters,
            service_ports,
            labels,
            namespace: id.namespace.clone(),
            tls,
            targets,
        }
    }

    /// The forwarding state of the route at `id`.
    pub fn target(&self, id: RouteId) -> Option<&Arc<RouteTarget>> {
        self.targets.get(id.listener)?.get(id.vhost)?.get(id.route)
    }

    /// `ns/name` of the first Gateway behind listener `port` (`None` for sidecars).
    pub fn gateway(&self, port: u16) -> Option<&str> {
        self.router
            .listeners
            .iter()
            .find(|l| l.port == port)
            .and_then(|l| l.gateways.first())
            .map(String::as_str)
    }
}

// === impl EndpointInfo ===

impl EndpointInfo {
    fn new(e: &routes::Endpoint) -> EndpointInfo {
        let dial = match e.sidecar_inbound {
            Some(port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            None => e.address,
        };
        let (workload, namespace) = match &e.pod {
            Some((ns, name)) => (Label::new(&telemetry::workload_name(name)), Label::new(ns)),
            None => (Label::unknown(), Label::unknown()),
        };
        EndpointInfo {
            dial: super::forward::authority_of(dial),
            target_port: e
                .sidecar_inbound
                .map(|_| HeaderValue::from(e.address.port())),
            workload,
            namespace,
        }
    }
}
