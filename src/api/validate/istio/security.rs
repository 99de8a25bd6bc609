//! `PeerAuthentication` and `AuthorizationPolicy` validation (security.istio.io).

use serde_json::Value;

use super::{crd_object, hosts, namespace_of, selector_labels, spec, Errs};
use crate::api::istio::{
    AuthorizationAction, AuthorizationPolicy, PeerAuthentication, PolicyTargetReference,
};
use crate::api::validate::field::FieldPath;
use crate::api::validate::Report;

pub(crate) fn peer_authentication(obj: &Value) -> Report {
    crd_object(obj, |pa: &PeerAuthentication, _meta, errs| {
        let path = spec();
        let empty_selector = pa
            .selector
            .as_ref()
            .is_none_or(|s| s.match_labels.is_empty());
        let port_path = path.child("portLevelMtls");
        if let Some(ports) = &pa.port_level_mtls {
            if empty_selector && !ports.is_empty() {
                errs.err(
                    &port_path,
                    "mesh/namespace peer authentication cannot have port level mTLS",
                );
            }
            if ports.is_empty() {
                errs.err(
                    &port_path,
                    "port level mTLS, if defined, must have at least one element",
                );
            }
            for port in ports.keys() {
                match port.parse::<u32>() {
                    Ok(p) if (1..=65535).contains(&p) => {}
                    _ => errs.err(&port_path.child(port), "port must be in range 1..65535"),
                }
            }
        }
        if let Some(sel) = &pa.selector {
            selector_labels(
                errs,
                &sel.match_labels,
                &path.child("selector").child("matchLabels"),
            );
        }
    })
}

pub(crate) fn authorization_policy(obj: &Value) -> Report {
    crd_object(obj, |ap: &AuthorizationPolicy, meta, errs| {
        // istiod prefixes every error of a policy with its name.
        let prefix = format!(
            "invalid policy {}.{}: ",
            meta.name.as_deref().unwrap_or_default(),
            namespace_of(meta)
        );
        let mut policy_errs = Errs::default();
        policy_checks(&mut policy_errs, ap);
        errs.schema.append(&mut policy_errs.schema);
        for mut cause in policy_errs.webhook {
            cause.message = format!("{prefix}{}", cause.message);
            errs.webhook.push(cause);
        }
    })
}

fn policy_checks(errs: &mut Errs, ap: &AuthorizationPolicy) {
    let path = spec();
    let selectors = usize::from(ap.selector.is_some())
        + usize::from(ap.target_ref.is_some())
        + usize::from(!ap.target_refs.is_empty());
    if selectors > 1 {
        errs.err(
            &path,
            "only one of targetRefs or workloadSelector can be set",
        );
    }
    if let Some(sel) = &ap.selector {
        selector_labels(
            errs,
            &sel.match_labels,
            &path.child("selector").child("matchLabels"),
        );
    }
    if let Some(target) = &ap.target_ref {
        target_ref(errs, target, &path.child("targetRef"));
    }
    for (i, target) in ap.target_refs.iter().enumerate() {
        target_ref(errs, target, &path.child("targetRefs").index(i));
    }
    let rules_path = path.child("rules");
    if ap.action == AuthorizationAction::Custom {
        match &ap.rules {
            None => errs.err(
                &rules_path,
                "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request",
            ),
            Some(_) => {
                if ap.provider.as_ref().is_none_or(|p| p.name.is_empty()) {
                    errs.err(&path.child("provider").child("name"), "`provider.name` must not be empty");
                }
            }
        }
        for (i, rule) in ap.rules.iter().flatten().enumerate() {
            let at = rules_path.index(i);
            for (j, from) in rule.from.iter().flatten().enumerate() {
                let Some(src) = &from.source else { continue };
                let sp = at.child("from").index(j).child("source");
                for (set, name) in [
                    (!src.namespaces.is_empty(), "From.Namespaces"),
                    (!src.not_namespaces.is_empty(), "From.NotNamespaces"),
                    (!src.principals.is_empty(), "From.Principals"),
                    (!src.not_principals.is_empty(), "From.NotPrincipals"),
                    (!src.request_principals.is_empty(), "From.RequestPrincipals"),
                    (
                        !src.not_request_principals.is_empty(),
                        "From.NotRequestPrincipals",
                    ),
                ] {
                    if set {
                        errs.err(
                            &sp,
                            format!("{name} is currently not supported with CUSTOM action"),
                        );
                    }
                }
            }
            for (j, when) in rule.when.iter().enumerate() {
                let key = when.key.as_deref().unwrap_or_default();
                if key == "source.namespace"
                    || key == "source.principal"
                    || key.starts_with("request.auth.")
                {
                    errs.err(
                        &at.child("when").index(j),
                        format!("{key} is currently not supported with CUSTOM action"),
                    );
                }
            }
        }
    }
    if ap.provider.is_some() && ap.action != AuthorizationAction::Custom {
        errs.err(
            &path.child("provider"),
            format!(
                "`provider` must not be with non CUSTOM action, found {}",
                action_name(ap.action)
            ),
        );
    }
    if ap.action == AuthorizationAction::Deny && ap.rules.is_none() {
        errs.err(
            &rules_path,
            "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request",
        );
    }
    for (i, rule) in ap.rules.iter().flatten().enumerate() {
        let at = rules_path.index(i);
        if rule.from.as_ref().is_some_and(Vec::is_empty) {
            errs.err(
                &at.child("from"),
                format!("`from` must not be empty, found at rule {i}"),
            );
        }
        for (j, from) in rule.from.iter().flatten().enumerate() {
            let fp = at.child("from").index(j);
            let Some(src) = &from.source else {
                errs.err(
                    &fp,
                    format!("`from.source` must not be nil, found at rule {i}"),
                );
                continue;
            };
            let sp = fp.child("source");
            let lists: [(&[String], &str, &str); 12] = [
                (&src.principals, "Principals", "principals"),
                (
                    &src.request_principals,
                    "RequestPrincipals",
                    "requestPrincipals",
                ),
                (&src.namespaces, "Namespaces", "namespaces"),
                (&src.service_accounts, "ServiceAccounts", "serviceAccounts"),
                (&src.ip_blocks, "IpBlocks", "ipBlocks"),
                (&src.remote_ip_blocks, "RemoteIpBlocks", "remoteIpBlocks"),
                (&src.not_principals, "NotPrincipals", "notPrincipals"),
                (
                    &src.not_request_principals,
                    "NotRequestPrincipals",
                    "notRequestPrincipals",
                ),
                (&src.not_namespaces, "NotNamespaces", "notNamespaces"),
                (
                    &src.not_service_accounts,
                    "NotServiceAccounts",
                    "notServiceAccounts",
                ),
                (&src.not_ip_blocks, "NotIpBlocks", "notIpBlocks"),
                (
                    &src.not_remote_ip_blocks,
                    "NotRemoteIpBlocks",
                    "notRemoteIpBlocks",
                ),
            ];
            if lists.iter().all(|(l, _, _)| l.is_empty()) {
                errs.err(
                    &sp,
                    format!("`from.source` must not be empty, found at rule {i}"),
                );
            }
            for (list, field) in [
                (&src.ip_blocks, "ipBlocks"),
                (&src.not_ip_blocks, "notIpBlocks"),
                (&src.remote_ip_blocks, "remoteIpBlocks"),
                (&src.not_remote_ip_blocks, "notRemoteIpBlocks"),
            ] {
                for ip in list {
                    errs.check(&sp.child(field), ip_or_cidr(ip));
                }
            }
            for (list, name, field) in lists {
                if list.iter().any(String::is_empty) {
                    errs.err(
                        &sp.child(field),
                        format!("empty value not allowed, found in {name}"),
                    );
                }
            }
        }
        if rule.to.as_ref().is_some_and(Vec::is_empty) {
            errs.err(
                &at.child("to"),
                format!("`to` must not be empty, found at rule {i}"),
            );
        }
        for (j, to) in rule.to.iter().flatten().enumerate() {
            let tp = at.child("to").index(j);
            let Some(op) = &to.operation else {
                errs.err(
                    &tp,
                    format!("`to.operation` must not be nil, found at rule {i}"),
                );
                continue;
            };
            let op_path = tp.child("operation");
            let lists: [(&[String], &str, &str); 8] = [
                (&op.ports, "Ports", "ports"),
                (&op.methods, "Methods", "methods"),
                (&op.paths, "Paths", "paths"),
                (&op.hosts, "Hosts", "hosts"),
                (&op.not_ports, "NotPorts", "notPorts"),
                (&op.not_methods, "NotMethods", "notMethods"),
                (&op.not_paths, "NotPaths", "notPaths"),
                (&op.not_hosts, "NotHosts", "notHosts"),
            ];
            if lists.iter().all(|(l, _, _)| l.is_empty()) {
                errs.err(
                    &op_path,
                    format!("`to.operation` must not be empty, found at rule {i}"),
                );
            }
            for (list, field) in [(&op.ports, "ports"), (&op.not_ports, "notPorts")] {
                for port in list {
                    errs.check(&op_path.child(field), port_string(port));
                }
            }
            for (list, name, field) in lists {
                if list.iter().any(String::is_empty) {
                    errs.err(
                        &op_path.child(field),
                        format!("empty value not allowed, found in {name}"),
                    );
                }
            }
        }
        for (j, condition) in rule.when.iter().enumerate() {
            let cp = at.child("when").index(j);
            let Some(key) = &condition.key else {
                errs.required(&cp.child("key"));
                continue;
            };
            if key.is_empty() {
                errs.err(&cp.child("key"), "`key` must not be empty");
            } else if condition.values.is_empty() && condition.not_values.is_empty() {
                errs.err(
                    &cp,
                    format!("at least one of `values` or `notValues` must be set for key {key}"),
                );
            } else {
                if let Err(e) = attribute(key, &condition.values) {
                    errs.err(
                        &cp.child("values"),
                        format!("invalid `value` for `key` {key}: {e}"),
                    );
                }
                if let Err(e) = attribute(key, &condition.not_values) {
                    errs.err(
                        &cp.child("notValues"),
                        format!("invalid `notValue` for `key` {key}: {e}"),
                    );
                }
            }
        }
    }
}

fn action_name(action: AuthorizationAction) -> &'static str {
    match action {
        AuthorizationAction::Allow => "ALLOW",
        AuthorizationAction::Deny => "DENY",
        AuthorizationAction::Audit => "AUDIT",
        AuthorizationAction::Custom => "CUSTOM",
    }
}

fn target_ref(errs: &mut Errs, target: &PolicyTargetReference, path: &FieldPath) {
    if target.name.is_empty() {
        errs.err(&path.child("name"), "targetRef name must be set");
    }
    if !target.namespace.is_empty() {
        errs.err(
            &path.child("namespace"),
            "targetRef namespace must not be set; cross namespace referencing is not supported",
        );
    }
    let group = if target.group.is_empty() {
        "core"
    } else {
        target.group.as_str()
    };
    let allowed = matches!(
        (group, target.kind.as_str()),
        ("core", "Service")
            | ("networking.istio.io", "ServiceEntry")
            | ("gateway.networking.k8s.io", "Gateway")
    );
    if !allowed {
        errs.err(
            path,
            format!(
                "targetRef must be to one of [core/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway] but was {}/{}",
                target.group, target.kind
            ),
        );
    }
}

fn ip_or_cidr(value: &str) -> Result<(), String> {
    if value.contains('/') {
        hosts::validate_ip_subnet(value).map_err(|_| {
            format!("bad CIDR range ({value}): netip.ParsePrefix({value:?}): invalid prefix")
        })
    } else if hosts::is_ip(value) {
        Ok(())
    } else {
        Err(format!("bad IP address ({value})"))
    }
}

fn port_string(port: &str) -> Result<(), String> {
    match port.parse::<u64>() {
        Ok(p) if p > 65535 => Err(format!("bad port ({port}): <nil>")),
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "bad port ({port}): strconv.ParseUint: parsing {port:?}: invalid syntax"
        )),
    }
}

/// The condition keys istiod understands, with their value rules.
fn attribute(key: &str, values: &[String]) -> Result<(), String> {
    let exact = [
        "source.ip",
        "remote.ip",
        "source.namespace",
        "source.principal",
        "source.serviceAccount",
        "request.auth.principal",
        "request.auth.audiences",
        "request.auth.presenter",
        "destination.ip",
        "destination.port",
        "connection.sni",
    ];
    let known = exact.contains(&key)
        || (key.starts_with("request.headers[") && key.ends_with(']'))
        || (key.starts_with("request.auth.claims[") && key.ends_with(']'))
        || key.starts_with("experimental.envoy.filters.");
    if !known {
        return Err(format!("unknown attribute ({key})"));
    }
    match key {
        "source.ip" | "remote.ip" | "destination.ip" => {
            values.iter().try_for_each(|v| ip_or_cidr(v))
        }
        "destination.port" => values.iter().try_for_each(|v| port_string(v)),
        _ => Ok(()),
    }
}
