//! The config client: follows the control plane's stream, applies each version, and answers
//! with an ACK (or a NACK when a version cannot be used, keeping the previous one).

use super::config::MeshConfig;
use super::Shared;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// First reconnect delay; doubled after each failed attempt up to [`MAX_BACKOFF`].
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Why a config stream session ended.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// The control plane could not be reached.
    #[error("cannot connect to the control plane at {addr}: {source}")]
    Connect {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// The HTTP exchange failed.
    #[error("config stream: {0}")]
    Http(#[from] hyper::Error),
    /// The control plane refused the stream.
    #[error("config stream refused with HTTP {0}")]
    Status(u16),
}

/// One line of the stream, as far as it could be understood.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Update {
    /// A version and its config, which still has to be validated.
    Config { version: String, config: Value },
    /// A line that is not a `{"version":…,"config":…}` document.
    Garbled(String),
}

/// Understand one stream line.
pub(crate) fn parse_line(line: &[u8]) -> Update {
    let doc: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Update::Garbled(format!("not JSON: {e}")),
    };
    let Some(version) = doc.get("version").and_then(Value::as_str) else {
        return Update::Garbled("no \"version\" string".to_string());
    };
    Update::Config {
        version: version.to_string(),
        config: doc.get("config").cloned().unwrap_or(Value::Null),
    }
}

/// Take every complete line out of `buf`, leaving a partial last line in place.
pub(crate) fn take_lines(buf: &mut Vec<u8>) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
        let mut line: Vec<u8> = buf.drain(..=pos).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            lines.push(line);
        }
    }
    lines
}

/// The delay after `current`: doubled, at most [`MAX_BACKOFF`].
pub(crate) fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// Follow the config stream forever, reconnecting with backoff; the last applied config keeps
/// serving while disconnected.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut backoff = INITIAL_BACKOFF;
    loop {
        let mut progressed = false;
        match session(&shared, &mut progressed).await {
            Ok(()) => tracing::info!("config stream closed by the control plane; reconnecting"),
            Err(e) => tracing::warn!("{e}; retrying in {backoff:?}"),
        }
        if progressed {
            backoff = INITIAL_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

/// One connection to the stream; `progressed` is set once a line arrived.
async fn session(shared: &Shared, progressed: &mut bool) -> Result<(), ClientError> {
    let settings = &shared.settings;
    let stream = TcpStream::connect(settings.xds)
        .await
        .map_err(|source| ClientError::Connect {
            addr: settings.xds,
            source,
        })?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn);
    let req = Request::get(format!(
        "/v1/config?proxy={}/{}",
        settings.namespace, settings.pod
    ))
    .header("host", settings.xds.to_string())
    .header("accept", "application/x-ndjson")
    .body(Empty::<Bytes>::new());
    let Ok(req) = req else {
        // Only a pod name with characters invalid in a URL gets here.
        return Err(ClientError::Status(400));
    };
    let resp = sender.send_request(req).await?;
    if !resp.status().is_success() {
        conn.abort();
        return Err(ClientError::Status(resp.status().as_u16()));
    }
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    let result = loop {
        match body.frame().await {
            None => break Ok(()),
            Some(Err(e)) => break Err(ClientError::Http(e)),
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                buf.extend_from_slice(&data);
                for line in take_lines(&mut buf) {
                    *progressed = true;
                    apply(shared, &line).await;
                }
            }
        }
    };
    conn.abort();
    result
}

/// Apply one line and answer it.
async fn apply(shared: &Shared, line: &[u8]) {
    let (version, config) = match parse_line(line) {
        Update::Config { version, config } => (version, config),
        Update::Garbled(why) => {
            // Without a version there is nothing to NACK.
            tracing::warn!("ignoring config stream line: {why}");
            return;
        }
    };
    let error = match MeshConfig::parse(&config) {
        Ok(parsed) => {
            shared.config.store(Some(Arc::new(parsed)));
            shared.proxy.apply(&config);
            tracing::info!(%version, "applied mesh config");
            None
        }
        Err(e) => {
            tracing::warn!(%version, "rejected mesh config: {e}");
            Some(e.to_string())
        }
    };
    if let Err(e) = ack(shared, &version, error).await {
        tracing::warn!(%version, "cannot answer the control plane: {e}");
    }
}

/// `POST /v1/ack` on a connection of its own (the stream's is busy).
async fn ack(shared: &Shared, version: &str, error: Option<String>) -> Result<(), ClientError> {
    let settings = &shared.settings;
    let body = serde_json::json!({
        "proxy": format!("{}/{}", settings.namespace, settings.pod),
        "version": version,
        "error": error,
    });
    let stream = TcpStream::connect(settings.xds)
        .await
        .map_err(|source| ClientError::Connect {
            addr: settings.xds,
            source,
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn);
    let req = Request::post("/v1/ack")
        .header("host", settings.xds.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())));
    let Ok(req) = req else {
        return Err(ClientError::Status(400));
    };
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    // Drain so the exchange completes before the connection goes.
    let _ = resp.into_body().collect().await;
    conn.abort();
    if status.is_success() {
        Ok(())
    } else {
        Err(ClientError::Status(status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Input, complete lines, what stays buffered.
    type LineCase = (&'static [u8], Vec<&'static [u8]>, &'static [u8]);

    #[test]
    fn lines_are_split_and_partial_kept() {
        let cases: [LineCase; 5] = [
            (b"", vec![], b""),
            (b"abc", vec![], b"abc"),
            (b"a\nb\n", vec![b"a", b"b"], b""),
            (b"a\r\n\n  \nbc", vec![b"a"], b"bc"),
            (b"{\"x\":1}\n{\"y\"", vec![b"{\"x\":1}"], b"{\"y\""),
        ];
        for (input, lines, rest) in cases {
            let mut buf = input.to_vec();
            let got = take_lines(&mut buf);
            let want: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
            assert_eq!(got, want, "{input:?}");
            assert_eq!(buf, rest, "{input:?}");
        }
    }

    #[test]
    fn stream_lines() {
        let cases = [
            (
                r#"{"version":"3","config":{"services":[]}}"#,
                Update::Config {
                    version: "3".into(),
                    config: json!({"services": []}),
                },
            ),
            (
                r#"{"version":"4"}"#,
                Update::Config {
                    version: "4".into(),
                    config: Value::Null,
                },
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parse_line(line.as_bytes()), want, "{line}");
        }
        for bad in ["nope", r#"{"version":3}"#, r#"{"config":{}}"#] {
            assert!(
                matches!(parse_line(bad.as_bytes()), Update::Garbled(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn backoff_doubles_to_two_seconds() {
        let mut d = INITIAL_BACKOFF;
        let mut seen = vec![d.as_millis()];
        for _ in 0..6 {
            d = next_backoff(d);
            seen.push(d.as_millis());
        }
        assert_eq!(seen, [100, 200, 400, 800, 1600, 2000, 2000]);
    }
}
