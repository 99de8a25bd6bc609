//! The `scale` subresource of Deployments and ReplicaSets: an `autoscaling/v1` `Scale` view of
//! `spec.replicas`, read and written as `kubectl scale` does.

use super::{respond, AppState, Query};
use crate::admission::FieldValidation;
use crate::api::meta;
use crate::api::status::{ApiError, ApiResult};
use crate::apiserver::path::ResourcePath;
use crate::objects::managed;
use crate::patch;
use crate::store::{Change, Error as StoreError};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

/// The Scale object for a workload.
fn scale_of(obj: &Value) -> Value {
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            let mut v: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            v.sort();
            v.join(",")
        })
        .unwrap_or_default();
    let m = &obj["metadata"];
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
                     "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector}
    })
}

/// `GET …/scale`
pub fn get(st: &AppState, rp: &ResourcePath, name: &str) -> ApiResult<Response> {
    let key = rp.resource.key(rp.namespace.as_deref(), name);
    let obj = st
        .store
        .get(&key)
        .map_err(|e| super::from_store(e, rp.resource, name))?
        .ok_or_else(|| ApiError::not_found(rp.resource, name))?;
    Ok(respond(200, &scale_of(&obj), &[]))
}

/// `PUT` or `PATCH …/scale`: the new `spec.replicas` goes to the workload.
pub async fn update(
    st: &AppState,
    rp: &ResourcePath,
    name: &str,
    q: &Query,
    manager: &str,
    (ct, body): (&str, Bytes),
    put: bool,
) -> ApiResult<Response> {
    let res = rp.resource;
    let fv = FieldValidation::parse(q.get("fieldValidation"))?;
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid Scale: {e}")))?;
    let key = res.key(rp.namespace.as_deref(), name);
    let stored = st
        .store
        .mutate(&key, |cur| {
            let cur = cur.ok_or(StoreError::NotFound)?;
            let mut scale = scale_of(cur);
            let reject = |e: ApiError| StoreError::Rejected(Box::new(e));
            if put {
                if let Some(rv) = doc
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                {
                    if Some(rv) != meta::resource_version(cur) {
                        return Err(reject(ApiError::conflict(res, name)));
                    }
                }
                scale = doc.clone();
            } else if ct.starts_with("application/json-patch+json") {
                patch::json(&mut scale, &doc)
                    .map_err(|e| reject(ApiError::bad_request(e.to_string())))?;
            } else {
                // Merge and strategic merge patches are the same on a Scale (no lists).
                patch::merge(&mut scale, &doc);
            }
            let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
            let mut next = cur.clone();
            next["spec"]["replicas"] = replicas;
            let mut a = st
                .admission
                .update(res, res.version(), cur, next, None, fv)
                .map_err(reject)?;
            if a.object == *cur {
                return Ok(Change::Keep);
            }
            // `spec.replicas` now belongs to whoever scaled, through the subresource.
            let api_version = res.api_version_for(res.version());
            managed::record_update(
                Some(cur),
                &mut a.object,
                manager,
                (&api_version, res.kind),
                Some("scale"),
            );
            Ok(Change::Put(a.object))
        })
        .await
        .map_err(|e| super::from_store(e, res, name))?
        .ok_or_else(|| ApiError::not_found(res, name))?;
    Ok(respond(200, &scale_of(&stored), &[]))
}
