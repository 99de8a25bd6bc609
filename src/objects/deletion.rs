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
