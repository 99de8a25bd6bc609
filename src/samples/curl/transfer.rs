//! One curl transfer: connect (directly or via a proxy), send, receive, and
//! follow redirects, keeping what `-i`, `-v` and `-w` need to report.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;

use super::args::{DataArg, Options};
use super::url::{no_proxy_matches, Url};
use super::{CurlError, ProxyEnv};

/// The value curl reports in its default `User-Agent`.
const USER_AGENT: &str = "curl/8.5.0";
/// curl's default limit for `-L`.
const MAX_REDIRECTS: usize = 50;

/// What a finished transfer reports.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Final status, 0 when no response arrived.
    pub status: u16,
    /// Status line plus headers (CRLF-terminated) of every response seen.
    pub heads: Vec<String>,
    pub body: Bytes,
    pub url_effective: String,
    pub method: String,
    pub content_type: String,
    pub num_redirects: usize,
    pub remote: Option<SocketAddr>,
    pub total: Duration,
}

// === impl Outcome ===

impl Outcome {
    /// The report for a transfer that got no response.
    pub fn failed(url: &str) -> Outcome {
        Outcome {
            status: 0,
            heads: Vec::new(),
            body: Bytes::new(),
            url_effective: url.to_string(),
            method: String::new(),
            content_type: String::new(),
            num_redirects: 0,
            remote: None,
            total: Duration::ZERO,
        }
    }

    /// Expands a `-w` format; unknown variables are warned about on `err`.
    pub fn write_out(&self, fmt: &str, err: &mut impl Write) -> String {
        let mut out = String::new();
        let mut rest = fmt;
        while let Some(c) = rest.chars().next() {
            if let Some((name, tail)) = rest
                .strip_prefix("%{")
                .and_then(|after| after.split_once('}'))
            {
                match self.variable(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        let _ = writeln!(err, "curl: unknown --write-out variable: '{name}'");
                    }
                }
                rest = tail;
                continue;
            }
            if let Some(tail) = rest.strip_prefix("%%") {
                out.push('%');
                rest = tail;
                continue;
            }
            if let Some(tail) = rest.strip_prefix('\\') {
                let escaped = match tail.chars().next() {
                    Some('n') => Some('\n'),
                    Some('r') => Some('\r'),
                    Some('t') => Some('\t'),
                    Some('\\') => Some('\\'),
                    _ => None,
                };
                if let Some(e) = escaped {
                    out.push(e);
                    rest = tail.get(1..).unwrap_or_default();
                    continue;
                }
            }
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        out
    }

    fn variable(&self, name: &str) -> Option<String> {
        Some(match name {
            "http_code" | "response_code" => format!("{:03}", self.status),
            "size_download" => self.body.len().to_string(),
            "url_effective" | "url" => self.url_effective.clone(),
            "content_type" => self.content_type.clone(),
            "num_redirects" => self.num_redirects.to_string(),
            "method" => self.method.clone(),
            "remote_ip" => self.remote.map(|a| a.ip().to_string()).unwrap_or_default(),
            "remote_port" => self
                .remote
                .map(|a| a.port().to_string())
                .unwrap_or_default(),
            "time_total" => format!("{:.6}", self.total.as_secs_f64()),
            _ => return None,
        })
    }
}

/// One response as received.
struct Response {
    status: u16,
    head: String,
    location: Option<String>,
    content_type: String,
    body: Bytes,
    remote: SocketAddr,
}

/// Aborts the connection task when the transfer ends or is cancelled.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// State of a transfer in progress.
pub struct Transfer<'a> {
    opts: &'a Options,
    proxy: &'a ProxyEnv,
    log: Vec<u8>,
    received: usize,
}

// === impl Transfer ===

impl<'a> Transfer<'a> {
    pub fn new(opts: &'a Options, proxy: &'a ProxyEnv) -> Transfer<'a> {
        Transfer {
            opts,
            proxy,
            log: Vec::new(),
            received: 0,
        }
    }

    /// Body bytes received so far (reported on timeout).
    pub fn received(&self) -> usize {
        self.received
    }

    /// The `-v` trace.
    pub fn into_log(self) -> Vec<u8> {
        self.log
    }

    /// Fetches `url`, following redirects when `-L` was given.
    pub async fn perform(&mut self, url: &str) -> Result<Outcome, CurlError> {
        let started = Instant::now();
        let mut url = Url::parse(url)?;
        let mut body = self.data()?;
        let mut method = match (&self.opts.method, self.opts.head, &body) {
            (Some(m), _, _) => m.clone(),
            (None, true, _) => "HEAD".to_string(),
            (None, false, Some(_)) => "POST".to_string(),
            (None, false, None) => "GET".to_string(),
        };
        let mut heads = Vec::new();
        let mut redirects = 0;
        loop {
            let resp = self.request(&url, &method, body.clone()).await?;
            heads.push(resp.head);
            let location = resp
                .location
                .filter(|_| self.opts.follow && matches!(resp.status, 301 | 302 | 303 | 307 | 308));
            if let Some(location) = location {
                if redirects >= MAX_REDIRECTS {
                    return Err(CurlError::TooManyRedirects(MAX_REDIRECTS));
                }
                redirects += 1;
                // Like browsers, curl turns POST into GET on 301/302/303 unless
                // the method was forced with -X.
                let to_get = match resp.status {
                    303 => method != "HEAD",
                    301 | 302 => method == "POST",
                    _ => false,
                };
                if to_get && self.opts.method.is_none() {
                    method = "GET".to_string();
                    body = None;
                }
                url = url.join(&location)?;
                continue;
            }
            return Ok(Outcome {
                status: resp.status,
                heads,
                body: resp.body,
                url_effective: url.absolute(),
                method,
                content_type: resp.content_type,
                num_redirects: redirects,
                remote: Some(resp.remote),
                total: started.elapsed(),
            });
        }
    }

    /// Joins the `-d` arguments with `&` as curl does.
    fn data(&self) -> Result<Option<Bytes>, CurlError> {
        if self.opts.data.is_empty() {
            return Ok(None);
        }
        let mut parts: Vec<Vec<u8>> = Vec::new();
        for d in &self.opts.data {
            parts.push(match d {
                DataArg::Literal(s) => s.as_bytes().to_vec(),
                DataArg::FileRaw(f) => std::fs::read(f).map_err(|_| CurlError::ReadData)?,
                DataArg::FileStripped(f) => std::fs::read(f)
                    .map_err(|_| CurlError::ReadData)?
                    .into_iter()
                    .filter(|b| *b != b'\r' && *b != b'\n')
                    .collect(),
            });
        }
        Ok(Some(Bytes::from(parts.join(&b'&'))))
    }

    /// The proxy to use for `url`, if any.
    fn proxy_for(&self, url: &Url) -> Result<Option<Url>, CurlError> {
        let setting = self
            .opts
            .proxy
            .clone()
            .or_else(|| self.proxy.http_proxy.clone())
            .filter(|p| !p.trim().is_empty());
        let Some(setting) = setting else {
            return Ok(None);
        };
        let no_proxy = self.opts.noproxy.as_ref().or(self.proxy.no_proxy.as_ref());
        if no_proxy.is_some_and(|list| no_proxy_matches(list, &url.host)) {
            return Ok(None);
        }
        Url::parse_proxy(&setting).map(Some)
    }

    /// Resolves and connects to `host:port`, trying each address in turn.
    async fn connect(
        &mut self,
        host: &str,
        port: u16,
        is_proxy: bool,
    ) -> Result<(tokio::net::TcpStream, SocketAddr), CurlError> {
        let resolve_err = || {
            if is_proxy {
                CurlError::ResolveProxy(host.to_string())
            } else {
                CurlError::Resolve(host.to_string())
            }
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| resolve_err())?
            .collect();
        if addrs.is_empty() {
            return Err(resolve_err());
        }
        let mut reason = String::from("Connection refused");
        for addr in addrs {
            let _ = writeln!(self.log, "*   Trying {addr}...");
            let attempt = tokio::net::TcpStream::connect(addr);
            let result = match self.opts.connect_timeout.filter(|d| *d > Duration::ZERO) {
                Some(limit) => match tokio::time::timeout(limit, attempt).await {
                    Ok(r) => r,
                    Err(_) => return Err(CurlError::Timeout(limit.as_millis(), 0)),
                },
                None => attempt.await,
            };
            match result {
                Ok(stream) => {
                    let _ = writeln!(
                        self.log,
                        "* Connected to {host} ({}) port {port}",
                        addr.ip()
                    );
                    return Ok((stream, addr));
                }
                Err(e) => {
                    reason = match e.kind() {
                        std::io::ErrorKind::ConnectionRefused => "Connection refused".into(),
                        std::io::ErrorKind::TimedOut => "Connection timed out".into(),
                        _ => e.to_string(),
                    };
                }
            }
        }
        Err(CurlError::Connect {
            host: host.to_string(),
            port,
            reason,
        })
    }

    /// The request headers in send order: defaults, then `-H` overrides.
    fn headers(&self, url: &Url, body: Option<&Bytes>) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), url.authority()),
            (
                "User-Agent".into(),
                self.opts
                    .user_agent
                    .clone()
                    .unwrap_or_else(|| USER_AGENT.into()),
            ),
            ("Accept".into(), "*/*".into()),
        ];
        if let Some(body) = body {
            headers.push(("Content-Length".into(), body.len().to_string()));
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        let mut custom: Vec<(String, String)> = Vec::new();
        for raw in &self.opts.headers {
            // `Name;` sends an empty header, `Name:` removes a default one.
            if let Some(name) = raw.strip_suffix(';').filter(|n| !n.contains(':')) {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                custom.push((name.trim().to_string(), String::new()));
                continue;
            }
            let Some((name, value)) = raw.split_once(':') else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            if !value.is_empty() {
                custom.push((name.to_string(), value.to_string()));
            }
        }
        headers.extend(custom);
        headers
    }

    /// Sends one request and reads the whole response.
    async fn request(
        &mut self,
        url: &Url,
        method: &str,
        body: Option<Bytes>,
    ) -> Result<Response, CurlError> {
        let proxy = self.proxy_for(url)?;
        let (stream, remote) = match &proxy {
            Some(p) => self.connect(&p.host, p.port, true).await?,
            None => self.connect(&url.host, url.port, false).await?,
        };
        // A proxy needs the absolute URI to know where to forward.
        let target = if proxy.is_some() {
            url.absolute()
        } else {
            url.path_query.clone()
        };
        let headers = self.headers(url, body.as_ref());
        let mut builder = Request::builder().method(method).uri(target.as_str());
        let _ = writeln!(self.log, "> {method} {target} HTTP/1.1");
        for (name, value) in &headers {
            let _ = writeln!(self.log, "> {name}: {value}");
            builder = builder.header(name.as_str(), value.as_str());
        }
        let _ = writeln!(self.log, "> ");
        let req = builder
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| {
                if e.is::<hyper::http::uri::InvalidUri>() {
                    CurlError::BadUrl("Malformed input to a URL function".into())
                } else {
                    CurlError::BadArgument
                }
            })?;

        let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
            .title_case_headers(true)
            .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| CurlError::Send(e.to_string()))?;
        let _guard = AbortOnDrop(tokio::spawn(async move {
            let _ = conn.await;
        }));
        let resp = sender.send_request(req).await.map_err(|e| {
            if e.is_incomplete_message() || e.is_closed() {
                CurlError::EmptyReply
            } else if e.is_parse() {
                CurlError::Recv("Weird server reply".into())
            } else {
                CurlError::Send(e.to_string())
            }
        })?;
        let head = status_and_headers(&resp);
        let _ = self.log.write_all(
            head.lines()
                .map(|l| format!("< {l}\n"))
                .collect::<String>()
                .as_bytes(),
        );
        let status = resp.status().as_u16();
        let header = |name: hyper::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header(hyper::header::LOCATION);
        let content_type = header(hyper::header::CONTENT_TYPE).unwrap_or_default();
        let mut incoming: Incoming = resp.into_body();
        let mut body = Vec::new();
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| CurlError::Recv(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                self.received += data.len();
                body.extend_from_slice(&data);
            }
        }
        let _ = writeln!(self.log, "* Connection #0 to host {} left intact", url.host);
        Ok(Response {
            status,
            head,
            location,
            content_type,
            body: Bytes::from(body),
            remote,
        })
    }
}

/// `HTTP/1.1 200 OK` plus the headers, CRLF-terminated, as `-i` prints them.
fn status_and_headers<B>(resp: &hyper::Response<B>) -> String {
    let reason = resp
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .or_else(|| resp.status().canonical_reason().map(str::to_string))
        .unwrap_or_default();
    let mut head = format!(
        "{:?} {} {reason}\r\n",
        resp.version(),
        resp.status().as_u16()
    );
    for (name, value) in resp.headers() {
        head.push_str(&format!(
            "{}: {}\r\n",
            name,
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    head.push_str("\r\n");
    head
}
