//! Host names as Istio's analyzers resolve them: FQDN expansion, export scopes of Services and ServiceEntries, wildcard matching.

use std::collections::BTreeMap;

use serde_json::Value;

use super::object::{arr, int_of, of_kind, str_of, strs, Object};

const KUBE_DOMAIN: &str = "svc.cluster.local";
const EXPORT_ALL: &str = "*";
const EXPORT_LOCAL: &str = ".";
const EXPORT_TO_ANNOTATION: &str = "networking.istio.io/exportTo";

/// `name` → `name.<ns>.svc.cluster.local`; wildcards and dotted names stay as they are.
pub fn to_fqdn(namespace: &str, host: &str) -> String {
    if is_short_name(host) {
        format!("{host}.{namespace}.{KUBE_DOMAIN}")
    } else {
        host.to_string()
    }
}

fn is_short_name(host: &str) -> bool {
    !host.starts_with('*') && !host.contains('.')
}

/// `(namespace, name)` for `name.ns.svc.cluster.local`; the name part takes every label but the last.
fn split_kube_fqdn(host: &str) -> Option<(&str, &str)> {
    let rest = host.strip_suffix(".svc.cluster.local")?;
    let (name, ns) = rest.rsplit_once('.')?;
    (!name.is_empty() && !ns.is_empty()).then_some((ns, name))
}

/// The `(namespace, name)` a destination host designates: a Kubernetes FQDN names its own
/// namespace, anything else is taken as a name in `default_ns`.
pub fn resource_name(default_ns: &str, host: &str) -> (String, String) {
    match split_kube_fqdn(host) {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => (default_ns.to_string(), host.to_string()),
    }
}

/// What a resolved host offers: its port numbers (empty for port-less ServiceEntries) and the
/// workload selector labels of a ServiceEntry. Services carry no selector here: Istio's
/// analyzers turn them into selector-less ServiceEntries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub ports: Vec<i64>,
    pub selector: BTreeMap<String, String>,
}

/// Every Service and ServiceEntry host, keyed by (visibility scope, FQDN). The scope is `*`
/// for hosts exported everywhere, else the one namespace that may see it.
#[derive(Debug, Default)]
pub struct Registry {
    entries: BTreeMap<(String, String), Entry>,
}

// === impl Registry ===

impl Registry {
    pub fn build(objs: &[Object<'_>]) -> Registry {
        let mut entries = BTreeMap::new();
        for se in of_kind(objs, "ServiceEntry") {
            let spec = se.spec();
            let selector = spec
                .get("workloadSelector")
                .and_then(|w| w.get("labels"))
                .and_then(Value::as_object)
                .map(|labels| {
                    labels
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let entry = Entry {
                ports: arr(spec, "ports")
                    .iter()
                    .filter_map(|p| int_of(p, "number"))
                    .collect(),
                selector,
            };
            let export_to = strs(spec, "exportTo");
            for host in strs(spec, "hosts") {
                let fqdn = to_fqdn(&se.namespace, host);
                if export_to.is_empty() || export_to.contains(&EXPORT_ALL) {
                    entries.insert((EXPORT_ALL.to_string(), fqdn), entry.clone());
                    continue;
                }
                for scope in &export_to {
                    let scope = if *scope == EXPORT_LOCAL {
                        se.namespace.as_str()
                    } else {
                        scope
                    };
                    entries.insert((scope.to_string(), fqdn.clone()), entry.clone());
                }
            }
        }
        for svc in of_kind(objs, "Service") {
            let entry = Entry {
                ports: arr(svc.spec(), "ports")
                    .iter()
                    .filter_map(|p| int_of(p, "port"))
                    .collect(),
                selector: BTreeMap::new(),
            };
            let fqdn = to_fqdn(&svc.namespace, svc.name);
            for scope in service_scopes(svc.annotation(EXPORT_TO_ANNOTATION), &svc.namespace) {
                entries.insert((scope, fqdn.clone()), entry.clone());
            }
        }
        Registry { entries }
    }

    /// The entry `host` resolves to for a VirtualService in `source_ns` exported to `export_to`.
    pub fn lookup(&self, source_ns: &str, export_to: &[&str], host: &str) -> Option<&Entry> {
        let fqdn = to_fqdn(source_ns, host);
        let get = |scope: &str| self.entries.get(&(scope.to_string(), fqdn.clone()));
        if let Some(e) = get(EXPORT_ALL) {
            return Some(e);
        }
        if export_to.is_empty() {
            if let Some(e) = get(source_ns) {
                return Some(e);
            }
        } else {
            for scope in export_to {
                let scope = if *scope == EXPORT_LOCAL {
                    source_ns
                } else {
                    scope
                };
                if let Some(e) = get(scope) {
                    return Some(e);
                }
            }
        }
        // Wildcard ServiceEntry hosts visible to the source namespace cover any suffix match.
        let host_tail = host.strip_prefix('*').unwrap_or(host);
        self.entries.iter().find_map(|((scope, se_host), e)| {
            let se_tail = se_host.strip_prefix('*')?;
            let visible = scope == EXPORT_ALL || scope == source_ns;
            (visible && host_tail.ends_with(se_tail)).then_some(e)
        })
    }
}

/// Namespaces a Service is visible from, from its `networking.istio.io/exportTo` annotation.
fn service_scopes(annotation: Option<&str>, own_ns: &str) -> Vec<String> {
    match annotation {
        None | Some("") => vec![EXPORT_ALL.to_string()],
        Some(list) => list
            .split(',')
            .map(|ns| {
                if ns == EXPORT_LOCAL {
                    own_ns.to_string()
                } else {
                    ns.to_string()
                }
            })
            .collect(),
    }
}

/// Istio's host matching: either side may be a `*`-prefixed wildcard.
pub fn host_matches(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a_tail), Some(b_tail)) => {
            if a.len() < b.len() {
                b_tail.ends_with(a_tail)
            } else {
                a_tail.ends_with(b_tail)
            }
        }
        (Some(a_tail), None) => b.ends_with(a_tail),
        (None, Some(b_tail)) => a.ends_with(b_tail),
        (None, None) => a == b,
    }
}

/// Gateway server hosts as seen from `vs_ns`: `ns/host` entries count only for their namespace
/// (or `*`), `./host` means the gateway's own namespace, `*/*` means every host.
pub fn gateway_hosts_for(gateway: &Value, gateway_ns: &str, vs_ns: &str) -> Vec<String> {
    let mut out = Vec::new();
    for server in arr(gateway, "servers") {
        for raw in strs(server, "hosts") {
            let (ns, host) = match raw.split_once('/') {
                Some((".", h)) => (gateway_ns, h),
                Some((ns, h)) => (ns, h),
                None => {
                    out.push(raw.to_string());
                    continue;
                }
            };
            if ns == EXPORT_ALL || ns == vs_ns {
                out.push(host.to_string());
            }
        }
    }
    out
}

/// The destination host of a route/mirror destination ("" when absent).
pub fn dest_host(dest: &Value) -> &str {
    str_of(dest, "host")
}
