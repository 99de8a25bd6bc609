//! Upstream clusters: one per Service port and DestinationRule subset, with the traffic policy
//! that applies and the endpoints behind it.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde_json::Value;

use super::rules::{Context, Meta};
use super::Snapshot;
use crate::api::istio::{
    parse_duration, ConnectionPoolSettings, ConsistentHashLb, DestinationRule,
    LoadBalancerSettings, OutlierDetection, SimpleLb, StringMap, TrafficPolicy,
};
use crate::api::node::HOST_PORTS_ANNOTATION;

/// Load-balancing algorithm of a cluster (Istio's default is LEAST_REQUEST).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LbPolicy {
    #[default]
    LeastRequest,
    RoundRobin,
    Random,
    /// Session affinity: the same key goes to the same endpoint while the set is stable.
    ConsistentHash(HashKey),
}

/// What a consistent-hash balancer hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashKey {
    /// A request header (lower-case name).
    Header(String),
    /// A cookie; generated with `ttl` when the request lacks it (`None` ttl: never generated).
    Cookie {
        name: String,
        path: String,
        ttl: Option<Duration>,
    },
    /// A query parameter.
    Query(String),
    SourceIp,
}

/// `connectionPool` limits; `None` is Envoy's default (effectively unlimited here).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolLimits {
    /// `tcp.maxConnections`.
    pub max_connections: Option<u32>,
    /// `http.http1MaxPendingRequests`: requests waiting for a connection.
    pub max_pending_requests: Option<u32>,
    /// `http.http2MaxRequests`: concurrent requests to the cluster.
    pub max_requests: Option<u32>,
    /// `http.maxRequestsPerConnection` (0/None: unlimited).
    pub max_requests_per_connection: Option<u32>,
    /// `http.maxRetries`: concurrent retries.
    pub max_retries: Option<u32>,
    /// `tcp.connectTimeout` (Istio's default 10 s).
    pub connect_timeout: Option<Duration>,
    /// `http.h2UpgradePolicy: UPGRADE`.
    pub h2_upgrade: bool,
}

/// `outlierDetection` as Envoy applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlierPolicy {
    /// Consecutive 5xx responses (incl. connect failures) that eject; `None` disables.
    pub consecutive_5xx: Option<u32>,
    /// Consecutive 502/503/504 (incl. connect failures) that eject; `None` disables.
    pub consecutive_gateway_errors: Option<u32>,
    /// How often ejections are re-evaluated (Istio default 10 s).
    pub interval: Duration,
    /// Ejection time, multiplied by the number of times the host was ejected (default 30 s).
    pub base_ejection_time: Duration,
    /// At most this percentage of the endpoints is ejected at once (default 10, at least one host).
    pub max_ejection_percent: u32,
    /// Below this percentage of healthy hosts, ejection is disabled (default 0).
    pub min_health_percent: u32,
}

/// The policy that applies to one cluster (DestinationRule: top level, overridden by
/// `portLevelSettings`, then by the subset's own `trafficPolicy`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterPolicy {
    pub lb: LbPolicy,
    pub pool: PoolLimits,
    pub outlier: Option<OutlierPolicy>,
}

/// One endpoint of a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Where the app listens (a pod's host port).
    pub address: SocketAddr,
    /// The inbound host port of the pod's sidecar, when it has one: the address to dial.
    pub sidecar_inbound: Option<u16>,
    /// `(namespace, name)` of the pod behind it.
    pub pod: Option<(String, String)>,
    /// The pod's labels (subsets select on them).
    pub labels: BTreeMap<String, String>,
    /// Listed in `addresses` (ready) rather than `notReadyAddresses`.
    pub ready: bool,
}

/// An upstream cluster, named as Envoy names it: `outbound|PORT|SUBSET|HOST`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    /// Service FQDN.
    pub host: String,
    /// Service port.
    pub port: u16,
    pub subset: Option<String>,
    pub policy: ClusterPolicy,
    /// `ns/name` of the DestinationRule the policy or subset comes from.
    pub destination_rule: Option<String>,
    /// Ready and not-ready endpoints, in Endpoints order; subsets keep only matching labels.
    pub endpoints: Vec<Endpoint>,
    /// Requests go upstream as HTTP/2: the Service port's protocol is `http2` or `grpc`
    /// (by name prefix or appProtocol), or the DestinationRule sets `h2UpgradePolicy: UPGRADE`.
    pub http2: bool,
}

/// Envoy's cluster name.
pub fn cluster_name(port: u16, subset: Option<&str>, host: &str) -> String {
    format!("outbound|{port}|{}|{host}", subset.unwrap_or_default())
}

/// Container name of the injected proxy.
const SIDECAR_CONTAINER: &str = "istio-proxy";

/// The sidecar's inbound port, as a key of the host-ports annotation.
const SIDECAR_INBOUND_PORT: &str = "15006";

/// Every cluster a proxy in `client_ns` may send to: for each Service port one cluster without
/// subset, plus one per subset of the DestinationRule that applies to that Service (for that
/// client namespace). Sorted by name.
pub fn compile_clusters(s: &Snapshot, client_ns: &str) -> Vec<Cluster> {
    let mut ctx = Context::new(s);
    // A DestinationRule not exported to the client is invisible to it, so the lookup moves on
    // to the next namespace, as in Istio.
    ctx.destination_rules
        .retain(|(meta, _, dr)| exported_to(dr, &meta.namespace, client_ns));
    let pods = pod_facts(&s.pods);
    let mut clusters = Vec::new();
    for svc in &ctx.services {
        let endpoints = s.endpoints.iter().find(|e| {
            let meta = Meta::of(e);
            meta.name == svc.meta.name && meta.namespace == svc.meta.namespace
        });
        let rule = ctx.destination_rule(&svc.fqdn, client_ns);
        for (port, port_name, app_protocol) in &svc.ports {
            let all = endpoints
                .map(|e| service_endpoints(e, port_name, &pods))
                .unwrap_or_default();
            let mut subsets: Vec<(Option<&str>, Option<&StringMap>)> = vec![(None, None)];
            if let Some((_, _, dr)) = rule {
                for subset in &dr.subsets {
                    let Some(name) = subset.name.as_deref().filter(|n| !n.is_empty()) else {
                        continue;
                    };
                    // A repeated subset name would repeat a cluster name; the first one wins.
                    if !subsets.iter().any(|(n, _)| *n == Some(name)) {
                        subsets.push((Some(name), Some(&subset.labels)));
                    }
                }
            }
            for (subset, labels) in subsets {
                let endpoints = all
                    .iter()
                    .filter(|e| labels.is_none_or(|want| labels_match(want, &e.labels)))
                    .cloned()
                    .collect();
                let policy = cluster_policy(rule.map(|(_, _, dr)| dr), *port, subset);
                clusters.push(Cluster {
                    name: cluster_name(*port, subset, &svc.fqdn),
                    host: svc.fqdn.clone(),
                    port: *port,
                    subset: subset.map(str::to_string),
                    http2: policy.pool.h2_upgrade || speaks_http2(port_name, app_protocol),
                    policy,
                    destination_rule: rule.map(|(meta, _, _)| meta.key()),
                    endpoints,
                });
            }
        }
    }
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    // Two Services cannot share an FQDN, but a Service may repeat a port number (invalid).
    clusters.dedup_by(|a, b| a.name == b.name);
    clusters
}

/// The policy for (host, port, subset) from a DestinationRule: the top-level `trafficPolicy` or the
/// `portLevelSettings` entry for `port`, then the subset's `trafficPolicy` (and its
/// `portLevelSettings`) on top, as Istio merges them.
///
/// As Istio documents, a matching port entry replaces its level as a whole: what the entry leaves
/// out falls back to the defaults, not to that level's top-level settings. The subset's
/// (port-resolved) policy then replaces `loadBalancer`, `connectionPool` and `outlierDetection`
/// one by one where it sets them, and all three when it came from a port entry. An unknown subset
/// gets the destination's policy.
pub fn cluster_policy(
    dr: Option<&DestinationRule>,
    port: u16,
    subset: Option<&str>,
) -> ClusterPolicy {
    let Some(dr) = dr else {
        return ClusterPolicy::default();
    };
    let mut parts = dr
        .traffic_policy
        .as_ref()
        .map(|tp| Parts::on_port(tp, port).0)
        .unwrap_or_default();
    let subset_policy = subset
        .and_then(|name| dr.subsets.iter().find(|s| s.name.as_deref() == Some(name)))
        .and_then(|s| s.traffic_policy.as_ref());
    if let Some(tp) = subset_policy {
        let (own, from_port_entry) = Parts::on_port(tp, port);
        if from_port_entry || own.lb.is_some() {
            parts.lb = own.lb;
        }
        if from_port_entry || own.pool.is_some() {
            parts.pool = own.pool;
        }
        if from_port_entry || own.outlier.is_some() {
            parts.outlier = own.outlier;
        }
    }
    ClusterPolicy {
        lb: parts.lb.map(lb_policy).unwrap_or_default(),
        pool: parts.pool.map(pool_limits).unwrap_or_default(),
        outlier: parts.outlier.map(outlier_policy),
    }
}

/// Whether a DestinationRule of `dr_ns` is visible to proxies in `client_ns`. Its own namespace
/// always sees it; elsewhere `exportTo` (empty: everywhere) must name the client or `*`.
fn exported_to(dr: &DestinationRule, dr_ns: &str, client_ns: &str) -> bool {
    dr_ns == client_ns
        || dr.export_to.is_empty()
        || dr.export_to.iter().any(|e| e == "*" || e == client_ns)
}

/// The parts of a traffic policy that a `portLevelSettings` entry can override.
#[derive(Clone, Copy, Debug, Default)]
struct Parts<'a> {
    lb: Option<&'a LoadBalancerSettings>,
    pool: Option<&'a ConnectionPoolSettings>,
    outlier: Option<&'a OutlierDetection>,
}

// === impl Parts ===

impl<'a> Parts<'a> {
    /// `policy` as it applies on `port`, and whether a port entry supplied it.
    fn on_port(policy: &'a TrafficPolicy, port: u16) -> (Self, bool) {
        let entry = policy.port_level_settings.iter().flatten().find(|p| {
            p.port
                .as_ref()
                .is_some_and(|selector| selector.number == u32::from(port))
        });
        let (lb, pool, outlier) = match entry {
            Some(p) => (&p.load_balancer, &p.connection_pool, &p.outlier_detection),
            None => (
                &policy.load_balancer,
                &policy.connection_pool,
                &policy.outlier_detection,
            ),
        };
        let parts = Self {
            lb: lb.as_ref(),
            pool: pool.as_ref(),
            outlier: outlier.as_ref(),
        };
        (parts, entry.is_some())
    }
}

/// `loadBalancer` as Istio builds it: `consistentHash` wins over `simple`.
fn lb_policy(lb: &LoadBalancerSettings) -> LbPolicy {
    if let Some(hash) = &lb.consistent_hash {
        // Envoy's ring hash with no usable key picks hosts at random.
        return hash_key(hash).map_or(LbPolicy::Random, LbPolicy::ConsistentHash);
    }
    match lb.simple.unwrap_or_default() {
        SimpleLb::Unspecified | SimpleLb::LeastConn | SimpleLb::LeastRequest => {
            LbPolicy::LeastRequest
        }
        // PASSTHROUGH forwards to the original destination; with no such thing here, the
        // closest is plain rotation over the endpoints.
        SimpleLb::RoundRobin | SimpleLb::Passthrough => LbPolicy::RoundRobin,
        SimpleLb::Random => LbPolicy::Random,
    }
}

/// The hash key of a `consistentHash` block (a oneof in the API).
fn hash_key(hash: &ConsistentHashLb) -> Option<HashKey> {
    if let Some(name) = hash.http_header_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(HashKey::Header(name.to_ascii_lowercase()));
    }
    if let Some(cookie) = &hash.http_cookie {
        let name = cookie.name.as_deref().filter(|n| !n.is_empty())?;
        return Some(HashKey::Cookie {
            name: name.to_string(),
            path: cookie.path.clone(),
            ttl: cookie.ttl.as_deref().and_then(parse_duration),
        });
    }
    if hash.use_source_ip == Some(true) {
        return Some(HashKey::SourceIp);
    }
    hash.http_query_parameter_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| HashKey::Query(n.to_string()))
}

/// `connectionPool` as Envoy circuit breakers: zero or negative values mean "not set".
fn pool_limits(pool: &ConnectionPoolSettings) -> PoolLimits {
    let positive = |v: i32| u32::try_from(v).ok().filter(|v| *v > 0);
    let mut out = PoolLimits::default();
    if let Some(tcp) = &pool.tcp {
        out.max_connections = positive(tcp.max_connections);
        out.connect_timeout = tcp.connect_timeout.as_deref().and_then(parse_duration);
    }
    if let Some(http) = &pool.http {
        out.max_pending_requests = positive(http.http1_max_pending_requests);
        out.max_requests = positive(http.http2_max_requests);
        out.max_requests_per_connection = positive(http.max_requests_per_connection);
        out.max_retries = positive(http.max_retries);
        out.h2_upgrade = matches!(
            http.h2_upgrade_policy,
            crate::api::istio::H2UpgradePolicy::Upgrade
        );
    }
    out
}

/// Whether a Service port declares HTTP/2 (Istio's protocol selection: `appProtocol`, else the
/// name's prefix before `-`).
fn speaks_http2(name: &str, app_protocol: &str) -> bool {
    let protocol = if !app_protocol.is_empty() {
        app_protocol
    } else if name.to_ascii_lowercase().starts_with("grpc-web") {
        return false;
    } else {
        name.split('-').next().unwrap_or_default()
    };
    ["http2", "grpc"]
        .iter()
        .any(|p| protocol.eq_ignore_ascii_case(p))
}

/// `outlierDetection` with Envoy's defaults filled in, as Istio translates it.
fn outlier_policy(od: &OutlierDetection) -> OutlierPolicy {
    // The deprecated `consecutiveErrors` counted gateway errors only and switched the 5xx
    // detector off (Istio's translation while it was supported); explicit fields win over it.
    let legacy = u32::try_from(od.consecutive_errors).ok().filter(|n| *n > 0);
    let consecutive_5xx = match (od.consecutive_5xx_errors, legacy) {
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => Some(5),
    }
    .filter(|n| *n > 0);
    let consecutive_gateway_errors = od.consecutive_gateway_errors.or(legacy).filter(|n| *n > 0);
    let duration_or = |text: &Option<String>, default: u64| {
        text.as_deref()
            .and_then(parse_duration)
            .unwrap_or(Duration::from_secs(default))
    };
    OutlierPolicy {
        consecutive_5xx,
        consecutive_gateway_errors,
        interval: duration_or(&od.interval, 10),
        base_ejection_time: duration_or(&od.base_ejection_time, 30),
        max_ejection_percent: match u32::try_from(od.max_ejection_percent) {
            Ok(0) | Err(_) => 10,
            Ok(n) => n.min(100),
        },
        // Istio always sets Envoy's panic threshold from this field, so unset means 0 (no
        // panic mode) rather than Envoy's own 50.
        min_health_percent: u32::try_from(od.min_health_percent).unwrap_or(50).min(100),
    }
}

/// Whether `labels` carry every `want`ed label with the same value.
fn labels_match(want: &StringMap, labels: &BTreeMap<String, String>) -> bool {
    want.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// What endpoints need to know of a pod.
#[derive(Clone, Debug, Default)]
struct PodFacts {
    labels: BTreeMap<String, String>,
    sidecar_inbound: Option<u16>,
}

/// The pods by `(namespace, name)`.
fn pod_facts(pods: &[Value]) -> BTreeMap<(String, String), PodFacts> {
    pods.iter()
        .map(|pod| {
            let meta = Meta::of(pod);
            let labels = crate::api::meta::labels(pod);
            let sidecar_inbound = has_sidecar(pod)
                .then(|| host_port(pod, SIDECAR_INBOUND_PORT))
                .flatten();
            (
                (meta.namespace, meta.name),
                PodFacts {
                    labels,
                    sidecar_inbound,
                },
            )
        })
        .collect()
}

/// Whether the pod runs the proxy: a container named `istio-proxy`, or a native sidecar (an
/// init container of that name that keeps running).
/// Whether a pod runs Istio's sidecar: a container named `istio-proxy`, or a native sidecar
/// (an init container of that name with `restartPolicy: Always`).
pub fn has_sidecar(pod: &Value) -> bool {
    let named = |list: &str, always: bool| {
        pod.pointer(&format!("/spec/{list}"))
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.get("name").and_then(Value::as_str) == Some(SIDECAR_CONTAINER)
                        && (!always
                            || c.get("restartPolicy").and_then(Value::as_str) == Some("Always"))
                })
            })
    };
    named("containers", false) || named("initContainers", true)
}

/// The host port the kubelet mapped `container_port` of `pod` to.
fn host_port(pod: &Value, container_port: &str) -> Option<u16> {
    let raw = pod
        .pointer("/metadata/annotations")?
        .get(HOST_PORTS_ANNOTATION)?
        .as_str()?;
    let map: serde_json::Map<String, Value> = serde_json::from_str(raw).ok()?;
    let port = match map.get(container_port)? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    u16::try_from(port).ok()
}

/// The endpoints of the Service port named `port_name` in the Service's Endpoints object: per
/// subset, the port of that name (an unnamed port: the subset's only port), on each address.
fn service_endpoints(
    endpoints: &Value,
    port_name: &str,
    pods: &BTreeMap<(String, String), PodFacts>,
) -> Vec<Endpoint> {
    let namespace = Meta::of(endpoints).namespace;
    let mut out = Vec::new();
    let subsets = endpoints.get("subsets").and_then(Value::as_array);
    for subset in subsets.into_iter().flatten() {
        let ports = subset
            .get("ports")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let named = ports
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str).unwrap_or_default() == port_name);
        let chosen = match (named, ports) {
            (Some(p), _) => Some(p),
            (None, [only]) if port_name.is_empty() => Some(only),
            (None, _) => None,
        };
        let Some(port) = chosen
            .and_then(|p| p.get("port"))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] {
            let addresses = subset.get(key).and_then(Value::as_array);
            for address in addresses.into_iter().flatten() {
                let Some(ip) = address
                    .get("ip")
                    .and_then(Value::as_str)
                    .and_then(|ip| ip.parse::<IpAddr>().ok())
                else {
                    continue;
                };
                let pod = pod_ref(address, &namespace);
                let facts = pod.as_ref().and_then(|p| pods.get(p));
                out.push(Endpoint {
                    address: SocketAddr::new(ip, port),
                    sidecar_inbound: facts.and_then(|f| f.sidecar_inbound),
                    labels: facts.map(|f| f.labels.clone()).unwrap_or_default(),
                    pod,
                    ready,
                });
            }
        }
    }
    out
}

/// `(namespace, name)` of the Pod an Endpoints address points to.
fn pod_ref(address: &Value, default_ns: &str) -> Option<(String, String)> {
    let target = address.get("targetRef")?;
    if target.get("kind").and_then(Value::as_str) != Some("Pod") {
        return None;
    }
    let name = target.get("name").and_then(Value::as_str)?;
    let namespace = target
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or(default_ns);
    Some((namespace.to_string(), name.to_string()))
}
