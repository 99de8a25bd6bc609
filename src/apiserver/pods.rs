//! The pod subresources the node's pod runtime serves through the API: `log` (plain or
//! followed) and `exec` (WebSocket, as kubectl ≥ 1.30 speaks it).

use super::exec::{self as wsexec, ExecQuery};
use super::runtime::PodRuntime;
use super::AppState;
use crate::api::meta;
use crate::api::resources;
use crate::api::status::ApiError;
use crate::kubelet::logs::{self, LogOptions};
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// GET `/api/v1/namespaces/{ns}/pods/{name}/log`
pub async fn log(
    State(st): State<Arc<AppState>>,
    Path((ns, name)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    match log_response(&st, &ns, &name, uri.query().unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn log_response(st: &AppState, ns: &str, name: &str, query: &str) -> Result<Response, ApiError> {
    let opts = LogOptions::from_query(query).map_err(ApiError::bad_request)?;
    let pod = pod(st, ns, name)?;
    let container = container(&pod, opts.container.as_deref())?;
    let path = runtime(st)?.log_path(ns, name, &container, opts.previous);
    if opts.previous && !path.exists() {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    let body = if opts.follow && !opts.previous {
        // Follow until the pod is gone (or the client hangs up).
        let store = st.store.clone();
        let key = resources::core("pods").key(Some(ns), name);
        let uid = pod.pointer("/metadata/uid").cloned();
        let alive = move || matches!(store.get(&key), Ok(Some(p)) if p.pointer("/metadata/uid").cloned() == uid);
        Body::from_stream(logs::follow(path, opts, alive))
    } else {
        let bytes = std::fs::read(&path).unwrap_or_default();
        Body::from(logs::render(&bytes, &opts, chrono::Utc::now()))
    };
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(r)
}

/// GET (WebSocket upgrade) `/api/v1/namespaces/{ns}/pods/{name}/exec`
pub async fn exec(
    State(st): State<Arc<AppState>>,
    Path((ns, name)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let result = (|| {
        let query = ExecQuery::from_query(uri.query().unwrap_or_default())
            .map_err(ApiError::bad_request)?;
        let pod = pod(&st, &ns, &name)?;
        let container = container(&pod, query.container.as_deref())?;
        let target = runtime(&st)?
            .exec_target(&ns, &name, &container)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unable to upgrade connection: container not found (\"{container}\")"
                ))
            })?;
        let ws = ws.map_err(|_| {
            ApiError::bad_request(
                "exec needs a WebSocket connection (v5.channel.k8s.io): use kubectl 1.30 or newer, or `meshlite exec`"
                    .to_string(),
            )
        })?;
        let (program, args) = query.command.split_first().ok_or_else(|| {
            ApiError::bad_request("you must specify at least one command for the container")
        })?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(target.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&target.cwd);
        Ok::<_, ApiError>(wsexec::respond(ws, &headers, query.clone(), cmd))
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

fn runtime(st: &AppState) -> Result<&dyn PodRuntime, ApiError> {
    st.runtime
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("no pod runtime runs in this server".to_string()))
}

fn pod(st: &AppState, ns: &str, name: &str) -> Result<Value, ApiError> {
    let res = resources::core("pods");
    st.store
        .get(&res.key(Some(ns), name))
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found(res, name))
}

/// The container a request means: the named one, else the only one, else the
/// `kubectl.kubernetes.io/default-container`; an error that lists the choices otherwise.
fn container(pod: &Value, wanted: Option<&str>) -> Result<String, ApiError> {
    let names = |field: &str| -> Vec<String> {
        pod.pointer(&format!("/spec/{field}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    };
    let containers = names("containers");
    let init = names("initContainers");
    let name = meta::name(pod);
    if let Some(w) = wanted.filter(|w| !w.is_empty()) {
        if containers.iter().chain(init.iter()).any(|c| c == w) {
            return Ok(w.to_string());
        }
        return Err(ApiError::bad_request(format!(
            "container {w} is not valid for pod {name}"
        )));
    }
    if containers.len() == 1 {
        return Ok(containers[0].clone());
    }
    if let Some(d) = meta::annotations(pod).get("kubectl.kubernetes.io/default-container") {
        return Ok(d.clone());
    }
    let mut msg = format!(
        "a container name must be specified for pod {name}, choose one of: [{}]",
        containers.join(" ")
    );
    if !init.is_empty() {
        msg.push_str(&format!(
            " or one of the init containers: [{}]",
            init.join(" ")
        ));
    }
    Err(ApiError::bad_request(msg))
}
