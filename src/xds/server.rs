//! The HTTP side of the configuration stream: the NDJSON config stream and the ACK endpoint.

use super::hub::{Hub, Snapshot, StreamGuard};
use super::parse_proxy_id;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use tokio::sync::watch;

/// The body of `POST /v1/ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckRequest {
    /// `NAMESPACE/POD`.
    pub proxy: String,
    /// The version being answered.
    pub version: String,
    /// `None` accepts the version; a message rejects it.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ConfigQuery {
    #[serde(default)]
    proxy: String,
}

/// The control plane's config endpoints: `GET /v1/config` and `POST /v1/ack`.
pub fn router(hub: Hub) -> Router {
    Router::new()
        .route("/v1/config", get(config_stream))
        .route("/v1/ack", post(ack))
        .with_state(hub)
}

async fn config_stream(State(hub): State<Hub>, Query(q): Query<ConfigQuery>) -> Response {
    if let Err(e) = parse_proxy_id(&q.proxy) {
        return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
    }
    let guard = hub.connect(&q.proxy);
    let reader = Reader {
        rx: hub.subscribe(),
        guard,
        last: 0,
    };
    let stream = futures::stream::unfold(reader, |mut reader| async move {
        let line = reader.next().await?;
        Some((Ok::<Bytes, Infallible>(line), reader))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    // Proxies in between must not hold lines back.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn ack(State(hub): State<Hub>, Json(req): Json<AckRequest>) -> Response {
    match hub.ack(&req.proxy, &req.version, req.error) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// One proxy's position in the stream of snapshots.
struct Reader {
    rx: watch::Receiver<Snapshot>,
    guard: StreamGuard,
    /// The last version written (0: none).
    last: u64,
}

// === impl Reader ===

impl Reader {
    /// The next line to send: the newest snapshot not sent yet, waiting for one if needed.
    /// `None` when the hub is gone.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            let snap = self.rx.borrow_and_update().clone();
            if snap.version > self.last {
                self.last = snap.version;
                self.guard.sent(snap.version);
                return Some(snap.line);
            }
            self.rx.changed().await.ok()?;
        }
    }
}
