//! The outbound listener: the app's HTTP forward proxy, sending each request to a Service
//! endpoint (through the endpoint pod's sidecar when it has one).

use super::config::{RouteError, Upstream};
use super::exchange::{Exchange, Reporter};
use super::forward::{self, Body};
use super::{Shared, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Envoy's local reply when a cluster has no healthy endpoint.
const NO_HEALTHY_UPSTREAM: &str = "no healthy upstream";

/// Envoy's local reply when the upstream cannot be reached.
const UPSTREAM_CONNECT_ERROR: &str = "upstream connect error or disconnect/reset before headers";

/// Where an outbound request goes, decided before any connection is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Envoy cluster name for the access log.
    pub cluster: String,
    /// `destination_service` for metrics.
    pub service: String,
    pub upstreams: Vec<Upstream>,
}

/// Why an outbound request is answered locally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OutboundError {
    /// Not an absolute `http://` URL.
    #[error("requests to the sidecar must use an absolute http:// URL (set HTTP_PROXY to use it)")]
    NotAbsolute,
    /// A scheme other than `http`.
    #[error("only http:// URLs are supported, not {0}://")]
    Scheme(String),
    /// The URL points back at the outbound listener.
    #[error("refusing to forward to the sidecar's own outbound port ({0})")]
    Loop(SocketAddr),
    /// No configuration has been applied yet.
    #[error("no configuration received from the control plane yet")]
    NoConfig,
    /// The host has no route or no ready endpoints.
    #[error(transparent)]
    Route(#[from] RouteError),
}

/// Decide where `uri` goes for a pod in `namespace`, with `config` (if any) and the outbound
/// listener on `own_port`.
pub(crate) fn target(
    uri: &hyper::Uri,
    config: Option<&super::config::MeshConfig>,
    namespace: &str,
    own_port: u16,
) -> Result<Target, OutboundError> {
    let Some(authority) = uri.authority() else {
        return Err(OutboundError::NotAbsolute);
    };
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => return Err(OutboundError::Scheme(other.to_string())),
        None => return Err(OutboundError::NotAbsolute),
    }
    let host = authority.host();
    let port = authority.port_u16();
    if let Some(ip) = loopback(host) {
        let endpoint = SocketAddr::new(ip, port.unwrap_or(80));
        if endpoint.port() == own_port {
            return Err(OutboundError::Loop(endpoint));
        }
        return Ok(Target {
            cluster: "PassthroughCluster".to_string(),
            service: authority.to_string(),
            upstreams: vec![Upstream {
                endpoint,
                sidecar: None,
            }],
        });
    }
    let config = config.ok_or(OutboundError::NoConfig)?;
    let route = config.route(host, port, namespace)?;
    Ok(Target {
        cluster: format!("outbound|{}||{}", route.port, route.service),
        service: route.service,
        upstreams: route.upstreams,
    })
}

/// The Service FQDN a host names, for metrics when it could not be routed: `svc[.ns…]` becomes
/// `svc.ns.svc.cluster.local`; IPs and other forms stay as they are.
pub(crate) fn service_name(host: &str, namespace: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [svc] if !svc.is_empty() => super::config::fqdn(svc, namespace),
        [svc, ns] | [svc, ns, "svc"] | [svc, ns, "svc", "cluster", "local"]
            if !svc.is_empty() && !ns.is_empty() =>
        {
            super::config::fqdn(svc, ns)
        }
        _ => host,
    }
}

/// Loopback hosts pass through without a Service lookup.
fn loopback(host: &str) -> Option<IpAddr> {
    match host.trim_end_matches('.').to_ascii_lowercase().as_str() {
        "localhost" | "127.0.0.1" => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "[::1]" | "::1" => Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        _ => None,
    }
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    mut req: Request<Incoming>,
    local: SocketAddr,
    remote: SocketAddr,
) -> Response<Body> {
    if !req.headers().contains_key("x-request-id") {
        if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            req.headers_mut().insert("x-request-id", v);
        }
    }
    let mut ex = Exchange::begin(shared.clone(), &req, local, remote, Reporter::Source);
    ex.source_workload = shared.workload.clone();
    if req.method() == Method::CONNECT {
        return ex.reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "-",
            "connect_not_supported",
            "meshlite sidecar: HTTPS through the sidecar is not supported (CONNECT); use http:// URLs\n".to_string(),
        );
    }
    // Held for the whole request: a config swap meanwhile does not affect it.
    let config = shared.config.load_full();
    let target = match target(
        req.uri(),
        config.as_deref(),
        &shared.settings.namespace,
        shared.settings.outbound,
    ) {
        Ok(t) => t,
        Err(e) => {
            if let Some(host) = req.uri().host() {
                ex.destination_service = service_name(host, &shared.settings.namespace);
            }
            return refuse(ex, e);
        }
    };
    ex.log.upstream_cluster = Some(target.cluster.clone());
    ex.destination_service = target.service.clone();

    // Round robin, moving on to the next endpoint when one refuses the connection.
    let count = target.upstreams.len();
    let start = shared.next.fetch_add(1, Ordering::Relaxed);
    let mut failures = Vec::new();
    let mut chosen = None;
    for i in 0..count {
        let Some(up) = target.upstreams.get(start.wrapping_add(i) % count.max(1)) else {
            continue;
        };
        match forward::connect(up.connect_to()).await {
            Ok(stream) => {
                chosen = Some((*up, stream));
                break;
            }
            Err(e) => failures.push(e),
        }
    }
    let Some((up, stream)) = chosen else {
        return ex.reply(
            StatusCode::BAD_GATEWAY,
            "UF",
            "upstream_reset_before_response_started{connection_failure}",
            format!(
                "{UPSTREAM_CONNECT_ERROR}. reset reason: connection failure, transport failure reason: {}\n",
                failures.join("; ")
            ),
        );
    };
    ex.log.upstream_host = Some(up.endpoint);
    ex.log.upstream_local = stream.local_addr().ok();

    let uri = req.uri().clone();
    let (mut parts, body) = req.into_parts();
    forward::strip_hop_by_hop(&mut parts.headers);
    // Only sidecars may name the target port; never trust the app's copy.
    parts.headers.remove(TARGET_PORT_HEADER);
    parts.headers.remove(SOURCE_WORKLOAD_HEADER);
    if !parts.headers.contains_key(header::HOST) {
        if let Some(v) = uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        {
            parts.headers.insert(header::HOST, v);
        }
    }
    parts
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static("http"));
    if up.sidecar.is_some() {
        parts
            .headers
            .insert(TARGET_PORT_HEADER, HeaderValue::from(up.endpoint.port()));
        if let Ok(v) = HeaderValue::from_str(&shared.workload) {
            parts.headers.insert(SOURCE_WORKLOAD_HEADER, v);
        }
    }
    // Upstreams expect origin form: only the path and query travel on.
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    parts.uri = path
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/"));
    parts.version = hyper::Version::HTTP_11;
    let body = ex.count_request(body);
    match forward::send(stream, Request::from_parts(parts, body)).await {
        Ok(resp) => ex.respond(resp),
        Err(e) => ex.reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "UC",
            "upstream_reset_before_response_started{connection_termination}",
            format!("{UPSTREAM_CONNECT_ERROR}. reset reason: connection termination ({e})\n"),
        ),
    }
}

/// The local reply for a request that cannot be routed.
fn refuse(ex: Exchange, e: OutboundError) -> Response<Body> {
    match &e {
        OutboundError::NotAbsolute | OutboundError::Scheme(_) | OutboundError::Loop(_) => ex.reply(
            StatusCode::BAD_REQUEST,
            "-",
            "bad_request",
            format!("meshlite sidecar: {e}\n"),
        ),
        OutboundError::Route(RouteError::NoRoute(_)) => ex.reply(
            StatusCode::NOT_FOUND,
            "NR",
            "route_not_found",
            format!("meshlite sidecar: no route: {e}\n"),
        ),
        OutboundError::NoConfig | OutboundError::Route(RouteError::NoHealthyUpstream(_)) => ex
            .reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "UH",
                "no_healthy_upstream",
                format!("{NO_HEALTHY_UPSTREAM}\nmeshlite sidecar: {e}\n"),
            ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        let cases = [
            ("hello", "default", "hello.default.svc.cluster.local"),
            ("Hello.Other.", "default", "hello.other.svc.cluster.local"),
            (
                "hello.other.svc",
                "default",
                "hello.other.svc.cluster.local",
            ),
            (
                "hello.other.svc.cluster.local",
                "x",
                "hello.other.svc.cluster.local",
            ),
            ("10.96.0.1", "default", "10.96.0.1"),
            ("example.com.au", "default", "example.com.au"),
            ("a..b", "default", "a..b"),
        ];
        for (host, ns, want) in cases {
            assert_eq!(service_name(host, ns), want, "{host}");
        }
    }

    #[test]
    fn targets() {
        let uri = |s: &str| s.parse::<hyper::Uri>().expect("uri");
        let cfg = super::super::config::MeshConfig::default();
        let cases: [(&str, Option<&super::super::config::MeshConfig>, Result<&str, &str>); 6] = [
            ("http://127.0.0.1:8080/", None, Ok("PassthroughCluster")),
            ("http://localhost/", None, Ok("PassthroughCluster")),
            ("http://127.0.0.1:15001/", None, Err("refusing to forward to the sidecar's own outbound port (127.0.0.1:15001)")),
            ("/relative", None, Err("requests to the sidecar must use an absolute http:// URL (set HTTP_PROXY to use it)")),
            ("https://x/", None, Err("only http:// URLs are supported, not https://")),
            ("http://hello/", None, Err("no configuration received from the control plane yet")),
        ];
        for (u, config, want) in cases {
            let got = target(&uri(u), config, "default", 15001)
                .map(|t| t.cluster)
                .map_err(|e| e.to_string());
            assert_eq!(got, want.map(str::to_string).map_err(str::to_string), "{u}");
        }
        assert!(matches!(
            target(&uri("http://hello/"), Some(&cfg), "default", 15001),
            Err(OutboundError::Route(RouteError::NoRoute(_)))
        ));
    }
}
