//! The built-in version of Istio's `helloworld` sample service.
//!
//! `GET /hello` names the version and instance that answered, which is what
//! traffic-splitting demos count; `GET /health` is the readiness probe.

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// What the handlers need to know about this instance.
struct Identity {
    version: String,
    instance: String,
}

/// Builds the router for one instance (`version` like `v1`, `instance`
/// usually the pod name).
pub fn app(version: String, instance: String) -> Router {
    let identity = Arc::new(Identity { version, instance });
    Router::new()
        .route("/hello", get(hello))
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(identity)
}

/// Serves [`app`] on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    version: String,
    instance: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use super::access_log::{self, Style};
    if let Ok(addr) = listener.local_addr() {
        access_log::started(Style::Combined, addr.port());
    }
    let app = app(version, instance).layer(axum::middleware::from_fn_with_state(
        Style::Combined,
        access_log::log,
    ));
    super::serve::serve(listener, app, shutdown).await
}

async fn hello(State(id): State<Arc<Identity>>) -> Response {
    text(
        StatusCode::OK,
        format!("Hello version: {}, instance: {}\n", id.version, id.instance),
    )
}

async fn health() -> Response {
    text(StatusCode::OK, "Helloworld is healthy".to_string())
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "Not Found\n".to_string())
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn routes() {
        // (method, path, status, body)
        let cases: &[(&str, &str, u16, &str)] = &[
            (
                "GET",
                "/hello",
                200,
                "Hello version: v2, instance: helloworld-v2-abc\n",
            ),
            (
                "GET",
                "/hello?x=y",
                200,
                "Hello version: v2, instance: helloworld-v2-abc\n",
            ),
            ("GET", "/health", 200, "Helloworld is healthy"),
            ("HEAD", "/hello", 200, ""),
            ("GET", "/", 404, "Not Found\n"),
            ("GET", "/hello/more", 404, "Not Found\n"),
        ];
        for (method, path, status, want) in cases {
            let req = Request::builder()
                .method(*method)
                .uri(*path)
                .body(Body::empty())
                .expect("request");
            let resp = app("v2".into(), "helloworld-v2-abc".into())
                .oneshot(req)
                .await
                .expect("response");
            assert_eq!(resp.status().as_u16(), *status, "{method} {path}");
            assert!(
                resp.headers()["content-type"]
                    .to_str()
                    .expect("ascii")
                    .starts_with("text/plain"),
                "{method} {path}"
            );
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(
                std::str::from_utf8(&body).expect("utf8"),
                *want,
                "{method} {path}"
            );
        }
    }

    #[tokio::test]
    async fn post_is_rejected() {
        let req = Request::builder()
            .method("POST")
            .uri("/hello")
            .body(Body::empty())
            .expect("request");
        let resp = app("v1".into(), "i".into())
            .oneshot(req)
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
