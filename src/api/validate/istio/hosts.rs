//! Istio's host, domain, address and label rules (`pkg/config/validation/agent` and
//! `pkg/config/labels`), returning istiod's messages.
//!
//! Istio's DNS-1123 labels allow upper case, unlike Kubernetes'.

use std::net::IpAddr;

use crate::api::validate::field::go_quote;
use crate::api::validate::names;

/// A DNS-1123 label in Istio's (case-insensitive) flavour.
pub(crate) fn is_dns1123_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            value.len() <= names::LABEL_MAX
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// `*`, a label, or a label prefixed by `*` or `*-`.
fn is_wildcard_dns1123_label(value: &str) -> bool {
    if value.len() > names::LABEL_MAX {
        return false;
    }
    if value == "*" {
        return true;
    }
    let rest = value
        .strip_prefix("*-")
        .or_else(|| value.strip_prefix('*'))
        .unwrap_or(value);
    is_dns1123_label(rest)
}

fn dns1123_preconditions(name: &str) -> Result<(), String> {
    if name.len() > 255 {
        return Err(format!("domain name {} too long (max 255)", go_quote(name)));
    }
    if name.is_empty() {
        return Err("empty domain name not allowed".to_string());
    }
    Ok(())
}

fn dns1123_labels(domain: &str) -> Result<(), String> {
    let parts: Vec<&str> = domain.split('.').collect();
    let tld = parts.last().copied().unwrap_or_default();
    if tld.parse::<i64>().is_ok() {
        return Err(format!(
            "domain name {} invalid (top level domain {} cannot be all-numeric)",
            go_quote(domain),
            go_quote(tld)
        ));
    }
    for (i, label) in parts.iter().enumerate() {
        // A trailing dot (`istio.io.`) is allowed.
        if i == parts.len() - 1 && label.is_empty() {
            return Ok(());
        }
        if !is_dns1123_label(label) {
            return Err(format!(
                "domain name {} invalid (label {} invalid)",
                go_quote(domain),
                go_quote(label)
            ));
        }
    }
    Ok(())
}

/// A fully qualified domain name.
pub(crate) fn validate_fqdn(fqdn: &str) -> Result<(), String> {
    dns1123_preconditions(fqdn)?;
    dns1123_labels(fqdn)
}

/// A domain name whose first label may be a wildcard (`*.example.com`, `*`).
pub(crate) fn validate_wildcard_domain(domain: &str) -> Result<(), String> {
    dns1123_preconditions(domain)?;
    let (first, rest) = match domain.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (domain, None),
    };
    if !is_wildcard_dns1123_label(first) {
        return Err(format!(
            "domain name {} invalid (label {} invalid)",
            go_quote(domain),
            go_quote(first)
        ));
    }
    rest.map_or(Ok(()), dns1123_labels)
}

/// Like [`validate_wildcard_domain`], but accepts the `outbound_.<port>_...` names that
/// Istio generates for SNI routing through gateways.
pub(crate) fn validate_wildcard_domain_for_gateway(sni: bool, domain: &str) -> Result<(), String> {
    dns1123_preconditions(domain)?;
    let (first, rest) = match domain.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (domain, None),
    };
    if sni && first == "outbound_" {
        let ok = domain
            .strip_prefix("outbound_")
            .and_then(|r| r.chars().nth(1))
            .is_some_and(|c| ('0'..='8').contains(&c));
        return if ok {
            Ok(())
        } else {
            Err(format!(
                "domain name {} invalid (label {} invalid)",
                go_quote(domain),
                go_quote(first)
            ))
        };
    }
    if !is_wildcard_dns1123_label(first) {
        return Err(format!(
            "domain name {} invalid (label {} invalid)",
            go_quote(domain),
            go_quote(first)
        ));
    }
    rest.map_or(Ok(()), dns1123_labels)
}

/// Whether the text is an IPv4 or IPv6 address.
pub(crate) fn is_ip(addr: &str) -> bool {
    addr.parse::<IpAddr>().is_ok()
}

/// `<addr> is not a valid IP`.
pub(crate) fn validate_ip(addr: &str) -> Result<(), String> {
    if is_ip(addr) {
        Ok(())
    } else {
        Err(format!("{addr} is not a valid IP"))
    }
}

/// An IP address or a CIDR block.
pub(crate) fn validate_ip_subnet(subnet: &str) -> Result<(), String> {
    if subnet.matches('/').count() == 1 {
        let (ip, bits) = subnet.split_once('/').unwrap_or_default();
        let max = match ip.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => 32,
            Ok(IpAddr::V6(_)) => 128,
            Err(_) => return Err(format!("{subnet} is not a valid CIDR block")),
        };
        let bits_ok = !bits.is_empty()
            && bits.bytes().all(|b| b.is_ascii_digit())
            && (bits.len() == 1 || !bits.starts_with('0'))
            && bits.parse::<u32>().is_ok_and(|b| b <= max);
        return if bits_ok {
            Ok(())
        } else {
            Err(format!("{subnet} is not a valid CIDR block"))
        };
    }
    validate_ip(subnet)
}

/// `partial wildcard "a*.com" not allowed`.
pub(crate) fn validate_partial_wildcard(host: &str) -> Result<(), String> {
    if host.contains('*') && host.len() != 1 && !host.starts_with("*.") {
        return Err(format!("partial wildcard {} not allowed", go_quote(host)));
    }
    Ok(())
}

fn sidecar_or_gateway_hostname_part(hostname: &str, is_gateway: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if hostname != "*" && !hostname.contains('.') {
        errs.push("short names (non FQDN) are not allowed".to_string());
    }
    if let Err(e) = validate_wildcard_domain(hostname) {
        if !is_gateway {
            errs.push(e.clone());
        }
        // Gateways also accept IP addresses as hosts.
        if !is_ip(hostname) {
            errs.push(e);
        }
    }
    if let Err(e) = validate_partial_wildcard(hostname) {
        errs.push(e);
    }
    errs
}

/// A `namespace/dnsName` host of a gateway server or sidecar egress listener.
pub(crate) fn namespace_slash_wildcard_hostname(hostname: &str, is_gateway: bool) -> Vec<String> {
    let Some((ns, name)) = hostname.split_once('/') else {
        if is_gateway {
            // Old style host in the gateway, without a namespace.
            return sidecar_or_gateway_hostname_part(hostname, true);
        }
        return vec!["host must be of form namespace/dnsName".to_string()];
    };
    let mut errs = Vec::new();
    if ns.is_empty() || name.is_empty() {
        errs.push("config namespace and dnsName in host entry cannot be empty".to_string());
    }
    let (allowed, kind): (&[&str], &str) = if is_gateway {
        (&["*", "."], "gateway")
    } else {
        (&["*", ".", "~"], "sidecar")
    };
    if !allowed.contains(&ns) && !is_dns1123_label(ns) {
        errs.push(format!(
            "invalid namespace value {} in {kind}",
            go_quote(ns)
        ));
    }
    errs.extend(sidecar_or_gateway_hostname_part(name, is_gateway));
    errs
}

/// The gateway names a VirtualService (or a match) binds to.
pub(crate) fn gateway_name(name: &str) -> Vec<String> {
    let Some((ns, gw)) = name.split_once('/') else {
        return validate_fqdn(name).err().into_iter().collect();
    };
    let mut errs = Vec::new();
    if ns.is_empty() || gw.is_empty() {
        errs.push("config namespace and gateway name cannot be empty".to_string());
    }
    if !is_dns1123_label(ns) {
        errs.push(format!("invalid value for namespace: {}", go_quote(ns)));
    }
    if !is_dns1123_label(gw) {
        errs.push(format!("invalid value for gateway name: {}", go_quote(gw)));
    }
    errs
}

/// Istio label maps (`sourceLabels`, subset labels): `invalid tag key/value`.
pub(crate) fn labels<'a>(
    labels: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Vec<String> {
    let mut errs = Vec::new();
    for (k, v) in labels {
        if !names::qualified_name(k).is_empty() {
            errs.push(format!("invalid tag key: {}", go_quote(k)));
        }
        if !names::label_value(v).is_empty() {
            errs.push(format!("invalid tag value: {}", go_quote(v)));
        }
    }
    errs
}

/// Whether host `a` and host `b` overlap (`host.Name.Matches`).
pub(crate) fn hosts_match(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a_rest), Some(b_rest)) => {
            if a.len() < b.len() {
                b_rest.ends_with(a_rest)
            } else {
                a_rest.ends_with(b_rest)
            }
        }
        (Some(a_rest), None) => b.ends_with(a_rest),
        (None, Some(b_rest)) => a.ends_with(b_rest),
        (None, None) => a == b,
    }
}

/// Whether every name matched by `a` is matched by `b` (`host.Name.SubsetOf`).
pub(crate) fn host_subset_of(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a_rest), Some(b_rest)) => a_rest.ends_with(b_rest),
        (Some(_), None) => false,
        (None, Some(b_rest)) => a.ends_with(b_rest),
        (None, None) => a == b,
    }
}

/// `port number N must be in the range 1..65535`.
pub(crate) fn validate_port(port: i64) -> Result<(), String> {
    if (1..=65535).contains(&port) {
        Ok(())
    } else {
        Err(format!("port number {port} must be in the range 1..65535"))
    }
}

/// A unix domain socket path (after the `unix://` prefix).
pub(crate) fn validate_unix_address(addr: &str) -> Result<(), String> {
    if addr.is_empty() {
        return Err("unix address must not be empty".to_string());
    }
    if addr.starts_with('@') {
        return Ok(());
    }
    if !addr.starts_with('/') || addr.ends_with('/') {
        return Err(format!("{addr} is not an absolute path to a file"));
    }
    Ok(())
}
