//! The Kubernetes-shaped HTTPS API: discovery, resources, watch — `fn app()` builds the router.
//!
//! Requests are authenticated with the bearer token from the kubeconfig, parsed into a
//! [`path::Target`], and handed to [`rest`] (verbs) or [`watch`] (streams). Every error leaves
//! as a `metav1.Status`, so kubectl prints the messages people know.

mod body;
pub mod discovery;
pub mod exec;
pub mod path;
mod pods;
pub mod rest;
pub mod runtime;
pub mod scale;
pub mod serve;
pub mod watch;

use crate::admission::Admission;
use crate::api::resources::Resource;
use crate::api::status::ApiError;
use crate::store::Store;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;

/// The Kubernetes version meshlite reports. kubectl's dispatcher on these machines picks its
/// `kubectl.1.<minor>` binary by this minor.
pub const KUBE_VERSION: (&str, &str) = ("1", "31");

/// Shared state of the API server.
pub struct AppState {
    pub store: Store,
    pub admission: Arc<Admission>,
    /// The bearer token clients must present.
    pub token: String,
    /// `127.0.0.1:PORT`, advertised in `/api`.
    pub address: String,
    /// The node's pod runtime, for `log` and `exec` (absent: those answer "not running").
    pub runtime: Option<Arc<dyn runtime::PodRuntime>>,
    /// The proxies' config stream, for `proxy-status`.
    pub xds: Option<crate::xds::Hub>,
}

/// The query string, keeping repeated keys.
pub struct Query(Vec<(String, String)>);

// === impl Query ===

impl Query {
    pub fn parse(q: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter (`watch=true`, `watch=1`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

/// The API server's router. Every route but the landing page, health and version needs the token.
pub fn app(state: Arc<AppState>) -> Router {
    let protected = Router::new()
        .route("/api", get(api_versions))
        .route("/apis", get(api_groups))
        .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(pods::log))
        .route("/api/v1/namespaces/{ns}/pods/{name}/exec", any(pods::exec))
        .route("/api/{*rest}", any(resource))
        .route("/apis/{*rest}", any(resource))
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            axum::routing::post(access_review),
        )
        .route("/openapi/v2", get(openapi_v2))
        .route("/debug/proxy-status", get(proxy_status))
        .route("/debug/mesh-config", get(mesh_config))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Html(include_str!("../web/index.html")) }),
        )
        .route("/readyz", get(|| async { "ok" }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/version", get(version))
        .merge(protected)
        .fallback(|| async { ApiError::no_route().into_response() })
        .with_state(state)
}

async fn authenticate(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.trim().as_bytes(), st.token.as_bytes()));
    if ok {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `kubectl auth can-i`: the one user (the kubeconfig's token) may do everything. The
/// question is echoed when it came as JSON (newer kubectls send protobuf; only the answer
/// matters to them).
async fn access_review(body: Bytes) -> Response {
    let spec = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("spec").cloned())
        .unwrap_or_else(|| json!({}));
    let review = json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": spec,
        "status": {"allowed": true, "reason": "meshlite has one user, who may do everything"},
    });
    let mut r = json_response(&review);
    *r.status_mut() = StatusCode::CREATED;
    r
}

/// Every proxy's place in the config stream (`meshlite proxy-status`).
async fn proxy_status(State(st): State<Arc<AppState>>) -> Response {
    let statuses = st
        .xds
        .as_ref()
        .map(crate::xds::Hub::status)
        .unwrap_or_default();
    json_response(&serde_json::to_value(statuses).unwrap_or_default())
}

/// The configuration the proxies were last sent (`meshlite proxy-config`, `trace`).
async fn mesh_config(State(st): State<Arc<AppState>>) -> Response {
    let config = st
        .xds
        .as_ref()
        .map(crate::xds::Hub::config)
        .unwrap_or_default();
    json_response(&config)
}

async fn version() -> Response {
    let (major, minor) = KUBE_VERSION;
    json_response(&json!({
        "major": major, "minor": minor, "gitVersion": format!("v{major}.{minor}.0-meshlite.{}", env!("CARGO_PKG_VERSION")),
        "gitCommit": "", "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "go1.22", "compiler": "gc", "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    }))
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// An empty protobuf message is a valid, empty OpenAPI v2 document: kubectl's client-side
/// validation then finds no schema and leaves checking to the server (which does it).
async fn openapi_v2() -> Response {
    let mut r = Response::new(Body::empty());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"),
    );
    r
}

async fn api_versions(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match discovery::aggregated_type(accept(&headers)) {
        Some(ct) => typed_response(&discovery::aggregated(true, ct), ct),
        None => json_response(&discovery::api_versions(&st.address)),
    }
}

async fn api_groups(headers: HeaderMap) -> Response {
    match discovery::aggregated_type(accept(&headers)) {
        Some(ct) => typed_response(&discovery::aggregated(false, ct), ct),
        None => json_response(&discovery::group_list()),
    }
}

fn accept(headers: &HeaderMap) -> &str {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn resource(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let q = Query::parse(uri.query());
    let result = match path::parse(uri.path()) {
        None => Err(ApiError::no_route()),
        Some(path::Target::Group { group }) => discovery::api_group(&group)
            .map(|g| json_response(&g))
            .ok_or_else(ApiError::no_route),
        Some(path::Target::GroupVersion { group, version }) => {
            Ok(json_response(&discovery::resource_list(&group, &version)))
        }
        Some(path::Target::Resource(rp)) => {
            rest::handle(&st, &method, &rp, &q, &headers, body).await
        }
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// An object as served at `version`: `apiVersion` and `kind` are those of the request.
pub fn present(res: &Resource, version: &str, mut obj: Value) -> Value {
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), json!(res.api_version_for(version)));
        m.insert("kind".into(), json!(res.kind));
    }
    obj
}

/// A JSON response with `Warning` headers (kubectl prints them as `Warning: …`).
pub fn respond(code: u16, body: &Value, warnings: &[String]) -> Response {
    let mut r = json_response(body);
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""));
        if let Ok(v) = HeaderValue::from_str(&text) {
            r.headers_mut().append(header::WARNING, v);
        }
    }
    r
}

fn json_response(body: &Value) -> Response {
    typed_response(body, "application/json")
}

fn typed_response(body: &Value, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(serde_json::to_vec(body).unwrap_or_default()));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = json_response(&self.status());
        *r.status_mut() =
            StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        r
    }
}

/// Map a store error onto the API error for the object at hand.
pub fn from_store(err: crate::store::Error, res: &Resource, name: &str) -> ApiError {
    use crate::store::Error as E;
    match err {
        E::NotFound => ApiError::not_found(res, name),
        E::AlreadyExists => ApiError::already_exists(res, name),
        E::Conflict => ApiError::conflict(res, name),
        E::Expired { requested, oldest } => {
            ApiError::expired(format!("too old resource version: {requested} ({oldest})"))
        }
        E::Rejected(inner) => match inner.downcast::<ApiError>() {
            Ok(api) => *api,
            Err(other) => ApiError::internal(other),
        },
        other => ApiError::internal(other),
    }
}
