//! `ServiceEntry` validation (istiod's `ValidateServiceEntry`).

use std::collections::HashSet;

use serde_json::Value;

use super::ports::{validate_port_name, validate_protocol, Protocol};
use super::{crd_object, hosts, namespace_of, selector_labels, spec, Errs};
use crate::api::istio::{Resolution, ServiceEntry, WorkloadEntry};
use crate::api::validate::field::{go_quote, FieldPath};
use crate::api::validate::Report;

const UNIX_PREFIX: &str = "unix://";

pub(crate) fn service_entry(obj: &Value) -> Report {
    crd_object(obj, |se: &ServiceEntry, meta, errs| {
        let path = spec();
        if let Some(sel) = &se.workload_selector {
            let before = errs.webhook.len();
            selector_labels(
                errs,
                &sel.labels,
                &path.child("workloadSelector").child("labels"),
            );
            if errs.webhook.len() > before {
                // istiod rejects a bad selector before looking at anything else.
                return;
            }
        }
        if se.workload_selector.is_some() && se.endpoints.is_some() {
            errs.err(
                &path,
                "only one of WorkloadSelector or Endpoints is allowed in Service Entry",
            );
        }
        let host_list = match &se.hosts {
            None => {
                errs.required(&path.child("hosts"));
                &[][..]
            }
            Some(list) => list.as_slice(),
        };
        if se.hosts.as_ref().is_some_and(Vec::is_empty) {
            errs.err(
                &path.child("hosts"),
                "service entry must have at least one host",
            );
        }
        for (i, host) in host_list.iter().enumerate() {
            let at = path.child("hosts").index(i);
            if host == "*" {
                errs.err(&at, format!("invalid host {host}"));
            } else {
                errs.check(&at, hosts::validate_wildcard_domain(host));
            }
        }
        let mut cidr = false;
        for (i, address) in se.addresses.iter().enumerate() {
            cidr |= address.contains('/');
            errs.check(
                &path.child("addresses").index(i),
                hosts::validate_ip_subnet(address),
            );
        }
        if cidr && !matches!(se.resolution, Resolution::None | Resolution::Static) {
            errs.err(
                &path.child("addresses"),
                "CIDR addresses are allowed only for NONE/STATIC resolution types",
            );
        }

        let mut port_names: HashSet<&str> = HashSet::new();
        let mut port_numbers = HashSet::new();
        for (i, port) in se.ports.iter().enumerate() {
            let at = path.child("ports").index(i);
            let (Some(number), Some(name)) = (port.number, port.name.as_deref()) else {
                if port.number.is_none() {
                    errs.required(&at.child("number"));
                }
                if port.name.is_none() {
                    errs.required(&at.child("name"));
                }
                continue;
            };
            if !port_names.insert(name) {
                errs.err(
                    &at.child("name"),
                    format!("service entry port name {} already defined", go_quote(name)),
                );
            }
            if !port_numbers.insert(number) {
                errs.err(
                    &at.child("number"),
                    format!("service entry port {number} already defined"),
                );
            }
            if port.target_port != 0 {
                errs.check(
                    &at.child("targetPort"),
                    hosts::validate_port(i64::from(port.target_port)),
                );
            }
            errs.check(&at.child("name"), validate_port_name(name));
            errs.check(&at.child("protocol"), validate_protocol(&port.protocol));
            errs.check(&at.child("number"), hosts::validate_port(i64::from(number)));
        }

        let endpoints = se.endpoints.as_deref().unwrap_or_default();
        let endpoints_path = path.child("endpoints");
        let resolution = resolution_name(se.resolution);
        match se.resolution {
            Resolution::None => {
                if !endpoints.is_empty() {
                    errs.err(
                        &endpoints_path,
                        "no endpoints should be provided for resolution type none",
                    );
                }
            }
            Resolution::Static => {
                for (i, ep) in endpoints.iter().enumerate() {
                    workload_entry(errs, ep, &port_names, &endpoints_path.index(i));
                }
            }
            Resolution::Dns | Resolution::DnsRoundRobin => {
                if endpoints.is_empty() {
                    for (i, host) in host_list.iter().enumerate() {
                        if hosts::validate_fqdn(host).is_err() {
                            errs.err(
                                &path.child("hosts").index(i),
                                format!("hosts must be FQDN if no endpoints are provided for resolution mode {resolution}"),
                            );
                        }
                    }
                }
                if se.resolution == Resolution::DnsRoundRobin && endpoints.len() > 1 {
                    errs.err(
                        &endpoints_path,
                        format!(
                            "there must only be 0 or 1 endpoint for resolution mode {resolution}"
                        ),
                    );
                }
                for (i, ep) in endpoints.iter().enumerate() {
                    let at = endpoints_path.index(i);
                    if !hosts::is_ip(&ep.address) && hosts::validate_fqdn(&ep.address).is_err() {
                        errs.err(
                            &at.child("address"),
                            format!(
                                "endpoint address {} is not a valid FQDN or an IP address",
                                go_quote(&ep.address)
                            ),
                        );
                    }
                    errs.errs(&at.child("labels"), hosts::labels(&ep.labels));
                    endpoint_ports(errs, ep, &port_names, &at.child("ports"));
                }
            }
        }
        // Plain TCP cannot tell several hosts apart, unless hosts are ignored (NONE).
        if se.resolution != Resolution::None && host_list.len() > 1 {
            let ambiguous = se.ports.iter().any(|p| {
                let protocol = Protocol::parse(&p.protocol);
                !protocol.is_http() && !protocol.is_tls()
            });
            if ambiguous {
                errs.err(
                    &path,
                    "multiple hosts provided with non-HTTP, non-TLS ports",
                );
            }
        }
        super::export_to(
            errs,
            namespace_of(meta),
            &se.export_to,
            &path.child("exportTo"),
            true,
            false,
        );
    })
}

fn resolution_name(resolution: Resolution) -> &'static str {
    match resolution {
        Resolution::None => "NONE",
        Resolution::Static => "STATIC",
        Resolution::Dns => "DNS",
        Resolution::DnsRoundRobin => "DNS_ROUND_ROBIN",
    }
}

/// A static endpoint (`validateWorkloadEntry` without FQDN addresses).
fn workload_entry(
    errs: &mut Errs,
    ep: &WorkloadEntry,
    service_ports: &HashSet<&str>,
    path: &FieldPath,
) {
    if ep.address.is_empty() {
        if ep.network.is_empty() {
            errs.err(&path.child("address"), "address is required");
            return;
        }
    } else if let Some(socket) = ep.address.strip_prefix(UNIX_PREFIX) {
        errs.check(&path.child("address"), hosts::validate_unix_address(socket));
        if !ep.ports.is_empty() {
            errs.err(
                &path.child("ports"),
                format!("unix endpoint {} must not include ports", ep.address),
            );
        }
        if service_ports.len() != 1 {
            errs.err(path, "exactly 1 service port required for unix endpoints");
        }
    } else if !hosts::is_ip(&ep.address) {
        errs.err(
            &path.child("address"),
            format!(
                "endpoint address {} is not a valid IP address",
                go_quote(&ep.address)
            ),
        );
    }
    endpoint_ports(errs, ep, service_ports, &path.child("ports"));
    errs.errs(&path.child("labels"), hosts::labels(&ep.labels));
}

fn endpoint_ports(
    errs: &mut Errs,
    ep: &WorkloadEntry,
    service_ports: &HashSet<&str>,
    path: &FieldPath,
) {
    for (name, port) in &ep.ports {
        let at = path.child(name);
        if !service_ports.contains(name.as_str()) {
            errs.err(
                &at,
                format!("endpoint port {port} is not defined by the service entry"),
            );
        }
        errs.check(&at, validate_port_name(name));
        errs.check(&at, hosts::validate_port(i64::from(*port)));
    }
}
