//! A sidecar's inbound step: a request from a peer (or anyone) delivered to the app port the
//! peer names, with the calling workload noted for metrics. (Where mTLS and authorization
//! will sit.)

use super::client;
use super::error::ProxyError;
use super::forward::{self, Body};
use super::layer::{Inner, Step, StepFuture};
use super::telemetry::Label;
use super::{report, SOURCE_WORKLOAD_HEADER, TARGET_PORT_HEADER};
use hyper::{Request, StatusCode};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Why an inbound request has no app port to go to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
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
pub fn target(
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

/// Finds the Service an app address serves, for metrics.
pub type ServiceOf = Arc<dyn Fn(SocketAddr) -> Option<Label> + Send + Sync>;

/// The pod's app ports and what inbound requests are told about them.
#[derive(Clone)]
pub struct InboundLayer {
    pod: Arc<str>,
    app_ports: Arc<BTreeMap<u16, u16>>,
    /// `inbound|PORT||` per containerPort.
    clusters: Arc<BTreeMap<u16, Arc<str>>>,
    service_of: ServiceOf,
}

impl InboundLayer {
    /// `pod` is `namespace/name`; `app_ports` maps containerPort → host port.
    pub fn new(pod: &str, app_ports: BTreeMap<u16, u16>, service_of: ServiceOf) -> InboundLayer {
        let clusters = app_ports
            .keys()
            .map(|p| (*p, Arc::from(format!("inbound|{p}||"))))
            .collect();
        InboundLayer {
            pod: Arc::from(pod),
            app_ports: Arc::new(app_ports),
            clusters: Arc::new(clusters),
            service_of,
        }
    }
}

crate::step!(InboundLayer);

impl Step for InboundLayer {
    fn call<S: Inner>(&self, inner: &mut S, mut req: Request<Body>) -> StepFuture<S::Future> {
        let headers = req.headers_mut();
        let header = headers.remove(TARGET_PORT_HEADER);
        let source = headers.remove(SOURCE_WORKLOAD_HEADER);
        let report = report::of(&req);
        if let Some(source) = source.as_ref().and_then(|v| v.to_str().ok()) {
            report.note(|n| n.source_workload = Some(Label::new(source)));
        }
        let ports = self;
        let wanted = header.as_ref().and_then(|v| v.to_str().ok());
        let (container_port, host_port) = match target(wanted, &ports.app_ports, &ports.pod) {
            Ok(t) => t,
            Err(e) => return StepFuture::ready(Err(refusal(e))),
        };
        let app = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), host_port);
        report.note(|n| {
            n.upstream_cluster = ports.clusters.get(&container_port).cloned();
            n.upstream_host = Some(app);
            n.destination_service = (ports.service_of)(app);
        });
        client::for_upstream(&mut req);
        forward::address(&mut req, forward::authority_of(app));
        StepFuture::inner(inner.call(req))
    }
}

fn refusal(e: InboundError) -> ProxyError {
    match e {
        InboundError::NotAppPort { .. } => ProxyError::Refused {
            status: StatusCode::FORBIDDEN,
            flags: "-",
            details: "rbac_access_denied",
            body: format!("meshlite sidecar: {e}\n").into(),
        },
        InboundError::NoAppPorts(_) => ProxyError::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            flags: "UH",
            details: "no_healthy_upstream",
            body: format!("no healthy upstream\nmeshlite sidecar: {e}\n").into(),
        },
    }
}

#[cfg(test)]
mod tests;
