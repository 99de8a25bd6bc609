//! The built-in static web server that stands in for `nginx` images.
//!
//! It answers like a freshly installed nginx: the welcome page at `/` and
//! `/index.html`, nginx-styled error pages elsewhere, and a `Server: nginx`
//! header so clients that sniff the server see what they expect.

use std::future::Future;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;

/// The welcome page served at `/` and `/index.html`.
pub const INDEX_HTML: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the web server is up and answering requests.
This is the stock page; no site content has been configured yet.</p>

<p>This server is the meshlite built-in stand-in for the nginx image.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

/// Builds the router; every request goes through one handler so that the
/// method and path checks happen in the same order nginx applies them.
pub fn app() -> Router {
    Router::new().fallback(handle)
}

/// Serves [`app`] on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use super::access_log::{self, Style};
    if let Ok(addr) = listener.local_addr() {
        access_log::started(Style::Combined, addr.port());
    }
    let app = app().layer(axum::middleware::from_fn_with_state(
        Style::Combined,
        access_log::log,
    ));
    super::serve::serve(listener, app, shutdown).await
}

async fn handle(method: Method, uri: Uri) -> Response {
    let head = method == Method::HEAD;
    if method != Method::GET && !head {
        // nginx rejects other methods on static content with this wording.
        return page(
            StatusCode::METHOD_NOT_ALLOWED,
            error_page("405 Not Allowed"),
            false,
        );
    }
    match uri.path() {
        "/" | "/index.html" => page(StatusCode::OK, INDEX_HTML.to_string(), head),
        _ => page(StatusCode::NOT_FOUND, error_page("404 Not Found"), head),
    }
}

/// The body nginx uses for its built-in error pages.
fn error_page(status: &str) -> String {
    format!(
        "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// Builds a response; for HEAD the length is announced but no body sent.
fn page(status: StatusCode, body: String, head: bool) -> Response {
    let len = body.len();
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("nginx"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if status == StatusCode::OK {
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn answers_like_nginx() {
        // (method, path, status, body contains, body empty)
        let cases: &[(&str, &str, u16, &str, bool)] = &[
            ("GET", "/", 200, "<title>Welcome to nginx!</title>", false),
            (
                "GET",
                "/index.html",
                200,
                "<h1>Welcome to nginx!</h1>",
                false,
            ),
            ("GET", "/?x=1", 200, "Welcome to nginx!", false),
            ("HEAD", "/", 200, "", true),
            (
                "GET",
                "/missing",
                404,
                "<center><h1>404 Not Found</h1></center>",
                false,
            ),
            (
                "GET",
                "/index.htm",
                404,
                "<hr><center>nginx</center>",
                false,
            ),
            ("HEAD", "/missing", 404, "", true),
            ("POST", "/", 405, "405 Not Allowed", false),
            ("DELETE", "/x", 405, "405 Not Allowed", false),
        ];
        for (method, path, status, needle, empty) in cases {
            let req = Request::builder()
                .method(*method)
                .uri(*path)
                .body(Body::empty())
                .expect("request");
            let resp = app().oneshot(req).await.expect("response");
            assert_eq!(resp.status().as_u16(), *status, "{method} {path}");
            assert_eq!(resp.headers()["server"], "nginx", "{method} {path}");
            assert_eq!(resp.headers()["content-type"], "text/html");
            let len: usize = resp.headers()["content-length"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("number");
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            let text = String::from_utf8(body.to_vec()).expect("utf8");
            if *empty {
                assert!(text.is_empty(), "{method} {path}");
                assert!(len > 0, "HEAD announces the GET length");
            } else {
                assert!(text.contains(needle), "{method} {path}: {text}");
                assert_eq!(len, text.len());
            }
        }
    }

    #[tokio::test]
    async fn serves_until_shutdown() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, async {
            let _ = rx.await;
        }));
        let _ = tx.send(());
        let res = tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("stops in time")
            .expect("join");
        assert!(res.is_ok());
    }
}
