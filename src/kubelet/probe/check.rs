//! Running one probe check against a container's host port or as a local command.

use std::io;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::header::{HeaderName, HeaderValue, ACCEPT, CONNECTION, HOST, USER_AGENT};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::process::Command;

use super::{Action, Outcome};

#[cfg(test)]
mod tests;

/// The kubelet's probe User-Agent.
pub const PROBE_USER_AGENT: &str = "kube-probe/1.31";

/// Containers run on the loopback address.
const CONTAINER_HOST: &str = "127.0.0.1";

/// Run one check. `exec_env`/`cwd` are for exec probes (run the command as a local
/// process, success = exit 0, output in the message on failure).
///
/// HTTPS and gRPC probes are checked by opening a TCP connection to the port: TLS and
/// HTTP/2 are not spoken here, and the kubelet skips certificate verification anyway, so
/// a listening port is the closest local equivalent.
pub async fn check(
    action: &Action,
    timeout: Duration,
    exec_env: &[(String, String)],
    cwd: &Path,
) -> Outcome {
    match action {
        Action::HttpGet {
            port,
            path,
            scheme_https: false,
            host,
            headers,
        } => {
            let host = host.as_deref().unwrap_or(CONTAINER_HOST);
            http_get(host, *port, path, headers, timeout).await
        }
        Action::HttpGet {
            port,
            scheme_https: true,
            host,
            ..
        } => tcp_connect(host.as_deref().unwrap_or(CONTAINER_HOST), *port, timeout).await,
        Action::TcpSocket { port } | Action::Grpc { port } => {
            tcp_connect(CONTAINER_HOST, *port, timeout).await
        }
        Action::Exec { command } => exec(command, timeout, exec_env, cwd).await,
    }
}

/// `host:port` as Go writes it (IPv6 literals bracketed).
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The dial error as Go's net package words it.
fn dial_error(addr: &str, err: &io::Error) -> String {
    let reason = match err.kind() {
        io::ErrorKind::ConnectionRefused => "connect: connection refused".to_string(),
        io::ErrorKind::TimedOut => "i/o timeout".to_string(),
        io::ErrorKind::HostUnreachable => "connect: no route to host".to_string(),
        io::ErrorKind::NetworkUnreachable => "connect: network is unreachable".to_string(),
        _ => err.to_string(),
    };
    format!("dial tcp {addr}: {reason}")
}

async fn tcp_connect(host: &str, port: u16, timeout: Duration) -> Outcome {
    let addr = authority(host, port);
    match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(_stream)) => Outcome::Success,
        Ok(Err(e)) => Outcome::Failure(dial_error(&addr, &e)),
        Err(_) => Outcome::Failure(format!("dial tcp {addr}: i/o timeout")),
    }
}

/// Why an HTTP GET did not produce a status.
enum HttpError {
    Dial(io::Error),
    Other(String),
}

async fn http_get(
    host: &str,
    port: u16,
    path: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Outcome {
    let addr = authority(host, port);
    let url = format!("http://{addr}{path}");
    match tokio::time::timeout(timeout, fetch_status(host, port, &addr, path, headers)).await {
        Err(_) => Outcome::Failure(format!(
            "Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )),
        Ok(Err(HttpError::Dial(e))) => {
            Outcome::Failure(format!("Get \"{url}\": {}", dial_error(&addr, &e)))
        }
        Ok(Err(HttpError::Other(msg))) => Outcome::Failure(format!("Get \"{url}\": {msg}")),
        Ok(Ok(status)) if (200..400).contains(&status) => Outcome::Success,
        Ok(Ok(status)) => Outcome::Failure(format!("HTTP probe failed with statuscode: {status}")),
    }
}

/// Send the GET and return the response status; the body is never read.
async fn fetch_status(
    host: &str,
    port: u16,
    addr: &str,
    path: &str,
    headers: &[(String, String)],
) -> Result<u16, HttpError> {
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(HttpError::Dial)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| HttpError::Other(e.to_string()))?;
    // The connection task ends when the response is dropped or the check times out.
    let driver = tokio::spawn(conn);
    let request = build_request(addr, path, headers)?;
    let result = sender
        .send_request(request)
        .await
        .map(|resp| resp.status().as_u16())
        .map_err(|e| HttpError::Other(e.to_string()));
    driver.abort();
    result
}

fn build_request(
    addr: &str,
    path: &str,
    headers: &[(String, String)],
) -> Result<Request<Empty<Bytes>>, HttpError> {
    let bad = |what: &str| HttpError::Other(format!("invalid {what}"));
    let mut request = Request::get(path)
        .body(Empty::<Bytes>::new())
        .map_err(|e| HttpError::Other(format!("net/http: invalid request: {e}")))?;
    let map = request.headers_mut();
    map.insert(HOST, HeaderValue::from_str(addr).map_err(|_| bad("host"))?);
    map.insert(USER_AGENT, HeaderValue::from_static(PROBE_USER_AGENT));
    map.insert(ACCEPT, HeaderValue::from_static("*/*"));
    // The kubelet disables keep-alive for probes; each check uses a fresh connection.
    map.insert(CONNECTION, HeaderValue::from_static("close"));
    // Probe headers replace the defaults (a custom Host or User-Agent wins), and repeated
    // names are all sent.
    let mut replaced: Vec<HeaderName> = Vec::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad(&format!("header field name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| bad(&format!("header field value for {name:?}")))?;
        if !replaced.contains(&name) {
            map.remove(&name);
            replaced.push(name.clone());
        }
        map.append(name, value);
    }
    Ok(request)
}

async fn exec(
    command: &[String],
    timeout: Duration,
    env: &[(String, String)],
    cwd: &Path,
) -> Outcome {
    let Some((program, args)) = command.split_first() else {
        return Outcome::Failure("exec: no command".to_string());
    };
    let child = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Dropping the future on timeout must not leave the command running.
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Outcome::Failure(format!(
                "exec: {program:?}: executable file not found in $PATH"
            ));
        }
        Err(e) => return Outcome::Failure(format!("exec: {program:?}: {e}")),
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Outcome::Failure(format!("command {:?} timed out", command.join(" "))),
        Ok(Err(e)) => Outcome::Failure(format!("exec: {program:?}: {e}")),
        Ok(Ok(out)) if out.status.success() => Outcome::Success,
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            let text = text.trim_end();
            if text.is_empty() {
                let code = out
                    .status
                    .code()
                    .map_or_else(|| "a signal".to_string(), |c| format!("code {c}"));
                Outcome::Failure(format!(
                    "command {:?} exited with {code}",
                    command.join(" ")
                ))
            } else {
                Outcome::Failure(text.to_string())
            }
        }
    }
}
