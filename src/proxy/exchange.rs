//! One proxied request from arrival to the end of its response body: collects the access log
//! record and the metric labels, and emits both exactly once.

use super::forward::{self, Body, Counted};
use super::telemetry::Metrics;
use super::telemetry::{AccessLog, RequestLabels};
use bytes::Bytes;
use chrono::Utc;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Which side of the exchange this proxy reports (Istio's `reporter` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporter {
    /// The outbound listener or a gateway: this proxy is the client.
    Source,
    /// The inbound listener: this pod is the server.
    Destination,
}

/// A request being proxied.
pub struct Exchange {
    metrics: Arc<Metrics>,
    started: Instant,
    pub log: AccessLog,
    /// Metric labels; `response_code` and `response_flags` are filled in at the end.
    pub labels: RequestLabels,
    request_bytes: Arc<AtomicU64>,
}

// === impl Exchange ===

impl Exchange {
    /// Start recording `req`, which arrived on `local` from `remote`.
    pub fn begin(
        metrics: Arc<Metrics>,
        req: &Request<Incoming>,
        local: SocketAddr,
        remote: SocketAddr,
        reporter: Reporter,
    ) -> Exchange {
        let headers = req.headers();
        let authority = forward::header_text(headers, "host")
            .or_else(|| req.uri().authority().map(|a| a.to_string()));
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.to_string());
        Exchange {
            started: Instant::now(),
            log: AccessLog {
                start: Utc::now(),
                method: req.method().to_string(),
                path,
                protocol: forward::protocol(req.version()).to_string(),
                response_code: 0,
                flags: "-".to_string(),
                details: "via_upstream".to_string(),
                bytes_received: 0,
                bytes_sent: 0,
                duration: Default::default(),
                upstream_time: None,
                forwarded_for: forward::header_text(headers, "x-forwarded-for"),
                user_agent: forward::header_text(headers, "user-agent"),
                request_id: forward::header_text(headers, "x-request-id"),
                authority,
                upstream_host: None,
                upstream_cluster: None,
                upstream_local: None,
                downstream_local: Some(local),
                downstream_remote: Some(remote),
                route: Some("default".to_string()),
            },
            labels: RequestLabels {
                reporter: match reporter {
                    Reporter::Source => "source",
                    Reporter::Destination => "destination",
                }
                .to_string(),
                source_workload: "unknown".to_string(),
                source_workload_namespace: "unknown".to_string(),
                destination_workload: "unknown".to_string(),
                destination_workload_namespace: "unknown".to_string(),
                destination_service: "unknown".to_string(),
                request_protocol: "http".to_string(),
                ..RequestLabels::default()
            },
            request_bytes: Arc::new(AtomicU64::new(0)),
            metrics,
        }
    }

    /// Wrap the request body so its size is logged.
    pub fn count_request(&self, body: Incoming) -> Body {
        http_body_util::combinators::BoxBody::new(Counted::new(
            body.boxed(),
            self.request_bytes.clone(),
            None,
        ))
    }

    /// Answer locally (no upstream response): `flags` and `details` say why, as Envoy would.
    pub fn reply(
        mut self,
        status: StatusCode,
        flags: &str,
        details: &str,
        body: String,
    ) -> Response<Body> {
        self.log.flags = flags.to_string();
        self.log.details = details.to_string();
        self.log.response_code = status.as_u16();
        self.log.bytes_sent = body.len() as u64;
        self.finish();
        forward::text(status, body)
    }

    /// Pass the upstream's response on; the record is emitted when its body ends.
    pub fn respond(mut self, resp: Response<Incoming>) -> Response<Body> {
        self.log.upstream_time = Some(self.started.elapsed());
        self.log.response_code = resp.status().as_u16();
        let (mut parts, body) = resp.into_parts();
        let upgrade = forward::upgrade_protocol(&parts.headers);
        forward::strip_hop_by_hop(&mut parts.headers);
        // A switch of protocols keeps the headers that announce it.
        if let (hyper::StatusCode::SWITCHING_PROTOCOLS, Some(protocol)) = (parts.status, upgrade) {
            parts.headers.insert(
                hyper::header::CONNECTION,
                HeaderValue::from_static("upgrade"),
            );
            parts.headers.insert(hyper::header::UPGRADE, protocol);
        }
        if let Some(t) = self.log.upstream_time {
            if let Ok(v) = HeaderValue::from_str(&t.as_millis().to_string()) {
                parts.headers.insert("x-envoy-upstream-service-time", v);
            }
        }
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let finish = Box::new(move || {
            self.log.bytes_sent = counter.load(Ordering::Relaxed);
            self.finish();
        });
        let body = Counted::new(body.boxed(), sent, Some(finish));
        Response::from_parts(
            parts,
            http_body_util::combinators::BoxBody::<Bytes, hyper::Error>::new(body),
        )
    }

    /// Emit the access log line and count the request.
    pub fn finish(&mut self) {
        self.log.duration = self.started.elapsed();
        self.log.bytes_received = self.request_bytes.load(Ordering::Relaxed);
        crate::logline::emit(self.log.line());
        self.labels.response_code = self.log.response_code.to_string();
        self.labels.response_flags = self.log.flags.clone();
        self.metrics.count(&self.labels, self.log.duration);
    }
}
