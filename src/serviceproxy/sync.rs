//! The node's network loop: follow Services and Endpoints, keep a listener per Service port
//! (`listeners`), keep the name resolver's registry current, and record each ClusterIP's local
//! port on its Service (`meshlite.io/cluster-ports`) so `describe` and pods' variables show it.

use super::{listeners::ServiceProxy, plan, resolver, Bind, Bound, Registry};
use crate::admission::Admission;
use crate::api::{meta, resources};
use crate::objects::{self, Note};
use crate::store::watcher::Trigger;
use crate::store::Store;
use arc_swap::ArcSwap;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::api::node::{CLUSTER_PORTS_ANNOTATION, POD_IP};

/// How often listeners that failed to bind (port taken) are tried again.
const RETRY: Duration = Duration::from_secs(5);

/// Run until aborted: serve the resolver on `resolver_listener` and keep listeners in step.
pub async fn run(
    store: Store,
    admission: Arc<Admission>,
    resolver_listener: tokio::net::TcpListener,
) {
    let registry = Arc::new(ArcSwap::from_pointee(Registry::default()));
    let resolver_task = tokio::spawn(resolver::serve(resolver_listener, registry.clone()));
    let proxy = ServiceProxy::new();
    let services = resources::core("services");
    let endpoints = resources::core("endpoints");
    let mut changes = Trigger::new(&store, [services.key_prefix(), endpoints.key_prefix()]);
    let mut failed_before: HashSet<String> = HashSet::new();
    let mut tick = tokio::time::interval(RETRY);
    loop {
        let (svcs, _) = store.list(&services.key_prefix()).unwrap_or_default();
        let (eps, _) = store.list(&endpoints.key_prefix()).unwrap_or_default();
        registry.store(Arc::new(Registry::new(&svcs, &eps)));
        let bound = proxy.sync(plan::plan(&svcs, &eps)).await;
        record(&store, &admission, &svcs, &bound, &mut failed_before).await;
        tokio::select! {
            more = changes.changed() => if !more { break },
            _ = tick.tick() => {}
        }
    }
    resolver_task.abort();
}

/// Write each Service's local ports annotation, and an event for ports that cannot be bound.
async fn record(
    store: &Store,
    admission: &Admission,
    svcs: &[Value],
    bound: &[Bound],
    failed_before: &mut HashSet<String>,
) {
    let res = resources::core("services");
    let mut failed_now = HashSet::new();
    for svc in svcs {
        let ns = meta::namespace(svc).unwrap_or("default");
        let name = meta::name(svc);
        let mine: Vec<&Bound> = bound
            .iter()
            .filter(|b| b.namespace == ns && b.service == name)
            .collect();
        let mut ports: BTreeMap<String, u16> = BTreeMap::new();
        for b in &mine {
            match (&b.bind, &b.result) {
                (Bind::ClusterPort { .. }, Ok(addr)) => {
                    ports.insert(format!("{}/TCP", b.port), addr.port());
                }
                (_, Err(e)) => {
                    let key = format!("{ns}/{name}/{}", b.port);
                    if !failed_before.contains(&key) {
                        let note = Note::warning("meshlite-proxy", "FailedToListen", e);
                        objects::record(store, admission, svc, &note).await;
                    }
                    failed_now.insert(key);
                }
                _ => {}
            }
        }
        // A LoadBalancer's external address is the machine itself.
        let lb = svc.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer");
        if lb && svc.pointer("/status/loadBalancer/ingress").is_none() {
            objects::edit(store, admission, res, ns, name, Some("status"), |s| {
                s["status"] =
                    json!({"loadBalancer": {"ingress": [{"ip": POD_IP, "ipMode": "VIP"}]}});
            })
            .await;
        }
        let text = serde_json::to_string(&ports).unwrap_or_default();
        let current = svc
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(CLUSTER_PORTS_ANNOTATION))
            .and_then(Value::as_str);
        if !ports.is_empty() && current != Some(text.as_str()) {
            objects::edit(store, admission, res, ns, name, None, |s| {
                meta::metadata_map_mut(s, "annotations")
                    .insert(CLUSTER_PORTS_ANNOTATION.into(), json!(text));
            })
            .await;
        }
    }
    *failed_before = failed_now;
}
