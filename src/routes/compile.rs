//! Assembling listeners and virtual hosts for an ingress gateway workload and for sidecars.

use std::collections::BTreeSet;

use super::hosts::{host_matches, intersect, resolve_short_name, service_domains};
use super::rules::{build_routes, qualify_gateway, spec_of, Context, Meta};
use super::{
    Action, GatewayWorkload, Listener, Route, RouterConfig, Snapshot, VirtualHost, WeightedCluster,
};
use crate::api::istio::{Gateway, ServerTlsMode, ServerTlsSettings, VirtualService};

/// One gateway server folded into a listener.
struct BoundServer {
    gateway: String,
    gateway_ns: String,
    hosts: Vec<String>,
    https_redirect: bool,
}

/// A listener under construction.
struct PendingListener {
    port: u16,
    protocol: String,
    tls: Option<ServerTlsSettings>,
    servers: Vec<BoundServer>,
}

/// Whether a listener with this protocol and TLS terminates HTTP (and so takes HTTP routes).
fn serves_http(protocol: &str, tls: Option<&ServerTlsSettings>) -> bool {
    match protocol {
        "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" => true,
        "HTTPS" => tls.is_some_and(|t| {
            !matches!(
                t.mode,
                ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
            )
        }),
        _ => false,
    }
}

/// Whether VirtualService `vs` in `vs_ns` is visible to a proxy in `ns` (`exportTo`).
fn exported_to(vs: &VirtualService, vs_ns: &str, ns: &str) -> bool {
    vs.export_to.is_empty()
        || vs
            .export_to
            .iter()
            .any(|e| e == "*" || e == ns || (e == "." && vs_ns == ns))
}

/// Whether a server host entry `ns/dns` admits VS host `host` of namespace `vs_ns`; returns
/// the resulting virtual-host domain.
fn server_admits(entry: &str, gateway_ns: &str, vs_ns: &str, host: &str) -> Option<String> {
    let (ns, dns) = entry.split_once('/').unwrap_or(("*", entry));
    let ns_ok = ns == "*" || ns == vs_ns || (ns == "." && gateway_ns == vs_ns);
    if !ns_ok {
        return None;
    }
    intersect(host, dns)
}

/// Adds `routes` to the virtual host for `domain`, creating it on first use.
fn add_to_vhost(vhosts: &mut Vec<VirtualHost>, domain: &str, routes: &[Route], redirect: bool) {
    let index = match vhosts.iter().position(|v| v.name == domain) {
        Some(i) => i,
        None => {
            vhosts.push(VirtualHost {
                name: domain.to_string(),
                domains: vec![domain.to_string()],
                routes: Vec::new(),
                https_redirect: false,
            });
            vhosts.len() - 1
        }
    };
    if let Some(vhost) = vhosts.get_mut(index) {
        vhost.routes.extend_from_slice(routes);
        vhost.https_redirect |= redirect;
    }
}

/// Compiles the listeners of the gateway workload `gw` from every Gateway selecting it.
pub fn compile_gateway(s: &Snapshot, gw: &GatewayWorkload) -> RouterConfig {
    let mut ctx = Context::new(s);
    let mut gateways: Vec<(Meta, Gateway)> = Vec::new();
    let mut known = BTreeSet::new();
    for obj in &s.gateways {
        match spec_of::<Gateway>("Gateway", obj) {
            Ok(spec) => {
                let meta = Meta::of(obj);
                known.insert(meta.key());
                let selected = spec
                    .selector
                    .iter()
                    .all(|(k, v)| gw.labels.get(k) == Some(v));
                if selected {
                    gateways.push((meta, spec));
                }
            }
            Err(e) => ctx.warnings.push(e.to_string()),
        }
    }
    gateways.sort_by(|(a, _), (b, _)| {
        (&a.created, &a.name, &a.namespace).cmp(&(&b.created, &b.name, &b.namespace))
    });

    for (meta, vs) in &ctx.virtual_services {
        for g in &vs.gateways {
            let q = qualify_gateway(g, &meta.namespace);
            if q != "mesh" && !known.contains(&q) {
                let warning = format!("VirtualService {}: gateway {q} not found", meta.key());
                ctx.warnings.push(warning);
            }
        }
    }

    let mut pending: Vec<PendingListener> = Vec::new();
    for (meta, spec) in &gateways {
        for (i, server) in spec.servers.iter().enumerate() {
            let where_ = format!("Gateway {}: servers[{i}]", meta.key());
            let Some(number) = server
                .port
                .as_ref()
                .and_then(|p| p.number)
                .and_then(|n| u16::try_from(n).ok())
            else {
                ctx.warnings
                    .push(format!("{where_}: missing or invalid port"));
                continue;
            };
            let protocol = server
                .port
                .as_ref()
                .and_then(|p| p.protocol.as_deref())
                .unwrap_or("HTTP")
                .to_ascii_uppercase();
            // resolvePorts: a server port naming a Service port binds its targetPort.
            let bind = gw
                .service_ports
                .iter()
                .find(|(port, _)| *port == number)
                .map_or(number, |(_, target)| *target);
            let bound = BoundServer {
                gateway: meta.key(),
                gateway_ns: meta.namespace.clone(),
                hosts: server.hosts.clone().unwrap_or_default(),
                https_redirect: server.tls.as_ref().is_some_and(|t| t.https_redirect),
            };
            match pending.iter_mut().find(|l| l.port == bind) {
                Some(l) if l.protocol == protocol => l.servers.push(bound),
                Some(l) => ctx.warnings.push(format!(
                    "{where_}: port {number} ({protocol}) conflicts with {} on listener {bind}; ignored",
                    l.protocol
                )),
                None => pending.push(PendingListener {
                    port: bind,
                    protocol,
                    tls: server.tls.clone(),
                    servers: vec![bound],
                }),
            }
        }
    }

    let mut listeners = Vec::new();
    let virtual_services = ctx.virtual_services.clone();
    for l in pending {
        let here: Vec<String> = l.servers.iter().map(|b| b.gateway.clone()).collect();
        let mut vhosts = Vec::new();
        if serves_http(&l.protocol, l.tls.as_ref()) {
            for (meta, vs) in &virtual_services {
                let bound: Vec<String> = vs
                    .gateways
                    .iter()
                    .map(|g| qualify_gateway(g, &meta.namespace))
                    .collect();
                let mut domains: Vec<(String, bool)> = Vec::new();
                for server in l.servers.iter().filter(|b| bound.contains(&b.gateway)) {
                    for host in &vs.hosts {
                        let host = resolve_short_name(host, &meta.namespace);
                        for entry in &server.hosts {
                            if let Some(d) =
                                server_admits(entry, &server.gateway_ns, &meta.namespace, &host)
                            {
                                match domains.iter_mut().find(|(x, _)| *x == d) {
                                    Some(found) => found.1 |= server.https_redirect,
                                    None => domains.push((d, server.https_redirect)),
                                }
                            }
                        }
                    }
                }
                if domains.is_empty() {
                    continue;
                }
                let routes = build_routes(&mut ctx, meta, vs, &here, None, &gw.namespace);
                for (domain, redirect) in &domains {
                    add_to_vhost(&mut vhosts, domain, &routes, *redirect);
                }
            }
        }
        listeners.push(Listener {
            port: l.port,
            protocol: l.protocol,
            virtual_hosts: vhosts,
            tls: l.tls,
            gateways: here,
        });
    }
    listeners.sort_by_key(|l| l.port);
    RouterConfig {
        listeners,
        warnings: dedup(ctx.warnings),
    }
}

/// Protocol of a Service port from `appProtocol` or the `<protocol>[-suffix]` name.
fn port_protocol(name: &str, app_protocol: &str) -> String {
    let declared = if app_protocol.is_empty() {
        name.split('-').next().unwrap_or_default()
    } else {
        app_protocol
    };
    let upper = declared.to_ascii_uppercase();
    match upper.as_str() {
        "HTTP" | "HTTP2" | "HTTPS" | "GRPC" | "GRPC-WEB" | "TCP" | "TLS" | "UDP" | "MONGO"
        | "REDIS" | "MYSQL" => upper,
        _ => "AUTO".to_string(),
    }
}

/// Compiles what a sidecar in `namespace` applies to outbound HTTP calls: one listener per
/// Service port, one virtual host per Service on it, routed by the mesh-bound
/// VirtualServices (most specific host wins) or straight to the Service.
pub fn compile_sidecar(s: &Snapshot, namespace: &str) -> RouterConfig {
    let mut ctx = Context::new(s);
    let mesh = vec!["mesh".to_string()];
    // Mesh-bound, visible VirtualServices with their resolved hosts.
    let visible: Vec<(Meta, VirtualService, Vec<String>)> = ctx
        .virtual_services
        .iter()
        .filter(|(m, vs)| {
            (vs.gateways.is_empty() || vs.gateways.iter().any(|g| g == "mesh"))
                && exported_to(vs, &m.namespace, namespace)
        })
        .map(|(m, vs)| {
            let hosts = vs
                .hosts
                .iter()
                .map(|h| resolve_short_name(h, &m.namespace))
                .collect();
            (m.clone(), vs.clone(), hosts)
        })
        .collect();
    for (meta, _, hosts) in &visible {
        for host in hosts {
            if !host.contains('*') && ctx.service(host).is_none() {
                ctx.warnings.push(format!(
                    "VirtualService {}: host {host} matches no Service",
                    meta.key()
                ));
            }
        }
    }

    let mut services = ctx.services.clone();
    services.sort_by(|a, b| a.fqdn.cmp(&b.fqdn));
    let mut listeners: Vec<Listener> = Vec::new();
    for svc in &services {
        // The most specific VS host covering the Service decides which VSs apply.
        let best = visible
            .iter()
            .flat_map(|(_, _, hosts)| hosts.iter())
            .filter(|h| host_matches(&svc.fqdn, h))
            .max_by_key(|h| (!h.starts_with('*'), h.len()))
            .cloned();
        for (port, name, app_protocol) in &svc.ports {
            let routes: Vec<Route> = match &best {
                Some(best) => {
                    let mut routes = Vec::new();
                    for (meta, vs, hosts) in &visible {
                        if hosts.contains(best) {
                            routes.extend(build_routes(
                                &mut ctx,
                                meta,
                                vs,
                                &mesh,
                                Some(*port),
                                namespace,
                            ));
                        }
                    }
                    routes
                }
                None => vec![default_route(&svc.fqdn, *port)],
            };
            let vhost = VirtualHost {
                name: format!("{}:{port}", svc.fqdn),
                domains: service_domains(&svc.meta.name, &svc.meta.namespace, namespace),
                routes,
                https_redirect: false,
            };
            match listeners.iter_mut().find(|l| l.port == *port) {
                Some(l) => l.virtual_hosts.push(vhost),
                None => listeners.push(Listener {
                    port: *port,
                    protocol: port_protocol(name, app_protocol),
                    virtual_hosts: vec![vhost],
                    tls: None,
                    gateways: Vec::new(),
                }),
            }
        }
    }
    listeners.sort_by_key(|l| l.port);
    RouterConfig {
        listeners,
        warnings: dedup(ctx.warnings),
    }
}

/// The route a Service gets when no VirtualService covers it.
fn default_route(fqdn: &str, port: u16) -> Route {
    Route {
        name: Some("default".to_string()),
        matches: Vec::new(),
        action: Action::Route(vec![WeightedCluster {
            host: fqdn.to_string(),
            port: Some(port),
            weight: 100,
            ..WeightedCluster::default()
        }]),
        rewrite: None,
        policy: Default::default(),
        source: String::new(),
    }
}

/// Drops repeated warnings, keeping first occurrences in order.
fn dedup(warnings: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    warnings
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .collect()
}
