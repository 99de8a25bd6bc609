//! Access logs for the built-in servers, one line per request on stdout in the style of the
//! program each one stands in for (go-httpbin's structured line, nginx's combined format), so
//! `meshlite logs` shows traffic as it would on a cluster.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Whose log format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// go-httpbin: `time=… level=INFO msg="200 GET /get 0.4ms" status=200 …`.
    Httpbin,
    /// nginx's `combined` format (also used for helloworld).
    Combined,
}

/// Middleware: pass the request on, then log it.
pub async fn log(State(style): State<Style>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().to_string();
    let version = format!("{:?}", req.version());
    let agent = header(&req, "user-agent");
    let referer = header(&req, "referer");
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let size = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    let now = chrono::Utc::now();
    let line = match style {
        Style::Httpbin => {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            format!(
                "time={} level=INFO msg=\"{status} {method} {uri} {ms:.1}ms\" status={status} method={method} uri={uri} size_bytes={size} duration_ms={ms:.2} user_agent={agent:?} client_ip=127.0.0.1",
                now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )
        }
        Style::Combined => format!(
            "127.0.0.1 - - [{}] \"{method} {uri} {version}\" {status} {size} \"{referer}\" \"{agent}\"",
            now.format("%d/%b/%Y:%H:%M:%S %z")
        ),
    };
    crate::logline::emit(|out| out.push_str(&line));
    resp
}

/// The line a server prints when it starts listening.
pub fn started(style: Style, port: u16) {
    let line = match style {
        Style::Httpbin => format!(
            "time={} level=INFO msg=\"go-httpbin listening on http://127.0.0.1:{port}\"",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ),
        Style::Combined => format!("listening on http://127.0.0.1:{port}"),
    };
    crate::logline::emit(|out| out.push_str(&line));
}

fn header(req: &Request, name: &str) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}
