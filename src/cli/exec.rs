//! `meshlite exec`: the client side of the Kubernetes exec channel protocol over WebSocket
//! (`v5.channel.k8s.io`, falling back to `v4.channel.k8s.io`).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use http::HeaderValue;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The protocols offered, preferred first.
const PROTOCOLS: &str = "v5.channel.k8s.io, v4.channel.k8s.io";
const PROTOCOL_V5: &str = "v5.channel.k8s.io";

const CHANNEL_STDIN: u8 = 0;
const CHANNEL_STDOUT: u8 = 1;
const CHANNEL_STDERR: u8 = 2;
const CHANNEL_ERROR: u8 = 3;
const CHANNEL_CLOSE: u8 = 255;

/// How many bytes of local input go into one message at most.
const INPUT_CHUNK: usize = 32 * 1024;

/// How an exec session ended without an exit code of the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecClientError {
    /// The server reported a failure other than the command's exit code.
    #[error("{0}")]
    Failed(String),
    /// The status on the error channel is not a `metav1.Status`.
    #[error("error reading the exec status: {0}")]
    Malformed(String),
    /// The URL cannot be used.
    #[error("invalid exec URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Runs an exec session against `url` (`wss://…/pods/NAME/exec?command=…`) with the process's
/// own stdin (when `stdin`), stdout and stderr; returns the command's exit code.
///
/// `tls` is needed for `wss://` (and `https://`) URLs; plain `ws://` ones connect without it.
pub async fn exec(
    url: &str,
    token: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    stdin: bool,
) -> anyhow::Result<i32> {
    let input = stdin.then(tokio::io::stdin);
    run(
        url,
        token,
        tls,
        input,
        tokio::io::stdout(),
        tokio::io::stderr(),
    )
    .await
}

/// [`exec`] with the local streams given by the caller.
pub async fn run<I, O, E>(
    url: &str,
    token: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    input: Option<I>,
    stdout: O,
    mut stderr: E,
) -> anyhow::Result<i32>
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    let bad_url = |reason: &str| ExecClientError::Url {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    // The API server's address may be given with its HTTP scheme.
    let ws_url = match url.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some(("http", rest)) => format!("ws://{rest}"),
        _ => url.to_owned(),
    };
    let mut request = ws_url.as_str().into_client_request()?;
    let headers = request.headers_mut();
    if !token.is_empty() {
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
    }
    headers.insert(
        http::header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(PROTOCOLS),
    );
    let secure = match request.uri().scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => return Err(bad_url("the scheme must be wss, ws, https or http").into()),
    };
    let host = request.uri().host().ok_or_else(|| bad_url("no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = request
        .uri()
        .port_u16()
        .unwrap_or(if secure { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let code = if secure {
        let tls = tls.ok_or_else(|| bad_url("a TLS configuration is needed for wss"))?;
        let name = rustls::pki_types::ServerName::try_from(host)?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await?;
        let (ws, response) = tokio_tungstenite::client_async(request, stream)
            .await
            .map_err(handshake_error)?;
        session(ws, is_v5(&response), input, stdout, &mut stderr).await?
    } else {
        let (ws, response) = tokio_tungstenite::client_async(request, tcp)
            .await
            .map_err(handshake_error)?;
        session(ws, is_v5(&response), input, stdout, &mut stderr).await?
    };
    match code {
        Ok(code) => {
            if code != 0 {
                // As kubectl reports a command's failure.
                stderr
                    .write_all(format!("command terminated with exit code {code}\n").as_bytes())
                    .await?;
                stderr.flush().await?;
            }
            Ok(code)
        }
        Err(e) => {
            stderr.write_all(format!("error: {e}\n").as_bytes()).await?;
            stderr.flush().await?;
            Ok(1)
        }
    }
}

fn is_v5(response: &tokio_tungstenite::tungstenite::handshake::client::Response) -> bool {
    response
        .headers()
        .get(http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        == Some(PROTOCOL_V5)
}

/// Turns a refused upgrade into the API server's own message when it sent a Status.
fn handshake_error(error: tokio_tungstenite::tungstenite::Error) -> anyhow::Error {
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else {
        return error.into();
    };
    let message = response
        .body()
        .as_deref()
        .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
        .and_then(|status| {
            status
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        });
    match message {
        Some(message) => anyhow::anyhow!("{message}"),
        None => anyhow::anyhow!("unable to upgrade connection: {}", response.status()),
    }
}

/// Pumps the channels until the server closes; returns the outcome read from the status.
async fn session<S, I, O, E>(
    ws: WebSocketStream<S>,
    v5: bool,
    input: Option<I>,
    mut stdout: O,
    stderr: &mut E,
) -> anyhow::Result<Result<i32, ExecClientError>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    let (mut sink, mut source) = ws.split();
    let writer = input.map(|input| {
        tokio::spawn(async move {
            let _ = send_input(input, &mut sink, v5).await;
        })
    });
    let mut status = Vec::new();
    let mut got_status = false;
    while let Some(message) = source.next().await {
        let message = match message {
            Ok(message) => message,
            // The server may drop the connection right after its status.
            Err(_) if got_status => break,
            Err(e) => {
                abort(writer);
                return Err(e.into());
            }
        };
        let Message::Binary(data) = message else {
            if matches!(message, Message::Close(_)) {
                break;
            }
            continue;
        };
        match data.split_first() {
            Some((&CHANNEL_STDOUT, payload)) if !payload.is_empty() => {
                stdout.write_all(payload).await?;
                stdout.flush().await?;
            }
            Some((&CHANNEL_STDERR, payload)) if !payload.is_empty() => {
                stderr.write_all(payload).await?;
                stderr.flush().await?;
            }
            Some((&CHANNEL_ERROR, payload)) => {
                status.extend_from_slice(payload);
                got_status |= !payload.is_empty();
            }
            _ => {}
        }
    }
    abort(writer);
    Ok(exit_code(&status))
}

fn abort(task: Option<tokio::task::JoinHandle<()>>) {
    if let Some(task) = task {
        task.abort();
    }
}

/// Copies local input to the stdin channel; at its end, v5 tells the server stdin is closed.
async fn send_input<I, K>(mut input: I, sink: &mut K, v5: bool) -> anyhow::Result<()>
where
    I: AsyncRead + Unpin,
    K: futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    let mut buf = vec![0u8; INPUT_CHUNK + 1];
    loop {
        // The first byte of the buffer is the channel, so input is read right behind it.
        let Some(space) = buf.get_mut(1..) else {
            return Ok(());
        };
        let n = input.read(space).await.unwrap_or(0);
        if n == 0 {
            if v5 {
                sink.send(Message::Binary(vec![CHANNEL_CLOSE, CHANNEL_STDIN].into()))
                    .await?;
            }
            return Ok(());
        }
        let mut message = buf.get(..=n).unwrap_or_default().to_vec();
        if let Some(first) = message.first_mut() {
            *first = CHANNEL_STDIN;
        }
        sink.send(Message::Binary(message.into())).await?;
    }
}

/// The exit code a `metav1.Status` from the error channel stands for: 0 for `Success` (or no
/// status at all), the `ExitCode` cause for `NonZeroExitCode`, else the failure.
pub fn exit_code(status: &[u8]) -> Result<i32, ExecClientError> {
    if status.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    let status: serde_json::Value =
        serde_json::from_slice(status).map_err(|e| ExecClientError::Malformed(e.to_string()))?;
    let text =
        |v: &serde_json::Value, key: &str| v.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    match text(&status, "status").as_deref() {
        Some("Success") => return Ok(0),
        Some("Failure") => {}
        _ => {
            return Err(ExecClientError::Malformed(
                "status is neither Success nor Failure".to_owned(),
            ))
        }
    }
    let message = text(&status, "message").unwrap_or_else(|| "command failed".to_owned());
    if text(&status, "reason").as_deref() != Some("NonZeroExitCode") {
        return Err(ExecClientError::Failed(message));
    }
    let causes = status.pointer("/details/causes").and_then(|c| c.as_array());
    causes
        .into_iter()
        .flatten()
        .find(|cause| text(cause, "reason").as_deref() == Some("ExitCode"))
        .and_then(|cause| text(cause, "message"))
        .and_then(|code| code.trim().parse::<i32>().ok())
        .ok_or(ExecClientError::Failed(message))
}

/// `meshlite exec POD [-c C] -- COMMAND…`
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// POD, pod/NAME or TYPE/NAME (deploy/httpbin)
    pub target: String,
    /// The container (default: the only one, or the pod's default container).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Pass this terminal's stdin to the command.
    #[arg(short = 'i', long)]
    pub stdin: bool,
    /// Accepted for kubectl compatibility; the command runs on pipes, not a terminal.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// Run `exec`; returns the command's exit code.
pub async fn exec_command(g: &super::Global, a: ExecArgs) -> anyhow::Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let pod = super::pods::resolve(&client, &ns, &a.target).await?;
    let mut q = form_urlencoded::Serializer::new(String::new());
    for part in &a.command {
        q.append_pair("command", part);
    }
    if let Some(c) = &a.container {
        q.append_pair("container", c);
    }
    q.append_pair("stdin", if a.stdin { "true" } else { "false" });
    q.append_pair("stdout", "true");
    q.append_pair("stderr", "true");
    q.append_pair("tty", "false");
    let url = format!(
        "{}/api/v1/namespaces/{ns}/pods/{}/exec?{}",
        client.server,
        crate::api::meta::name(&pod),
        q.finish()
    );
    exec(&url, client.token(), Some(client.tls_config()?), a.stdin).await
}
