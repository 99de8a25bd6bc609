//! `pods/exec` over WebSocket: the Kubernetes channel protocol (`v5.channel.k8s.io` and
//! `v4.channel.k8s.io`), server side, running the command as a local process.

mod status;
mod tty;

#[cfg(test)]
pub(crate) mod tests;

use std::process::Stdio;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

pub use status::{exit_code_of, exit_status, failure_status, spawn_failure, success_status};

/// The protocol with stream-close signals, used by kubectl 1.30 and later.
pub const PROTOCOL_V5: &str = "v5.channel.k8s.io";
/// The protocol before stream-close signals: stdin ends only with the connection.
pub const PROTOCOL_V4: &str = "v4.channel.k8s.io";

/// Channel of the command's standard input (client to server).
pub const CHANNEL_STDIN: u8 = 0;
/// Channel of the command's standard output.
pub const CHANNEL_STDOUT: u8 = 1;
/// Channel of the command's standard error.
pub const CHANNEL_STDERR: u8 = 2;
/// Channel of the final `metav1.Status` JSON.
pub const CHANNEL_ERROR: u8 = 3;
/// Channel of terminal size changes (`{"Width":..,"Height":..}`).
pub const CHANNEL_RESIZE: u8 = 4;
/// v5 only: a message `[255, channel]` says that channel is closed by its writer.
pub const CHANNEL_CLOSE: u8 = 255;

/// How many bytes of output go into one message at most.
const OUTPUT_CHUNK: usize = 32 * 1024;

/// How long the client gets to answer the closing handshake.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Why an exec request is refused before any process starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// No `command` parameter.
    #[error("you must specify at least one command for the container")]
    NoCommand,
    /// None of stdin, stdout and stderr was asked for.
    #[error("you must specify at least 1 of stdin, stdout, stderr")]
    NoStreams,
}

/// The query of an exec request (`PodExecOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecQuery {
    /// The command and its arguments, in order.
    pub command: Vec<String>,
    /// Which container of the pod.
    pub container: Option<String>,
    /// Pass the client's input to the command.
    pub stdin: bool,
    /// Send the command's standard output (defaults to true).
    pub stdout: bool,
    /// Send the command's standard error (defaults to true).
    pub stderr: bool,
    /// The client asked for a terminal.
    pub tty: bool,
}

// === impl ExecQuery ===

impl ExecQuery {
    /// Parses a query such as `command=sh&command=-c&command=date&stdin=true&container=app`.
    pub fn from_query(query: &str) -> Result<ExecQuery, String> {
        Self::parse_query(query).map_err(|e| e.to_string())
    }

    /// [`ExecQuery::from_query`] with a typed error.
    pub fn parse_query(query: &str) -> Result<ExecQuery, ExecError> {
        let mut out = ExecQuery {
            command: Vec::new(),
            container: None,
            stdin: false,
            // The API's defaults for PodExecOptions.
            stdout: true,
            stderr: true,
            tty: false,
        };
        let mut seen = std::collections::HashSet::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "command" {
                out.command.push(value.into_owned());
                continue;
            }
            // For single-valued parameters the first occurrence wins.
            if !seen.insert(key.clone()) {
                continue;
            }
            let flag = || crate::kubelet::logs::parse_bool(&value);
            match key.as_ref() {
                "container" if !value.is_empty() => {
                    out.container = Some(value.clone().into_owned())
                }
                "stdin" => out.stdin = flag(),
                "stdout" => out.stdout = flag(),
                "stderr" => out.stderr = flag(),
                "tty" => out.tty = flag(),
                _ => {}
            }
        }
        if out.command.is_empty() {
            return Err(ExecError::NoCommand);
        }
        if !(out.stdin || out.stdout || out.stderr) {
            return Err(ExecError::NoStreams);
        }
        Ok(out)
    }
}

/// Picks the protocol from the client's `Sec-WebSocket-Protocol` offers: v5, else v4.
pub fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let offered: Vec<&str> = headers
        .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    [PROTOCOL_V5, PROTOCOL_V4]
        .into_iter()
        .find(|protocol| offered.contains(protocol))
}

/// Answers an exec request: upgrades to WebSocket with the negotiated protocol and runs `cmd`,
/// or refuses with 400 when the client offers no protocol this server speaks.
pub fn respond(
    ws: WebSocketUpgrade,
    headers: &HeaderMap,
    query: ExecQuery,
    cmd: tokio::process::Command,
) -> Response {
    let Some(protocol) = negotiate(headers) else {
        let message = format!(
            "unable to upgrade connection: the client must offer {PROTOCOL_V5} or {PROTOCOL_V4}"
        );
        let body = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": "BadRequest",
            "code": 400,
        });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    };
    ws.protocols([protocol])
        .on_upgrade(move |socket| serve(socket, protocol, query, cmd))
}

/// Runs `cmd` with the pipes `query` asks for and connects them to the channels of `socket`;
/// at the end sends the `metav1.Status` on the error channel and closes.
///
/// When the client goes away before the command ends, the command is killed.
pub async fn serve(
    socket: WebSocket,
    protocol: &'static str,
    query: ExecQuery,
    mut cmd: tokio::process::Command,
) {
    let (mut sink, source) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(16);
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                return;
            }
        }
        let close = CloseFrame {
            code: axum::extract::ws::close_code::NORMAL,
            reason: "".into(),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
    });

    // The first message, empty, on the lowest channel the client reads tells it the streams are
    // ready.
    let ready = match (query.stdout, query.stderr) {
        (true, _) => CHANNEL_STDOUT,
        (false, true) => CHANNEL_STDERR,
        (false, false) => CHANNEL_ERROR,
    };
    let _ = tx.send(frame(ready, &[])).await;

    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    let terminal = match query.tty {
        true => tty::attach(&mut cmd).map(Some),
        false => {
            cmd.stdin(pipe_if(query.stdin))
                .stdout(pipe_if(query.stdout))
                .stderr(pipe_if(query.stderr));
            Ok(None)
        }
    };
    let spawned = terminal.and_then(|t| cmd.kill_on_drop(true).spawn().map(|c| (c, t)));
    // The command holds the terminal's slave side; ours must close for the output to end.
    drop(cmd);
    match spawned {
        Ok((child, terminal)) => {
            let streams = Streams::of(child, terminal, query.stdin).await;
            let Some((status, reader)) = run_child(streams, source, protocol, &tx).await else {
                return;
            };
            finish(tx, writer, status).await;
            // Gives the client a moment to answer the closing handshake.
            let _ = tokio::time::timeout(CLOSE_GRACE, reader).await;
        }
        Err(e) => {
            let status = report_spawn_failure(&query, &program, &e, &tx).await;
            finish(tx, writer, status).await;
        }
    }
}

/// A started command's streams: its pipes, or one terminal carrying input and output.
struct Streams {
    child: tokio::process::Child,
    input: Option<Input>,
    /// Each output with its channel.
    outputs: Vec<(Output, u8)>,
    /// Output comes from a terminal, which stays open while anything the command started holds
    /// it; after the command exits, what is left is read for a moment only.
    terminal: bool,
    /// The terminal's device, which resize messages apply to.
    device: Option<std::path::PathBuf>,
}

type Input = Box<dyn tokio::io::AsyncWrite + Unpin + Send>;
type Output = Box<dyn AsyncRead + Unpin + Send>;

/// How long a terminal's last output is waited for after its command exits.
const TERMINAL_DRAIN: std::time::Duration = std::time::Duration::from_secs(1);

impl Streams {
    async fn of(
        mut child: tokio::process::Child,
        terminal: Option<tty::Terminal>,
        stdin: bool,
    ) -> Streams {
        match terminal {
            Some(tty::Terminal { master, device }) => {
                let reader = master.try_clone().await.ok();
                Streams {
                    child,
                    input: stdin.then(|| Box::new(master) as Input),
                    outputs: reader
                        .map(|r| (Box::new(r) as Output, CHANNEL_STDOUT))
                        .into_iter()
                        .collect(),
                    terminal: true,
                    device,
                }
            }
            None => {
                let input = child.stdin.take().map(|i| Box::new(i) as Input);
                let out = child
                    .stdout
                    .take()
                    .map(|o| (Box::new(o) as Output, CHANNEL_STDOUT));
                let err = child
                    .stderr
                    .take()
                    .map(|e| (Box::new(e) as Output, CHANNEL_STDERR));
                Streams {
                    child,
                    input,
                    outputs: out.into_iter().chain(err).collect(),
                    terminal: false,
                    device: None,
                }
            }
        }
    }
}

/// Connects a started command to the socket until it exits; returns its status and the task
/// reading the client, or `None` when the client went away (the command is then killed).
async fn run_child(
    streams: Streams,
    source: futures::stream::SplitStream<WebSocket>,
    protocol: &'static str,
    tx: &mpsc::Sender<Message>,
) -> Option<(serde_json::Value, tokio::task::JoinHandle<()>)> {
    let Streams {
        mut child,
        input,
        outputs,
        terminal,
        device,
    } = streams;
    let (gone_tx, gone_rx) = oneshot::channel();
    let close_signals = protocol == PROTOCOL_V5;
    let reader = tokio::spawn(read_input(source, input, device, close_signals, gone_tx));
    let outputs: Vec<_> = outputs
        .into_iter()
        .map(|(out, channel)| tokio::spawn(send_output(out, channel, tx.clone())))
        .collect();
    let exit = tokio::select! {
        exit = child.wait() => exit,
        _ = gone_rx => {
            let _ = child.kill().await;
            reader.abort();
            return None;
        }
    };
    // Output still in the pipes belongs before the status.
    for mut output in outputs {
        if terminal {
            if tokio::time::timeout(TERMINAL_DRAIN, &mut output)
                .await
                .is_err()
            {
                output.abort();
            }
        } else {
            let _ = output.await;
        }
    }
    let status = match exit {
        Ok(exit) => match exit_code_of(exit) {
            0 => success_status(),
            code => exit_status(code),
        },
        Err(e) => failure_status(&format!("error executing command in container: {e}")),
    };
    Some((status, reader))
}

/// Tells the client a command could not start; returns the status to end with.
async fn report_spawn_failure(
    query: &ExecQuery,
    program: &str,
    error: &std::io::Error,
    tx: &mpsc::Sender<Message>,
) -> serde_json::Value {
    let (message, code) = spawn_failure(program, error);
    // kubectl does not print the message of a non-zero exit, so it also goes to the output the
    // user sees, as container runtimes do.
    let channel = if query.stderr {
        Some(CHANNEL_STDERR)
    } else {
        query.stdout.then_some(CHANNEL_STDOUT)
    };
    if let Some(channel) = channel {
        let _ = tx
            .send(frame(channel, format!("{message}\r\n").as_bytes()))
            .await;
    }
    let mut status = exit_status(code);
    if let Some(object) = status.as_object_mut() {
        object.insert("message".to_owned(), message.into());
    }
    status
}

/// Sends the status, then lets the writer close the connection.
async fn finish(
    tx: mpsc::Sender<Message>,
    writer: tokio::task::JoinHandle<()>,
    status: serde_json::Value,
) {
    let _ = tx
        .send(frame(CHANNEL_ERROR, status.to_string().as_bytes()))
        .await;
    drop(tx);
    let _ = writer.await;
}

fn pipe_if(wanted: bool) -> Stdio {
    if wanted {
        Stdio::piped()
    } else {
        Stdio::null()
    }
}

/// One binary message: the channel byte, then the payload.
pub fn frame(channel: u8, payload: &[u8]) -> Message {
    let mut data = Vec::with_capacity(payload.len() + 1);
    data.push(channel);
    data.extend_from_slice(payload);
    Message::Binary(Bytes::from(data))
}

/// Forwards one pipe of the command to its channel until EOF.
async fn send_output(mut pipe: impl AsyncRead + Unpin, channel: u8, tx: mpsc::Sender<Message>) {
    let mut buf = vec![0u8; OUTPUT_CHUNK];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx
                    .send(frame(channel, buf.get(..n).unwrap_or_default()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Reads the client's messages: stdin data, its close signal and terminal size changes (applied
/// when the command runs on a terminal); unknown channels are ignored. Reports on `gone` when the
/// client closes the connection.
async fn read_input(
    mut source: futures::stream::SplitStream<WebSocket>,
    mut stdin: Option<Input>,
    device: Option<std::path::PathBuf>,
    close_signals: bool,
    gone: oneshot::Sender<()>,
) {
    while let Some(Ok(message)) = source.next().await {
        let data = match message {
            Message::Binary(data) => data,
            Message::Close(_) => break,
            _ => continue,
        };
        match (data.first(), data.get(1..)) {
            (Some(&CHANNEL_STDIN), Some(payload)) => {
                if let Some(pipe) = stdin.as_mut() {
                    // A command that stopped reading closes its stdin; later input is dropped.
                    if pipe.write_all(payload).await.is_err() || pipe.flush().await.is_err() {
                        stdin = None;
                    }
                }
            }
            (Some(&CHANNEL_CLOSE), Some([CHANNEL_STDIN])) if close_signals => stdin = None,
            (Some(&CHANNEL_RESIZE), Some(size)) => {
                if let Some(device) = &device {
                    tty::resize(device, size).await;
                }
            }
            _ => {}
        }
    }
    drop(stdin);
    let _ = gone.send(());
}
