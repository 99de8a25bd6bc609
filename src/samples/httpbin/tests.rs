//! Tests for the httpbin router, its parsers and a real server run.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::misc::{basic_credentials, etag_listed, redirect_location};
use super::*;

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

// === impl Reply ===

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn call(req: Request<Body>) -> Reply {
    let resp = app("pod-a".into()).oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn req(method: &str, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "example.test")
}

async fn simple(method: &str, uri: &str) -> Reply {
    call(req(method, uri).body(Body::empty()).expect("request")).await
}

#[tokio::test]
async fn endpoints_status_and_content_type() {
    // (method, uri, status, content-type prefix)
    let cases: &[(&str, &str, u16, &str)] = &[
        ("GET", "/", 200, "text/html"),
        ("GET", "/get", 200, "application/json"),
        ("HEAD", "/get", 200, "application/json"),
        ("POST", "/get", 405, ""),
        ("POST", "/post", 200, "application/json"),
        ("GET", "/post", 405, ""),
        ("PUT", "/put", 200, "application/json"),
        ("PATCH", "/patch", 200, "application/json"),
        ("DELETE", "/delete", 200, "application/json"),
        ("GET", "/delete", 405, ""),
        ("OPTIONS", "/anything", 200, "application/json"),
        ("PUT", "/anything/a/b", 200, "application/json"),
        ("GET", "/headers", 200, "application/json"),
        ("GET", "/ip", 200, "application/json"),
        ("GET", "/user-agent", 200, "application/json"),
        ("GET", "/status/204", 204, ""),
        ("POST", "/status/503", 503, ""),
        ("GET", "/status/abc", 400, "application/json"),
        ("GET", "/status/99", 400, "application/json"),
        ("GET", "/status/600", 400, "application/json"),
        ("GET", "/status/200:x", 400, "application/json"),
        ("GET", "/status/200:0", 400, "application/json"),
        ("GET", "/delay/0", 200, "application/json"),
        ("GET", "/delay/-1", 400, "application/json"),
        ("GET", "/delay/NaN", 400, "application/json"),
        ("GET", "/bytes/16", 200, "application/octet-stream"),
        ("GET", "/bytes/x", 400, "application/json"),
        ("GET", "/stream/3", 200, "application/json"),
        ("GET", "/uuid", 200, "application/json"),
        ("GET", "/json", 200, "application/json"),
        ("GET", "/html", 200, "text/html"),
        ("GET", "/xml", 200, "application/xml"),
        ("GET", "/response-headers?a=b", 200, "application/json"),
        ("GET", "/redirect/2", 302, ""),
        ("GET", "/redirect/0", 400, "application/json"),
        ("GET", "/cookies", 200, "application/json"),
        ("GET", "/cookies/set?a=b", 302, ""),
        ("GET", "/base64/aGk=", 200, "text/plain"),
        ("GET", "/base64/!!!", 400, "application/json"),
        ("GET", "/gzip", 200, "application/json"),
        ("GET", "/cache", 200, "application/json"),
        ("GET", "/cache/30", 200, "application/json"),
        ("GET", "/etag/abc", 200, "application/json"),
        ("GET", "/basic-auth/u/p", 401, "application/json"),
        ("GET", "/nope", 404, ""),
    ];
    for (method, uri, status, ctype) in cases {
        let r = simple(method, uri).await;
        assert_eq!(r.status.as_u16(), *status, "{method} {uri}");
        assert!(
            r.header("content-type").starts_with(ctype),
            "{method} {uri}: content-type {:?}",
            r.header("content-type")
        );
    }
}

#[tokio::test]
async fn get_echoes_args_headers_origin_url() {
    let r = call(
        req("GET", "/get?a=1&a=2&b=x%20y")
            .header("x-request-id", "rid-1")
            .header("x-forwarded-for", "10.0.0.9, 10.0.0.1")
            .header("user-agent", "curl/8")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let v = r.json();
    assert_eq!(v["args"]["a"], serde_json::json!(["1", "2"]));
    assert_eq!(v["args"]["b"], serde_json::json!(["x y"]));
    assert_eq!(v["headers"]["X-Request-Id"], serde_json::json!(["rid-1"]));
    assert_eq!(v["headers"]["User-Agent"], serde_json::json!(["curl/8"]));
    assert_eq!(v["method"], "GET");
    // Without a peer address the first forwarded hop is the origin.
    assert_eq!(v["origin"], "10.0.0.9");
    assert_eq!(v["url"], "http://example.test/get?a=1&a=2&b=x%20y");

    let r = simple("GET", "/ip").await;
    assert_eq!(r.json()["origin"], "127.0.0.1");
}

#[tokio::test]
async fn post_bodies_are_parsed_by_content_type() {
    // (content-type, body, expected data, form, files, json)
    let cases: &[(&str, &str, &str, Value, Value, Value)] = &[
        (
            "application/json",
            r#"{"k":[1,2]}"#,
            r#"{"k":[1,2]}"#,
            serde_json::json!({}),
            serde_json::json!({}),
            serde_json::json!({"k": [1, 2]}),
        ),
        (
            "application/x-www-form-urlencoded",
            "a=1&a=2&b=%2B",
            "",
            serde_json::json!({"a": ["1", "2"], "b": ["+"]}),
            serde_json::json!({}),
            Value::Null,
        ),
        (
            "multipart/form-data; boundary=XyZ",
            "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nval\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--XyZ--\r\n",
            "",
            serde_json::json!({"f": ["val"]}),
            serde_json::json!({"up": ["file body"]}),
            Value::Null,
        ),
        (
            "text/plain",
            "hello",
            "hello",
            serde_json::json!({}),
            serde_json::json!({}),
            Value::Null,
        ),
    ];
    for (ctype, body, data, form, files, json) in cases {
        let r = call(
            req("POST", "/post")
                .header("content-type", *ctype)
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{ctype}");
        let v = r.json();
        assert_eq!(v["data"], *data, "{ctype}");
        assert_eq!(v["form"], *form, "{ctype}");
        assert_eq!(v["files"], *files, "{ctype}");
        assert_eq!(v["json"], *json, "{ctype}");
        assert_eq!(v["method"], "POST");
    }

    let r = call(
        req("POST", "/anything/x")
            .header("content-type", "application/json")
            .body(Body::from("{not json"))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["status_code"], 400);
}

#[tokio::test]
async fn small_json_endpoints() {
    let r = call(
        req("GET", "/user-agent")
            .header("user-agent", "probe/1")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.json()["user-agent"], "probe/1");

    let r = simple("GET", "/headers").await;
    assert_eq!(
        r.json()["headers"]["Host"],
        serde_json::json!(["example.test"])
    );

    let r = simple("GET", "/uuid").await;
    let id = r.json()["uuid"].as_str().unwrap_or("").to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");

    let r = simple("GET", "/json").await;
    assert_eq!(r.json()["slideshow"]["title"], "Sample Slide Show");

    let r = simple("GET", "/").await;
    let page = String::from_utf8_lossy(&r.body).to_string();
    assert!(
        page.contains("pod-a") && page.contains("/basic-auth/"),
        "{page}"
    );
}

#[tokio::test]
async fn status_special_headers() {
    let cases: &[(&str, &str, &str)] = &[
        ("/status/302", "location", "/redirect/1"),
        (
            "/status/401",
            "www-authenticate",
            "Basic realm=\"Fake Realm\"",
        ),
        (
            "/status/407",
            "proxy-authenticate",
            "Basic realm=\"Fake Realm\"",
        ),
    ];
    for (uri, header, value) in cases {
        let r = simple("GET", uri).await;
        assert_eq!(r.header(header), *value, "{uri}");
    }
    let r = simple("GET", "/status/418").await;
    assert_eq!(r.status.as_u16(), 418);
    assert!(!r.body.is_empty());
}

#[tokio::test]
async fn weighted_status_distribution() {
    let mut ok = 0;
    let total = 400;
    for _ in 0..total {
        let r = simple("GET", "/status/200:0.8,500:0.2").await;
        match r.status.as_u16() {
            200 => ok += 1,
            500 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    // Expect ~320; the bounds are over 6 standard deviations wide.
    assert!((270..=370).contains(&ok), "200s: {ok}/{total}");
}

#[tokio::test]
async fn delay_waits() {
    let start = std::time::Instant::now();
    let r = simple("GET", "/delay/0.2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(start.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(r.json()["method"], "GET");
}

#[tokio::test]
async fn bytes_and_stream_are_capped() {
    let cases: &[(&str, usize)] = &[
        ("/bytes/0", 0),
        ("/bytes/10", 10),
        ("/bytes/100000000", MAX_BYTES),
    ];
    for (uri, len) in cases {
        assert_eq!(simple("GET", uri).await.body.len(), *len, "{uri}");
    }
    let cases: &[(&str, usize)] = &[
        ("/stream/0", 0),
        ("/stream/3", 3),
        ("/stream/5000", MAX_STREAM_LINES),
    ];
    for (uri, lines) in cases {
        let r = simple("GET", uri).await;
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert_eq!(text.lines().count(), *lines, "{uri}");
        for (i, line) in text.lines().enumerate() {
            let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            assert_eq!(v["id"], i, "{uri}");
            assert!(v["url"].is_string());
        }
    }
}

#[tokio::test]
async fn response_headers_are_set_and_echoed() {
    let r = simple(
        "GET",
        "/response-headers?X-Test=1&X-Test=2&Content-Type=text/plain",
    )
    .await;
    let values: Vec<_> = r.headers.get_all("x-test").iter().collect();
    assert_eq!(values, ["1", "2"]);
    assert_eq!(r.header("content-type"), "text/plain");
    let v = r.json();
    assert_eq!(v["X-Test"], serde_json::json!(["1", "2"]));
    assert_eq!(v["Content-Type"], serde_json::json!(["text/plain"]));
}

#[tokio::test]
async fn redirects_point_to_the_next_hop() {
    let cases: &[(&str, &str)] = &[
        ("/redirect/1", "/get"),
        ("/redirect/3", "/relative-redirect/2"),
        (
            "/redirect/3?absolute=true",
            "http://example.test/absolute-redirect/2",
        ),
        ("/relative-redirect/2", "/relative-redirect/1"),
        ("/relative-redirect/1", "/get"),
        (
            "/absolute-redirect/2",
            "http://example.test/absolute-redirect/1",
        ),
        ("/absolute-redirect/1", "http://example.test/get"),
    ];
    for (uri, location) in cases {
        let r = simple("GET", uri).await;
        assert_eq!(r.status, StatusCode::FOUND, "{uri}");
        assert_eq!(r.header("location"), *location, "{uri}");
    }
    assert_eq!(redirect_location(0, None), "/get");
    for uri in ["/relative-redirect/0", "/absolute-redirect/x"] {
        assert_eq!(
            simple("GET", uri).await.status,
            StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn cookies_roundtrip() {
    let r = simple("GET", "/cookies/set?a=1&b=two").await;
    assert_eq!(r.header("location"), "/cookies");
    let set: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    assert_eq!(set, ["a=1; Path=/", "b=two; Path=/"]);

    let r = call(
        req("GET", "/cookies")
            .header("cookie", "a=1; b=two")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(
        r.json(),
        serde_json::json!({"cookies": {"a": "1", "b": "two"}})
    );

    let r = simple("GET", "/cookies/delete?a").await;
    assert!(r
        .header("set-cookie")
        .starts_with("a=; Expires=Thu, 01 Jan 1970"));
}

#[tokio::test]
async fn base64_decodes_both_alphabets() {
    let cases: &[(&str, &str)] = &[
        ("/base64/aGVsbG8=", "hello"),
        ("/base64/aGVsbG8", "hello"),
        ("/base64/Pz8-", "??>"),
        ("/base64/Pz8+", "??>"),
    ];
    for (uri, text) in cases {
        let r = simple("GET", uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(String::from_utf8_lossy(&r.body), *text, "{uri}");
    }
}

#[tokio::test]
async fn gzip_body_decodes() {
    let r = simple("GET", "/gzip").await;
    assert_eq!(r.header("content-encoding"), "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(r.body.as_slice())
        .read_to_string(&mut text)
        .expect("gzip");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["gzipped"], true);
    assert_eq!(v["method"], "GET");
}

#[tokio::test]
async fn cache_and_etag_conditionals() {
    // (uri, request header, status, expected ETag header)
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, u16, Option<&'a str>);
    let cases: &[Case] = &[
        ("/cache", None, 200, None),
        (
            "/cache",
            Some(("if-modified-since", "Wed, 21 Oct 2015 07:28:00 GMT")),
            304,
            None,
        ),
        ("/cache", Some(("if-none-match", "\"x\"")), 304, None),
        ("/etag/abc", None, 200, Some("\"abc\"")),
        (
            "/etag/abc",
            Some(("if-none-match", "\"abc\"")),
            304,
            Some("\"abc\""),
        ),
        (
            "/etag/abc",
            Some(("if-none-match", "W/\"zz\", \"abc\"")),
            304,
            Some("\"abc\""),
        ),
        (
            "/etag/abc",
            Some(("if-none-match", "\"other\"")),
            200,
            Some("\"abc\""),
        ),
        (
            "/etag/abc",
            Some(("if-match", "\"abc\"")),
            200,
            Some("\"abc\""),
        ),
        ("/etag/abc", Some(("if-match", "*")), 200, Some("\"abc\"")),
        ("/etag/abc", Some(("if-match", "\"other\"")), 412, None),
    ];
    for (uri, header, status, etag) in cases {
        let mut b = req("GET", uri);
        if let Some((k, v)) = header {
            b = b.header(*k, *v);
        }
        let r = call(b.body(Body::empty()).expect("request")).await;
        assert_eq!(r.status.as_u16(), *status, "{uri} {header:?}");
        if let Some(etag) = etag {
            assert_eq!(r.header("etag"), *etag, "{uri} {header:?}");
        }
    }
    let r = simple("GET", "/cache").await;
    assert!(r.header("last-modified").ends_with(" GMT"));
    assert!(!r.header("etag").is_empty());
    let r = simple("GET", "/cache/30").await;
    assert_eq!(r.header("cache-control"), "public, max-age=30");
    assert!(etag_listed("*", "x") && !etag_listed("\"y\"", "x"));
}

#[tokio::test]
async fn basic_auth_both_ways() {
    use base64::Engine;
    let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // (authorization header, status)
    let cases: Vec<(Option<String>, u16)> = vec![
        (Some(format!("Basic {}", enc("user:pass"))), 200),
        (Some(format!("basic {}", enc("user:pass"))), 200),
        (Some(format!("Basic {}", enc("user:wrong"))), 401),
        (Some(format!("Basic {}", enc("userpass"))), 401),
        (Some("Bearer abc".to_string()), 401),
        (Some("Basic !!!".to_string()), 401),
        (None, 401),
    ];
    for (auth, status) in cases {
        let mut b = req("GET", "/basic-auth/user/pass");
        if let Some(a) = &auth {
            b = b.header("authorization", a);
        }
        let r = call(b.body(Body::empty()).expect("request")).await;
        assert_eq!(r.status.as_u16(), status, "{auth:?}");
        let v = r.json();
        assert_eq!(v["authorized"], status == 200, "{auth:?}");
        assert_eq!(v["user"], "user");
        if status == 401 {
            assert_eq!(r.header("www-authenticate"), "Basic realm=\"Fake Realm\"");
        }
    }
    assert_eq!(
        basic_credentials("Basic dTpwOnE="),
        Some(("u".to_string(), "p:q".to_string()))
    );
}

#[tokio::test]
async fn serve_real_listener_reports_peer_and_shuts_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, "pod-b".into(), async {
        let _ = rx.await;
    }));

    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = "GET /get?x=1 HTTP/1.1\r\nHost: svc\r\nX-Forwarded-For: 10.9.9.9\r\nConnection: close\r\n\r\n";
    conn.write_all(request.as_bytes()).await.expect("write");
    let mut raw = String::new();
    conn.read_to_string(&mut raw).await.expect("read");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let v: Value = serde_json::from_str(body).expect("json body");
    // The real peer address wins over X-Forwarded-For.
    assert_eq!(v["origin"], "127.0.0.1");
    assert_eq!(v["url"], "http://svc/get?x=1");
    assert_eq!(v["args"]["x"], serde_json::json!(["1"]));

    let _ = tx.send(());
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("server stops after shutdown")
        .expect("join");
    assert!(result.is_ok());
}
