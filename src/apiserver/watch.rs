//! Watch streams: newline-delimited JSON events over a response that stays open.

use super::{present, AppState, Query};
use crate::api::status::{ApiError, ApiResult};
use crate::api::table;
use crate::apiserver::path::ResourcePath;
use crate::apiserver::rest::{include, prefix, selectors, wants_table};
use crate::store::{EventType, Watch};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::convert::Infallible;
use tokio::time::Instant;

/// Everything one watch response needs to render events.
struct Stream {
    initial: VecDeque<Bytes>,
    watch: Option<Watch>,
    deadline: Option<Instant>,
    render: Render,
}

struct Render {
    rp: ResourcePath,
    labels: crate::api::selector::LabelSelector,
    fields: crate::api::selector::FieldSelector,
    table: Option<table::Include>,
}

/// `GET <collection>?watch=true`.
pub async fn watch(
    st: &AppState,
    rp: &ResourcePath,
    q: &Query,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let (labels, fields) = selectors(q, rp.resource)?;
    let as_table = wants_table(headers);
    let include = include(q);
    let render = Render {
        rp: rp.clone(),
        labels,
        fields,
        table: as_table.then_some(include),
    };
    let deadline = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(|s| Instant::now() + std::time::Duration::from_secs(s));
    let rv = q.get("resourceVersion").filter(|s| !s.is_empty());
    let mut initial = VecDeque::new();
    // Without a resourceVersion (or with "0") a watch starts with the current state as ADDED events.
    let from = match rv {
        None | Some("0") => {
            let (items, rev) = st.store.list(&prefix(rp)).map_err(ApiError::internal)?;
            for obj in items {
                if let Some(line) = render.event("ADDED", obj) {
                    initial.push_back(line);
                }
            }
            if q.flag("sendInitialEvents") {
                initial.push_back(render.bookmark(rev, true));
            }
            rev
        }
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("invalid resource version {s:?}")))?,
    };
    let watch = match st.store.watch(&prefix(rp), Some(from)) {
        Ok(w) => Some(w),
        Err(e) => {
            // As kube-apiserver: the response is 200, and the first event is the 410 error.
            let err = super::from_store(e, rp.resource, "");
            initial.push_back(line(&json!({"type": "ERROR", "object": err.status()})));
            None
        }
    };
    let stream = Stream {
        initial,
        watch,
        deadline,
        render,
    };
    let body = Body::from_stream(futures::stream::unfold(stream, next_chunk));
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    Ok(resp)
}

async fn next_chunk(mut s: Stream) -> Option<(Result<Bytes, Infallible>, Stream)> {
    if let Some(b) = s.initial.pop_front() {
        return Some((Ok(b), s));
    }
    loop {
        let watch = s.watch.as_mut()?;
        let ev = match s.deadline {
            Some(d) => tokio::time::timeout_at(d, watch.next()).await.ok()?,
            None => watch.next().await,
        };
        match ev? {
            Ok(ev) => {
                let kind = match ev.kind {
                    EventType::Added => "ADDED",
                    EventType::Modified => "MODIFIED",
                    EventType::Deleted => "DELETED",
                };
                if let Some(b) = s.render.event(kind, ev.object.clone()) {
                    return Some((Ok(b), s));
                }
            }
            Err(e) => {
                let err = super::from_store(e, s.render.rp.resource, "");
                s.watch = None;
                return Some((
                    Ok(line(&json!({"type": "ERROR", "object": err.status()}))),
                    s,
                ));
            }
        }
    }
}

// === impl Render ===

impl Render {
    /// One event line, or None when the object is filtered out.
    fn event(&self, kind: &str, obj: Value) -> Option<Bytes> {
        if !(self.labels.matches_object(&obj) && self.fields.matches(&obj)) {
            return None;
        }
        let obj = present(self.rp.resource, &self.rp.version, obj);
        let object = match self.table {
            Some(include) => {
                let mut t = table::build(
                    self.rp.resource.plural,
                    std::slice::from_ref(&obj),
                    chrono::Utc::now(),
                    include,
                );
                t["metadata"] = json!({"resourceVersion": crate::api::meta::resource_version(&obj).unwrap_or_default()});
                t
            }
            None => obj,
        };
        Some(line(&json!({"type": kind, "object": object})))
    }

    fn bookmark(&self, rev: u64, initial_end: bool) -> Bytes {
        let res = self.rp.resource;
        let mut meta = json!({"resourceVersion": rev.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(&json!({"type": "BOOKMARK", "object": {
            "kind": res.kind, "apiVersion": res.api_version_for(&self.rp.version), "metadata": meta
        }}))
    }
}

fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}
