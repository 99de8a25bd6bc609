//! The control plane's side of the config stream: whenever Services, Endpoints, Pods, Istio's
//! networking objects or the gateway's TLS Secrets change, publish the mesh's snapshot to every
//! proxy through the `xds` hub. Each proxy compiles its own view of it ([`crate::proxy`]).

use crate::api::{meta, resources};
use crate::store::watcher::Trigger;
use crate::store::Store;
use crate::xds::Hub;
use serde_json::{json, Value};

/// Keep `hub` publishing the current registry until aborted.
pub async fn run(store: Store, hub: Hub) {
    let prefixes = WATCHED
        .iter()
        .filter_map(|plural| resources::lookup(plural))
        .map(|res| res.key_prefix());
    let mut changes = Trigger::new(&store, prefixes);
    let mut last = Value::Null;
    while changes.changed().await {
        let config = snapshot(&store);
        if config != last {
            hub.publish(config.clone());
            last = config;
        }
    }
}

/// The kinds whose changes are published.
const WATCHED: [&str; 7] = [
    "services",
    "endpoints",
    "pods",
    "gateways.networking.istio.io",
    "virtualservices.networking.istio.io",
    "destinationrules.networking.istio.io",
    "secrets",
];

/// A pod as proxies need it: identity, labels, containers' names and host ports.
fn trim_pod(pod: &Value) -> Value {
    let containers: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| json!({"name": c.get("name").cloned().unwrap_or(Value::Null)}))
        .collect();
    let host_ports = meta::annotations(pod)
        .get(crate::api::node::HOST_PORTS_ANNOTATION)
        .cloned();
    json!({
        "metadata": {
            "name": meta::name(pod),
            "namespace": meta::namespace(pod).unwrap_or("default"),
            "labels": pod.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
            "annotations": {crate::api::node::HOST_PORTS_ANNOTATION: host_ports},
        },
        "spec": {"containers": containers},
    })
}

/// The snapshot every proxy gets.
pub fn snapshot(store: &Store) -> Value {
    let list = |plural: &str| {
        resources::lookup(plural)
            .and_then(|res| store.list(&res.key_prefix()).ok())
            .map(|(items, _)| items)
            .unwrap_or_default()
    };
    let pods: Vec<Value> = list("pods")
        .iter()
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .map(trim_pod)
        .collect();
    // Only the gateway's namespace holds the certificates its HTTPS servers name.
    let secrets: Vec<Value> = list("secrets")
        .into_iter()
        .filter(|s| meta::namespace(s) == Some(super::gateway::NAMESPACE))
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("kubernetes.io/tls"))
        .collect();
    json!({
        "services": list("services"),
        "endpoints": list("endpoints"),
        "pods": pods,
        "gateways": list("gateways.networking.istio.io"),
        "virtualservices": list("virtualservices.networking.istio.io"),
        "destinationrules": list("destinationrules.networking.istio.io"),
        "secrets": secrets,
    })
}
