//! Which listeners the node needs for the current Services and Endpoints, and their backends.

use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use crate::api::node::CLUSTER_PORTS_ANNOTATION;

/// One listener the node should have: a Service port reachable on 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontend {
    pub namespace: String,
    pub service: String,
    /// The Service port (`spec.ports[].port`).
    pub port: u16,
    pub port_name: Option<String>,
    pub bind: Bind,
    /// Ready backends, in Endpoints order.
    pub backends: Vec<SocketAddr>,
}

/// Where a frontend listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bind {
    /// The Service's `nodePort`, on 127.0.0.1.
    NodePort(u16),
    /// A local stand-in for the cluster IP: the preferred port when free, else any free port.
    ClusterPort { preferred: Option<u16> },
}

/// The frontends for `services`, with backends from the Endpoints of the same name.
///
/// Only TCP ports are proxied: UDP and SCTP Service ports are skipped, since meshlite's pods
/// speak TCP (HTTP/gRPC) and a userspace UDP proxy would need per-flow state for little use.
/// Headless Services (`clusterIP: None`) and ExternalName Services (no cluster IP) get no
/// listener, as kube-proxy gives them none.
pub fn plan(services: &[Value], endpoints: &[Value]) -> Vec<Frontend> {
    let mut out = Vec::new();
    for svc in services {
        let cluster_ip = str_at(svc, "/spec/clusterIP");
        if cluster_ip.is_empty() || cluster_ip == "None" {
            continue;
        }
        let namespace = str_at(svc, "/metadata/namespace");
        let name = str_at(svc, "/metadata/name");
        let eps = find_endpoints(endpoints, namespace, name);
        let preferred = cluster_ports(svc);
        let node_ports = matches!(str_at(svc, "/spec/type"), "NodePort" | "LoadBalancer");
        for sp in tcp_ports(svc) {
            let Some(port) = port_number(sp.get("port")) else {
                continue;
            };
            let port_name = Some(str_at(sp, "/name"))
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            let backends = backends_for(sp, eps);
            let frontend = |bind| Frontend {
                namespace: namespace.to_string(),
                service: name.to_string(),
                port,
                port_name: port_name.clone(),
                bind,
                backends: backends.clone(),
            };
            let key = format!("{port}/TCP");
            let preferred = preferred
                .as_ref()
                .and_then(|m| m.get(&key))
                .and_then(|v| port_number(Some(v)));
            out.push(frontend(Bind::ClusterPort { preferred }));
            if node_ports {
                if let Some(np) = port_number(sp.get("nodePort")).filter(|p| *p != 0) {
                    out.push(frontend(Bind::NodePort(np)));
                }
            }
        }
    }
    out
}

/// The TCP ports of a Service (protocol defaults to TCP).
pub(crate) fn tcp_ports(svc: &Value) -> impl Iterator<Item = &Value> {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .filter(|p| matches!(str_at(p, "/protocol"), "" | "TCP"))
}

/// The Endpoints object named like the Service, if any.
pub(crate) fn find_endpoints<'a>(
    endpoints: &'a [Value],
    namespace: &str,
    name: &str,
) -> Option<&'a Value> {
    endpoints.iter().find(|e| {
        str_at(e, "/metadata/namespace") == namespace && str_at(e, "/metadata/name") == name
    })
}

/// The ready backends of one Service port: every ready address of every subset, on the subset
/// port named like the Service port (or the subset's only port when the Service port is unnamed).
///
/// The address's own IP is used when it parses (user-managed Endpoints may point anywhere);
/// controller-made Endpoints always say 127.0.0.1 and publish the pod's host port.
pub(crate) fn backends_for(service_port: &Value, endpoints: Option<&Value>) -> Vec<SocketAddr> {
    let Some(subsets) = endpoints
        .and_then(|e| e.get("subsets"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let name = str_at(service_port, "/name");
    let mut out = Vec::new();
    for subset in subsets {
        let ports: &[Value] = subset
            .get("ports")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let chosen = if name.is_empty() {
            match ports {
                [only] => Some(only),
                _ => ports.iter().find(|p| str_at(p, "/name").is_empty()),
            }
        } else {
            ports.iter().find(|p| str_at(p, "/name") == name)
        };
        let Some(port) = chosen
            .filter(|p| matches!(str_at(p, "/protocol"), "" | "TCP"))
            .and_then(|p| port_number(p.get("port")))
        else {
            continue;
        };
        let addresses = subset.get("addresses").and_then(Value::as_array);
        for addr in addresses.into_iter().flatten() {
            let ip = str_at(addr, "/ip")
                .parse::<IpAddr>()
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            out.push(SocketAddr::new(ip, port));
        }
    }
    out
}

/// The parsed cluster-ports annotation, if present and well-formed.
fn cluster_ports(svc: &Value) -> Option<serde_json::Map<String, Value>> {
    let raw = svc
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(CLUSTER_PORTS_ANNOTATION))
        .and_then(Value::as_str)?;
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

pub(crate) fn port_number(v: Option<&Value>) -> Option<u16> {
    v.and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
}

pub(crate) fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
