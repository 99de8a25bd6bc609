//! The inbound listener: requests from peer sidecars (or anyone) delivered to an app port.

use super::{Shared, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use crate::proxy::exchange::{Exchange, Reporter};
use crate::proxy::forward::{self, Body};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Why an inbound request has no app port to go to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InboundError {
    /// The target port header names a port the pod does not publish.
    #[error("port {port} is not a port of pod {pod} (its ports: {ports})")]
    NotAppPort {
        port: String,
        pod: String,
        ports: String,
    },
    /// The pod publishes no app port at all.
    #[error("pod {0} has no app ports")]
    NoAppPorts(String),
}

/// The `(containerPort, host port)` a request goes to: the host port named by the target
/// header (it must be one of the pod's), else the pod's first app port.
pub(crate) fn target(
    header: Option<&str>,
    app_ports: &BTreeMap<u16, u16>,
    pod: &str,
) -> Result<(u16, u16), InboundError> {
    match header {
        Some(raw) => {
            let wanted = raw.trim().parse::<u16>().ok();
            app_ports
                .iter()
                .find(|(_, host)| Some(**host) == wanted)
                .map(|(c, h)| (*c, *h))
                .ok_or_else(|| InboundError::NotAppPort {
                    port: raw.to_string(),
                    pod: pod.to_string(),
                    ports: app_ports
                        .values()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        }
        None => app_ports
            .iter()
            .next()
            .map(|(c, h)| (*c, *h))
            .ok_or_else(|| InboundError::NoAppPorts(pod.to_string())),
    }
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    mut req: Request<Incoming>,
    local: SocketAddr,
    remote: SocketAddr,
) -> Response<Body> {
    forward::ensure_request_id(req.headers_mut());
    let header = forward::header_text(req.headers(), TARGET_PORT_HEADER);
    let source = forward::header_text(req.headers(), SOURCE_WORKLOAD_HEADER);
    req.headers_mut().remove(TARGET_PORT_HEADER);
    req.headers_mut().remove(SOURCE_WORKLOAD_HEADER);
    let mut ex = Exchange::begin(
        shared.metrics.clone(),
        &req,
        local,
        remote,
        Reporter::Destination,
    );
    if let Some(source) = source {
        ex.labels.source_workload = source;
    }
    ex.labels.destination_workload = shared.workload.clone();
    ex.labels.destination_workload_namespace = shared.settings.namespace.clone();
    let settings = &shared.settings;
    let pod = format!("{}/{}", settings.namespace, settings.pod);
    let (container_port, host_port) = match target(header.as_deref(), &settings.app_ports, &pod) {
        Ok(t) => t,
        Err(e @ InboundError::NotAppPort { .. }) => {
            return ex.reply(
                StatusCode::FORBIDDEN,
                "-",
                "rbac_access_denied",
                format!("meshlite sidecar: {e}\n"),
            )
        }
        Err(e @ InboundError::NoAppPorts(_)) => {
            return ex.reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "UH",
                "no_healthy_upstream",
                format!("no healthy upstream\nmeshlite sidecar: {e}\n"),
            )
        }
    };
    let app = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), host_port);
    ex.log.upstream_cluster = Some(format!("inbound|{container_port}||"));
    ex.log.upstream_host = Some(app);
    if let Some(svc) = shared
        .config
        .load()
        .as_deref()
        .and_then(|c| c.service_at(app))
    {
        ex.labels.destination_service = svc.to_string();
    }
    let upgrade = forward::upgrade_protocol(req.headers())
        .map(|protocol| (protocol, hyper::upgrade::on(&mut req)));
    let (mut parts, body) = req.into_parts();
    forward::strip_hop_by_hop(&mut parts.headers);
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    parts.uri = format!("http://{app}{path}")
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/"));
    parts.version = hyper::Version::HTTP_11;
    let body = ex.count_request(body);
    if let Some((protocol, downstream)) = upgrade {
        let req = Request::from_parts(parts, body);
        return match forward::upgrade(app, req, protocol, downstream).await {
            Ok(resp) => ex.respond(resp),
            Err(e) => ex.reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "UF",
                "upstream_reset_before_response_started{connection_failure}",
                format!("upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: {e}\n"),
            ),
        };
    }
    match shared.proxy.client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => ex.respond(resp),
        Err(e) if e.is_connect() => ex.reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "UF",
            "upstream_reset_before_response_started{connection_failure}",
            format!("upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: {e}\n"),
        ),
        Err(e) => ex.reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "UC",
            "upstream_reset_before_response_started{connection_termination}",
            format!("upstream connect error or disconnect/reset before headers. reset reason: connection termination ({e})\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header, app ports, wanted (containerPort, host port) or error.
    type TargetCase<'a> = (
        Option<&'static str>,
        &'a BTreeMap<u16, u16>,
        Result<(u16, u16), &'static str>,
    );

    #[test]
    fn inbound_targets() {
        let ports: BTreeMap<u16, u16> = [(8080, 20001), (9090, 20002)].into_iter().collect();
        let none = BTreeMap::new();
        let cases: [TargetCase<'_>; 7] = [
            (None, &ports, Ok((8080, 20001))),
            (Some("20002"), &ports, Ok((9090, 20002))),
            (Some(" 20001 "), &ports, Ok((8080, 20001))),
            (
                Some("9090"),
                &ports,
                Err("port 9090 is not a port of pod ns/p (its ports: 20001, 20002)"),
            ),
            (
                Some("22"),
                &ports,
                Err("port 22 is not a port of pod ns/p (its ports: 20001, 20002)"),
            ),
            (
                Some("x"),
                &ports,
                Err("port x is not a port of pod ns/p (its ports: 20001, 20002)"),
            ),
            (None, &none, Err("pod ns/p has no app ports")),
        ];
        for (header, ports, want) in cases {
            let got = target(header, ports, "ns/p").map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{header:?}");
        }
    }
}
