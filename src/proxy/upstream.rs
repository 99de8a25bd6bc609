//! Forwarding to a cluster: request rewriting, mirrors, then attempts (load balancer pick,
//! pooled connection, per-try timeout, retry decision) under the route's overall timeout.

use super::balance::{Outcome, Overflow};
use super::exchange::Exchange;
use super::filters::{self, Attempt};
use super::forward::{self, Body};
use super::pipeline::local;
use super::table::{ClusterState, Table};
use super::Proxy;
use crate::routes::{HashKey, LbPolicy, RetryPolicy, Route, WeightedCluster};
use crate::sidecar::{SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// Bodies up to this size are kept for retries and mirrors; larger ones stream once.
const MAX_BUFFERED_BODY: u64 = 1 << 20;

/// Envoy's local reply when the upstream cannot be reached.
const UPSTREAM_CONNECT_ERROR: &str = "upstream connect error or disconnect/reset before headers";

/// A routed request on its way to a cluster.
pub struct Forward<'a> {
    pub table: &'a Table,
    pub route: &'a Route,
    pub destination: &'a WeightedCluster,
    pub listener_port: u16,
    pub rewritten_path: Option<String>,
    pub remote: SocketAddr,
    pub scheme: &'static str,
    /// `DI` when a fault delay was applied, else `-`.
    pub fault_flags: &'static str,
}

/// The request body: streamed once, or kept for several sends.
enum Payload {
    Stream(Option<Incoming>),
    Buffered(Bytes),
}

impl Payload {
    fn take(&mut self) -> Option<Body> {
        match self {
            Payload::Stream(body) => body.take().map(|b| b.boxed()),
            Payload::Buffered(bytes) => Some(full(bytes.clone())),
        }
    }
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// The Service port a destination without `port` means: the Service's only port, else the
/// port the request came in on.
fn destination_port(table: &Table, dest: &WeightedCluster, listener_port: u16) -> u16 {
    if let Some(p) = dest.port {
        return p;
    }
    match table.service_ports.get(&dest.host).map(Vec::as_slice) {
        Some([only]) => *only,
        _ => listener_port,
    }
}

/// Why no cluster exists for a destination, in words.
fn missing_cluster(table: &Table, dest: &WeightedCluster, port: u16, route: &Route) -> String {
    let from = if route.source.is_empty() {
        String::new()
    } else {
        format!("; VirtualService {} routes here", route.source)
    };
    match table.service_ports.get(&dest.host) {
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

/// The value a consistent-hash balancer hashes for this request.
fn hash_key(
    policy: &LbPolicy,
    headers: &HeaderMap,
    path: &str,
    remote: SocketAddr,
) -> Option<String> {
    let LbPolicy::ConsistentHash(key) = policy else {
        return None;
    };
    match key {
        HashKey::Header(name) => forward::header_text(headers, name),
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
        HashKey::SourceIp => Some(remote.ip().to_string()),
    }
}

/// Sends `req` to the destination's cluster and answers with the upstream's response or
/// Envoy's local reply for what went wrong.
pub async fn forward(
    proxy: &Proxy,
    f: &Forward<'_>,
    req: Request<Incoming>,
    mut ex: Exchange,
) -> Response<Body> {
    let dest = f.destination;
    let port = destination_port(f.table, dest, f.listener_port);
    let name = crate::routes::cluster_name(port, dest.subset.as_deref(), &dest.host);
    ex.log.upstream_cluster = Some(name.clone());
    ex.labels.destination_service = dest.host.clone();
    let Some(state) = f.table.clusters.get(&name).cloned() else {
        let why = missing_cluster(f.table, dest, port, f.route);
        return local(
            ex,
            StatusCode::SERVICE_UNAVAILABLE,
            "NC",
            "cluster_not_found",
            Bytes::from(format!("no cluster found: {name}\n{why}")),
        );
    };
    let policy = &f.route.policy;
    let mut req = req;
    let upgrade = forward::upgrade_protocol(req.headers())
        .map(|protocol| (protocol, hyper::upgrade::on(&mut req)));

    let (mut parts, body) = req.into_parts();
    forward::strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(TARGET_PORT_HEADER);
    parts.headers.remove(SOURCE_WORKLOAD_HEADER);
    let request_headers = |h: &Option<crate::api::istio::Headers>| {
        h.as_ref().and_then(|h| h.request.as_ref()).cloned()
    };
    filters::apply_header_ops(
        &mut parts.headers,
        request_headers(&policy.headers).as_ref(),
    );
    filters::apply_header_ops(&mut parts.headers, request_headers(&dest.headers).as_ref());
    let path = f.rewritten_path.clone().unwrap_or_else(|| {
        parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.to_string())
    });
    let authority = f
        .route
        .rewrite
        .as_ref()
        .and_then(|r| r.authority.clone())
        .or_else(|| forward::header_text(&parts.headers, "host"))
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    if let Ok(v) = HeaderValue::from_str(&authority) {
        parts.headers.insert(header::HOST, v);
    }
    let client_ip = f.remote.ip().to_string();
    let xff = match forward::header_text(&parts.headers, "x-forwarded-for") {
        Some(prev) => format!("{prev}, {client_ip}"),
        None => client_ip,
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        parts.headers.insert("x-forwarded-for", v);
    }
    parts
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static(f.scheme));
    let hash = hash_key(&state.cluster.policy.lb, &parts.headers, &path, f.remote);

    if let Some((protocol, downstream)) = upgrade {
        let up = Upgrade {
            protocol,
            downstream,
        };
        return upgraded(proxy, &state, &parts, &path, hash.as_deref(), body, up, ex).await;
    }

    let retries = policy
        .retries
        .clone()
        .unwrap_or_else(filters::default_retries);
    let wants_copy = retries.attempts > 0 || !policy.mirrors.is_empty();
    let fits = body.is_end_stream()
        || body
            .size_hint()
            .upper()
            .is_some_and(|n| n <= MAX_BUFFERED_BODY);
    let mut payload = if wants_copy && fits {
        match body.collect().await {
            Ok(collected) => Payload::Buffered(collected.to_bytes()),
            Err(e) => {
                return ex.reply(
                    StatusCode::BAD_REQUEST,
                    "DPE",
                    "downstream_body_error",
                    format!("meshlite proxy: reading the request body failed: {e}\n"),
                );
            }
        }
    } else {
        Payload::Stream(Some(body))
    };
    if let Payload::Buffered(bytes) = &payload {
        for mirror in &policy.mirrors {
            if filters::hit(mirror.percentage, filters::roll_percent()) {
                mirror_copy(
                    proxy,
                    f,
                    &mirror.cluster,
                    &parts.headers,
                    &parts.method,
                    &path,
                    &authority,
                    bytes.clone(),
                );
            }
        }
    }

    let attempts = async {
        attempt_loop(
            proxy,
            &state,
            &retries,
            &parts,
            &path,
            &mut payload,
            hash.as_deref(),
            &mut ex,
        )
        .await
    };
    let result = match policy.timeout.filter(|t| !t.is_zero()) {
        Some(limit) => match tokio::time::timeout(limit, attempts).await {
            Ok(r) => r,
            Err(_) => Err(Failure::Timeout),
        },
        None => attempts.await,
    };
    let flags = f.fault_flags;
    match result {
        Ok((resp, set_cookie, retried_out, attempts)) => {
            if retried_out {
                ex.log.flags = "URX".to_string();
            } else if flags != "-" {
                ex.log.flags = flags.to_string();
            }
            let mut resp = ex.respond(resp);
            let response_ops = |h: &Option<crate::api::istio::Headers>| h.as_ref().and_then(|h| h.response.as_ref()).cloned();
            filters::apply_header_ops(resp.headers_mut(), response_ops(&policy.headers).as_ref());
            filters::apply_header_ops(resp.headers_mut(), response_ops(&dest.headers).as_ref());
            resp.headers_mut().insert(header::SERVER, HeaderValue::from_static("istio-envoy"));
            // Envoy's include_attempt_count_in_response: how many tries this answer took.
            resp.headers_mut().insert("x-envoy-attempt-count", HeaderValue::from(attempts));
            if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().append(header::SET_COOKIE, cookie);
            }
            resp
        }
        Err(Failure::Timeout) => local(ex, StatusCode::GATEWAY_TIMEOUT, "UT", "response_timeout", Bytes::from_static(b"upstream request timeout")),
        Err(Failure::NoHealthy) => local(ex, StatusCode::SERVICE_UNAVAILABLE, "UH", "no_healthy_upstream", Bytes::from_static(b"no healthy upstream")),
        Err(Failure::Overflow) => local(ex, StatusCode::SERVICE_UNAVAILABLE, "UO", "upstream_reset_before_response_started{overflow}", Bytes::from(Overflow.to_string())),
        Err(Failure::Connect(why)) => local(
            ex,
            StatusCode::SERVICE_UNAVAILABLE,
            "UF",
            "upstream_reset_before_response_started{connection_failure}",
            Bytes::from(format!("{UPSTREAM_CONNECT_ERROR}. reset reason: connection failure, transport failure reason: {why}")),
        ),
        Err(Failure::Reset(why)) => local(
            ex,
            StatusCode::SERVICE_UNAVAILABLE,
            "UC",
            "upstream_reset_before_response_started{connection_termination}",
            Bytes::from(format!("{UPSTREAM_CONNECT_ERROR}. reset reason: connection termination ({why})")),
        ),
    }
}

/// What an upgrade request switches to, and the downstream connection once it has.
struct Upgrade {
    protocol: HeaderValue,
    downstream: hyper::upgrade::OnUpgrade,
}

/// An upgrade (WebSocket) request: one attempt on a connection of its own, then the two sides
/// are spliced (no retries, mirrors or timeouts apply to the upgraded stream).
#[allow(clippy::too_many_arguments)]
async fn upgraded(
    proxy: &Proxy,
    state: &ClusterState,
    parts: &hyper::http::request::Parts,
    path: &str,
    hash: Option<&str>,
    body: Incoming,
    up: Upgrade,
    mut ex: Exchange,
) -> Response<Body> {
    let Some(pick) = state.balancer.pick(hash, Instant::now(), &[]) else {
        return local(
            ex,
            StatusCode::SERVICE_UNAVAILABLE,
            "UH",
            "no_healthy_upstream",
            Bytes::from_static(b"no healthy upstream"),
        );
    };
    ex.log.upstream_host = Some(pick.endpoint.address);
    let Some(req) = attempt_request(proxy, parts, path, &pick.endpoint, 1, body.boxed()) else {
        return local(
            ex,
            StatusCode::BAD_REQUEST,
            "-",
            "bad_request",
            Bytes::new(),
        );
    };
    match forward::upgrade(dial_address(&pick.endpoint), req, up.protocol, up.downstream).await {
        Ok(resp) => {
            let mut out = ex.respond(resp);
            out.headers_mut().insert(header::SERVER, HeaderValue::from_static("istio-envoy"));
            out
        }
        Err(why) => local(
            ex,
            StatusCode::SERVICE_UNAVAILABLE,
            "UF",
            "upstream_reset_before_response_started{connection_failure}",
            Bytes::from(format!("{UPSTREAM_CONNECT_ERROR}. reset reason: connection failure, transport failure reason: {why}")),
        ),
    }
}

/// How the attempts ended without a response to pass on.
enum Failure {
    Timeout,
    NoHealthy,
    Overflow,
    Connect(String),
    Reset(String),
}

/// The address to dial for an endpoint: its pod's sidecar when it has one.
fn dial_address(endpoint: &crate::routes::Endpoint) -> SocketAddr {
    match endpoint.sidecar_inbound {
        Some(port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        None => endpoint.address,
    }
}

/// Builds one attempt's request.
fn attempt_request(
    proxy: &Proxy,
    parts: &hyper::http::request::Parts,
    path: &str,
    endpoint: &crate::routes::Endpoint,
    attempt: u32,
    body: Body,
) -> Option<Request<Body>> {
    let addr = dial_address(endpoint);
    let uri: hyper::Uri = format!("http://{addr}{path}").parse().ok()?;
    let mut req = Request::builder()
        .method(parts.method.clone())
        .uri(uri)
        .body(body)
        .ok()?;
    *req.headers_mut() = parts.headers.clone();
    req.headers_mut()
        .insert("x-envoy-attempt-count", HeaderValue::from(attempt));
    if endpoint.sidecar_inbound.is_some() {
        req.headers_mut().insert(
            TARGET_PORT_HEADER,
            HeaderValue::from(endpoint.address.port()),
        );
        if let Ok(v) = HeaderValue::from_str(&proxy.identity.workload) {
            req.headers_mut().insert(SOURCE_WORKLOAD_HEADER, v);
        }
    }
    Some(req)
}

/// The upstream response to pass on: the LB's cookie to set, whether retries ran out, and
/// how many attempts were made.
type Answer = (Response<Incoming>, Option<String>, bool, u32);

#[allow(clippy::too_many_arguments)]
async fn attempt_loop(
    proxy: &Proxy,
    state: &ClusterState,
    retries: &RetryPolicy,
    parts: &hyper::http::request::Parts,
    path: &str,
    payload: &mut Payload,
    hash: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answer, Failure> {
    let balancer = &state.balancer;
    let Ok(_request) = balancer.try_request() else {
        return Err(Failure::Overflow);
    };
    let mut tried: Vec<SocketAddr> = Vec::new();
    let mut attempt = 1u32;
    let mut _retry_guard = None;
    loop {
        let Some(pick) = balancer.pick(hash, Instant::now(), &tried) else {
            return Err(Failure::NoHealthy);
        };
        let endpoint = pick.endpoint.clone();
        ex.log.upstream_host = Some(endpoint.address);
        if let Some((ns, name)) = &endpoint.pod {
            ex.labels.destination_workload = crate::proxy::telemetry::workload_name(name);
            ex.labels.destination_workload_namespace = ns.clone();
        }
        let Some(body) = payload.take() else {
            return Err(Failure::Reset("request body already sent".to_string()));
        };
        let Some(req) = attempt_request(proxy, parts, path, &endpoint, attempt, body) else {
            return Err(Failure::Reset("invalid upstream request".to_string()));
        };
        let sent = proxy.client.request(req);
        let result = match retries.per_try_timeout {
            Some(limit) => tokio::time::timeout(limit, sent).await.map_err(|_| ()),
            None => Ok(sent.await),
        };
        let now = Instant::now();
        let (outcome, failure, response) = match result {
            Err(()) => (Attempt::PerTryTimeout, Failure::Timeout, None),
            Ok(Ok(resp)) => (
                Attempt::Status(resp.status().as_u16()),
                Failure::Reset(String::new()),
                Some(resp),
            ),
            Ok(Err(e)) if e.is_connect() => (
                Attempt::ConnectFailure,
                Failure::Connect(error_chain(&e)),
                None,
            ),
            Ok(Err(e)) => (Attempt::Reset, Failure::Reset(error_chain(&e)), None),
        };
        balancer.report(
            endpoint.address,
            match outcome {
                Attempt::Status(code) => Outcome::Status(code),
                Attempt::ConnectFailure | Attempt::Reset => Outcome::ConnectFailure,
                Attempt::PerTryTimeout => Outcome::Timeout,
            },
            now,
        );
        drop(pick.active);
        let can_retry = attempt <= retries.attempts
            && matches!(payload, Payload::Buffered(_))
            && filters::should_retry(retries, outcome);
        if can_retry {
            match balancer.try_retry() {
                Ok(guard) => _retry_guard = Some(guard),
                Err(_) => {
                    return finish(response, pick.set_cookie, false, attempt, failure);
                }
            }
            tried.push(endpoint.address);
            attempt += 1;
            // Envoy backs off 25 ms (jittered) between attempts.
            let backoff = Duration::from_millis(5 + u64::from(filters::roll_below(20)));
            tokio::time::sleep(backoff).await;
            continue;
        }
        let exhausted = attempt > 1 && filters::should_retry(retries, outcome);
        return finish(response, pick.set_cookie, exhausted, attempt, failure);
    }
}

fn finish(
    response: Option<Response<Incoming>>,
    cookie: Option<String>,
    exhausted: bool,
    attempts: u32,
    failure: Failure,
) -> Result<Answer, Failure> {
    match response {
        Some(resp) => Ok((resp, cookie, exhausted, attempts)),
        None => Err(failure),
    }
}

/// The error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Sends a shadow copy to a mirror cluster and forgets it; Envoy appends `-shadow` to the host.
#[allow(clippy::too_many_arguments)]
fn mirror_copy(
    proxy: &Proxy,
    f: &Forward<'_>,
    dest: &WeightedCluster,
    headers: &HeaderMap,
    method: &hyper::Method,
    path: &str,
    authority: &str,
    body: Bytes,
) {
    let port = destination_port(f.table, dest, f.listener_port);
    let name = crate::routes::cluster_name(port, dest.subset.as_deref(), &dest.host);
    let Some(state) = f.table.clusters.get(&name).cloned() else {
        return;
    };
    let Some(pick) = state.balancer.pick(None, Instant::now(), &[]) else {
        return;
    };
    let (host, host_port) = match authority.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, format!(":{p}")),
        _ => (authority, String::new()),
    };
    let mut headers = headers.clone();
    if let Ok(v) = HeaderValue::from_str(&format!("{host}-shadow{host_port}")) {
        headers.insert(header::HOST, v);
    }
    let mut parts = Request::new(()).into_parts().0;
    parts.method = method.clone();
    parts.headers = headers;
    let Some(req) = attempt_request(proxy, &parts, path, &pick.endpoint, 1, full(body)) else {
        return;
    };
    let client = proxy.client.clone();
    tokio::spawn(async move {
        let _active = pick.active;
        if let Ok(resp) = client.request(req).await {
            // Drain so the pooled connection can be reused.
            let _ = resp.into_body().collect().await;
        }
    });
}
