//! Tests of single probe checks against local servers and commands.

use std::net::Ipv4Addr;
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::*;

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

async fn headers(h: HeaderMap) -> StatusCode {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    if get("user-agent") == PROBE_USER_AGENT && get("accept") == "*/*" && get("x-custom") == "yes" {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// A probe target on 127.0.0.1; returns its port.
async fn serve() -> u16 {
    let app = Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/fail", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/redirect",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/nowhere")]).into_response() }),
        )
        .route("/slow", get(slow))
        .route("/headers", get(headers));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind test server");
    let port = listener.local_addr().expect("local addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// A loopback port with nothing listening on it.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    listener.local_addr().expect("local addr").port()
}

fn http(port: u16, path: &str, headers: &[(&str, &str)]) -> Action {
    Action::HttpGet {
        port,
        path: path.to_string(),
        scheme_https: false,
        host: None,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

async fn run(action: &Action, timeout: Duration) -> Outcome {
    check(action, timeout, &[], Path::new(".")).await
}

#[tokio::test]
async fn http_probes() {
    let port = serve().await;
    let second = Duration::from_secs(1);
    let slow_url = format!("http://127.0.0.1:{port}/slow");
    let cases: Vec<(&str, Action, Outcome)> = vec![
        ("200", http(port, "/ok", &[]), Outcome::Success),
        (
            "302 counts as success",
            http(port, "/redirect", &[]),
            Outcome::Success,
        ),
        (
            "500",
            http(port, "/fail", &[]),
            Outcome::Failure("HTTP probe failed with statuscode: 500".into()),
        ),
        (
            "404",
            http(port, "/missing", &[]),
            Outcome::Failure("HTTP probe failed with statuscode: 404".into()),
        ),
        (
            "default and custom headers sent",
            http(port, "/headers", &[("X-Custom", "yes")]),
            Outcome::Success,
        ),
        (
            "custom user agent replaces the default",
            http(
                port,
                "/headers",
                &[("X-Custom", "yes"), ("User-Agent", "me")],
            ),
            Outcome::Failure("HTTP probe failed with statuscode: 400".into()),
        ),
        (
            "slow server times out",
            http(port, "/slow", &[]),
            Outcome::Failure(format!(
                "Get \"{slow_url}\": context deadline exceeded \
                 (Client.Timeout exceeded while awaiting headers)"
            )),
        ),
    ];
    for (name, action, want) in cases {
        let started = std::time::Instant::now();
        assert_eq!(run(&action, second).await, want, "{name}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{name}: took too long"
        );
    }
}

#[tokio::test]
async fn http_probe_connection_refused() {
    let port = closed_port().await;
    let got = run(&http(port, "/healthz", &[]), Duration::from_secs(1)).await;
    assert_eq!(
        got,
        Outcome::Failure(format!(
            "Get \"http://127.0.0.1:{port}/healthz\": dial tcp 127.0.0.1:{port}: \
             connect: connection refused"
        ))
    );
}

#[tokio::test]
async fn tcp_and_fallback_probes() {
    let open = serve().await;
    let closed = closed_port().await;
    let refused = format!("dial tcp 127.0.0.1:{closed}: connect: connection refused");
    let https = |port| Action::HttpGet {
        port,
        path: "/".into(),
        scheme_https: true,
        host: None,
        headers: vec![],
    };
    let cases: Vec<(&str, Action, Outcome)> = vec![
        (
            "tcp open",
            Action::TcpSocket { port: open },
            Outcome::Success,
        ),
        (
            "tcp closed",
            Action::TcpSocket { port: closed },
            Outcome::Failure(refused.clone()),
        ),
        ("grpc open", Action::Grpc { port: open }, Outcome::Success),
        ("https open", https(open), Outcome::Success),
        ("https closed", https(closed), Outcome::Failure(refused)),
    ];
    for (name, action, want) in cases {
        assert_eq!(run(&action, Duration::from_secs(1)).await, want, "{name}");
    }
}

fn sh(script: &str) -> Action {
    Action::Exec {
        command: vec!["sh".into(), "-c".into(), script.into()],
    }
}

#[tokio::test]
async fn exec_probes() {
    let dir = std::env::temp_dir();
    let env = [("PROBE_WORD".to_string(), "hello".to_string())];
    let cases: Vec<(&str, Action, Outcome)> = vec![
        ("exit 0", sh("exit 0"), Outcome::Success),
        (
            "exit 1 without output",
            sh("exit 1"),
            Outcome::Failure("command \"sh -c exit 1\" exited with code 1".into()),
        ),
        (
            "output in the message",
            sh("echo out; echo err >&2; exit 2"),
            Outcome::Failure("out\nerr".into()),
        ),
        (
            "env is passed",
            sh("test \"$PROBE_WORD\" = hello"),
            Outcome::Success,
        ),
        (
            "cwd is used",
            sh(&format!(
                "test \"$(pwd -P)\" = \"$(cd {} && pwd -P)\"",
                dir.display()
            )),
            Outcome::Success,
        ),
        (
            "timeout",
            sh("sleep 5"),
            Outcome::Failure("command \"sh -c sleep 5\" timed out".into()),
        ),
        (
            "missing program",
            Action::Exec {
                command: vec!["no-such-program-here".into()],
            },
            Outcome::Failure(
                "exec: \"no-such-program-here\": executable file not found in $PATH".into(),
            ),
        ),
    ];
    for (name, action, want) in cases {
        let started = std::time::Instant::now();
        let got = check(&action, Duration::from_millis(500), &env, &dir).await;
        assert_eq!(got, want, "{name}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{name}: took too long"
        );
    }
}
