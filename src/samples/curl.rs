//! A small built-in `curl` for `meshlite exec POD -- curl …` on machines
//! without one: plain HTTP/1.1, curl's options, output and exit codes.

mod args;
mod transfer;
mod url;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::time::Duration;

pub use args::{ArgError, Options};
use transfer::{Outcome, Transfer};

/// Proxy settings normally read from the environment; passed explicitly so
/// callers (and tests) control them without touching process state.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProxyEnv {
    /// `http_proxy` / `HTTP_PROXY`.
    pub http_proxy: Option<String>,
    /// `no_proxy` / `NO_PROXY`.
    pub no_proxy: Option<String>,
}

// === impl ProxyEnv ===

impl ProxyEnv {
    /// Reads the proxy variables, preferring the lower-case spelling as curl does.
    pub fn from_env() -> ProxyEnv {
        let get = |names: [&str; 2]| {
            names
                .iter()
                .filter_map(|n| std::env::var(n).ok())
                .find(|v| !v.trim().is_empty())
        };
        ProxyEnv {
            http_proxy: get(["http_proxy", "HTTP_PROXY"]),
            no_proxy: get(["no_proxy", "NO_PROXY"]),
        }
    }
}

/// A failed transfer; each variant maps to curl's exit code and message.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CurlError {
    /// A scheme other than http (curl code 1).
    #[error("Protocol \"{0}\" not supported")]
    UnsupportedProtocol(String),
    /// The command line was rejected (curl code 2).
    #[error("{0}")]
    Usage(#[from] ArgError),
    /// The URL could not be parsed (curl code 3).
    #[error("URL rejected: {0}")]
    BadUrl(String),
    /// The proxy host did not resolve (curl code 5).
    #[error("Could not resolve proxy: {0}")]
    ResolveProxy(String),
    /// The host did not resolve (curl code 6).
    #[error("Could not resolve host: {0}")]
    Resolve(String),
    /// No address of the host accepted the connection (curl code 7).
    #[error("Failed to connect to {host} port {port}: {reason}")]
    Connect {
        host: String,
        port: u16,
        reason: String,
    },
    /// `--fail` and the server answered >= 400 (curl code 22).
    #[error("The requested URL returned error: {0}")]
    HttpStatus(u16),
    /// The output could not be written (curl code 23).
    #[error("Failure writing output to destination")]
    Write,
    /// A `-d @file` could not be read (curl code 26).
    #[error("Failed to open/read local data from file/application")]
    ReadData,
    /// `-m`/`--connect-timeout` ran out (curl code 28).
    #[error("Operation timed out after {0} milliseconds with {1} bytes received")]
    Timeout(u128, usize),
    /// A header could not be sent as given (curl code 43).
    #[error("A libcurl function was given a bad argument")]
    BadArgument,
    /// `-L` went round too often (curl code 47).
    #[error("Maximum ({0}) redirects followed")]
    TooManyRedirects(usize),
    /// The server closed without answering (curl code 52).
    #[error("Empty reply from server")]
    EmptyReply,
    /// Sending the request failed (curl code 55).
    #[error("Send failure: {0}")]
    Send(String),
    /// Receiving the response failed (curl code 56).
    #[error("Recv failure: {0}")]
    Recv(String),
}

// === impl CurlError ===

impl CurlError {
    /// curl's exit code for this failure.
    pub fn code(&self) -> u8 {
        match self {
            CurlError::UnsupportedProtocol(_) => 1,
            CurlError::Usage(_) => 2,
            CurlError::BadUrl(_) => 3,
            CurlError::ResolveProxy(_) => 5,
            CurlError::Resolve(_) => 6,
            CurlError::Connect { .. } => 7,
            CurlError::HttpStatus(_) => 22,
            CurlError::Write => 23,
            CurlError::ReadData => 26,
            CurlError::Timeout(..) => 28,
            CurlError::BadArgument => 43,
            CurlError::TooManyRedirects(_) => 47,
            CurlError::EmptyReply => 52,
            CurlError::Send(_) => 55,
            CurlError::Recv(_) => 56,
        }
    }
}

/// Runs curl with `args` (the words after `curl`), using the proxy settings
/// from the environment. Returns the exit code.
pub async fn run(args: &[String], out: &mut impl Write, err: &mut impl Write) -> i32 {
    run_with_proxy(args, &ProxyEnv::from_env(), out, err).await
}

/// Like [`run`] with explicit proxy settings.
pub async fn run_with_proxy(
    args: &[String],
    proxy: &ProxyEnv,
    out: &mut impl Write,
    err: &mut impl Write,
) -> i32 {
    let opts = match args::parse(args) {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(err, "curl: {e}");
            let _ = writeln!(
                err,
                "curl: try 'curl --help' or 'curl --manual' for more information"
            );
            return 2;
        }
    };
    let show_errors = !opts.silent || opts.show_error;
    let mut code = 0;
    for url in &opts.urls {
        let (result, log) = fetch(&opts, proxy, url).await;
        if opts.verbose {
            let _ = err.write_all(&log);
        }
        let outcome = match result {
            Ok(outcome) => deliver(&opts, outcome, out),
            Err(e) => (Outcome::failed(url), Err(e)),
        };
        let (outcome, res) = outcome;
        if let Some(fmt) = &opts.write_out {
            let _ = out.write_all(outcome.write_out(fmt, err).as_bytes());
        }
        if let Err(e) = res {
            if show_errors {
                let _ = writeln!(err, "curl: ({}) {e}", e.code());
            }
            code = i32::from(e.code());
        }
    }
    let _ = out.flush();
    code
}

/// Performs one transfer, bounded by `--max-time`, and returns the verbose
/// log alongside the result so the log survives a timeout.
async fn fetch(
    opts: &Options,
    proxy: &ProxyEnv,
    url: &str,
) -> (Result<Outcome, CurlError>, Vec<u8>) {
    let mut transfer = Transfer::new(opts, proxy);
    let started = std::time::Instant::now();
    let result = match opts.max_time.filter(|d| *d > Duration::ZERO) {
        Some(limit) => {
            let timed = tokio::time::timeout(limit, transfer.perform(url)).await;
            match timed {
                Ok(r) => r,
                Err(_) => Err(CurlError::Timeout(
                    started.elapsed().as_millis(),
                    transfer.received(),
                )),
            }
        }
        None => transfer.perform(url).await,
    };
    (result, transfer.into_log())
}

/// Writes the response per the options and applies `--fail`.
fn deliver(
    opts: &Options,
    outcome: Outcome,
    out: &mut impl Write,
) -> (Outcome, Result<(), CurlError>) {
    let status = outcome.status;
    let failing = (opts.fail || opts.fail_with_body) && status >= 400;
    if failing && !opts.fail_with_body {
        return (outcome, Err(CurlError::HttpStatus(status)));
    }
    let mut doc = Vec::new();
    if opts.include || opts.head {
        for head in &outcome.heads {
            doc.extend_from_slice(head.as_bytes());
        }
    }
    doc.extend_from_slice(&outcome.body);
    let written = match &opts.output {
        Some(path) if path != "-" => std::fs::write(path, &doc).map_err(|_| CurlError::Write),
        _ => out.write_all(&doc).map_err(|_| CurlError::Write),
    };
    let res = written.and(if failing {
        Err(CurlError::HttpStatus(status))
    } else {
        Ok(())
    });
    (outcome, res)
}
