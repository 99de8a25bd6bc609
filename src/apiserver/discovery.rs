//! Discovery documents: `/api`, `/apis`, `/api/v1`, `/apis/<g>/<v>` in the legacy format, and the
//! aggregated (`apidiscovery.k8s.io/v2`) form when a client asks for it.

use crate::api::resources::{self, Resource, RESOURCES};
use serde_json::{json, Value};

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// The content type of an aggregated discovery answer, when `accept` asks for one.
pub fn aggregated_type(accept: &str) -> Option<&'static str> {
    if !accept.contains("as=APIGroupDiscoveryList") {
        return None;
    }
    // Answer with the first version the client listed that we speak.
    for part in accept.split(',') {
        if part.contains("as=APIGroupDiscoveryList") {
            if part.contains("v=v2beta1") {
                return Some(
                    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
                );
            }
            if part.contains("v=v2") {
                return Some(
                    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
                );
            }
        }
    }
    None
}

/// `GET /api`.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

/// `GET /apis`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = resources::groups()
        .into_iter()
        .map(|(g, vs)| group(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`.
pub fn api_group(name: &str) -> Option<Value> {
    let (g, vs) = resources::groups().into_iter().find(|(g, _)| *g == name)?;
    let mut v = group(g, vs);
    v["kind"] = json!("APIGroup");
    v["apiVersion"] = json!("v1");
    Some(v)
}

fn group(name: &str, versions: &[&str]) -> Value {
    let gvs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({"name": name, "versions": gvs, "preferredVersion": gvs[0].clone()})
}

/// `GET /api/v1` or `/apis/<g>/<v>`.
pub fn resource_list(group: &str, version: &str) -> Value {
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let mut list = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.versions.contains(&version))
    {
        list.push(json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced(), "kind": r.kind,
            "verbs": VERBS, "shortNames": r.short_names, "categories": r.categories,
            "storageVersionHash": ""
        }));
        for sub in r.subresources {
            list.push(json!({
                "name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced(),
                "kind": sub_kind(r, sub), "verbs": sub_verbs(sub)
            }));
        }
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list})
}

fn sub_kind(r: &Resource, sub: &str) -> &'static str {
    match sub {
        "scale" => "Scale",
        "exec" => "PodExecOptions",
        "log" => "Pod",
        _ => r.kind,
    }
}

fn sub_verbs(sub: &str) -> Vec<&'static str> {
    match sub {
        "log" => vec!["get"],
        "exec" => vec!["create", "get"],
        "finalize" => vec!["update"],
        _ => vec!["get", "patch", "update"],
    }
}

/// The aggregated form of `/api` (core only) or `/apis` (every named group).
pub fn aggregated(core: bool, content_type: &str) -> Value {
    let api_version = if content_type.contains("v2beta1") {
        "apidiscovery.k8s.io/v2beta1"
    } else {
        "apidiscovery.k8s.io/v2"
    };
    let groups: Vec<(&str, &[&str])> = if core {
        vec![("", &["v1"][..])]
    } else {
        resources::groups()
    };
    let items: Vec<Value> = groups
        .into_iter()
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let res: Vec<Value> = RESOURCES
                        .iter()
                        .filter(|r| r.group == g && r.versions.contains(v))
                        .map(|r| {
                            let subs: Vec<Value> = r
                                .subresources
                                .iter()
                                .map(|s| json!({"subresource": s, "responseKind": {"group": g, "version": v, "kind": sub_kind(r, s)}, "verbs": sub_verbs(s)}))
                                .collect();
                            json!({
                                "resource": r.plural, "singularResource": r.singular,
                                "responseKind": {"group": g, "version": v, "kind": r.kind},
                                "scope": if r.namespaced() { "Namespaced" } else { "Cluster" },
                                "verbs": VERBS, "shortNames": r.short_names, "categories": r.categories,
                                "subresources": subs
                            })
                        })
                        .collect();
                    json!({"version": v, "resources": res, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items})
}
