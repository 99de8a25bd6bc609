//! The REST verbs on resources: get, list, create, update, patch, delete (watch is in `watch`).

use super::body::{object_body, parse_body};
use super::{present, respond, AppState, Query};
use crate::admission::{Admitted, FieldValidation};
use crate::api::meta;
use crate::api::resources::Resource;
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::api::status::{ApiError, ApiResult};
use crate::api::table;
use crate::apiserver::path::ResourcePath;
use crate::objects;
use crate::objects::managed;
use crate::patch;
use crate::store::{Change, Error as StoreError};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

/// Namespaces that always exist.
const PROTECTED_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// Dispatch one request on a resource path.
pub async fn handle(
    st: &AppState,
    method: &Method,
    rp: &ResourcePath,
    q: &Query,
    headers: &HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let ct = header(axum::http::header::CONTENT_TYPE).unwrap_or_default();
    // Who writes, for managed fields; only writes ask.
    let manager = || {
        managed::manager_of(
            q.get("fieldManager"),
            header(axum::http::header::USER_AGENT),
        )
    };
    let body = match method.as_str() {
        "POST" | "PUT" => object_body(ct, body)?,
        _ => body,
    };
    match (&rp.name, rp.subresource.as_deref(), method.as_str()) {
        (None, None, "GET") if q.flag("watch") => super::watch::watch(st, rp, q, headers).await,
        (None, None, "GET") => list(st, rp, q, headers),
        (None, None, "POST") => create(st, rp, q, &manager(), body).await,
        (None, None, "DELETE") => delete_collection(st, rp, q).await,
        (Some(name), None | Some("status"), "GET") => get(st, rp, name, q, headers),
        (Some(name), sub @ (None | Some("status")), "PUT") => update(st, rp, name, sub, q, &manager(), body).await,
        (Some(name), sub @ (None | Some("status")), "PATCH") => patch(st, rp, name, sub, q, &manager(), (ct, body)).await,
        (Some(name), None, "DELETE") => delete(st, rp, name, q, body).await,
        (Some(name), Some("scale"), "GET") => super::scale::get(st, rp, name),
        (Some(name), Some("scale"), m @ ("PUT" | "PATCH")) => super::scale::update(st, rp, name, q, &manager(), (ct, body), m == "PUT").await,
        (Some(_), Some(sub), _) if matches!(sub, "log" | "exec" | "finalize") => Err(ApiError::bad_request(format!(
            "the {sub} subresource is served once pods run (it is not available in this version of meshlite)"
        ))),
        _ => Err(ApiError::method_not_allowed(method.as_str())),
    }
}

/// Whether the client asked for a `meta.k8s.io` Table (kubectl's human-readable `get`).
pub fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

/// What each Table row carries (`?includeObject=`).
pub fn include(q: &Query) -> table::Include {
    table::Include::from_query(q.get("includeObject"))
}

/// The storage key prefix a collection request covers.
pub fn prefix(rp: &ResourcePath) -> String {
    match &rp.namespace {
        Some(ns) if rp.resource.namespaced() => format!("{}{ns}/", rp.resource.key_prefix()),
        _ => rp.resource.key_prefix(),
    }
}

/// Parse `labelSelector` and `fieldSelector`.
pub fn selectors(q: &Query, res: &Resource) -> ApiResult<(LabelSelector, FieldSelector)> {
    let labels = LabelSelector::parse(q.get("labelSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = FieldSelector::parse(q.get("fieldSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    fields
        .check_supported(supported_fields(res))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((labels, fields))
}

/// The field selectors each resource supports, as kube-apiserver indexes them (`kubectl
/// describe` finds an object's Events with `involvedObject.*`).
fn supported_fields(res: &Resource) -> &'static [&'static str] {
    const META: &[&str] = &["metadata.name", "metadata.namespace"];
    const EVENTS: &[&str] = &[
        "metadata.name",
        "metadata.namespace",
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ];
    const PODS: &[&str] = &[
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
    ];
    match res.kind {
        "Event" => EVENTS,
        "Pod" => PODS,
        _ => META,
    }
}

fn get(
    st: &AppState,
    rp: &ResourcePath,
    name: &str,
    q: &Query,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let res = rp.resource;
    let key = res.key(rp.namespace.as_deref(), name);
    let obj = st
        .store
        .get(&key)
        .map_err(|e| super::from_store(e, res, name))?
        .ok_or_else(|| ApiError::not_found(res, name))?;
    let obj = present(res, &rp.version, obj);
    if wants_table(headers) {
        let mut t = table::build(
            res.plural,
            std::slice::from_ref(&obj),
            chrono::Utc::now(),
            include(q),
        );
        t["metadata"] =
            json!({"resourceVersion": meta::resource_version(&obj).unwrap_or_default()});
        return Ok(respond(200, &t, &[]));
    }
    Ok(respond(200, &obj, &[]))
}

fn list(st: &AppState, rp: &ResourcePath, q: &Query, headers: &HeaderMap) -> ApiResult<Response> {
    let res = rp.resource;
    let (labels, fields) = selectors(q, rp.resource)?;
    let (items, rev) = st
        .store
        .list(&prefix(rp))
        .map_err(|e| super::from_store(e, res, ""))?;
    let items: Vec<Value> = items
        .into_iter()
        .filter(|o| labels.matches_object(o) && fields.matches(o))
        .map(|o| present(res, &rp.version, o))
        .collect();
    if wants_table(headers) {
        let mut t = table::build(res.plural, &items, chrono::Utc::now(), include(q));
        t["metadata"] = json!({"resourceVersion": rev.to_string()});
        return Ok(respond(200, &t, &[]));
    }
    let list = json!({
        "kind": format!("{}List", res.kind),
        "apiVersion": res.api_version_for(&rp.version),
        "metadata": {"resourceVersion": rev.to_string()},
        "items": items,
    });
    Ok(respond(200, &list, &[]))
}

async fn ensure_namespace(st: &AppState, rp: &ResourcePath) -> ApiResult<()> {
    if let (Some(ns), true) = (&rp.namespace, rp.resource.namespaced()) {
        let key = crate::api::resources::core("namespaces").key(None, ns);
        if !st.store.contains(&key).map_err(ApiError::internal)? {
            return Err(ApiError::namespace_not_found(ns));
        }
    }
    Ok(())
}

async fn create(
    st: &AppState,
    rp: &ResourcePath,
    q: &Query,
    manager: &str,
    body: Bytes,
) -> ApiResult<Response> {
    let res = rp.resource;
    let fv = FieldValidation::parse(q.get("fieldValidation"))?;
    let obj = parse_body(&body)?;
    ensure_namespace(st, rp).await?;
    let Admitted {
        mut object,
        mut warnings,
    } = objects::admit_new(
        &st.store,
        &st.admission,
        res,
        &rp.version,
        rp.namespace.as_deref(),
        obj,
        fv,
    )?;
    managed::record_update(
        None,
        &mut object,
        manager,
        (&res.api_version_for(&rp.version), res.kind),
        None,
    );
    let name = meta::name(&object).to_string();
    let key = res.key(meta::namespace(&object), &name);
    if DryRun::asked(q) {
        // Addresses admission took for the object are not kept.
        st.admission.deleted(res, &object);
        return Ok(respond(201, &present(res, &rp.version, object), &warnings));
    }
    let admitted = object.clone();
    let stored = st.store.create(&key, object).await.map_err(|e| {
        // The Service's addresses were taken for an object that was never stored.
        st.admission.deleted(res, &admitted);
        super::from_store(e, res, &name)
    })?;
    warnings.extend(objects::analysis::warnings(&st.store, res, &stored));
    Ok(respond(201, &present(res, &rp.version, stored), &warnings))
}

async fn update(
    st: &AppState,
    rp: &ResourcePath,
    name: &str,
    sub: Option<&str>,
    q: &Query,
    manager: &str,
    body: Bytes,
) -> ApiResult<Response> {
    let res = rp.resource;
    let fv = FieldValidation::parse(q.get("fieldValidation"))?;
    let obj = parse_body(&body)?;
    let key = res.key(rp.namespace.as_deref(), name);
    let mut warnings = Vec::new();
    let mut dry = DryRun::of(q);
    let stored = st
        .store
        .mutate(&key, |cur| {
            let cur = cur.ok_or(StoreError::NotFound)?;
            let a = st
                .admission
                .update(res, &rp.version, cur, obj, sub, fv)
                .map_err(reject)?;
            warnings = a.warnings;
            Ok(dry.put(owned(cur, a.object, sub, manager, rp)))
        })
        .await
        .map_err(|e| super::from_store(e, res, name))?
        .ok_or_else(|| ApiError::not_found(res, name))?;
    let stored = dry.result(stored);
    warnings.extend(objects::analysis::warnings(&st.store, res, &stored));
    Ok(respond(200, &present(res, &rp.version, stored), &warnings))
}

async fn patch(
    st: &AppState,
    rp: &ResourcePath,
    name: &str,
    sub: Option<&str>,
    q: &Query,
    manager: &str,
    (content_type, body): (&str, Bytes),
) -> ApiResult<Response> {
    let res = rp.resource;
    let fv = FieldValidation::parse(q.get("fieldValidation"))?;
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let builtin = matches!(res.group, "" | "apps");
    let patch_doc: Value = match ct.as_str() {
        "application/apply-patch+yaml" => serde_yaml::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        "application/merge-patch+json" | "application/json-patch+json" => parse_body(&body)?,
        "application/strategic-merge-patch+json" if builtin => parse_body(&body)?,
        _ => return Err(ApiError::unsupported_media_type(&ct)),
    };
    let key = res.key(rp.namespace.as_deref(), name);
    let server_side = ct == "application/apply-patch+yaml";
    let api_version = res.api_version_for(&rp.version);
    let apply = |live: Option<&Value>| {
        managed::apply(
            live,
            &patch_doc,
            manager,
            &api_version,
            res.kind,
            builtin,
            q.flag("force"),
        )
        .map_err(|e| match e {
            managed::ApplyError::Conflicts(c) => ApiError::apply_conflict(
                managed::conflict_message(&c),
                &c.iter()
                    .map(|c| (c.field.clone(), format!("conflict with {}", c.manager)))
                    .collect::<Vec<_>>(),
            ),
            managed::ApplyError::Patch(e) => ApiError::bad_request(e.to_string()),
        })
    };
    // Server-side apply creates what is missing.
    if server_side && st.store.get(&key).map_err(ApiError::internal)?.is_none() {
        ensure_namespace(st, rp).await?;
        let a = st
            .admission
            .create(res, &rp.version, rp.namespace.as_deref(), apply(None)?, fv)?;
        let admitted = a.object.clone();
        if DryRun::asked(q) {
            st.admission.deleted(res, &admitted);
            return Ok(respond(
                201,
                &present(res, &rp.version, admitted),
                &a.warnings,
            ));
        }
        let stored = st.store.create(&key, a.object).await.map_err(|e| {
            st.admission.deleted(res, &admitted);
            super::from_store(e, res, name)
        })?;
        let mut warnings = a.warnings;
        warnings.extend(objects::analysis::warnings(&st.store, res, &stored));
        return Ok(respond(201, &present(res, &rp.version, stored), &warnings));
    }
    let mut warnings = Vec::new();
    let mut dry = DryRun::of(q);
    let stored = st
        .store
        .mutate(&key, |cur| {
            let cur = cur.ok_or(StoreError::NotFound)?;
            // The patch applies to the object as the client sees it, in the URL's version.
            let seen = present(res, &rp.version, cur.clone());
            let mut next = seen.clone();
            match ct.as_str() {
                "application/apply-patch+yaml" => next = apply(Some(&seen)).map_err(reject)?,
                "application/json-patch+json" => {
                    patch::json(&mut next, &patch_doc).map_err(|e| {
                        reject(ApiError::bad_request(format!(
                            "the server rejected our request due to an error in our request: {e}"
                        )))
                    })?
                }
                "application/strategic-merge-patch+json" => {
                    next = patch::strategic(&seen, &patch_doc, res.kind)
                        .map_err(|e| reject(ApiError::bad_request(e.to_string())))?
                }
                _ => patch::merge(&mut next, &patch_doc),
            }
            if next == seen {
                return Ok(Change::Keep);
            }
            let a = st
                .admission
                .update(res, &rp.version, cur, next, sub, fv)
                .map_err(reject)?;
            warnings = a.warnings;
            if a.object == *cur {
                return Ok(Change::Keep);
            }
            if server_side {
                return Ok(dry.put(a.object));
            }
            Ok(dry.put(owned(cur, a.object, sub, manager, rp)))
        })
        .await
        .map_err(|e| super::from_store(e, res, name))?
        .ok_or_else(|| ApiError::not_found(res, name))?;
    let stored = dry.result(stored);
    warnings.extend(objects::analysis::warnings(&st.store, res, &stored));
    Ok(respond(200, &present(res, &rp.version, stored), &warnings))
}

/// `new` with the fields this update changed owned by `manager` (status writes are not
/// tracked).
fn owned(
    cur: &Value,
    mut new: Value,
    sub: Option<&str>,
    manager: &str,
    rp: &ResourcePath,
) -> Value {
    if sub.is_none() {
        let res = rp.resource;
        managed::record_update(
            Some(cur),
            &mut new,
            manager,
            (&res.api_version_for(&rp.version), res.kind),
            None,
        );
    }
    new
}

/// `?dryRun=All`: the write is computed, admitted and answered, but not stored.
struct DryRun {
    on: bool,
    result: Option<Value>,
}

impl DryRun {
    /// Whether the request is a dry run.
    fn asked(q: &Query) -> bool {
        q.get("dryRun").is_some()
    }

    fn of(q: &Query) -> DryRun {
        DryRun {
            on: DryRun::asked(q),
            result: None,
        }
    }

    /// The change to make: store `obj`, or keep it aside when dry-running.
    fn put(&mut self, obj: Value) -> Change {
        if self.on {
            self.result = Some(obj);
            Change::Keep
        } else {
            Change::Put(obj)
        }
    }

    /// What to answer with: the object that would have been stored, else the stored one.
    fn result(self, stored: Value) -> Value {
        self.result.unwrap_or(stored)
    }
}

/// An admission error travelling through the store's read-modify-write.
fn reject(e: ApiError) -> StoreError {
    StoreError::Rejected(Box::new(e))
}

async fn delete(
    st: &AppState,
    rp: &ResourcePath,
    name: &str,
    q: &Query,
    body: Bytes,
) -> ApiResult<Response> {
    let res = rp.resource;
    let opts: Value = if body.is_empty() {
        json!({})
    } else {
        parse_body(&body)?
    };
    // A dry run answers with the object that would be deleted and leaves it.
    if DryRun::asked(q)
        || opts
            .get("dryRun")
            .is_some_and(|d| d.as_array().is_some_and(|a| !a.is_empty()))
    {
        let obj = st
            .store
            .get(&res.key(rp.namespace.as_deref(), name))
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found(res, name))?;
        return Ok(respond(200, &present(res, &rp.version, obj), &[]));
    }
    let precondition = opts
        .pointer("/preconditions/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    if res.kind == "Namespace" {
        if PROTECTED_NAMESPACES.contains(&name) {
            return Err(ApiError::forbidden(
                res,
                name,
                "this namespace may not be deleted",
            ));
        }
        delete_namespace_contents(st, name).await?;
    }
    let grace = opts.get("gracePeriodSeconds").and_then(Value::as_i64);
    let policy = objects::Propagation::from_options(&opts).map_err(ApiError::bad_request)?;
    let gone = objects::delete_propagating(
        &st.store,
        &st.admission,
        res,
        rp.namespace.as_deref(),
        name,
        objects::DeleteOptions {
            precondition: precondition.as_deref(),
            grace,
            policy,
        },
    )
    .await
    .map_err(|e| super::from_store(e, res, name))?
    .object();
    Ok(respond(200, &present(res, &rp.version, gone), &[]))
}

/// Deleting a namespace deletes everything in it first.
async fn delete_namespace_contents(st: &AppState, ns: &str) -> ApiResult<()> {
    for res in crate::api::resources::RESOURCES
        .iter()
        .filter(|r| r.namespaced())
    {
        let (items, _) = st
            .store
            .list(&format!("{}{ns}/", res.key_prefix()))
            .map_err(ApiError::internal)?;
        for obj in items {
            let key = res.key(Some(ns), meta::name(&obj));
            match st.store.delete(&key, None).await {
                Ok(gone) => st.admission.deleted(res, &gone),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
    }
    Ok(())
}

async fn delete_collection(st: &AppState, rp: &ResourcePath, q: &Query) -> ApiResult<Response> {
    let res = rp.resource;
    let (labels, fields) = selectors(q, rp.resource)?;
    let (items, _) = st.store.list(&prefix(rp)).map_err(ApiError::internal)?;
    let mut gone_items = Vec::new();
    for obj in items
        .into_iter()
        .filter(|o| labels.matches_object(o) && fields.matches(o))
    {
        let name = meta::name(&obj).to_string();
        if res.kind == "Namespace" && PROTECTED_NAMESPACES.contains(&name.as_str()) {
            continue;
        }
        if res.kind == "Namespace" {
            delete_namespace_contents(st, &name).await?;
        }
        match objects::delete(
            &st.store,
            &st.admission,
            res,
            meta::namespace(&obj),
            &name,
            None,
            None,
        )
        .await
        {
            Ok(gone) => gone_items.push(present(res, &rp.version, gone.object())),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    let list = json!({
        "kind": format!("{}List", res.kind), "apiVersion": res.api_version_for(&rp.version),
        "metadata": {"resourceVersion": st.store.revision().to_string()}, "items": gone_items
    });
    Ok(respond(200, &list, &[]))
}
