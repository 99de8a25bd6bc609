//! `VirtualService` validation (istiod's `ValidateVirtualService`): hosts, gateways, TLS and
//! TCP rules.

use serde_json::Value;

use super::http_route::http_route;
use super::matching::is_jwt_claim;
use super::{crd_object, destination, go_list, hosts, namespace_of, spec, Errs};
use crate::api::istio::{L4MatchAttributes, RouteDestination, TlsMatchAttributes, VirtualService};
use crate::api::validate::field::{go_quote, FieldPath};
use crate::api::validate::Report;

pub(crate) fn virtual_service(obj: &Value) -> Report {
    crd_object(obj, |vs: &VirtualService, meta, errs| {
        let path = spec();
        let delegate = vs.hosts.is_empty();
        if delegate {
            if !vs.gateways.is_empty() {
                errs.err(
                    &path.child("gateways"),
                    "delegate virtual service must have no gateways specified",
                );
            }
            if !vs.tls.is_empty() {
                errs.err(
                    &path.child("tls"),
                    "delegate virtual service must have no tls route specified",
                );
            }
            if !vs.tcp.is_empty() {
                errs.err(
                    &path.child("tcp"),
                    "delegate virtual service must have no tcp route specified",
                );
            }
        }
        // A VirtualService without gateways applies to the mesh; one that lists gateways
        // applies to them, and to the mesh only when `mesh` is listed.
        let (applies_to_mesh, applies_to_gateway) = if vs.gateways.is_empty() {
            (true, false)
        } else {
            for (i, name) in vs.gateways.iter().enumerate() {
                errs.errs(&path.child("gateways").index(i), hosts::gateway_name(name));
            }
            let gateway = is_gateway(vs);
            (!gateway, gateway)
        };
        if !applies_to_gateway {
            for (i, http) in vs.http.iter().enumerate() {
                for (j, m) in http.match_.iter().enumerate() {
                    let at = path.child("http").index(i).child("match").index(j);
                    for key in m
                        .headers
                        .keys()
                        .chain(m.without_headers.keys())
                        .filter(|k| is_jwt_claim(k))
                    {
                        errs.err(
                            &at,
                            format!(
                                "JWT claim based routing (key: {key}) is only supported for gateway, found no gateways: {}",
                                go_list(&vs.gateways)
                            ),
                        );
                    }
                }
            }
        }
        let sni = vs
            .tls
            .iter()
            .any(|t| t.match_.iter().any(|m| !m.sni_hosts.is_empty()));
        let mut all_hosts_valid = true;
        for (i, host) in vs.hosts.iter().enumerate() {
            let at = path.child("hosts").index(i);
            let result = if applies_to_gateway {
                hosts::validate_wildcard_domain_for_gateway(sni, host)
            } else {
                hosts::validate_wildcard_domain(host)
            };
            match result {
                Err(e) if !hosts::is_ip(host) => {
                    errs.err(&at, e);
                    all_hosts_valid = false;
                }
                Ok(()) if applies_to_mesh && host == "*" => {
                    errs.err(&at, "wildcard host * is not allowed for virtual services bound to the mesh gateway");
                    all_hosts_valid = false;
                }
                _ => {}
            }
        }
        if all_hosts_valid {
            for (i, a) in vs.hosts.iter().enumerate() {
                for (j, b) in vs.hosts.iter().enumerate().skip(i + 1) {
                    if hosts::hosts_match(a, b) {
                        errs.err(
                            &path.child("hosts").index(j),
                            format!("duplicate hosts in virtual service: {a} & {b}"),
                        );
                    }
                }
            }
        }
        if vs.http.is_empty() && vs.tcp.is_empty() && vs.tls.is_empty() {
            errs.err(
                &path,
                "http, tcp or tls must be provided in virtual service",
            );
        }
        for (i, route) in vs.http.iter().enumerate() {
            http_route(errs, route, delegate, &path.child("http").index(i));
        }
        for (i, route) in vs.tls.iter().enumerate() {
            let at = path.child("tls").index(i);
            if route.match_.is_empty() {
                errs.err(&at, "TLS route must have at least one match condition");
            }
            for (j, m) in route.match_.iter().enumerate() {
                tls_match(errs, m, vs, &at.child("match").index(j));
            }
            if route.route.is_empty() {
                errs.err(&at, "TLS route is required");
            }
            route_destinations(errs, &route.route, &at.child("route"));
        }
        for (i, route) in vs.tcp.iter().enumerate() {
            let at = path.child("tcp").index(i);
            for (j, m) in route.match_.iter().enumerate() {
                l4_match(errs, m, &at.child("match").index(j));
            }
            if route.route.is_empty() {
                errs.err(&at, "TCP route is required");
            }
            route_destinations(errs, &route.route, &at.child("route"));
        }
        super::export_to(
            errs,
            namespace_of(meta),
            &vs.export_to,
            &path.child("exportTo"),
            false,
            false,
        );
    })
}

/// True unless the reserved `mesh` gateway is listed.
fn is_gateway(vs: &VirtualService) -> bool {
    !vs.gateways.iter().any(|g| g == "mesh")
}

fn route_destinations(errs: &mut Errs, routes: &[RouteDestination], path: &FieldPath) {
    let mut total: i64 = 0;
    for (i, route) in routes.iter().enumerate() {
        let at = path.index(i);
        match &route.destination {
            None => errs.required(&at.child("destination")),
            Some(dest) => destination(errs, dest, &at.child("destination")),
        }
        weight(errs, route.weight, &at.child("weight"));
        total += i64::from(route.weight);
    }
    if routes.len() > 1 && total == 0 {
        errs.err(path, "total destination weight = 0");
    }
}

pub(super) fn weight(errs: &mut Errs, weight: i32, path: &FieldPath) {
    if weight < 0 {
        errs.err(path, format!("weight {weight} < 0"));
    }
}

fn tls_match(errs: &mut Errs, m: &TlsMatchAttributes, vs: &VirtualService, path: &FieldPath) {
    if m.sni_hosts.is_empty() {
        errs.err(
            &path.child("sniHosts"),
            "TLS match must have at least one SNI host",
        );
    }
    for (i, sni) in m.sni_hosts.iter().enumerate() {
        let at = path.child("sniHosts").index(i);
        let result = if is_gateway(vs) {
            hosts::validate_wildcard_domain_for_gateway(true, sni)
        } else {
            hosts::validate_wildcard_domain(sni)
        };
        match result {
            // An IP address only earns a warning.
            Err(_) if hosts::is_ip(sni) => {}
            Err(e) => errs.err(&at, e),
            Ok(()) => {
                if !vs.hosts.iter().any(|h| hosts::host_subset_of(sni, h)) {
                    errs.err(
                        &at,
                        format!(
                            "SNI host {} is not a compatible subset of any of the virtual service hosts: [{}]",
                            go_quote(sni),
                            vs.hosts.join(", ")
                        ),
                    );
                }
            }
        }
    }
    for (i, subnet) in m.destination_subnets.iter().enumerate() {
        errs.check(
            &path.child("destinationSubnets").index(i),
            hosts::validate_ip_subnet(subnet),
        );
    }
    if m.port != 0 {
        errs.check(&path.child("port"), hosts::validate_port(i64::from(m.port)));
    }
    errs.errs(&path.child("sourceLabels"), hosts::labels(&m.source_labels));
    for (i, gw) in m.gateways.iter().enumerate() {
        errs.errs(&path.child("gateways").index(i), hosts::gateway_name(gw));
    }
}

fn l4_match(errs: &mut Errs, m: &L4MatchAttributes, path: &FieldPath) {
    for (i, subnet) in m.destination_subnets.iter().enumerate() {
        errs.check(
            &path.child("destinationSubnets").index(i),
            hosts::validate_ip_subnet(subnet),
        );
    }
    if m.port != 0 {
        errs.check(&path.child("port"), hosts::validate_port(i64::from(m.port)));
    }
    errs.errs(&path.child("sourceLabels"), hosts::labels(&m.source_labels));
    for (i, gw) in m.gateways.iter().enumerate() {
        errs.errs(&path.child("gateways").index(i), hosts::gateway_name(gw));
    }
}
