//! Why the proxy answered a request itself, as Envoy says it: status, response flag, details.
//!
//! Every layer fails with a [`ProxyError`]; the outermost layer ([`super::observe`]) turns it
//! into the local reply and logs its flag, so the reason travels with the error and nowhere
//! else (pingora's habit: an error knows where it came from).

use super::forward::{self, Body};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use std::borrow::Cow;
use std::sync::Arc;

/// Envoy's local reply when the upstream cannot be reached.
pub const UPSTREAM_CONNECT_ERROR: &str =
    "upstream connect error or disconnect/reset before headers";

/// What went wrong, and so which local reply the client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// No configuration has arrived from the control plane yet (503 UH).
    #[error("no configuration received from the control plane yet")]
    NoConfig,
    /// No virtual host, or no rule, for the request (404 NR); the text says which.
    #[error("{0}")]
    NoRoute(String),
    /// The route's destination has no cluster (503 NC); the text is the whole body.
    #[error("{0}")]
    NoCluster(Arc<str>),
    /// The cluster has no ready endpoint (503 UH).
    #[error("no healthy upstream")]
    NoHealthy,
    /// The cluster's connection pool or request limit is full (503 UO).
    #[error("upstream connection pool overflow")]
    Overflow,
    /// Connecting to the upstream failed (503 UF).
    #[error("connection failure: {0}")]
    Connect(String),
    /// The upstream connection ended before a response (503 UC).
    #[error("connection termination: {0}")]
    Reset(String),
    /// No response within the route's timeout (or the last try's) (504 UT).
    #[error("upstream request timeout")]
    Timeout,
    /// The request body could not be read from the client (400 DPE).
    #[error("reading the request body failed: {0}")]
    DownstreamBody(String),
    /// The route's fault injection aborted the request (FI).
    #[error("fault filter abort")]
    FaultAbort(StatusCode),
    /// Any other refusal: its status, flag, details and text.
    #[error("{body}")]
    Refused {
        status: StatusCode,
        flags: &'static str,
        details: &'static str,
        body: Cow<'static, str>,
    },
}

// === impl ProxyError ===

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::NoRoute(_) => StatusCode::NOT_FOUND,
            ProxyError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::DownstreamBody(_) => StatusCode::BAD_REQUEST,
            ProxyError::FaultAbort(status) | ProxyError::Refused { status, .. } => *status,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Envoy's response flag.
    pub fn flags(&self) -> &'static str {
        match self {
            ProxyError::NoConfig | ProxyError::NoHealthy => "UH",
            ProxyError::NoRoute(_) => "NR",
            ProxyError::NoCluster(_) => "NC",
            ProxyError::Overflow => "UO",
            ProxyError::Connect(_) => "UF",
            ProxyError::Reset(_) => "UC",
            ProxyError::Timeout => "UT",
            ProxyError::DownstreamBody(_) => "DPE",
            ProxyError::FaultAbort(_) => "FI",
            ProxyError::Refused { flags, .. } => flags,
        }
    }

    /// Envoy's `%RESPONSE_CODE_DETAILS%`.
    pub fn details(&self) -> &'static str {
        match self {
            ProxyError::NoConfig | ProxyError::NoHealthy => "no_healthy_upstream",
            ProxyError::NoRoute(_) => "route_not_found",
            ProxyError::NoCluster(_) => "cluster_not_found",
            ProxyError::Overflow => "upstream_reset_before_response_started{overflow}",
            ProxyError::Connect(_) => "upstream_reset_before_response_started{connection_failure}",
            ProxyError::Reset(_) => {
                "upstream_reset_before_response_started{connection_termination}"
            }
            ProxyError::Timeout => "response_timeout",
            ProxyError::DownstreamBody(_) => "downstream_body_error",
            ProxyError::FaultAbort(_) => "fault_filter_abort",
            ProxyError::Refused { details, .. } => details,
        }
    }

    /// The body of the local reply.
    pub fn body(&self) -> String {
        match self {
            ProxyError::NoConfig => "no healthy upstream\nmeshlite proxy: no configuration received from the control plane yet\n".to_string(),
            ProxyError::NoRoute(why) => why.clone(),
            ProxyError::NoCluster(body) => body.to_string(),
            ProxyError::NoHealthy => "no healthy upstream".to_string(),
            ProxyError::Overflow => super::balance::Overflow.to_string(),
            ProxyError::Connect(why) => format!(
                "{UPSTREAM_CONNECT_ERROR}. reset reason: connection failure, transport failure reason: {why}"
            ),
            ProxyError::Reset(why) => format!(
                "{UPSTREAM_CONNECT_ERROR}. reset reason: connection termination ({why})"
            ),
            ProxyError::Timeout => "upstream request timeout".to_string(),
            ProxyError::DownstreamBody(why) => {
                format!("meshlite proxy: reading the request body failed: {why}\n")
            }
            ProxyError::FaultAbort(_) => "fault filter abort".to_string(),
            ProxyError::Refused { body, .. } => body.to_string(),
        }
    }

    /// A connection-level failure from the pooled client, classified as Envoy would.
    pub fn from_client(e: &hyper_util::client::legacy::Error) -> ProxyError {
        if e.is_connect() {
            ProxyError::Connect(error_chain(e))
        } else {
            ProxyError::Reset(error_chain(e))
        }
    }

    /// The local reply this error becomes.
    pub fn reply(&self) -> Response<Body> {
        local_reply(self.status(), self.body().into())
    }
}

/// A reply made by the proxy itself (errors, redirects, direct responses, CORS preflights):
/// Envoy names itself in `server`, and text bodies are `text/plain`.
pub fn local_reply(status: StatusCode, body: bytes::Bytes) -> Response<Body> {
    let text = !body.is_empty();
    let mut resp = forward::full_response(status, body);
    resp.headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("istio-envoy"));
    if text {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    }
    resp
}

/// Marks a response the proxy made itself on purpose (a redirect, a direct response, a CORS
/// preflight answer): the access log shows `details` and no upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAnswer {
    pub details: &'static str,
}

/// A deliberate local answer, logged with `details`.
pub fn local_answer(
    status: StatusCode,
    body: bytes::Bytes,
    details: &'static str,
) -> Response<Body> {
    let mut resp = local_reply(status, body);
    resp.extensions_mut().insert(LocalAnswer { details });
    resp
}

/// The error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_envoy_local_replies() {
        let cases = [
            (ProxyError::NoConfig, 503, "UH", "no healthy upstream\n"),
            (ProxyError::NoRoute("x\n".into()), 404, "NR", "x\n"),
            (ProxyError::NoHealthy, 503, "UH", "no healthy upstream"),
            (ProxyError::Overflow, 503, "UO", "upstream connect error"),
            (ProxyError::Connect("refused".into()), 503, "UF", "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: refused"),
            (ProxyError::Reset("eof".into()), 503, "UC", "upstream connect error or disconnect/reset before headers. reset reason: connection termination (eof)"),
            (ProxyError::Timeout, 504, "UT", "upstream request timeout"),
            (ProxyError::FaultAbort(StatusCode::IM_A_TEAPOT), 418, "FI", "fault filter abort"),
        ];
        for (e, status, flags, body) in cases {
            assert_eq!(e.status().as_u16(), status, "{e:?}");
            assert_eq!(e.flags(), flags, "{e:?}");
            assert!(e.body().starts_with(body), "{e:?}: {}", e.body());
            let reply = e.reply();
            assert_eq!(reply.status().as_u16(), status);
            assert_eq!(reply.headers()["server"], "istio-envoy");
        }
    }
}
