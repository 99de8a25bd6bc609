//! `Sidecar` validation (istiod's `ValidateSidecar`).

use std::collections::HashSet;

use serde_json::Value;

use super::destination_rule::connection_pool;
use super::gateway::server_tls;
use super::ports::{validate_port_name, validate_protocol};
use super::{crd_object, destination, hosts, selector_labels, spec, Errs};
use crate::api::istio::{CaptureMode, OutboundTrafficMode, ServerTlsMode, Sidecar, SidecarPort};
use crate::api::validate::field::FieldPath;
use crate::api::validate::Report;

const UNIX_PREFIX: &str = "unix://";

pub(crate) fn sidecar(obj: &Value) -> Report {
    crd_object(obj, |sc: &Sidecar, _meta, errs| {
        let path = spec();
        if let Some(sel) = &sc.workload_selector {
            let before = errs.webhook.len();
            selector_labels(
                errs,
                &sel.labels,
                &path.child("workloadSelector").child("labels"),
            );
            if errs.webhook.len() > before {
                return;
            }
        }
        if sc.egress.is_empty()
            && sc.ingress.is_empty()
            && sc.outbound_traffic_policy.is_none()
            && sc.inbound_connection_pool.is_none()
        {
            errs.err(&path, "sidecar: empty configuration provided");
            return;
        }

        let mut ports = HashSet::new();
        for (i, ingress) in sc.ingress.iter().enumerate() {
            let at = path.child("ingress").index(i);
            let Some(port) = &ingress.port else {
                errs.required(&at.child("port"));
                continue;
            };
            if port.target_port > 0 {
                errs.err(
                    &at.child("port").child("targetPort"),
                    "targetPort has no impact on Sidecars",
                );
            }
            port_and_bind(errs, port, &ingress.bind, &at);
            if !ports.insert(port.number) {
                errs.err(
                    &at.child("port"),
                    "sidecar: ports on IP bound listeners must be unique",
                );
            }
            if !ingress.default_endpoint.is_empty() {
                default_endpoint(
                    errs,
                    &ingress.default_endpoint,
                    &at.child("defaultEndpoint"),
                );
            }
            if let Some(tls) = &ingress.tls {
                let tp = at.child("tls");
                if !tls.subject_alt_names.is_empty() {
                    errs.err(
                        &tp,
                        "sidecar: subjectAltNames is not supported in ingress tls",
                    );
                }
                if tls.https_redirect {
                    errs.err(&tp, "sidecar: httpsRedirect is not supported");
                }
                if !tls.credential_name.is_empty() {
                    errs.err(&tp, "sidecar: credentialName is not currently supported");
                }
                if matches!(
                    tls.mode,
                    ServerTlsMode::IstioMutual | ServerTlsMode::AutoPassthrough
                ) {
                    let mode = if tls.mode == ServerTlsMode::IstioMutual {
                        "ISTIO_MUTUAL"
                    } else {
                        "AUTO_PASSTHROUGH"
                    };
                    errs.err(&tp, format!("configuration is invalid: cannot set mode to {mode} in sidecar ingress tls"));
                }
                server_tls(errs, tls, &tp);
            }
            if let Some(pool) = &ingress.connection_pool {
                connection_pool(errs, pool, &at.child("connectionPool"));
            }
        }
        if let Some(pool) = &sc.inbound_connection_pool {
            connection_pool(errs, pool, &path.child("inboundConnectionPool"));
        }

        let mut ports = HashSet::new();
        let mut sockets = HashSet::new();
        let mut catch_all_seen = false;
        for (i, egress) in sc.egress.iter().enumerate() {
            let at = path.child("egress").index(i);
            match &egress.port {
                // Only the last listener may omit its port (the catch-all).
                None if catch_all_seen => {
                    errs.err(&at, "sidecar: egress can have only one listener with empty port");
                    continue;
                }
                None if i == sc.egress.len() - 1 => catch_all_seen = true,
                None => errs.err(&at, "sidecar: the egress listener with empty port should be the last listener in the list"),
                Some(port) => {
                    if port.target_port > 0 {
                        errs.err(&at.child("port").child("targetPort"), "targetPort has no impact on Sidecars");
                    }
                    egress_port(errs, port, &egress.bind, egress.capture_mode, &at);
                    if port.number == 0 {
                        if !sockets.insert(egress.bind.as_str()) {
                            errs.err(&at.child("bind"), "sidecar: unix domain socket values for listeners must be unique");
                        }
                    } else if !ports.insert(port.number) {
                        errs.err(&at.child("port"), "sidecar: ports on IP bound listeners must be unique");
                    }
                }
            }
            match &egress.hosts {
                None => errs.required(&at.child("hosts")),
                Some(list) if list.is_empty() => {
                    errs.err(
                        &at.child("hosts"),
                        "sidecar: egress listener must contain at least one host",
                    );
                }
                Some(list) => {
                    for (j, host) in list.iter().enumerate() {
                        errs.errs(
                            &at.child("hosts").index(j),
                            hosts::namespace_slash_wildcard_hostname(host, false),
                        );
                    }
                }
            }
        }

        if let Some(policy) = &sc.outbound_traffic_policy {
            let at = path.child("outboundTrafficPolicy");
            if let Some(proxy) = &policy.egress_proxy {
                let pp = at.child("egressProxy");
                if policy.mode != OutboundTrafficMode::AllowAny {
                    errs.err(&pp, "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode");
                    return;
                }
                if let Some(host) = &proxy.host {
                    errs.check(&pp.child("host"), hosts::validate_fqdn(host));
                }
                if proxy.port.is_none() {
                    errs.err(
                        &pp.child("port"),
                        "sidecar: egress_proxy port must be non-nil",
                    );
                    return;
                }
                destination(errs, proxy, &pp);
            }
        }
    })
}

fn port_and_bind(errs: &mut Errs, port: &SidecarPort, bind: &str, path: &FieldPath) {
    let pp = path.child("port");
    if !port.name.is_empty() {
        errs.check(&pp.child("name"), validate_port_name(&port.name));
    }
    errs.check(&pp.child("protocol"), validate_protocol(&port.protocol));
    errs.check(
        &pp.child("number"),
        hosts::validate_port(i64::from(port.number)),
    );
    if !bind.is_empty() {
        errs.check(&path.child("bind"), hosts::validate_ip(bind));
    }
}

fn egress_port(
    errs: &mut Errs,
    port: &SidecarPort,
    bind: &str,
    capture: CaptureMode,
    path: &FieldPath,
) {
    if port.number != 0 {
        port_and_bind(errs, port, bind, path);
        return;
    }
    // Port 0 means a unix domain socket listener.
    let pp = path.child("port");
    if !port.name.is_empty() {
        errs.check(&pp.child("name"), validate_port_name(&port.name));
    }
    errs.check(&pp.child("protocol"), validate_protocol(&port.protocol));
    match bind.strip_prefix(UNIX_PREFIX) {
        None => errs.err(
            &path.child("bind"),
            "sidecar: ports with 0 value must have a unix domain socket bind address",
        ),
        Some(socket) => errs.check(&path.child("bind"), hosts::validate_unix_address(socket)),
    }
    if !matches!(capture, CaptureMode::Default | CaptureMode::None) {
        errs.err(
            &path.child("captureMode"),
            "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners",
        );
    }
}

/// `127.0.0.1:<port>`, `0.0.0.0:<port>`, `[::1]:<port>`, `[::]:<port>`, `:<port>` or a unix socket.
fn default_endpoint(errs: &mut Errs, endpoint: &str, path: &FieldPath) {
    if let Some(socket) = endpoint.strip_prefix(UNIX_PREFIX) {
        errs.check(path, hosts::validate_unix_address(socket));
        return;
    }
    let Some((host, port)) = endpoint.rsplit_once(':') else {
        errs.err(path, format!("address {endpoint}: missing port in address"));
        return;
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if !matches!(host, "" | "127.0.0.1" | "0.0.0.0" | "::1" | "::") {
        errs.err(
            path,
            "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset",
        );
    }
    match port.parse::<i64>() {
        Ok(n) => errs.check(path, hosts::validate_port(n)),
        Err(_) => errs.err(
            path,
            format!("sidecar: defaultEndpoint port ({port}) is not a number: strconv.Atoi: parsing \"{port}\": invalid syntax"),
        ),
    }
}
