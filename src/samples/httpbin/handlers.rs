//! Echo, status, delay and generated-body endpoints.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, PROXY_AUTHENTICATE, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use rand::{Rng, RngCore};
use serde_json::{json, Value};

use super::echo::Echo;
use super::{HttpbinError, MAX_BYTES, MAX_DELAY_SECS, MAX_STREAM_LINES};

/// Endpoints listed on the index page, with a one-line description each.
const ENDPOINTS: &[(&str, &str)] = &[
    ("/get", "the request's query args, headers, origin and url"),
    ("/post", "POST data, form, files and json"),
    ("/put", "PUT data, form, files and json"),
    ("/patch", "PATCH data, form, files and json"),
    ("/delete", "DELETE data, form, files and json"),
    (
        "/anything",
        "any method, any sub-path: everything about the request",
    ),
    ("/headers", "the request headers"),
    ("/ip", "the origin address"),
    ("/user-agent", "the User-Agent header"),
    (
        "/status/200",
        "a given status, or a weighted pick like 200:0.5,500:0.5",
    ),
    ("/delay/1", "answers after up to 10 seconds"),
    ("/bytes/1024", "n random bytes (at most 100 KiB)"),
    ("/stream/10", "n JSON lines (at most 100)"),
    ("/uuid", "a random UUID v4"),
    ("/json", "a sample JSON document"),
    ("/html", "a sample HTML page"),
    ("/xml", "a sample XML document"),
    (
        "/response-headers?k=v",
        "query args become response headers",
    ),
    ("/redirect/3", "n redirects, then /get"),
    ("/absolute-redirect/3", "n absolute redirects"),
    ("/relative-redirect/3", "n relative redirects"),
    ("/cookies", "the request cookies"),
    (
        "/cookies/set?k=v",
        "sets cookies, then redirects to /cookies",
    ),
    (
        "/cookies/delete?k",
        "deletes cookies, then redirects to /cookies",
    ),
    ("/base64/aHR0cGJpbg==", "decodes base64"),
    ("/gzip", "a gzip-encoded response"),
    (
        "/cache",
        "304 when If-Modified-Since or If-None-Match is sent",
    ),
    ("/cache/60", "sets Cache-Control max-age"),
    ("/etag/abc", "ETag handling with If-None-Match and If-Match"),
    ("/basic-auth/user/passwd", "HTTP Basic authentication"),
];

/// Escapes text for inclusion in HTML.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/hostname`: which instance answered (go-httpbin reports the host name, i.e. the pod).
pub async fn hostname(State(instance): State<Arc<String>>) -> Json<Value> {
    Json(json!({"hostname": instance.as_str()}))
}

pub async fn index(State(instance): State<Arc<String>>) -> Html<String> {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>httpbin</title></head>\n<body>\n<h1>httpbin</h1>\n",
    );
    page.push_str(&format!(
        "<p>Instance: <code>{}</code></p>\n<ul>\n",
        escape_html(&instance)
    ));
    for (path, what) in ENDPOINTS {
        let path = escape_html(path);
        page.push_str(&format!(
            "<li><a href=\"{path}\"><code>{path}</code></a> {}</li>\n",
            escape_html(what)
        ));
    }
    page.push_str("</ul>\n</body>\n</html>\n");
    Html(page)
}

pub async fn get(echo: Echo) -> Json<Value> {
    Json(Value::Object(echo.base()))
}

pub async fn with_body(echo: Echo, body: Bytes) -> Result<Json<Value>, HttpbinError> {
    Ok(Json(Value::Object(echo.with_body(&body)?)))
}

pub async fn headers(echo: Echo) -> Json<Value> {
    let mut base = echo.base();
    Json(json!({ "headers": base.remove("headers").unwrap_or(Value::Null) }))
}

pub async fn ip(echo: Echo) -> Json<Value> {
    Json(json!({ "origin": echo.origin }))
}

pub async fn user_agent(echo: Echo) -> Json<Value> {
    Json(json!({ "user-agent": echo.header("user-agent").unwrap_or("") }))
}

pub async fn uuid() -> Json<Value> {
    Json(json!({ "uuid": uuid::Uuid::new_v4().to_string() }))
}

/// Parses `/status` specs: a single code, or `code:weight` pairs separated by commas
/// (a missing weight counts as 1).
pub fn parse_status_spec(spec: &str) -> Result<Vec<(u16, f64)>, HttpbinError> {
    let bad = || HttpbinError::InvalidStatus(spec.to_string());
    let mut choices = Vec::new();
    for item in spec.split(',') {
        let (code, weight) = match item.split_once(':') {
            Some((c, w)) => (c, w.trim().parse::<f64>().map_err(|_| bad())?),
            None => (item, 1.0),
        };
        let code: u16 = code.trim().parse().map_err(|_| bad())?;
        if !(100..=599).contains(&code) || !weight.is_finite() || weight < 0.0 {
            return Err(bad());
        }
        choices.push((code, weight));
    }
    if choices.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err(bad());
    }
    Ok(choices)
}

/// Picks a code from weighted choices given `roll` in `[0, 1)`.
pub fn pick_status(choices: &[(u16, f64)], roll: f64) -> u16 {
    let total: f64 = choices.iter().map(|(_, w)| w).sum();
    let mut point = roll * total;
    for (code, weight) in choices {
        if point < *weight {
            return *code;
        }
        point -= weight;
    }
    // Rounding can leave `point` just past the last bucket.
    choices.last().map(|(c, _)| *c).unwrap_or(200)
}

pub async fn status(Path(spec): Path<String>) -> Result<Response, HttpbinError> {
    let choices = parse_status_spec(&spec)?;
    let code = pick_status(&choices, rand::thread_rng().gen::<f64>());
    let status = StatusCode::from_u16(code).map_err(|_| HttpbinError::InvalidStatus(spec))?;
    let mut resp = match code {
        301 | 302 | 303 | 305 | 307 | 308 => (status, [(LOCATION, "/redirect/1")]).into_response(),
        401 => (status, [(WWW_AUTHENTICATE, "Basic realm=\"Fake Realm\"")]).into_response(),
        407 => (status, [(PROXY_AUTHENTICATE, "Basic realm=\"Fake Realm\"")]).into_response(),
        418 => (status, "I'm a teapot!").into_response(),
        _ => status.into_response(),
    };
    resp.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(resp)
}

/// Parses `/delay` seconds (fractions allowed), clamped to [`MAX_DELAY_SECS`].
pub fn parse_delay(s: &str) -> Result<Duration, HttpbinError> {
    let secs: f64 = s
        .parse()
        .map_err(|_| HttpbinError::InvalidDelay(s.to_string()))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(HttpbinError::InvalidDelay(s.to_string()));
    }
    Ok(Duration::from_secs_f64(secs.min(MAX_DELAY_SECS)))
}

pub async fn delay(
    Path(secs): Path<String>,
    echo: Echo,
    body: Bytes,
) -> Result<Json<Value>, HttpbinError> {
    let wait = parse_delay(&secs)?;
    let out = echo.with_body(&body)?;
    tokio::time::sleep(wait).await;
    Ok(Json(Value::Object(out)))
}

/// Parses a non-negative path count and clamps it to `max`.
pub fn parse_count(s: &str, max: usize) -> Result<usize, HttpbinError> {
    let n: usize = s
        .parse()
        .map_err(|_| HttpbinError::InvalidCount(s.to_string()))?;
    Ok(n.min(max))
}

pub async fn bytes(Path(n): Path<String>) -> Result<Response, HttpbinError> {
    let n = parse_count(&n, MAX_BYTES)?;
    let mut buf = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut buf);
    Ok(([(CONTENT_TYPE, "application/octet-stream")], buf).into_response())
}

pub async fn stream(Path(n): Path<String>, echo: Echo) -> Result<Response, HttpbinError> {
    let n = parse_count(&n, MAX_STREAM_LINES)?;
    let base = echo.base();
    // Each line is sent as its own chunk so clients see a genuinely streamed body.
    let lines = (0..n).map(move |id| {
        let mut line = serde_json::Map::new();
        line.insert("id".into(), Value::from(id));
        line.extend(base.clone());
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        Ok::<_, Infallible>(Bytes::from(text))
    });
    let body = Body::from_stream(futures::stream::iter(lines));
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}
