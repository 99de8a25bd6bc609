//! Deletion as the API server does it: most objects go at once; a Pod bound to the node is
//! first marked terminating (`deletionTimestamp`, `deletionGracePeriodSeconds`) so the kubelet
//! can stop its containers gracefully, and the kubelet removes it afterwards.

use crate::admission::Admission;
use crate::api::meta;
use crate::api::resources::Resource;
use crate::store::{Change, Error as StoreError, Store};
use serde_json::{json, Value};

/// Kubernetes' default `terminationGracePeriodSeconds`.
const DEFAULT_GRACE_SECONDS: i64 = 30;

/// What a delete did.
#[derive(Debug)]
pub enum Deleted {
    /// The object is gone (its last state).
    Gone(Value),
    /// The object is terminating; the kubelet removes it when its containers have stopped.
    Terminating(Value),
}

// === impl Deleted ===

impl Deleted {
    pub fn object(self) -> Value {
        match self {
            Deleted::Gone(v) | Deleted::Terminating(v) => v,
        }
    }
}

/// Delete `name`: at once, or gracefully for Pods on the node. `grace` is the request's
/// `gracePeriodSeconds` (0 = at once, as `--force --grace-period=0`); `precondition` a
/// required resourceVersion.
pub async fn delete(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: Option<&str>,
    name: &str,
    precondition: Option<&str>,
    grace: Option<i64>,
) -> Result<Deleted, StoreError> {
    let key = res.key(ns, name);
    if res.kind == "Pod" && grace != Some(0) {
        let mut marked = false;
        let r = store
            .mutate(&key, |cur| {
                let cur = cur.ok_or(StoreError::NotFound)?;
                crate::store::check_precondition(cur, precondition)?;
                let bound = cur
                    .pointer("/spec/nodeName")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.is_empty());
                let finished = matches!(
                    cur.pointer("/status/phase").and_then(Value::as_str),
                    Some("Succeeded" | "Failed")
                );
                if !bound || finished {
                    return Ok(Change::Delete);
                }
                let wanted = grace
                    .or_else(|| {
                        cur.pointer("/spec/terminationGracePeriodSeconds")
                            .and_then(Value::as_i64)
                    })
                    .unwrap_or(DEFAULT_GRACE_SECONDS)
                    .max(1);
                let current = cur
                    .pointer("/metadata/deletionGracePeriodSeconds")
                    .and_then(Value::as_i64);
                // A second delete may only shorten the grace period.
                if current.is_some_and(|c| c <= wanted) {
                    marked = true;
                    return Ok(Change::Keep);
                }
                let mut next = cur.clone();
                let at = chrono::Utc::now() + chrono::Duration::seconds(wanted);
                let m = meta::metadata_mut(&mut next);
                m.insert(
                    "deletionTimestamp".into(),
                    json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                );
                m.insert("deletionGracePeriodSeconds".into(), json!(wanted));
                marked = true;
                Ok(Change::Put(next))
            })
            .await?;
        let obj = r.ok_or(StoreError::NotFound)?;
        if marked {
            return Ok(Deleted::Terminating(obj));
        }
        admission.deleted(res, &obj);
        return Ok(Deleted::Gone(obj));
    }
    let gone = store.delete(&key, precondition).await?;
    admission.deleted(res, &gone);
    Ok(Deleted::Gone(gone))
}

/// The finalizer that holds an object deleted in the foreground until its dependents are gone.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

/// What happens to the dependents of a deleted object (`DeleteOptions.propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// The object goes at once; the garbage collector removes its dependents afterwards.
    #[default]
    Background,
    /// The object stays, terminating, until the garbage collector has removed its dependents.
    Foreground,
    /// The dependents stay, with their owner reference removed.
    Orphan,
}

// === impl Propagation ===

impl Propagation {
    /// From `DeleteOptions`: `propagationPolicy`, or the older `orphanDependents`.
    pub fn from_options(opts: &Value) -> Result<Propagation, String> {
        match opts.get("propagationPolicy").and_then(Value::as_str) {
            Some("Background") => Ok(Propagation::Background),
            Some("Foreground") => Ok(Propagation::Foreground),
            Some("Orphan") => Ok(Propagation::Orphan),
            Some(other) => Err(format!(
                "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            )),
            None if opts.get("orphanDependents").and_then(Value::as_bool) == Some(true) => {
                Ok(Propagation::Orphan)
            }
            None => Ok(Propagation::Background),
        }
    }
}

/// The resource whose objects `kind` controls (through a controller owner reference).
pub fn dependents_of(kind: &str) -> Option<&'static Resource> {
    match kind {
        "Deployment" => crate::api::resources::by_kind("apps/v1", "ReplicaSet"),
        "ReplicaSet" => Some(crate::api::resources::core("pods")),
        _ => None,
    }
}

/// Whether `obj` has an owner reference to `uid`.
pub fn owned_by(obj: &Value, uid: &str) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
}

/// How an API client deletes: a required resourceVersion, a grace period in seconds, and
/// what happens to the object's dependents.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// `preconditions.resourceVersion`.
    pub precondition: Option<&'a str>,
    /// `gracePeriodSeconds`.
    pub grace: Option<i64>,
    /// `propagationPolicy`.
    pub policy: Propagation,
}

/// Delete with a propagation policy. Background is [`delete`]; Foreground marks the object
/// terminating with the `foregroundDeletion` finalizer (the controllers finish it); Orphan
/// first removes the object's owner references from its dependents.
pub async fn delete_propagating(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: Option<&str>,
    name: &str,
    opts: Options<'_>,
) -> Result<Deleted, StoreError> {
    let Options {
        precondition,
        grace,
        policy,
    } = opts;
    let Some(dependents) = dependents_of(res.kind) else {
        return delete(store, admission, res, ns, name, precondition, grace).await;
    };
    match policy {
        Propagation::Background => {
            delete(store, admission, res, ns, name, precondition, grace).await
        }
        Propagation::Foreground => {
            let marked = store
                .mutate(&res.key(ns, name), |cur| {
                    let cur = cur.ok_or(StoreError::NotFound)?;
                    crate::store::check_precondition(cur, precondition)?;
                    let mut next = cur.clone();
                    let m = meta::metadata_mut(&mut next);
                    m.entry("deletionTimestamp")
                        .or_insert_with(|| json!(meta::now_rfc3339()));
                    m.entry("deletionGracePeriodSeconds").or_insert(json!(0));
                    let finalizers = m.entry("finalizers").or_insert_with(|| json!([]));
                    if let Some(list) = finalizers.as_array_mut() {
                        if !list.iter().any(|f| f == FOREGROUND_FINALIZER) {
                            list.push(json!(FOREGROUND_FINALIZER));
                        }
                    }
                    Ok(if next == *cur {
                        Change::Keep
                    } else {
                        Change::Put(next)
                    })
                })
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(Deleted::Terminating(marked))
        }
        Propagation::Orphan => {
            let key = res.key(ns, name);
            let owner = store.get(&key)?.ok_or(StoreError::NotFound)?;
            let uid = owner
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let prefix = match ns {
                Some(ns) => format!("{}{ns}/", dependents.key_prefix()),
                None => dependents.key_prefix(),
            };
            let (objs, _) = store.list(&prefix)?;
            for o in objs.iter().filter(|o| owned_by(o, &uid)) {
                let dep_ns = meta::namespace(o).unwrap_or("default").to_string();
                super::edit(
                    store,
                    admission,
                    dependents,
                    &dep_ns,
                    meta::name(o),
                    None,
                    |d| {
                        if let Some(refs) = d
                            .pointer_mut("/metadata/ownerReferences")
                            .and_then(Value::as_array_mut)
                        {
                            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(&uid));
                        }
                        let m = meta::metadata_mut(d);
                        if m.get("ownerReferences")
                            .and_then(Value::as_array)
                            .is_some_and(Vec::is_empty)
                        {
                            m.remove("ownerReferences");
                        }
                    },
                )
                .await;
            }
            delete(store, admission, res, ns, name, precondition, grace).await
        }
    }
}
