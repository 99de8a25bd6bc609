//! Tests of the exec query, protocol negotiation, statuses, and whole sessions against a real
//! server and WebSocket client.

use std::net::SocketAddr;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderValue};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as ClientMessage;

use super::*;

/// Serves `/exec` on a free loopback port, running the requested command locally.
pub(crate) async fn spawn_server() -> SocketAddr {
    async fn handler(
        ws: WebSocketUpgrade,
        headers: HeaderMap,
        RawQuery(query): RawQuery,
    ) -> Response {
        if headers
            .get(http::header::AUTHORIZATION)
            .is_some_and(|v| v != "Bearer secret")
        {
            let status = serde_json::json!({"kind": "Status", "status": "Failure", "message": "Unauthorized", "code": 401});
            return (StatusCode::UNAUTHORIZED, axum::Json(status)).into_response();
        }
        let query = match ExecQuery::from_query(query.as_deref().unwrap_or_default()) {
            Ok(query) => query,
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        };
        let mut cmd =
            tokio::process::Command::new(query.command.first().cloned().unwrap_or_default());
        cmd.args(query.command.iter().skip(1));
        respond(ws, &headers, query, cmd)
    }
    let app = axum::Router::new().route("/exec", axum::routing::get(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

type Client = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connect(
    addr: SocketAddr,
    query: &str,
    protocols: &str,
) -> Result<(Client, Option<String>), String> {
    let mut request = format!("ws://{addr}/exec?{query}")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(protocols).unwrap(),
    );
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, response) = tokio_tungstenite::client_async(request, tcp)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(response) => {
                format!("http {}", response.status().as_u16())
            }
            other => other.to_string(),
        })?;
    let protocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((ws, protocol))
}

/// Every channel message until the server closes.
async fn collect(ws: &mut Client) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    while let Some(Ok(message)) = ws.next().await {
        match message {
            ClientMessage::Binary(data) => {
                let (channel, payload) = data.split_first().unwrap();
                out.push((*channel, String::from_utf8_lossy(payload).into_owned()));
            }
            ClientMessage::Close(_) => break,
            _ => {}
        }
    }
    out
}

fn joined(messages: &[(u8, String)], channel: u8) -> String {
    messages
        .iter()
        .filter(|(c, _)| *c == channel)
        .map(|(_, text)| text.as_str())
        .collect()
}

fn bin(data: &[u8]) -> ClientMessage {
    ClientMessage::Binary(data.to_vec().into())
}

#[test]
fn query_cases() {
    let q = |command: &[&str], container: Option<&str>, stdin, stdout, stderr, tty| {
        Ok(ExecQuery {
            command: command.iter().map(|s| s.to_string()).collect(),
            container: container.map(str::to_owned),
            stdin,
            stdout,
            stderr,
            tty,
        })
    };
    let cases: Vec<(&str, Result<ExecQuery, String>)> = vec![
        (
            "command=sh&command=-c&command=echo+a%26b&container=app&stdin=true&stdout=true&stderr=true&tty=false",
            q(&["sh", "-c", "echo a&b"], Some("app"), true, true, true, false),
        ),
        ("command=ls", q(&["ls"], None, false, true, true, false)),
        ("command=ls&stdin=1&tty=1&stderr=false", q(&["ls"], None, true, true, false, true)),
        ("command=ls&stdout=0&stdout=1", q(&["ls"], None, false, false, true, false)),
        ("command=&container=", q(&[""], None, false, true, true, false)),
        ("stdin=true", Err("you must specify at least one command for the container".into())),
        ("", Err("you must specify at least one command for the container".into())),
        (
            "command=ls&stdout=false&stderr=false",
            Err("you must specify at least 1 of stdin, stdout, stderr".into()),
        ),
    ];
    for (query, want) in cases {
        assert_eq!(ExecQuery::from_query(query), want, "{query:?}");
    }
}

#[test]
fn negotiate_cases() {
    let cases: &[(&[&str], Option<&str>)] = &[
        (
            &["v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io"],
            Some(PROTOCOL_V5),
        ),
        (&["v4.channel.k8s.io,v5.channel.k8s.io"], Some(PROTOCOL_V5)),
        (&["v4.channel.k8s.io"], Some(PROTOCOL_V4)),
        (
            &["base64.channel.k8s.io", "v4.channel.k8s.io"],
            Some(PROTOCOL_V4),
        ),
        (&["channel.k8s.io, v4.base64.channel.k8s.io"], None),
        (&[], None),
    ];
    for (values, want) in cases {
        let mut headers = HeaderMap::new();
        for value in *values {
            headers.append(
                http::header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        assert_eq!(negotiate(&headers), *want, "{values:?}");
    }
}

#[test]
fn status_json() {
    assert_eq!(
        success_status().to_string(),
        r#"{"metadata":{},"status":"Success"}"#
    );
    assert_eq!(
        exit_status(2).to_string(),
        r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 2","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"2"}]}}"#
    );
    let cases = [
        (
            "foo",
            std::io::ErrorKind::NotFound,
            "exec: \"foo\": executable file not found in $PATH",
            127,
        ),
        (
            "/bin/nope",
            std::io::ErrorKind::NotFound,
            "exec: \"/bin/nope\": stat /bin/nope: no such file or directory",
            127,
        ),
        (
            "/etc/passwd",
            std::io::ErrorKind::PermissionDenied,
            "exec: \"/etc/passwd\": permission denied",
            126,
        ),
    ];
    for (program, kind, detail, code) in cases {
        let (message, got_code) = spawn_failure(program, &std::io::Error::from(kind));
        assert_eq!(
            message,
            format!("OCI runtime exec failed: exec failed: unable to start container process: {detail}: unknown")
        );
        assert_eq!(got_code, code);
    }
    let (message, code) = spawn_failure("/x", &std::io::Error::from_raw_os_error(8));
    assert_eq!(
        (message.as_str(), code),
        ("OCI runtime exec failed: exec failed: unable to start container process: exec: \"/x\": exec format error: unknown", 126)
    );
}

#[tokio::test]
async fn stdin_is_copied_and_closed_with_v5() {
    let addr = spawn_server().await;
    let (mut ws, protocol) = connect(
        addr,
        "command=cat&stdin=true&stdout=true&stderr=true",
        "v5.channel.k8s.io, v4.channel.k8s.io",
    )
    .await
    .unwrap();
    assert_eq!(protocol.as_deref(), Some(PROTOCOL_V5));
    ws.send(bin(b"\x00hello ")).await.unwrap();
    ws.send(bin(b"\x04{\"Width\":80,\"Height\":24}"))
        .await
        .unwrap();
    ws.send(bin(b"\x00world\n")).await.unwrap();
    ws.send(bin(&[CHANNEL_CLOSE, CHANNEL_STDIN])).await.unwrap();
    let messages = collect(&mut ws).await;
    assert_eq!(
        messages.first(),
        Some(&(CHANNEL_STDOUT, String::new())),
        "ready signal first"
    );
    assert_eq!(joined(&messages, CHANNEL_STDOUT), "hello world\n");
    assert_eq!(joined(&messages, CHANNEL_STDERR), "");
    assert_eq!(
        messages.last(),
        Some(&(CHANNEL_ERROR, success_status().to_string()))
    );
}

#[tokio::test]
async fn exit_code_and_both_outputs() {
    let addr = spawn_server().await;
    let query = "command=sh&command=-c&command=echo+out%3B+echo+err+%3E%262%3B+exit+2&stdout=true&stderr=true";
    let (mut ws, _) = connect(addr, query, "v5.channel.k8s.io").await.unwrap();
    let messages = collect(&mut ws).await;
    assert_eq!(joined(&messages, CHANNEL_STDOUT), "out\n");
    assert_eq!(joined(&messages, CHANNEL_STDERR), "err\n");
    assert_eq!(joined(&messages, CHANNEL_ERROR), exit_status(2).to_string());
}

#[tokio::test]
async fn stderr_only_gets_the_ready_signal() {
    let addr = spawn_server().await;
    let (mut ws, _) = connect(
        addr,
        "command=sh&command=-c&command=echo+x%3Bkill+-9+%24%24&stdout=false",
        "v5.channel.k8s.io",
    )
    .await
    .unwrap();
    let messages = collect(&mut ws).await;
    assert_eq!(messages.first(), Some(&(CHANNEL_STDERR, String::new())));
    assert_eq!(joined(&messages, CHANNEL_STDOUT), "");
    assert_eq!(
        joined(&messages, CHANNEL_ERROR),
        exit_status(137).to_string()
    );
}

#[tokio::test]
async fn v4_without_close_signal() {
    let addr = spawn_server().await;
    let (mut ws, protocol) = connect(
        addr,
        "command=head&command=-c&command=5&stdin=1",
        "v4.channel.k8s.io",
    )
    .await
    .unwrap();
    assert_eq!(protocol.as_deref(), Some(PROTOCOL_V4));
    ws.send(bin(b"\x00abcdefgh")).await.unwrap();
    let messages = collect(&mut ws).await;
    assert_eq!(joined(&messages, CHANNEL_STDOUT), "abcde");
    assert_eq!(
        joined(&messages, CHANNEL_ERROR),
        success_status().to_string()
    );
}

#[tokio::test]
async fn missing_program_reports_like_the_runtime() {
    let addr = spawn_server().await;
    let (mut ws, _) = connect(
        addr,
        "command=no-such-program-here&stdout=1&stderr=1",
        "v5.channel.k8s.io",
    )
    .await
    .unwrap();
    let messages = collect(&mut ws).await;
    let message = "OCI runtime exec failed: exec failed: unable to start container process: \
                   exec: \"no-such-program-here\": executable file not found in $PATH: unknown";
    assert_eq!(joined(&messages, CHANNEL_STDERR), format!("{message}\r\n"));
    let status: serde_json::Value =
        serde_json::from_str(&joined(&messages, CHANNEL_ERROR)).unwrap();
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "NonZeroExitCode");
    assert_eq!(status["message"], message);
    assert_eq!(status["details"]["causes"][0]["message"], "127");
}

#[tokio::test]
async fn refused_without_a_known_protocol() {
    let addr = spawn_server().await;
    let got = connect(addr, "command=ls", "channel.k8s.io")
        .await
        .map(|_| ());
    assert_eq!(got, Err("http 400".to_owned()));
    let got = connect(addr, "stdin=1", "v5.channel.k8s.io")
        .await
        .map(|_| ());
    assert_eq!(got, Err("http 400".to_owned()));
}

#[tokio::test]
async fn client_going_away_kills_the_command() {
    let addr = spawn_server().await;
    let query = "command=sh&command=-c&command=echo+%24%24%3B+exec+sleep+30";
    let (mut ws, _) = connect(addr, query, "v5.channel.k8s.io").await.unwrap();
    let mut pid = String::new();
    while let Some(Ok(message)) = ws.next().await {
        if let ClientMessage::Binary(data) = message {
            pid.push_str(&String::from_utf8_lossy(data.get(1..).unwrap_or_default()));
            if pid.ends_with('\n') {
                break;
            }
        }
    }
    let proc_dir = format!("/proc/{}", pid.trim());
    assert!(std::path::Path::new(&proc_dir).exists(), "{proc_dir}");
    drop(ws);
    let mut gone = false;
    for _ in 0..50 {
        if !std::path::Path::new(&proc_dir).exists() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "{proc_dir} still running");
}
