//! Pure Istio-semantics HTTP route compiler (Gateway/VirtualService/DestinationRule) and matcher.

mod base64;
mod clusters;
mod compile;
mod hosts;
mod matching;
mod policy;
mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::api::istio::{CorsPolicy, Headers};

pub use clusters::{
    cluster_name, cluster_policy, compile_clusters, has_sidecar, Cluster, ClusterPolicy, Endpoint,
    HashKey, LbPolicy, OutlierPolicy, PoolLimits,
};
pub use compile::{compile_gateway, compile_sidecar};
pub use hosts::{host_matches, resolve_short_name};
pub(crate) use matching::strip_port;
pub use matching::{header_value, query_value, HeaderSource, StringMatcher};
pub use policy::{FaultAbort, FaultDelay, FaultPolicy, Mirror, RetryPolicy};

/// The DNS suffix short names are expanded with.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// Problems found while compiling one object; they become [`RouterConfig::warnings`].
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// A `regex` StringMatch (or `uriRegexRewrite.match`) that does not compile.
    #[error("invalid regex {pattern:?}: {source}")]
    InvalidRegex {
        pattern: String,
        #[source]
        source: Box<regex::Error>,
    },
    /// An object whose `spec` does not deserialize into its model.
    #[error("{kind} {name}: invalid spec: {message}")]
    InvalidSpec {
        kind: &'static str,
        name: String,
        message: String,
    },
}

/// Everything the compiler reads: raw API objects (serde_json::Value).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub gateways: Vec<Value>,
    pub virtual_services: Vec<Value>,
    pub destination_rules: Vec<Value>,
    pub services: Vec<Value>,
    /// Endpoints objects (v1), for clusters' endpoints.
    pub endpoints: Vec<Value>,
    /// Pods, for endpoint labels (subsets) and sidecar ports (`meshlite.io/host-ports`).
    pub pods: Vec<Value>,
}

/// The gateway workload being configured: its namespace and pod labels, and its Service's
/// ports (port → targetPort) for Istio's resolvePorts.
#[derive(Clone, Debug, Default)]
pub struct GatewayWorkload {
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub service_ports: Vec<(u16, u16)>,
}

/// The compiled routing table of one proxy.
#[derive(Clone, Debug, Default)]
pub struct RouterConfig {
    pub listeners: Vec<Listener>,
    pub warnings: Vec<String>,
}

/// One bound port and its virtual hosts.
#[derive(Clone, Debug, Default)]
pub struct Listener {
    /// The workload port it binds, after resolvePorts.
    pub port: u16,
    /// Upper-case protocol: HTTP, HTTP2, GRPC, GRPC-WEB, HTTPS, TLS, TCP, MONGO (gateways);
    /// for sidecars the Service port's declared protocol, or AUTO when it has to be sniffed.
    pub protocol: String,
    pub virtual_hosts: Vec<VirtualHost>,
    /// Server TLS settings of the gateway server(s) behind this listener.
    pub tls: Option<crate::api::istio::ServerTlsSettings>,
    /// `ns/name` of the Gateways whose servers make up this listener (empty for sidecars).
    pub gateways: Vec<String>,
}

/// Requests whose host matches one of `domains` use `routes`, first match wins.
#[derive(Clone, Debug, Default)]
pub struct VirtualHost {
    pub name: String,
    /// Exact names, `*.suffix` wildcards or `*`; compared without the port.
    pub domains: Vec<String>,
    pub routes: Vec<Route>,
    /// Plain-HTTP requests get a 301 to https (server `tls.httpsRedirect`).
    pub https_redirect: bool,
}

/// One ordered rule of a virtual host.
#[derive(Clone, Debug)]
pub struct Route {
    pub name: Option<String>,
    /// OR'ed match blocks; empty = match all.
    pub matches: Vec<Match>,
    pub action: Action,
    /// Applied before forwarding when `action` is [`Action::Route`].
    pub rewrite: Option<Rewrite>,
    pub policy: Policy,
    /// `vs-namespace/vs-name` (empty for synthesized default routes).
    pub source: String,
}

/// What a matched route does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Forward to one of the weighted clusters.
    Route(Vec<WeightedCluster>),
    /// Answer with a redirect; `None` parts are kept from the request.
    Redirect {
        scheme: Option<String>,
        authority: Option<String>,
        uri: Option<String>,
        port: Option<RedirectPort>,
        code: u16,
    },
    /// Answer with a fixed response.
    /// `body` is `body.string` as UTF-8 or the decoded `body.bytes`.
    DirectResponse { status: u16, body: Option<Vec<u8>> },
}

/// Port part of a redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectPort {
    Fixed(u16),
    /// 80 for http, 443 for https.
    FromProtocolDefault,
    FromRequestPort,
}

/// URI / authority rewrite of a forwarded request.
#[derive(Clone, Debug, Default)]
pub struct Rewrite {
    /// Replaces the matched prefix (or the whole path for exact/regex/no uri match).
    pub uri: Option<String>,
    pub authority: Option<String>,
    /// Full-path regex replacement (`uriRegexRewrite`), `$1`-style captures.
    pub uri_regex: Option<(regex::Regex, String)>,
}

/// One upstream of a route.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightedCluster {
    /// Fully-qualified host.
    pub host: String,
    pub port: Option<u16>,
    pub subset: Option<String>,
    /// Labels of `subset` from the applicable DestinationRule (empty when no subset or unknown).
    pub subset_labels: BTreeMap<String, String>,
    pub weight: u32,
    /// Per-destination header operations.
    pub headers: Option<Headers>,
}

/// Parsed per-route policy; carried, not applied here.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub timeout: Option<Duration>,
    pub retries: Option<RetryPolicy>,
    pub fault: Option<FaultPolicy>,
    /// `mirror` (with `mirrorPercentage`) or `mirrors`.
    pub mirrors: Vec<Mirror>,
    pub headers: Option<Headers>,
    pub cors: Option<CorsPolicy>,
}

/// One OR'ed match block; all its conditions must hold.
#[derive(Clone, Debug, Default)]
pub struct Match {
    pub name: Option<String>,
    pub uri: Option<StringMatcher>,
    pub scheme: Option<StringMatcher>,
    pub method: Option<StringMatcher>,
    pub authority: Option<StringMatcher>,
    /// Lower-case header names.
    pub headers: Vec<(String, StringMatcher)>,
    pub without_headers: Vec<(String, StringMatcher)>,
    pub query_params: Vec<(String, StringMatcher)>,
    pub port: Option<u16>,
    pub ignore_uri_case: bool,
    pub source_labels: BTreeMap<String, String>,
    pub source_namespace: Option<String>,
    /// `ns/name` or `mesh`; checked against [`Request::gateway`] when non-empty.
    pub gateways: Vec<String>,
}

/// One request as the matcher sees it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub scheme: &'a str,
    pub authority: &'a str,
    /// Path with query.
    pub path: &'a str,
    pub headers: &'a dyn HeaderSource,
    pub port: u16,
    pub source_labels: &'a BTreeMap<String, String>,
    pub source_namespace: &'a str,
    /// `ns/name` of the Gateway the request came through; `None` for sidecars (`mesh`).
    pub gateway: Option<&'a str>,
}

/// Outcome of [`select`].
#[derive(Clone, Copy, Debug)]
pub enum Selection<'c> {
    Route(&'c Route),
    /// No listener on the port, or no virtual host for the authority (Envoy: 404 NR).
    NoVirtualHost,
    /// A virtual host matched but none of its routes (Envoy: 404 NR).
    NoRoute,
}

/// Where a route sits in its [`RouterConfig`]: listener, virtual host and rule, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RouteId {
    pub listener: usize,
    pub vhost: usize,
    pub route: usize,
}

/// Why [`locate`] found no route (both are Envoy's 404 NR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    NoVirtualHost,
    NoRoute,
}

/// Picks the route for `req` arriving on listener `port`.
pub fn select<'c>(config: &'c RouterConfig, port: u16, req: &Request) -> Selection<'c> {
    match locate(config, port, req) {
        Ok(id) => match config.route(id) {
            Some(route) => Selection::Route(route),
            None => Selection::NoRoute,
        },
        Err(Miss::NoVirtualHost) => Selection::NoVirtualHost,
        Err(Miss::NoRoute) => Selection::NoRoute,
    }
}

/// Like [`select`], but says where the route is, so per-route state computed alongside the
/// config can be found without searching again.
pub fn locate(config: &RouterConfig, port: u16, req: &Request) -> Result<RouteId, Miss> {
    let listener = config
        .listeners
        .iter()
        .position(|l| l.port == port)
        .ok_or(Miss::NoVirtualHost)?;
    let vhosts = &config.listeners[listener].virtual_hosts;
    let best = hosts::best_virtual_host(vhosts, req.authority).ok_or(Miss::NoVirtualHost)?;
    let vhost = vhosts
        .iter()
        .position(|v| std::ptr::eq(v, best))
        .ok_or(Miss::NoVirtualHost)?;
    let route = best
        .routes
        .iter()
        .position(|r| r.matches_request(req))
        .ok_or(Miss::NoRoute)?;
    Ok(RouteId {
        listener,
        vhost,
        route,
    })
}

// === impl RouterConfig ===

impl RouterConfig {
    /// The route at `id`.
    pub fn route(&self, id: RouteId) -> Option<&Route> {
        self.listeners
            .get(id.listener)?
            .virtual_hosts
            .get(id.vhost)?
            .routes
            .get(id.route)
    }
}

/// The virtual host of listener `port` that serves `authority`, if any.
pub fn virtual_host<'c>(
    config: &'c RouterConfig,
    port: u16,
    authority: &str,
) -> Option<&'c VirtualHost> {
    let listener = config.listeners.iter().find(|l| l.port == port)?;
    hosts::best_virtual_host(&listener.virtual_hosts, authority)
}

/// The cluster a uniform `roll` in `0..total_weight` lands on; `None` when out of range.
pub fn pick_weighted(clusters: &[WeightedCluster], roll: u32) -> Option<&WeightedCluster> {
    let mut upper: u64 = 0;
    for cluster in clusters {
        upper += u64::from(cluster.weight);
        if u64::from(roll) < upper {
            return Some(cluster);
        }
    }
    None
}

/// Sum of the weights, the exclusive upper bound of [`pick_weighted`]'s roll.
pub fn total_weight(clusters: &[WeightedCluster]) -> u32 {
    clusters
        .iter()
        .fold(0u32, |sum, c| sum.saturating_add(c.weight))
}

// === impl Route ===

impl Route {
    /// Whether any match block (or the empty list) accepts `req`.
    pub fn matches_request(&self, req: &Request) -> bool {
        self.matches.is_empty() || self.matches.iter().any(|m| m.matches(req))
    }

    /// The first match block accepting `req` (`None` also when `matches` is empty).
    pub fn matched_block(&self, req: &Request) -> Option<&Match> {
        self.matches.iter().find(|m| m.matches(req))
    }

    /// The path (with query) to forward after applying `rewrite`; `None` when unchanged.
    pub fn rewritten_path(&self, req: &Request) -> Option<String> {
        let rewrite = self.rewrite.as_ref()?;
        rewrite.apply_path(req.path, self.matched_block(req))
    }
}

/// Default port of a URL scheme, omitted from redirect locations.
fn default_port(scheme: &str) -> u16 {
    if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    }
}

// === impl Action ===

impl Action {
    /// The `Location` of a redirect action for `req`: parts not given are kept from the
    /// request, the query is kept unless the new `uri` has its own, and the scheme's
    /// default port is left out. `None` for other actions.
    pub fn redirect_location(&self, req: &Request) -> Option<String> {
        let Self::Redirect {
            scheme,
            authority,
            uri,
            port,
            ..
        } = self
        else {
            return None;
        };
        let scheme = scheme.as_deref().unwrap_or(req.scheme);
        let base = authority.as_deref().unwrap_or(req.authority);
        let host = matching::strip_port(base);
        let kept_port = base
            .get(host.len()..)
            .and_then(|p| p.strip_prefix(':'))
            .and_then(|p| p.parse::<u16>().ok());
        let port = match port {
            Some(RedirectPort::Fixed(p)) => Some(*p),
            Some(RedirectPort::FromProtocolDefault) => None,
            Some(RedirectPort::FromRequestPort) => Some(req.port),
            None => kept_port,
        }
        .filter(|p| *p != default_port(scheme));
        let (req_path, req_query) = match req.path.find('?') {
            Some(i) => req.path.split_at(i),
            None => (req.path, ""),
        };
        let path = match uri.as_deref() {
            Some(u) if u.contains('?') => u.to_string(),
            Some(u) => format!("{u}{req_query}"),
            None => format!("{req_path}{req_query}"),
        };
        Some(match port {
            Some(p) => format!("{scheme}://{host}:{p}{path}"),
            None => format!("{scheme}://{host}{path}"),
        })
    }
}

// === impl Rewrite ===

impl Rewrite {
    /// Rewrites `path` (with query; the query is kept) given the block that matched.
    pub fn apply_path(&self, path: &str, matched: Option<&Match>) -> Option<String> {
        let (bare, query) = match path.find('?') {
            Some(i) => path.split_at(i),
            None => (path, ""),
        };
        if let Some((re, replacement)) = &self.uri_regex {
            let out = re.replace_all(bare, replacement.as_str());
            return Some(format!("{out}{query}"));
        }
        let new_prefix = self.uri.as_deref()?;
        let rest = match matched.and_then(|m| m.uri.as_ref()) {
            Some(StringMatcher::Prefix(prefix)) => {
                let cut = prefix.len().min(bare.len());
                bare.get(cut..).unwrap_or("")
            }
            // Exact or regex matches swap the whole path.
            Some(_) => "",
            // No uri condition acts like prefix "/".
            None => bare.strip_prefix('/').unwrap_or(bare),
        };
        Some(format!("{new_prefix}{rest}{query}"))
    }
}
