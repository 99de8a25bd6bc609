//! End-to-end tests of the built-in curl against local servers.

use super::*;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One handler that answers by path so each case can probe a behaviour.
async fn handler(req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let headers: HeaderMap = req.headers().clone();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let get = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string()
    };
    match path.as_str() {
        "/hello" => (StatusCode::OK, [("x-served-by", "test")], "hello\n").into_response(),
        "/echo" => format!(
            "{method} q={query} ct={} len={} x={} body={}",
            get("content-type"),
            get("content-length"),
            get("x-test"),
            String::from_utf8_lossy(&body)
        )
        .into_response(),
        "/headers" => format!(
            "host={} ua={} accept={}",
            get("host"),
            get("user-agent"),
            get("accept")
        )
        .into_response(),
        "/missing" => (StatusCode::NOT_FOUND, "nope").into_response(),
        "/redirect" => (StatusCode::FOUND, [("location", "/hello")], "").into_response(),
        "/post-redirect" => (StatusCode::SEE_OTHER, [("location", "echo")], "").into_response(),
        "/loop" => (StatusCode::FOUND, [("location", "/loop")], "").into_response(),
        "/slow" => {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            "late".into_response()
        }
        _ => Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .body(Body::empty())
            .unwrap_or_default(),
    }
}

async fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(handler);
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A proxy that records each request head it receives and answers `proxied`.
async fn recording_proxy() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            let _ = sock
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied",
                )
                .await;
        }
    });
    (format!("http://{addr}"), rx)
}

async fn curl(args: &[String], proxy: &ProxyEnv) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with_proxy(args, proxy, &mut out, &mut err).await;
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// Splits a command line on spaces, with `'…'` grouping, and puts in `base`.
fn words(line: &str, base: &str) -> Vec<String> {
    let line = line.replace("{base}", base);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[tokio::test]
async fn against_local_server() {
    let base = server().await;
    let host = base.trim_start_matches("http://").to_string();
    // (command line, exit code, stdout must equal (or contain, with `~`), stderr must contain)
    let cases: Vec<(&str, i32, String, &str)> = vec![
        ("{base}/hello", 0, "hello\n".into(), ""),
        ("-s {base}/hello", 0, "hello\n".into(), ""),
        (
            "{base}/echo?a=1",
            0,
            "GET q=a=1 ct=- len=- x=- body=".into(),
            "",
        ),
        (
            "-d a=1 -d b=2 {base}/echo",
            0,
            "POST q= ct=application/x-www-form-urlencoded len=7 x=- body=a=1&b=2".into(),
            "",
        ),
        (
            "--data-raw @x -H 'Content-Type: application/json' {base}/echo",
            0,
            "POST q= ct=application/json len=2 x=- body=@x".into(),
            "",
        ),
        (
            "-X PUT -H 'X-Test: yes' {base}/echo",
            0,
            "PUT q= ct=- len=- x=yes body=".into(),
            "",
        ),
        (
            "-XDELETE {base}/echo",
            0,
            "DELETE q= ct=- len=- x=- body=".into(),
            "",
        ),
        (
            "{base}/headers",
            0,
            format!("host={host} ua=curl/8.5.0 accept=*/*"),
            "",
        ),
        (
            "-H 'Host: reviews' -H 'Accept:' -A agent {base}/headers",
            0,
            "host=reviews ua=agent accept=-".into(),
            "",
        ),
        ("-i {base}/hello", 0, "~HTTP/1.1 200 OK\r\n".into(), ""),
        ("-i {base}/hello", 0, "~x-served-by: test\r\n".into(), ""),
        ("-i {base}/hello", 0, "~\r\n\r\nhello\n".into(), ""),
        ("-sI {base}/hello", 0, "~content-length: 6\r\n".into(), ""),
        (
            "-s -o /dev/null -w '%{http_code}' {base}/hello",
            0,
            "200".into(),
            "",
        ),
        (
            "-s -w '%{http_code}\\n' {base}/missing",
            0,
            "nope404\n".into(),
            "",
        ),
        ("{base}/missing", 0, "nope".into(), ""),
        (
            "--fail {base}/missing",
            22,
            "".into(),
            "curl: (22) The requested URL returned error: 404",
        ),
        ("-sf {base}/missing", 22, "".into(), ""),
        ("-sSf {base}/missing", 22, "".into(), "(22)"),
        ("-sf -w '%{http_code}' {base}/missing", 22, "404".into(), ""),
        ("--fail-with-body {base}/missing", 22, "nope".into(), "(22)"),
        ("{base}/redirect", 0, "".into(), ""),
        ("-L {base}/redirect", 0, "hello\n".into(), ""),
        (
            "-sL -w ' %{num_redirects} %{url_effective}' {base}/redirect",
            0,
            format!("hello\n 1 {base}/hello"),
            "",
        ),
        (
            "-L -i {base}/redirect",
            0,
            "~HTTP/1.1 302 Found\r\n".into(),
            "",
        ),
        (
            "-L -d x=1 {base}/post-redirect",
            0,
            "GET q= ct=- len=- x=- body=".into(),
            "",
        ),
        (
            "-L {base}/loop",
            47,
            "".into(),
            "curl: (47) Maximum (50) redirects followed",
        ),
        (
            "-m 0.3 {base}/slow",
            28,
            "".into(),
            "curl: (28) Operation timed out after ",
        ),
        (
            "https://{host}/",
            1,
            "".into(),
            "curl: (1) Protocol \"https\" not supported",
        ),
        (
            "http://{host}:99999/",
            3,
            "".into(),
            "curl: (3) URL rejected: Port number",
        ),
        ("", 2, "".into(), "curl: no URL specified!"),
        (
            "--nope {base}",
            2,
            "".into(),
            "curl: option --nope: is unknown",
        ),
        (
            "-v {base}/hello",
            0,
            "hello\n".into(),
            "> GET /hello HTTP/1.1",
        ),
        ("-v {base}/hello", 0, "hello\n".into(), "< HTTP/1.1 200 OK"),
        (
            "-s -w '%{bogus}' {base}/hello",
            0,
            "hello\n".into(),
            "unknown --write-out variable: 'bogus'",
        ),
        (
            "{base}/hello {base}/echo",
            0,
            "hello\nGET q= ct=- len=- x=- body=".into(),
            "",
        ),
    ];
    for (line, code, want_out, want_err) in &cases {
        let line = line.replace("{host}", &host);
        let args = words(&line, &base);
        let (got_code, out, err) = curl(&args, &ProxyEnv::default()).await;
        assert_eq!(got_code, *code, "{line}: out={out:?} err={err:?}");
        match want_out.strip_prefix('~') {
            Some(part) => assert!(out.contains(part), "{line}: {out:?}"),
            None => assert_eq!(&out, want_out, "{line}"),
        }
        assert!(err.contains(want_err), "{line}: {err:?}");
        if want_err.is_empty() && *code == 0 && !line.contains("-v") && !line.contains("bogus") {
            assert!(err.is_empty(), "{line}: {err:?}");
        }
    }
}

#[tokio::test]
async fn output_file() {
    let base = server().await;
    let path = std::env::temp_dir().join(format!("meshlite-curl-{}.txt", std::process::id()));
    let path_s = path.to_string_lossy().into_owned();
    let args = words(&format!("-s -o {path_s} {{base}}/hello"), &base);
    let (code, out, _) = curl(&args, &ProxyEnv::default()).await;
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&path).expect("written"), "hello\n");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn uses_proxy_with_absolute_uri() {
    let base = server().await;
    let (proxy_url, mut seen) = recording_proxy().await;
    let proxy = ProxyEnv {
        http_proxy: Some(proxy_url.clone()),
        no_proxy: None,
    };
    let args = words("-s http://reviews.default:9080/reviews/1?x=y", "");
    let (code, out, err) = curl(&args, &proxy).await;
    assert_eq!((code, out.as_str(), err.as_str()), (0, "proxied", ""));
    let head = seen.recv().await.expect("recorded");
    assert!(
        head.starts_with("GET http://reviews.default:9080/reviews/1?x=y HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("Host: reviews.default:9080\r\n"), "{head}");

    // NO_PROXY exempts the host: the request goes straight to the server.
    let exempt = ProxyEnv {
        http_proxy: Some(proxy_url.clone()),
        no_proxy: Some("localhost,127.0.0.1".into()),
    };
    let (code, out, _) = curl(&words("{base}/hello", &base), &exempt).await;
    assert_eq!((code, out.as_str()), (0, "hello\n"));

    // -x and --noproxy on the command line win over the environment.
    let args = words(&format!("-s -x {proxy_url} http://example.test/"), "");
    let (code, out, _) = curl(&args, &ProxyEnv::default()).await;
    assert_eq!((code, out.as_str()), (0, "proxied"));
    let head = seen.recv().await.expect("recorded");
    assert!(
        head.starts_with("GET http://example.test/ HTTP/1.1\r\n"),
        "{head}"
    );
    // Data through the proxy: one Content-Length, the form content type.
    let (code, out, _) = curl(&words("-s -d a=1 http://example.test/form", ""), &proxy).await;
    assert_eq!((code, out.as_str()), (0, "proxied"));
    let head = seen.recv().await.expect("recorded");
    assert!(
        head.starts_with("POST http://example.test/form HTTP/1.1\r\n"),
        "{head}"
    );
    assert_eq!(
        head.to_ascii_lowercase()
            .matches("content-length: 3\r\n")
            .count(),
        1,
        "{head}"
    );
    assert!(
        head.contains("Content-Type: application/x-www-form-urlencoded\r\n"),
        "{head}"
    );
    assert!(head.contains("User-Agent: curl/8.5.0\r\n"), "{head}");
    let args = words("--noproxy '*' {base}/hello", &base);
    let (code, out, _) = curl(&args, &proxy).await;
    assert_eq!((code, out.as_str()), (0, "hello\n"));
}

#[tokio::test]
async fn connection_failures() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);

    let args = words(&format!("http://127.0.0.1:{port}/"), "");
    let (code, out, err) = curl(&args, &ProxyEnv::default()).await;
    assert_eq!(code, 7);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!("curl: (7) Failed to connect to 127.0.0.1 port {port}: Connection refused\n")
    );

    // Silent hides the message, -S brings it back, -w still reports 000.
    let args = words(
        &format!("-s -w '%{{http_code}}' http://127.0.0.1:{port}/"),
        "",
    );
    let (code, out, err) = curl(&args, &ProxyEnv::default()).await;
    assert_eq!((code, out.as_str(), err.as_str()), (7, "000", ""));
    let args = words(&format!("-sS http://127.0.0.1:{port}/"), "");
    let (code, _, err) = curl(&args, &ProxyEnv::default()).await;
    assert_eq!(code, 7);
    assert!(err.starts_with("curl: (7) "), "{err}");

    // An unreachable proxy is reported by its own address.
    let proxy = ProxyEnv {
        http_proxy: Some(format!("127.0.0.1:{port}")),
        no_proxy: None,
    };
    let (code, _, err) = curl(&words("http://example.test/", ""), &proxy).await;
    assert_eq!(code, 7);
    assert!(err.contains(&format!("127.0.0.1 port {port}")), "{err}");

    // `.invalid` never resolves (RFC 6761).
    let (code, _, err) = curl(
        &words("http://no-such-host.invalid/", ""),
        &ProxyEnv::default(),
    )
    .await;
    assert_eq!(code, 6);
    assert_eq!(
        err,
        "curl: (6) Could not resolve host: no-such-host.invalid\n"
    );
}

#[tokio::test]
async fn empty_reply() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            drop(sock);
        }
    });
    let (code, _, err) = curl(&words(&format!("http://{addr}/"), ""), &ProxyEnv::default()).await;
    assert_eq!(code, 52, "{err}");
    assert_eq!(err, "curl: (52) Empty reply from server\n");
}

#[test]
fn write_out_escapes() {
    let mut outcome = transfer::Outcome::failed("http://h/");
    outcome.status = 201;
    let mut err = Vec::new();
    let cases: &[(&str, &str)] = &[
        ("%{http_code}", "201"),
        ("%{response_code}\\n", "201\n"),
        ("code=%{http_code}\\t%%\\\\", "code=201\t%\\"),
        ("%{url_effective}", "http://h/"),
        ("%{http_code", "%{http_code"),
        ("plain \\x", "plain \\x"),
    ];
    for (fmt, want) in cases {
        assert_eq!(outcome.write_out(fmt, &mut err), *want, "{fmt}");
    }
    assert!(err.is_empty());
}

#[tokio::test]
async fn fetches_from_built_in_web_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(super::super::web::serve(listener, async {
        let _ = rx.await;
    }));
    let (code, out, _) = curl(&words("-s {base}/", &base), &ProxyEnv::default()).await;
    assert_eq!(code, 0);
    assert!(out.contains("<title>Welcome to nginx!</title>"), "{out}");
    let (code, out, _) = curl(&words("-sI {base}/", &base), &ProxyEnv::default()).await;
    assert_eq!(code, 0);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("server: nginx\r\n"), "{out}");
    let len = super::super::web::INDEX_HTML.len();
    assert!(out.contains(&format!("content-length: {len}\r\n")), "{out}");
    assert!(out.ends_with("\r\n\r\n"), "{out}");
    let (code, out, _) = curl(
        &words("-s -w '%{http_code}' {base}/nope", &base),
        &ProxyEnv::default(),
    )
    .await;
    assert_eq!(code, 0);
    assert!(out.ends_with("</html>\r\n404"), "{out}");
    let _ = tx.send(());
    assert!(server.await.expect("join").is_ok());
}
