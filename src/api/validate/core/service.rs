//! Services and Endpoints.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Endpoints, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::meta;
use crate::api::validate::names::{self, NameRule};
use crate::api::validate::pod::port_num_or_name;
use crate::api::validate::{typed, Cause, Report};

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

/// The node port range of a default kube-apiserver (`--service-node-port-range`).
const NODE_PORT_RANGE: (i32, i32) = (30000, 32767);

const KUBELET_PORT: i32 = 10250;

const IP_MSG: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

pub(crate) fn service(obj: &Value) -> Report {
    typed(obj, "v1", "Service", |svc: &Service, _| {
        let mut errs = meta::object_meta(&svc.metadata, NameRule::Dns1035Label, true);
        let default_spec = ServiceSpec::default();
        errs.extend(service_spec(svc.spec.as_ref().unwrap_or(&default_spec)));
        errs
    })
}

fn service_spec(spec: &ServiceSpec) -> Vec<Cause> {
    let path = FieldPath::new("spec");
    let mut errs = Vec::new();
    let ty = spec.type_.as_deref().unwrap_or("ClusterIP");
    let headless = spec.cluster_ip.as_deref() == Some("None");
    let ports = spec.ports.as_deref().unwrap_or_default();
    let ports_path = path.child("ports");

    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(field::required(&ports_path, ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" => {
            if headless {
                let msg = format!("may not be set to 'None' for {ty} services");
                errs.push(field::invalid(
                    &path.child("clusterIP"),
                    Bad::str("None"),
                    &msg,
                ));
            }
            if ty == "LoadBalancer" {
                for (i, port) in ports
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.port == KUBELET_PORT)
                {
                    let msg = format!(
                        "may not expose port {KUBELET_PORT} externally since it is used by kubelet"
                    );
                    errs.push(field::invalid(
                        &ports_path.index(i),
                        Bad::Int(i64::from(port.port)),
                        &msg,
                    ));
                }
            }
        }
        "ExternalName" => {
            if spec.cluster_ips.as_ref().is_some_and(|ips| !ips.is_empty()) {
                errs.push(field::forbidden(
                    &path.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()) {
                errs.push(field::forbidden(
                    &path.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if spec.ip_family_policy.is_some() {
                errs.push(field::forbidden(
                    &path.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let name = spec.external_name.as_deref().unwrap_or_default();
            let cname = name.strip_suffix('.').unwrap_or(name);
            if cname.is_empty() {
                errs.push(field::required(&path.child("externalName"), ""));
            } else {
                for msg in names::dns1123_subdomain(cname) {
                    errs.push(field::invalid(
                        &path.child("externalName"),
                        Bad::str(cname),
                        &msg,
                    ));
                }
            }
        }
        _ => {}
    }

    let mut port_names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        errs.extend(service_port(
            port,
            ports.len() > 1,
            &mut port_names,
            &ports_path.index(i),
        ));
    }
    errs.extend(meta::labels(
        spec.selector.as_ref(),
        &path.child("selector"),
    ));

    if let Some(affinity) = spec.session_affinity.as_deref() {
        if !matches!(affinity, "ClientIP" | "None") {
            errs.push(field::not_supported(
                &path.child("sessionAffinity"),
                Bad::str(affinity),
                &["ClientIP", "None"],
            ));
        } else if affinity == "None" && spec.session_affinity_config.is_some() {
            errs.push(field::forbidden(
                &path.child("sessionAffinityConfig"),
                "must not be set when session affinity is None",
            ));
        }
    }
    if let Some(ip) = spec
        .cluster_ip
        .as_deref()
        .filter(|ip| !ip.is_empty() && *ip != "None")
    {
        if !is_ip(ip) {
            errs.push(field::invalid(
                &path.child("clusterIPs").index(0),
                Bad::str(ip),
                IP_MSG,
            ));
        }
    }
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        if !is_ip(ip) {
            errs.push(field::invalid(
                &path.child("externalIPs").index(i),
                Bad::str(ip),
                IP_MSG,
            ));
        }
    }
    if !SERVICE_TYPES.contains(&ty) {
        errs.push(field::not_supported(
            &path.child("type"),
            Bad::str(ty),
            SERVICE_TYPES,
        ));
    }
    for (i, port) in ports.iter().enumerate() {
        let Some(node_port) = port.node_port.filter(|p| *p != 0) else {
            continue;
        };
        let at = ports_path.index(i).child("nodePort");
        if ty == "ClusterIP" {
            errs.push(field::forbidden(
                &at,
                "may not be used when `type` is 'ClusterIP'",
            ));
        } else if matches!(ty, "NodePort" | "LoadBalancer")
            && !(NODE_PORT_RANGE.0..=NODE_PORT_RANGE.1).contains(&node_port)
        {
            // Reported by the node port allocator rather than validation, with this wording.
            let msg = format!(
                "provided port is not in the valid range. The range of valid ports is {}-{}",
                NODE_PORT_RANGE.0, NODE_PORT_RANGE.1
            );
            errs.push(field::invalid(&at, Bad::Int(i64::from(node_port)), &msg));
        }
    }
    let mut node_ports = HashSet::new();
    let mut port_keys = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        if let Some(node_port) = port.node_port.filter(|p| *p != 0) {
            if !node_ports.insert((protocol, node_port)) {
                errs.push(field::duplicate(
                    &ports_path.index(i).child("nodePort"),
                    Bad::Int(i64::from(node_port)),
                ));
            }
        }
        if !port_keys.insert((protocol, port.port)) {
            errs.push(field::duplicate(
                &ports_path.index(i),
                Bad::Go(go_service_port_key(protocol, port.port)),
            ));
        }
    }
    let externally_accessible = matches!(ty, "LoadBalancer" | "NodePort")
        || (ty == "ClusterIP"
            && spec
                .external_ips
                .as_ref()
                .is_some_and(|ips| !ips.is_empty()));
    if let Some(policy) = spec
        .external_traffic_policy
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        let at = path.child("externalTrafficPolicy");
        if !externally_accessible {
            errs.push(field::invalid(
                &at,
                Bad::str(policy),
                "may only be set for externally-accessible services",
            ));
        } else if !matches!(policy, "Cluster" | "Local") {
            errs.push(field::not_supported(
                &at,
                Bad::str(policy),
                &["Cluster", "Local"],
            ));
        }
    }
    if let Some(policy) = spec.internal_traffic_policy.as_deref() {
        if !matches!(policy, "Cluster" | "Local") {
            errs.push(field::not_supported(
                &path.child("internalTrafficPolicy"),
                Bad::str(policy),
                &["Cluster", "Local"],
            ));
        }
    }
    errs
}

fn service_port<'a>(
    port: &'a ServicePort,
    require_name: bool,
    seen: &mut HashSet<&'a str>,
    path: &FieldPath,
) -> Vec<Cause> {
    let mut errs = Vec::new();
    let name = port.name.as_deref().unwrap_or_default();
    if require_name && name.is_empty() {
        errs.push(field::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        for msg in names::dns1123_label(name) {
            errs.push(field::invalid(&path.child("name"), Bad::str(name), &msg));
        }
        if !seen.insert(name) {
            errs.push(field::duplicate(&path.child("name"), Bad::str(name)));
        }
    }
    for msg in names::port_num(i64::from(port.port)) {
        errs.push(field::invalid(
            &path.child("port"),
            Bad::Int(i64::from(port.port)),
            &msg,
        ));
    }
    if let Some(protocol) = port.protocol.as_deref() {
        if !PROTOCOLS.contains(&protocol) {
            errs.push(field::not_supported(
                &path.child("protocol"),
                Bad::str(protocol),
                PROTOCOLS,
            ));
        }
    }
    // A zero or empty target port is defaulted to `port`.
    match &port.target_port {
        Some(IntOrString::Int(0)) | None => {}
        Some(IntOrString::String(s)) if s.is_empty() => {}
        Some(target) => errs.extend(port_num_or_name(target, &path.child("targetPort"))),
    }
    if let Some(app_protocol) = port.app_protocol.as_deref() {
        for msg in names::qualified_name(app_protocol) {
            errs.push(field::invalid(
                &path.child("appProtocol"),
                Bad::str(app_protocol),
                &msg,
            ));
        }
    }
    errs
}

/// Go's `%#v` of the `core.ServicePort` key used for duplicate detection.
fn go_service_port_key(protocol: &str, port: i32) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
        field::go_quote(protocol)
    )
}

/// An IP address as the legacy API fields accept it (IPv4 octets may have leading zeros).
fn is_ip(text: &str) -> bool {
    if text.parse::<std::net::Ipv6Addr>().is_ok() {
        return true;
    }
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

pub(crate) fn endpoints(obj: &Value) -> Report {
    typed(obj, "v1", "Endpoints", |ep: &Endpoints, _| {
        let mut errs = meta::object_meta(&ep.metadata, NameRule::Dns1123Subdomain, true);
        let path = FieldPath::new("subsets");
        for (i, subset) in ep.subsets.iter().flatten().enumerate() {
            let at = path.index(i);
            let addresses = subset.addresses.as_deref().unwrap_or_default();
            let not_ready = subset.not_ready_addresses.as_deref().unwrap_or_default();
            if addresses.is_empty() && not_ready.is_empty() {
                errs.push(field::required(
                    &at,
                    "must specify `addresses` or `notReadyAddresses`",
                ));
            }
            for (list, name) in [(addresses, "addresses"), (not_ready, "notReadyAddresses")] {
                for (j, addr) in list.iter().enumerate() {
                    let ap = at.child(name).index(j);
                    if !is_ip(&addr.ip) {
                        errs.push(field::invalid(&ap.child("ip"), Bad::str(&addr.ip), IP_MSG));
                    }
                    if let Some(host) = addr.hostname.as_deref().filter(|h| !h.is_empty()) {
                        for msg in names::dns1123_label(host) {
                            errs.push(field::invalid(&ap.child("hostname"), Bad::str(host), &msg));
                        }
                    }
                    if let Some(node) = addr.node_name.as_deref() {
                        for msg in names::dns1123_subdomain(node) {
                            errs.push(field::invalid(&ap.child("nodeName"), Bad::str(node), &msg));
                        }
                    }
                }
            }
            let ports = subset.ports.as_deref().unwrap_or_default();
            for (j, port) in ports.iter().enumerate() {
                let pp = at.child("ports").index(j);
                let name = port.name.as_deref().unwrap_or_default();
                if ports.len() > 1 && name.is_empty() {
                    errs.push(field::required(&pp.child("name"), ""));
                } else if !name.is_empty() {
                    for msg in names::dns1123_label(name) {
                        errs.push(field::invalid(&pp.child("name"), Bad::str(name), &msg));
                    }
                }
                for msg in names::port_num(i64::from(port.port)) {
                    errs.push(field::invalid(
                        &pp.child("port"),
                        Bad::Int(i64::from(port.port)),
                        &msg,
                    ));
                }
                if let Some(protocol) = port.protocol.as_deref() {
                    if !PROTOCOLS.contains(&protocol) {
                        errs.push(field::not_supported(
                            &pp.child("protocol"),
                            Bad::str(protocol),
                            PROTOCOLS,
                        ));
                    }
                }
            }
        }
        errs
    })
}
