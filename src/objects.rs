//! Writes by the components inside `up` (controllers, kubelet): through admission into the
//! store, as kube-controller-manager and the kubelet write through the API — plus Events and
//! graceful deletion, which both need; and the analysis that turns into apply-time warnings.

pub mod analysis;
mod deletion;
mod events;
mod injection;
pub mod managed;

pub use deletion::{
    delete, delete_propagating, dependents_of, owned_by, Deleted, Options as DeleteOptions,
    Propagation, FOREGROUND_FINALIZER,
};
pub use events::{record, EventType, Note};
use injection::inject_if_wanted;

use crate::admission::{Admission, FieldValidation};
use crate::api::meta;
use crate::api::resources::Resource;
use crate::store::{Change, Error as StoreError, Store};
use serde_json::Value;

/// The admission chain of a create, for API requests and internal writes alike: the mutating
/// step (sidecar injection for Pods), then defaults, validation and allocation.
pub fn admit_new(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    version: &str,
    ns: Option<&str>,
    obj: Value,
    fv: FieldValidation,
) -> Result<crate::admission::Admitted, crate::api::status::ApiError> {
    let obj = if res.kind == "Pod" {
        inject_if_wanted(store, ns.unwrap_or("default"), obj)?
    } else {
        obj
    };
    admission.create(res, version, ns, obj, fv)
}

/// Create `obj`. Each write here may lose a race with a user's write; the writer's next pass
/// sees the new state and decides again, so failures are logged, not retried.
pub async fn create(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: &str,
    obj: Value,
) -> Option<Value> {
    let admitted = match admit_new(
        store,
        admission,
        res,
        res.version(),
        Some(ns),
        obj,
        FieldValidation::Ignore,
    ) {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "an internal write of a {} was refused", res.kind);
            return None;
        }
    };
    let key = res.key(Some(ns), meta::name(&admitted.object));
    match store.create(&key, admitted.object).await {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::debug!(error = %e, %key, "internal create skipped");
            None
        }
    }
}

/// Replace the object (or, with `sub = Some("status")`, only its status) with `obj`, unless
/// nothing would change.
pub async fn replace(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: &str,
    obj: Value,
    sub: Option<&str>,
) -> Option<Value> {
    let name = meta::name(&obj).to_string();
    edit(store, admission, res, ns, &name, sub, |cur| *cur = obj).await
}

/// Change one object with `edit` (re-read and re-applied on conflicts by the store), skipping
/// the write when `edit` changes nothing. Used for the kubelet's status and annotations.
pub async fn edit<F>(
    store: &Store,
    admission: &Admission,
    res: &Resource,
    ns: &str,
    name: &str,
    sub: Option<&str>,
    edit: F,
) -> Option<Value>
where
    F: FnOnce(&mut Value),
{
    let key = res.key(Some(ns), name);
    let r = store
        .mutate(&key, |cur| {
            let cur = cur.ok_or(StoreError::NotFound)?;
            let mut next = cur.clone();
            edit(&mut next);
            if next == *cur {
                return Ok(Change::Keep);
            }
            let a = admission
                .update(res, res.version(), cur, next, sub, FieldValidation::Ignore)
                .map_err(|e| StoreError::Rejected(Box::new(e)))?;
            Ok(if a.object == *cur {
                Change::Keep
            } else {
                Change::Put(a.object)
            })
        })
        .await;
    match r {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, %key, "internal edit skipped");
            None
        }
    }
}
