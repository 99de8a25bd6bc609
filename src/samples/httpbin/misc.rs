//! Header-driven endpoints: response headers, redirects, cookies, base64, gzip, caching and auth.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::Path;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, ETAG, LAST_MODIFIED,
    LOCATION, SET_COOKIE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::echo::{multi_to_json, Echo};
use super::handlers::parse_count;
use super::HttpbinError;

/// Query args become response headers and are echoed back in the body.
pub async fn response_headers(echo: Echo) -> Response {
    let mut args = echo.args.clone();
    args.entry("Content-Type".to_string())
        .or_insert_with(|| vec!["application/json; charset=utf-8".to_string()]);
    let body = multi_to_json(&args).to_string();
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.remove(CONTENT_TYPE);
    for (name, values) in &args {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(name.clone(), value);
            }
        }
    }
    resp
}

fn found(location: String) -> Response {
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}

/// Parses a redirect count, which must be at least 1.
pub fn parse_redirects(s: &str) -> Result<usize, HttpbinError> {
    match parse_count(s, usize::MAX)? {
        0 => Err(HttpbinError::InvalidCount(s.to_string())),
        n => Ok(n),
    }
}

/// The `Location` for one hop of an `n`-hop redirect chain.
pub fn redirect_location(n: usize, absolute: Option<&str>) -> String {
    let path = if n <= 1 {
        "/get".to_string()
    } else if absolute.is_some() {
        format!("/absolute-redirect/{}", n - 1)
    } else {
        format!("/relative-redirect/{}", n - 1)
    };
    match absolute {
        Some(host) => format!("http://{host}{path}"),
        None => path,
    }
}

fn host(echo: &Echo) -> String {
    echo.header("host").unwrap_or("localhost").to_string()
}

pub async fn redirect(Path(n): Path<String>, echo: Echo) -> Result<Response, HttpbinError> {
    let n = parse_redirects(&n)?;
    let absolute = echo
        .args
        .get("absolute")
        .and_then(|v| v.first())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let host = host(&echo);
    Ok(found(redirect_location(
        n,
        absolute.then_some(host.as_str()),
    )))
}

pub async fn absolute_redirect(
    Path(n): Path<String>,
    echo: Echo,
) -> Result<Response, HttpbinError> {
    let n = parse_redirects(&n)?;
    Ok(found(redirect_location(n, Some(&host(&echo)))))
}

pub async fn relative_redirect(Path(n): Path<String>) -> Result<Response, HttpbinError> {
    let n = parse_redirects(&n)?;
    Ok(found(redirect_location(n, None)))
}

/// Request cookies as a name → value object.
pub async fn cookies(echo: Echo) -> Json<Value> {
    let mut m = Map::new();
    for header in echo.raw_headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else {
            continue;
        };
        for pair in header.split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                m.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
            }
        }
    }
    Json(json!({ "cookies": m }))
}

pub async fn cookies_set(echo: Echo) -> Response {
    let mut resp = found("/cookies".to_string());
    for (name, values) in &echo.args {
        for value in values {
            if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/")) {
                resp.headers_mut().append(SET_COOKIE, v);
            }
        }
    }
    resp
}

pub async fn cookies_delete(echo: Echo) -> Response {
    let mut resp = found("/cookies".to_string());
    for name in echo.args.keys() {
        let expired = format!("{name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/");
        if let Ok(v) = HeaderValue::from_str(&expired) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

/// Decodes standard or URL-safe base64, padded or not.
pub fn decode_base64(value: &str) -> Result<Vec<u8>, HttpbinError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(value).ok())
        .ok_or_else(|| HttpbinError::InvalidBase64(value.to_string()))
}

pub async fn base64(Path(value): Path<String>) -> Result<Response, HttpbinError> {
    let decoded = decode_base64(&value)?;
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], decoded).into_response())
}

pub async fn gzip(echo: Echo) -> Result<Response, HttpbinError> {
    let mut body = echo.base();
    body.insert("gzipped".into(), Value::Bool(true));
    let json = Value::Object(body).to_string();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(json.as_bytes())
        .map_err(|e| HttpbinError::Compress(e.to_string()))?;
    let compressed = encoder
        .finish()
        .map_err(|e| HttpbinError::Compress(e.to_string()))?;
    Ok((
        [
            (CONTENT_TYPE, "application/json"),
            (CONTENT_ENCODING, "gzip"),
        ],
        compressed,
    )
        .into_response())
}

/// Formats a time as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days conversion (proleptic Gregorian calendar), shifted so years start in March.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS.get((days % 7) as usize).unwrap_or(&"Thu"),
        day,
        MONTHS.get((month - 1) as usize).unwrap_or(&"Jan"),
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub async fn cache(echo: Echo) -> Response {
    if echo.header("if-modified-since").is_some() || echo.header("if-none-match").is_some() {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let etag = format!("\"{}\"", uuid::Uuid::new_v4().simple());
    let mut resp = Json(Value::Object(echo.base())).into_response();
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&http_date(SystemTime::now())) {
        headers.insert(LAST_MODIFIED, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    resp
}

pub async fn cache_for(Path(n): Path<String>, echo: Echo) -> Result<Response, HttpbinError> {
    let n = parse_count(&n, usize::MAX)?;
    Ok((
        [(CACHE_CONTROL, format!("public, max-age={n}"))],
        Json(Value::Object(echo.base())),
    )
        .into_response())
}

/// Whether an `If-None-Match`/`If-Match` list names `etag` (or is `*`).
pub fn etag_listed(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|item| item == "*" || item.trim_start_matches("W/").trim_matches('"') == etag)
}

pub async fn etag(Path(tag): Path<String>, echo: Echo) -> Response {
    let quoted = format!("\"{tag}\"");
    let Ok(etag_value) = HeaderValue::from_str(&quoted) else {
        return HttpbinError::InvalidCount(tag).into_response();
    };
    if let Some(list) = echo.header("if-none-match") {
        if etag_listed(list, &tag) {
            return (StatusCode::NOT_MODIFIED, [(ETAG, etag_value)]).into_response();
        }
    } else if let Some(list) = echo.header("if-match") {
        if !etag_listed(list, &tag) {
            return StatusCode::PRECONDITION_FAILED.into_response();
        }
    }
    ([(ETAG, etag_value)], Json(Value::Object(echo.base()))).into_response()
}

/// The `(user, password)` of a `Basic` Authorization header, if well-formed.
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = decode_base64(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

pub async fn basic_auth(Path((user, passwd)): Path<(String, String)>, echo: Echo) -> Response {
    let ok = echo
        .header(AUTHORIZATION.as_str())
        .and_then(basic_credentials)
        .is_some_and(|(u, p)| u == user && p == passwd);
    let body = Json(json!({ "authenticated": ok, "authorized": ok, "user": user }));
    if ok {
        body.into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Basic realm=\"Fake Realm\"")],
            body,
        )
            .into_response()
    }
}
