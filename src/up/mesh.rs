//! The control plane's side of the config stream: whenever Services, Endpoints or Pods change,
//! publish the mesh's registry — Services, Endpoints, and each sidecar's inbound port — to
//! every proxy through the `xds` hub.

use crate::api::{meta, resources};
use crate::kubelet;
use crate::store::Store;
use crate::xds::Hub;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The inbound port of Istio's sidecar (the host port it maps to is what peers dial).
const INBOUND: &str = "15006";

/// Keep `hub` publishing the current registry until aborted.
pub async fn run(store: Store, hub: Hub) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for plural in ["services", "endpoints", "pods"] {
        let (store, tx) = (store.clone(), tx.clone());
        tokio::spawn(async move {
            let prefix = resources::core(plural).key_prefix();
            loop {
                let Ok(mut w) = store.watch(&prefix, None) else {
                    return;
                };
                let _ = tx.send(());
                while let Some(ev) = w.next().await {
                    if ev.is_err() || tx.send(()).is_err() {
                        break;
                    }
                }
                if tx.is_closed() {
                    return;
                }
            }
        });
    }
    let mut last = Value::Null;
    while rx.recv().await.is_some() {
        while rx.try_recv().is_ok() {}
        let config = snapshot(&store);
        if config != last {
            hub.publish(config.clone());
            last = config;
        }
    }
}

/// The registry every proxy gets.
pub fn snapshot(store: &Store) -> Value {
    let list = |plural: &str| {
        store
            .list(&resources::core(plural).key_prefix())
            .map(|(items, _)| items)
            .unwrap_or_default()
    };
    let mut sidecars = Map::new();
    for pod in list("pods") {
        if !kubelet::has_sidecar(&pod) || pod.pointer("/metadata/deletionTimestamp").is_some() {
            continue;
        }
        let ports: BTreeMap<String, u16> = meta::annotations(&pod)
            .get(crate::api::node::HOST_PORTS_ANNOTATION)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        if let Some(inbound) = ports.get(INBOUND) {
            sidecars.insert(
                format!(
                    "{}/{}",
                    meta::namespace(&pod).unwrap_or("default"),
                    meta::name(&pod)
                ),
                json!({"inbound": inbound}),
            );
        }
    }
    json!({"services": list("services"), "endpoints": list("endpoints"), "sidecars": sidecars})
}
