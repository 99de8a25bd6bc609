//! Mesh gateway host analyzer: VirtualServices bound to the mesh that claim the same host (IST0109).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::catalogue::{Arg, CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS};
use super::hosts::{host_matches, to_fqdn};
use super::object::{of_istio_kind, strs, Object};
use super::Message;

const MESH_GATEWAY: &str = "mesh";
const EXPORT_ALL: &str = "*";
const EXPORT_LOCAL: &str = ".";

/// A host as seen from one visibility scope: (`*` or a namespace, FQDN).
type ScopedHost = (String, String);

/// Whether a VirtualService applies to sidecars: no gateways at all, or `mesh` among them.
fn bound_to_mesh(spec: &serde_json::Value) -> bool {
    let gateways = strs(spec, "gateways");
    gateways.is_empty() || gateways.contains(&MESH_GATEWAY)
}

/// Where a VirtualService is visible: `*` when exported everywhere (no `exportTo`, or `*`
/// among it), else each listed namespace with `.` meaning its own.
fn scopes(export_to: &[&str], own_ns: &str) -> BTreeSet<String> {
    if export_to.is_empty() || export_to.contains(&EXPORT_ALL) {
        return BTreeSet::from([EXPORT_ALL.to_string()]);
    }
    export_to
        .iter()
        .map(|e| if *e == EXPORT_LOCAL { own_ns } else { e }.to_string())
        .collect()
}

/// Mesh-bound VirtualServices per scoped host, each list in `ns/name` order.
fn mesh_hosts<'o, 'a>(objs: &'o [Object<'a>]) -> BTreeMap<ScopedHost, Vec<&'o Object<'a>>> {
    let mut vss: Vec<&Object<'_>> = of_istio_kind(objs, "VirtualService")
        .filter(|vs| bound_to_mesh(vs.spec()))
        .collect();
    // Sorted so that the names listed in the message do not depend on input order.
    vss.sort_by_key(|vs| vs.full_name());
    let mut out: BTreeMap<ScopedHost, Vec<&Object<'_>>> = BTreeMap::new();
    for vs in vss {
        let spec = vs.spec();
        for scope in scopes(&strs(spec, "exportTo"), &vs.namespace) {
            for host in strs(spec, "hosts") {
                let key = (scope.clone(), to_fqdn(&vs.namespace, host));
                out.entry(key).or_default().push(vs);
            }
        }
    }
    out
}

/// IST0109 on each mesh-bound VirtualService that shares a host with another one in the
/// same scope. A namespace-scoped host also conflicts with everything exported everywhere
/// whose host matches it (wildcards included). Each VirtualService is reported once, for the
/// first conflict in (scope, host) order.
pub fn conflicting(objs: &[Object<'_>]) -> Vec<Message> {
    let hosts = mesh_hosts(objs);
    let mut reported: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for ((scope, fqdn), own) in &hosts {
        let mut list = own.clone();
        if scope != EXPORT_ALL {
            for ((other_scope, other_host), vss) in &hosts {
                if other_scope == EXPORT_ALL && host_matches(fqdn, other_host) {
                    list.extend(vss.iter().copied());
                }
            }
        }
        if list.len() < 2 {
            continue;
        }
        let names: Vec<String> = list.iter().map(|vs| vs.full_name()).collect();
        let names = names.join(",");
        for vs in &list {
            if reported.insert(vs.full_name()) {
                out.push(Message::new(
                    CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS,
                    vs,
                    &[Arg::Str(names.clone()), Arg::Str(format!("{scope}/{fqdn}"))],
                ));
            }
        }
    }
    out
}
