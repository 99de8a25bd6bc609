//! The control loop: watch Deployments, ReplicaSets, Pods and Services (through
//! [`crate::store::watcher`]), and apply what `deployment` and `replicaset` decide —
//! level-triggered, a namespace at a time — plus owner-based garbage collection (what a deleted
//! owner owned goes too).

use super::{deployment, endpoints, replicaset};
use crate::admission::Admission;
use crate::api::meta;
use crate::api::resources::{self, Resource};
use crate::objects::{self, Note};
use crate::store::watcher::{self, Watcher};
use crate::store::{Error as StoreError, Store};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How often every namespace is reconciled even without events (progress deadlines, missed work).
const RESYNC: Duration = Duration::from_secs(10);

/// Run until the store goes away.
pub async fn run(store: Store, admission: Arc<Admission>) {
    let deploys = resources::lookup("deployments.apps").expect("deployments are served");
    let rses = resources::lookup("replicasets.apps").expect("replicasets are served");
    let pods = resources::core("pods");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    for res in [deploys, rses, pods, resources::core("services")] {
        let (store, tx) = (store.clone(), tx.clone());
        tokio::spawn(async move { feed(store, res, tx).await });
    }
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    let mut tick = tokio::time::interval(RESYNC);
    loop {
        tokio::select! {
            ns = rx.recv() => match ns {
                Some(ns) => { dirty.insert(ns); }
                None => return,
            },
            _ = tick.tick() => {
                if let Ok((all, _)) = store.list(&deploys.key_prefix()) {
                    dirty.extend(all.iter().filter_map(|d| meta::namespace(d).map(str::to_string)));
                }
            }
        }
        // Take whatever else arrived, then reconcile each namespace once.
        while let Ok(ns) = rx.try_recv() {
            dirty.insert(ns);
        }
        for ns in std::mem::take(&mut dirty) {
            if let Err(e) = reconcile_namespace(&store, &admission, &ns, deploys, rses, pods).await
            {
                tracing::warn!(namespace = %ns, error = %e, "reconciling workloads failed; will retry");
            }
        }
    }
}

/// Turn every change of `res` into "namespace X needs a look" (a listing — at the start, or
/// after falling behind — marks every namespace it shows).
async fn feed(
    store: Store,
    res: &'static Resource,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) {
    let mut watcher = Watcher::new(store, res.key_prefix());
    while let Some(ev) = watcher.next().await {
        let objects = match &ev {
            watcher::Event::Init(all) => all.as_slice(),
            watcher::Event::Apply(o) | watcher::Event::Delete(o) => std::slice::from_ref(o),
        };
        let namespaces: BTreeSet<&str> = objects.iter().filter_map(meta::namespace).collect();
        for ns in namespaces {
            if tx.send(ns.to_string()).is_err() {
                return;
            }
        }
    }
}

async fn reconcile_namespace(
    store: &Store,
    admission: &Admission,
    ns: &str,
    deploys: &'static Resource,
    rses: &'static Resource,
    pods_res: &'static Resource,
) -> Result<(), StoreError> {
    let in_ns = |r: &Resource| format!("{}{ns}/", r.key_prefix());
    let now = chrono::Utc::now();
    let (deployments, _) = store.list(&in_ns(deploys))?;
    let (replicasets, _) = store.list(&in_ns(rses))?;
    let (pods, _) = store.list(&in_ns(pods_res))?;
    for d in deployments.iter().filter(|d| !terminating(d)) {
        for action in deployment::reconcile(d, &replicasets, &pods, now) {
            match action {
                deployment::Action::CreateReplicaSet(rs) => {
                    let msg = format!(
                        "Scaled up replica set {} from 0 to {}",
                        meta::name(&rs),
                        replicas(&rs)
                    );
                    objects::create(store, admission, rses, ns, rs).await;
                    event(
                        store,
                        admission,
                        d,
                        "ScalingReplicaSet",
                        &msg,
                        "deployment-controller",
                    )
                    .await;
                }
                deployment::Action::UpdateReplicaSet(rs) => {
                    let was = replicasets
                        .iter()
                        .find(|r| meta::name(r) == meta::name(&rs))
                        .map(replicas)
                        .unwrap_or(0);
                    let wanted = replicas(&rs);
                    if was != wanted {
                        let dir = if wanted > was { "up" } else { "down" };
                        let msg = format!(
                            "Scaled {dir} replica set {} from {was} to {wanted}",
                            meta::name(&rs)
                        );
                        event(
                            store,
                            admission,
                            d,
                            "ScalingReplicaSet",
                            &msg,
                            "deployment-controller",
                        )
                        .await;
                    }
                    objects::replace(store, admission, rses, ns, rs, None).await;
                }
                deployment::Action::DeleteReplicaSet { name } => {
                    delete(store, admission, rses, ns, &name, Default::default()).await
                }
                deployment::Action::UpdateStatus(status) => {
                    set_status(store, admission, deploys, ns, d, status).await
                }
            }
        }
    }
    let (replicasets, _) = store.list(&in_ns(rses))?;
    for rs in replicasets.iter().filter(|r| !terminating(r)) {
        for action in replicaset::reconcile(rs, &pods, now) {
            match action {
                replicaset::Action::CreatePod(p) => {
                    let msg = format!("Created pod: {}", meta::name(&p));
                    objects::create(store, admission, pods_res, ns, p).await;
                    event(
                        store,
                        admission,
                        rs,
                        "SuccessfulCreate",
                        &msg,
                        "replicaset-controller",
                    )
                    .await;
                }
                replicaset::Action::DeletePod { name } => {
                    delete(store, admission, pods_res, ns, &name, Default::default()).await;
                    let msg = format!("Deleted pod: {name}");
                    event(
                        store,
                        admission,
                        rs,
                        "SuccessfulDelete",
                        &msg,
                        "replicaset-controller",
                    )
                    .await;
                }
                replicaset::Action::UpdateStatus(status) => {
                    set_status(store, admission, rses, ns, rs, status).await
                }
            }
        }
    }
    sync_endpoints(store, admission, ns, &pods).await?;
    // Garbage collection: objects whose controlling owner no longer exists or is being
    // deleted. Dependents of an owner deleted in the foreground go in the foreground too.
    let owners: HashSet<String> = deployments
        .iter()
        .chain(replicasets.iter())
        .filter(|o| !terminating(o))
        .filter_map(|o| {
            o.pointer("/metadata/uid")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let foreground: Vec<&str> = deployments
        .iter()
        .chain(replicasets.iter())
        .filter_map(foreground_uid)
        .collect();
    for (res, objs) in [(rses, &replicasets), (pods_res, &pods)] {
        for o in objs.iter() {
            let orphaned = o
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                .filter(|r| {
                    matches!(
                        r.get("kind").and_then(Value::as_str),
                        Some("Deployment" | "ReplicaSet")
                    )
                })
                .any(|r| {
                    r.get("uid")
                        .and_then(Value::as_str)
                        .is_some_and(|u| !owners.contains(u))
                });
            if orphaned {
                let policy = match foreground.iter().any(|uid| objects::owned_by(o, uid)) {
                    true => objects::Propagation::Foreground,
                    false => objects::Propagation::Background,
                };
                delete(store, admission, res, ns, meta::name(o), policy).await;
            }
        }
    }
    let levels = [
        (deploys, &deployments, &replicasets),
        (rses, &replicasets, &pods),
    ];
    finish_foreground_deletions(store, admission, ns, levels).await;
    Ok(())
}

/// Whether `obj` is being deleted.
fn terminating(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp").is_some()
}

/// The uid of `obj` if it waits for its dependents (the `foregroundDeletion` finalizer).
fn foreground_uid(obj: &Value) -> Option<&str> {
    let waits = obj
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|f| f == objects::FOREGROUND_FINALIZER));
    waits
        .then(|| obj.pointer("/metadata/uid").and_then(Value::as_str))
        .flatten()
}

/// Remove owners deleted in the foreground once none of their dependents is left.
/// Each level is an owner resource, its objects, and the objects they may own.
async fn finish_foreground_deletions(
    store: &Store,
    admission: &Admission,
    ns: &str,
    levels: [(&Resource, &Vec<Value>, &Vec<Value>); 2],
) {
    for (res, owners, dependents) in levels {
        for owner in owners {
            let Some(uid) = foreground_uid(owner) else {
                continue;
            };
            if dependents.iter().any(|d| objects::owned_by(d, uid)) {
                continue;
            }
            match store
                .delete(&res.key(Some(ns), meta::name(owner)), None)
                .await
            {
                Ok(gone) => admission.deleted(res, &gone),
                Err(e) => tracing::debug!(error = %e, "foreground deletion not finished yet"),
            }
        }
    }
}

fn replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

async fn set_status(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: &str,
    obj: &Value,
    status: Value,
) {
    let mut next = obj.clone();
    next["status"] = status;
    objects::replace(store, admission, res, ns, next, Some("status")).await;
}

async fn delete(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: &str,
    name: &str,
    policy: objects::Propagation,
) {
    let opts = objects::DeleteOptions {
        policy,
        ..Default::default()
    };
    if let Err(e) = objects::delete_propagating(store, admission, res, Some(ns), name, opts).await {
        tracing::debug!(error = %e, name, "controller delete skipped");
    }
}

/// Record a Normal event about `about`.
async fn event(
    store: &Store,
    admission: &Admission,
    about: &Value,
    reason: &str,
    message: &str,
    component: &str,
) {
    objects::record(
        store,
        admission,
        about,
        &Note::normal(component, reason, message),
    )
    .await;
}

/// The endpoints controller: each Service with a selector gets an Endpoints object listing its
/// pods' addresses (ready ones in `addresses`); a Service's Endpoints go with it.
async fn sync_endpoints(
    store: &Store,
    admission: &Admission,
    ns: &str,
    pods: &[Value],
) -> Result<(), StoreError> {
    let svc_res = resources::core("services");
    let ep_res = resources::core("endpoints");
    let (services, _) = store.list(&format!("{}{ns}/", svc_res.key_prefix()))?;
    let (existing, _) = store.list(&format!("{}{ns}/", ep_res.key_prefix()))?;
    for svc in &services {
        let Some(mut want) = endpoints::endpoints_for(svc, pods) else {
            continue;
        };
        match existing.iter().find(|e| meta::name(e) == meta::name(svc)) {
            None => {
                objects::create(store, admission, ep_res, ns, want).await;
            }
            Some(cur) => {
                if cur.get("subsets") == want.get("subsets")
                    && cur.pointer("/metadata/labels") == want.pointer("/metadata/labels")
                {
                    continue;
                }
                // Keep the stored metadata (uid, creationTimestamp…); replace labels and subsets.
                let mut next = cur.clone();
                next["metadata"]["labels"] = want["metadata"]["labels"].take();
                match want.get_mut("subsets").map(Value::take) {
                    Some(s) => next["subsets"] = s,
                    None => {
                        if let Some(o) = next.as_object_mut() {
                            o.remove("subsets");
                        }
                    }
                }
                objects::replace(store, admission, ep_res, ns, next, None).await;
            }
        }
    }
    // Endpoints of Services that are gone (user-made Endpoints of selector-less Services have a
    // Service too, so they stay).
    for ep in &existing {
        if !services.iter().any(|s| meta::name(s) == meta::name(ep)) {
            delete(
                store,
                admission,
                ep_res,
                ns,
                meta::name(ep),
                Default::default(),
            )
            .await;
        }
    }
    Ok(())
}
