//! VirtualService analyzers: destination hosts and ports (IST0101/IST0112), subsets (IST0101), gateways (IST0101/IST0132).

use std::collections::HashSet;

use serde_json::Value;

use super::catalogue::{
    Arg, REFERENCED_RESOURCE_NOT_FOUND, VIRTUAL_SERVICE_DESTINATION_PORT_SELECTOR_REQUIRED,
    VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY,
};
use super::hosts::{self, Registry};
use super::object::{arr, int_of, of_istio_kind, str_of, strs, Object};
use super::Message;

/// The special gateway name meaning "all sidecars".
const MESH_GATEWAY: &str = "mesh";

/// A route destination, or `Null` when the route has none (Istio then checks host "").
fn route_destinations(spec: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    // Same order as Istio: tcp, tls, then http routes.
    for section in ["tcp", "tls", "http"] {
        for rule in arr(spec, section) {
            for route in arr(rule, "route") {
                out.push(route.get("destination").unwrap_or(&Value::Null));
            }
        }
    }
    out
}

/// HTTP mirror destinations: the single `mirror` and each `mirrors[].destination`.
fn mirror_destinations(spec: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for rule in arr(spec, "http") {
        if let Some(m) = rule.get("mirror").filter(|m| !m.is_null()) {
            out.push(m);
        }
        for m in arr(rule, "mirrors") {
            out.push(m.get("destination").unwrap_or(&Value::Null));
        }
    }
    out
}

/// The destination port number, `None` when no port selector is given.
fn dest_port(dest: &Value) -> Option<i64> {
    dest.get("port")
        .filter(|p| !p.is_null())
        .map(|p| int_of(p, "number").unwrap_or(0))
}

/// IST0101 `host` / `mirror host` / `host:port` and IST0112 for every VirtualService.
pub fn destination_hosts(objs: &[Object<'_>]) -> Vec<Message> {
    let registry = Registry::build(objs);
    let mut out = Vec::new();
    for vs in of_istio_kind(objs, "VirtualService") {
        let spec = vs.spec();
        let export_to = strs(spec, "exportTo");
        let groups = [
            ("host", route_destinations(spec)),
            ("mirror host", mirror_destinations(spec)),
        ];
        for (reftype, dests) in groups {
            for dest in dests {
                let host = hosts::dest_host(dest);
                match registry.lookup(&vs.namespace, &export_to, host) {
                    None => out.push(Message::new(
                        REFERENCED_RESOURCE_NOT_FOUND,
                        vs,
                        &[Arg::Str(reftype.into()), Arg::Str(host.into())],
                    )),
                    Some(entry) => out.extend(check_port(vs, host, dest_port(dest), &entry.ports)),
                }
            }
        }
    }
    out
}

fn check_port(vs: &Object<'_>, host: &str, port: Option<i64>, ports: &[i64]) -> Option<Message> {
    match port {
        // Without a port selector only a multi-port target is ambiguous.
        None if ports.len() > 1 => Some(Message::new(
            VIRTUAL_SERVICE_DESTINATION_PORT_SELECTOR_REQUIRED,
            vs,
            &[Arg::Str(host.into()), Arg::Ints(ports.to_vec())],
        )),
        None => None,
        Some(p) if ports.contains(&p) => None,
        Some(p) => Some(Message::new(
            REFERENCED_RESOURCE_NOT_FOUND,
            vs,
            &[
                Arg::Str("host:port".into()),
                Arg::Str(format!("{host}:{p}")),
            ],
        )),
    }
}

/// IST0101 `host+subset in destinationrule` / `mirror+subset in destinationrule`.
pub fn destination_rules(objs: &[Object<'_>]) -> Vec<Message> {
    let mut known: HashSet<(String, String, String)> = HashSet::new();
    for dr in of_istio_kind(objs, "DestinationRule") {
        let spec = dr.spec();
        let fqdn = hosts::to_fqdn(&dr.namespace, str_of(spec, "host"));
        let (ns, name) = hosts::resource_name(&dr.namespace, &fqdn);
        for subset in arr(spec, "subsets") {
            known.insert((ns.clone(), name.clone(), str_of(subset, "name").to_string()));
        }
    }
    let mut out = Vec::new();
    for vs in of_istio_kind(objs, "VirtualService") {
        let spec = vs.spec();
        let groups = [
            ("host+subset in destinationrule", route_destinations(spec)),
            (
                "mirror+subset in destinationrule",
                mirror_destinations(spec),
            ),
        ];
        for (reftype, dests) in groups {
            for dest in dests {
                let subset = str_of(dest, "subset");
                if subset.is_empty() {
                    continue;
                }
                let host = hosts::dest_host(dest);
                let (ns, name) = hosts::resource_name(&vs.namespace, host);
                if !known.contains(&(ns, name, subset.to_string())) {
                    out.push(Message::new(
                        REFERENCED_RESOURCE_NOT_FOUND,
                        vs,
                        &[
                            Arg::Str(reftype.into()),
                            Arg::Str(format!("{host}+{subset}")),
                        ],
                    ));
                }
            }
        }
    }
    out
}

/// IST0101 `gateway` for unknown gateways and IST0132 when no VirtualService host is served by
/// the gateway (also reported for unknown gateways, which serve nothing).
pub fn gateways(objs: &[Object<'_>]) -> Vec<Message> {
    let mut out = Vec::new();
    for vs in of_istio_kind(objs, "VirtualService") {
        let spec = vs.spec();
        let vs_hosts = strs(spec, "hosts");
        for gw_ref in strs(spec, "gateways") {
            if gw_ref == MESH_GATEWAY {
                continue;
            }
            let (gw_ns, gw_name) = match gw_ref.split_once('/') {
                Some((ns, name)) => (ns.to_string(), name),
                None => (vs.namespace.clone(), gw_ref),
            };
            let gateway =
                of_istio_kind(objs, "Gateway").find(|g| g.namespace == gw_ns && g.name == gw_name);
            if gateway.is_none() {
                out.push(Message::new(
                    REFERENCED_RESOURCE_NOT_FOUND,
                    vs,
                    &[Arg::Str("gateway".into()), Arg::Str(gw_ref.into())],
                ));
            }
            let served = gateway
                .map(|g| hosts::gateway_hosts_for(g.spec(), &g.namespace, &vs.namespace))
                .unwrap_or_default();
            let found = served
                .iter()
                .any(|gh| vs_hosts.iter().any(|vh| hosts::host_matches(gh, vh)));
            if !found {
                out.push(Message::new(
                    VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY,
                    vs,
                    &[
                        Arg::Strs(vs_hosts.iter().map(|h| h.to_string()).collect()),
                        Arg::Str(vs.full_name()),
                        Arg::Str(format!("{gw_ns}/{gw_name}")),
                    ],
                ));
            }
        }
    }
    out
}
