//! Printers for services and endpoints.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::duration::age;
use super::selector::format_labels;
use super::{array_at, as_int, at, int_at, name_cell, str_at, Column, Printer, Row, AGE, NAME};

/// Columns of `kubectl get services`.
pub(crate) fn services() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Type", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
            Column::text("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            Column::text("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            Column::text("Port(s)", "The list of ports that are exposed by this service."),
            AGE,
            Column::text("Selector", "Route service traffic to pods with label keys and values matching this selector.").wide(),
        ],
        row: Box::new(service_row),
    }
}

fn service_row(svc: &Value, now: DateTime<Utc>) -> Row {
    // The apiserver defaults these on create; objects stored here may still lack them.
    let ty = match str_at(svc, &["spec", "type"]) {
        "" => "ClusterIP",
        t => t,
    };
    let cluster_ip = match array_at(svc, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
    {
        Some(ip) => ip,
        None => str_at(svc, &["spec", "clusterIP"]),
    };
    let cluster_ip = if cluster_ip.is_empty() {
        "<none>"
    } else {
        cluster_ip
    };
    let ports = port_string(array_at(svc, &["spec", "ports"]));
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports
    };
    let selector = at(svc, &["spec", "selector"]).and_then(Value::as_object);
    Row::cells(vec![
        name_cell(svc),
        Value::String(ty.to_string()),
        Value::String(cluster_ip.to_string()),
        Value::String(external_ip(svc, ty)),
        Value::String(ports),
        Value::String(age(svc, now)),
        Value::String(format_labels(selector)),
    ])
}

/// The External-IP cell for a service of the given type.
fn external_ip(svc: &Value, ty: &str) -> String {
    let external: Vec<&str> = array_at(svc, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match ty {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_string()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            // A sorted, de-duplicated set of ingress IPs (or hostnames when there is no IP).
            // The server renders the wide form, so nothing is clipped here.
            let ingress: BTreeSet<&str> = array_at(svc, &["status", "loadBalancer", "ingress"])
                .iter()
                .filter_map(|i| match (str_at(i, &["ip"]), str_at(i, &["hostname"])) {
                    ("", "") => None,
                    ("", host) => Some(host),
                    (ip, _) => Some(ip),
                })
                .collect();
            let mut all: Vec<&str> = ingress.into_iter().collect();
            all.extend(external);
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

/// `port/PROTO`, or `port:nodePort/PROTO` when a node port is allocated, comma-joined.
fn port_string(ports: &[Value]) -> String {
    ports
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = match str_at(p, &["protocol"]) {
                "" => "TCP",
                proto => proto,
            };
            match at(p, &["nodePort"]).and_then(as_int) {
                Some(node_port) if node_port > 0 => format!("{port}:{node_port}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Columns of `kubectl get endpoints`.
pub(crate) fn endpoints() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Endpoints", "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."),
            AGE,
        ],
        row: Box::new(|ep, now| {
            Row::cells(vec![name_cell(ep), Value::String(format_endpoints(ep)), Value::String(age(ep, now))])
        }),
    }
}

/// Most endpoints kube lists before summarising the rest as `+ N more...`.
const MAX_ENDPOINTS: usize = 3;

/// Ready addresses as `ip:port` (or bare IPs for port-less subsets), at most three of them.
pub(crate) fn format_endpoints(ep: &Value) -> String {
    let subsets = array_at(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list: Vec<String> = Vec::new();
    let mut count = 0usize;
    let mut push = |entry: String, list: &mut Vec<String>| {
        count += 1;
        if list.len() < MAX_ENDPOINTS {
            list.push(entry);
        }
    };
    for subset in subsets {
        let addresses = array_at(subset, &["addresses"]);
        let ports = array_at(subset, &["ports"]);
        if ports.is_empty() {
            // Headless services may have no ports at all.
            for addr in addresses {
                push(str_at(addr, &["ip"]).to_string(), &mut list);
            }
            continue;
        }
        for port in ports {
            for addr in addresses {
                push(
                    join_host_port(str_at(addr, &["ip"]), int_at(port, &["port"])),
                    &mut list,
                );
            }
        }
    }
    let joined = list.join(",");
    if count > MAX_ENDPOINTS {
        format!("{joined} + {} more...", count - MAX_ENDPOINTS)
    } else {
        joined
    }
}

/// `host:port`, bracketing IPv6 addresses as Go's net.JoinHostPort does.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
