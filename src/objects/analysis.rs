//! Apply-time analysis: after an Istio networking object is written, Istio's analyzers run over
//! the stored configuration and their findings about that object return as `Warning` headers
//! (kubectl and meshlite print them as `Warning: …`).

use crate::api::{meta, resources::Resource};
use crate::store::Store;
use serde_json::{json, Value};

/// The kinds analysis reads, as `(plural, kind, apiVersion)`.
const INPUTS: [(&str, &str, &str); 9] = [
    ("namespaces", "Namespace", "v1"),
    ("services", "Service", "v1"),
    ("pods", "Pod", "v1"),
    ("deployments.apps", "Deployment", "apps/v1"),
    (
        "gateways.networking.istio.io",
        "Gateway",
        "networking.istio.io/v1",
    ),
    (
        "virtualservices.networking.istio.io",
        "VirtualService",
        "networking.istio.io/v1",
    ),
    (
        "destinationrules.networking.istio.io",
        "DestinationRule",
        "networking.istio.io/v1",
    ),
    (
        "serviceentries.networking.istio.io",
        "ServiceEntry",
        "networking.istio.io/v1",
    ),
    (
        "sidecars.networking.istio.io",
        "Sidecar",
        "networking.istio.io/v1",
    ),
];

/// The kinds whose writes are analyzed.
fn analyzed(res: &Resource) -> bool {
    res.group == "networking.istio.io"
        && matches!(res.kind, "Gateway" | "VirtualService" | "DestinationRule")
}

/// Findings about `written` (as stored), one line each, e.g.
/// `[IST0101] (VirtualService default/httpbin) Referenced host+port not found: "httpbin:8001"`.
pub fn warnings(store: &Store, res: &Resource, written: &Value) -> Vec<String> {
    if !analyzed(res) {
        return Vec::new();
    }
    let ns = meta::namespace(written).unwrap_or("default");
    let name = meta::name(written);
    let mut objects = Vec::new();
    for (plural, kind, api_version) in INPUTS {
        let Some(r) = crate::api::resources::lookup(plural) else {
            continue;
        };
        let Ok((items, _)) = store.list(&r.key_prefix()) else {
            continue;
        };
        for mut item in items {
            item["kind"] = json!(kind);
            item["apiVersion"] = json!(api_version);
            objects.push(item);
        }
    }
    crate::analyze::analyze(&objects, Some(ns))
        .into_iter()
        .filter(|m| m.kind == res.kind && m.namespace == ns && m.name_of == name)
        .map(|m| format!("[{}] ({}) {}", m.code, m.friendly_name(), m.text))
        .collect()
}
