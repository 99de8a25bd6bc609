//! Built-in httpbin: an HTTP request/response test service answering with go-httpbin's JSON shapes.

mod content;
mod echo;
mod handlers;
mod misc;
#[cfg(test)]
mod parsing_tests;
#[cfg(test)]
mod tests;
mod websocket;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, patch, post, put};
use axum::Router;

pub use handlers::{parse_delay, parse_status_spec, pick_status};

/// Longest accepted `/delay/{seconds}`; larger values are clamped.
pub const MAX_DELAY_SECS: f64 = 10.0;
/// Largest body `/bytes/{n}` produces; larger counts are clamped.
pub const MAX_BYTES: usize = 100 * 1024;
/// Most lines `/stream/{n}` produces; larger counts are clamped.
pub const MAX_STREAM_LINES: usize = 100;

/// Request problems answered with a 400 (or the stated status) and a JSON error body.
#[derive(Debug, thiserror::Error)]
pub enum HttpbinError {
    /// A `/status` spec that is neither a code nor a weighted `code:weight` list.
    #[error("invalid status code spec: {0:?}")]
    InvalidStatus(String),
    /// A path count (bytes, stream, redirect, cache) that is not a valid number.
    #[error("invalid count: {0:?}")]
    InvalidCount(String),
    /// A `/delay` value that is not a non-negative number of seconds.
    #[error("invalid delay: {0:?}")]
    InvalidDelay(String),
    /// A `/base64` value that does not decode.
    #[error("invalid base64 data: {0:?}")]
    InvalidBase64(String),
    /// A body declared as JSON that does not parse.
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    /// A multipart body that cannot be split into parts.
    #[error("invalid multipart body: {0}")]
    InvalidMultipart(String),
    /// Compressing the `/gzip` body failed.
    #[error("failed to compress response: {0}")]
    Compress(String),
}

// === impl HttpbinError ===

impl HttpbinError {
    fn status(&self) -> StatusCode {
        match self {
            HttpbinError::Compress(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for HttpbinError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({
            "status_code": status.as_u16(),
            "error": status.canonical_reason().unwrap_or(""),
            "detail": self.to_string(),
        });
        (status, axum::Json(body)).into_response()
    }
}

/// The httpbin router. `instance` is shown on the index page (the pod name).
pub fn app(instance: String) -> Router {
    Router::new()
        .route("/", get(handlers::index))
        .route("/get", get(handlers::get))
        .route("/websocket/echo", get(websocket::echo))
        .route("/post", post(handlers::with_body))
        .route("/put", put(handlers::with_body))
        .route("/patch", patch(handlers::with_body))
        .route("/delete", delete(handlers::with_body))
        .route("/anything", any(handlers::with_body))
        .route("/anything/{*rest}", any(handlers::with_body))
        .route("/headers", get(handlers::headers))
        .route("/ip", get(handlers::ip))
        .route("/hostname", get(handlers::hostname))
        .route("/user-agent", get(handlers::user_agent))
        .route("/status/{spec}", any(handlers::status))
        .route("/delay/{secs}", any(handlers::delay))
        .route("/bytes/{n}", get(handlers::bytes))
        .route("/stream/{n}", get(handlers::stream))
        .route("/uuid", get(handlers::uuid))
        .route("/json", get(content::json))
        .route("/html", get(content::html))
        .route("/xml", get(content::xml))
        .route(
            "/response-headers",
            get(misc::response_headers).post(misc::response_headers),
        )
        .route("/redirect/{n}", get(misc::redirect))
        .route("/absolute-redirect/{n}", get(misc::absolute_redirect))
        .route("/relative-redirect/{n}", get(misc::relative_redirect))
        .route("/cookies", get(misc::cookies))
        .route("/cookies/set", get(misc::cookies_set))
        .route("/cookies/delete", get(misc::cookies_delete))
        .route("/base64/{value}", get(misc::base64))
        .route("/gzip", get(misc::gzip))
        .route("/cache", get(misc::cache))
        .route("/cache/{n}", get(misc::cache_for))
        .route("/etag/{etag}", get(misc::etag))
        .route("/basic-auth/{user}/{passwd}", get(misc::basic_auth))
        .with_state(std::sync::Arc::new(instance))
}

/// Serve on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    instance: String,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use super::access_log::{self, Style};
    if let Ok(addr) = listener.local_addr() {
        access_log::started(Style::Httpbin, addr.port());
    }
    let app = app(instance).layer(axum::middleware::from_fn_with_state(
        Style::Httpbin,
        access_log::log,
    ));
    super::serve::serve(listener, app, shutdown).await
}
