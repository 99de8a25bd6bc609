//! Host names: short-name expansion, wildcards, VS/server host intersection, domain choice.

use super::matching::strip_port;
use super::{VirtualHost, CLUSTER_DOMAIN};

/// Expands a short name the way Istio does: `*` and IP addresses stay, a name without any dot
/// becomes `<name>.<namespace>.svc.cluster.local`, anything with a dot is taken literally.
pub fn resolve_short_name(host: &str, namespace: &str) -> String {
    if host == "*" || host.contains('.') || host.contains(':') {
        return host.to_string();
    }
    format!("{host}.{namespace}.svc.{CLUSTER_DOMAIN}")
}

/// Whether every name `host` covers is also covered by `pattern` (`*`, `*.suffix` or exact).
pub fn host_matches(host: &str, pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        // `*.b.com` covers `a.b.com` and `*.a.b.com`, but not `b.com`.
        return match host.strip_prefix('*') {
            Some(host_suffix) => host_suffix.ends_with(suffix),
            None => host.len() > suffix.len() && ends_with_ignore_case(host, suffix),
        };
    }
    host.eq_ignore_ascii_case(pattern)
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text
            .get(text.len() - suffix.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

/// The narrower of two hosts when one contains the other (VS host ∩ server host).
pub(crate) fn intersect(a: &str, b: &str) -> Option<String> {
    if host_matches(a, b) {
        Some(a.to_string())
    } else if host_matches(b, a) {
        Some(b.to_string())
    } else {
        None
    }
}

/// How specific a domain is: exact names beat wildcards, longer wildcards beat shorter ones.
fn specificity(domain: &str, host: &str) -> Option<(u8, usize)> {
    if domain == "*" {
        Some((0, 0))
    } else if let Some(suffix) = domain.strip_prefix('*') {
        (host.len() > suffix.len() && ends_with_ignore_case(host, suffix))
            .then_some((1, suffix.len()))
    } else {
        domain
            .eq_ignore_ascii_case(host)
            .then_some((2, domain.len()))
    }
}

/// The virtual host whose best domain most specifically matches `authority` (port ignored).
pub(crate) fn best_virtual_host<'c>(
    vhosts: &'c [VirtualHost],
    authority: &str,
) -> Option<&'c VirtualHost> {
    let host = strip_port(authority);
    let mut best: Option<((u8, usize), &VirtualHost)> = None;
    for vhost in vhosts {
        for domain in &vhost.domains {
            let Some(score) = specificity(domain, host) else {
                continue;
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, vhost));
            }
        }
    }
    best.map(|(_, v)| v)
}

/// The names a client in `client_ns` may use for Service `name.ns`: the FQDN, `name.ns.svc`,
/// `name.ns`, and the bare `name` only from the same namespace.
pub(crate) fn service_domains(name: &str, ns: &str, client_ns: &str) -> Vec<String> {
    let mut out = vec![
        format!("{name}.{ns}.svc.{CLUSTER_DOMAIN}"),
        format!("{name}.{ns}.svc"),
        format!("{name}.{ns}"),
    ];
    if ns == client_ns {
        out.push(name.to_string());
    }
    out
}

/// Namespace of a `name.ns.svc.cluster.local` host, if it has that shape.
pub(crate) fn fqdn_namespace(host: &str) -> Option<&str> {
    let rest = host.strip_suffix(&format!(".svc.{CLUSTER_DOMAIN}"))?;
    let (_, ns) = rest.rsplit_once('.')?;
    Some(ns)
}
