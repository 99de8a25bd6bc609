//! The outermost layer: gives the request its id and [`Report`], turns errors into Envoy's
//! local replies, and emits the access log line and Istio's metrics once the response body ends.

use super::error::{LocalAnswer, ProxyError};
use super::forward::{self, Body, Counted, Tally};
use super::report::{Noted, Report};
use super::telemetry::{AccessLog, Label, Metrics, RequestLabels};
use super::{BoxFuture, Downstream};
use bytes::Bytes;
use chrono::Utc;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response};
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// Which side of the exchange this proxy reports (Istio's `reporter` label), with the
/// workload labels it knows itself.
#[derive(Debug, Clone)]
pub enum Reporter {
    /// The outbound listener or a gateway: this proxy (`workload`, `namespace`) is the client.
    Source { workload: Label, namespace: Label },
    /// The inbound listener: this pod is the server.
    Destination { workload: Label, namespace: Label },
}

/// Adds the observe layer: see the module docs.
#[derive(Clone)]
pub struct ObserveLayer {
    reporter: Arc<Reporter>,
    metrics: Arc<Metrics>,
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    reporter: Arc<Reporter>,
    metrics: Arc<Metrics>,
}

// === impl ObserveLayer ===

impl ObserveLayer {
    pub fn new(reporter: Reporter, metrics: Arc<Metrics>) -> ObserveLayer {
        ObserveLayer {
            reporter: Arc::new(reporter),
            metrics,
        }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            reporter: self.reporter.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

// === impl Observe ===

impl<S, B> tower::Service<Request<B>> for Observe<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = ProxyError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let started = Instant::now();
        let (mut parts, body) = req.into_parts();
        // Envoy gives a request without an id one at the edge.
        if !parts.headers.contains_key("x-request-id") {
            let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
            let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
            if let Ok(v) = HeaderValue::from_str(id) {
                parts.headers.insert("x-request-id", v);
            }
        }
        let down = parts.extensions.get::<Downstream>().copied();
        let headers = &parts.headers;
        let authority = headers.get(header::HOST).cloned().or_else(|| {
            let a = parts.uri.authority()?;
            HeaderValue::from_str(a.as_str()).ok()
        });
        let log = AccessLog {
            start: Utc::now(),
            method: parts.method.clone(),
            path: parts.uri.path_and_query().cloned(),
            protocol: forward::protocol(parts.version),
            response_code: 0,
            flags: "-",
            details: "via_upstream",
            bytes_received: 0,
            bytes_sent: 0,
            duration: Default::default(),
            upstream_time: None,
            forwarded_for: headers.get("x-forwarded-for").cloned(),
            user_agent: headers.get(header::USER_AGENT).cloned(),
            request_id: headers.get("x-request-id").cloned(),
            authority,
            upstream_host: None,
            upstream_cluster: None,
            upstream_local: None,
            downstream_local: down.map(|d| d.local),
            downstream_remote: down.map(|d| d.remote),
            route: Some(default_route()),
        };
        let report = Report::default();
        parts.extensions.insert(report.clone());
        let body = Counted::new(body.boxed(), Received(report.clone())).boxed();
        let fut = self.inner.call(Request::from_parts(parts, body));
        let finish = Finish {
            log,
            report,
            reporter: self.reporter.clone(),
            metrics: self.metrics.clone(),
            started,
            done: false,
        };
        Box::pin(async move { Ok(finish.respond(fut.await)) })
    }
}

/// The route name of requests no route names (`default`, as Envoy logs it).
fn default_route() -> Arc<str> {
    static DEFAULT: std::sync::LazyLock<Arc<str>> =
        std::sync::LazyLock::new(|| Arc::from("default"));
    DEFAULT.clone()
}

/// Counts request body bytes into the report.
struct Received(Report);

impl Tally for Received {
    fn add(&mut self, n: u64) {
        self.0.add_received(n);
    }
}

/// The record being completed; emitted once, when the response body is done with.
struct Finish {
    log: AccessLog,
    report: Report,
    reporter: Arc<Reporter>,
    metrics: Arc<Metrics>,
    started: Instant,
    done: bool,
}

// === impl Finish ===

impl Finish {
    /// The response to send, its body carrying this record to its end.
    fn respond(mut self, result: Result<Response<Body>, ProxyError>) -> Response<Body> {
        let mut resp = match result {
            Ok(resp) => {
                if let Some(local) = resp.extensions().get::<LocalAnswer>() {
                    self.log.flags = "-";
                    self.log.details = local.details;
                } else {
                    self.log.upstream_time = Some(self.started.elapsed());
                    self.log.flags = "";
                }
                resp
            }
            Err(e) => {
                if let ProxyError::NoRoute(_) = e {
                    self.log.route = None;
                }
                self.log.flags = e.flags();
                self.log.details = e.details();
                e.reply()
            }
        };
        self.log.response_code = resp.status().as_u16();
        if let Some(t) = self.log.upstream_time {
            resp.headers_mut().insert(
                "x-envoy-upstream-service-time",
                forward::number(t.as_millis() as u64),
            );
        }
        let (parts, body) = resp.into_parts();
        Response::from_parts(parts, Counted::new(body, self).boxed())
    }

    fn emit(&mut self) {
        let noted = self.report.noted();
        let log = &mut self.log;
        log.duration = self.started.elapsed();
        log.bytes_received = self.report.received();
        // "" marks an upstream answer: the layers' own flags (DI, URX) apply.
        if log.flags.is_empty() {
            log.flags = noted.flags.unwrap_or("-");
        }
        if let Some(route) = &noted.route {
            log.route = Some(route.clone());
        }
        log.upstream_cluster = noted.upstream_cluster.clone();
        log.upstream_host = noted.upstream_host;
        crate::logline::emit(|out| log.write(out));
        let labels = self.labels(noted);
        self.metrics.count(&labels, self.log.duration);
    }

    fn labels(&self, noted: Noted) -> RequestLabels {
        let unknown = Label::unknown;
        let service = noted.destination_service.unwrap_or_else(|| {
            // Until a route chooses a Service, metrics name the host asked for.
            let authority = self.log.authority.as_ref().and_then(|a| a.to_str().ok());
            authority.map_or_else(unknown, |a| Label::new(crate::routes::strip_port(a)))
        });
        let (reporter, source, source_ns, dest, dest_ns) = match &*self.reporter {
            Reporter::Source {
                workload,
                namespace,
            } => (
                "source",
                workload.clone(),
                namespace.clone(),
                noted.destination_workload.unwrap_or_else(unknown),
                noted.destination_workload_namespace.unwrap_or_else(unknown),
            ),
            Reporter::Destination {
                workload,
                namespace,
            } => (
                "destination",
                noted.source_workload.unwrap_or_else(unknown),
                unknown(),
                workload.clone(),
                namespace.clone(),
            ),
        };
        RequestLabels {
            reporter,
            source_workload: source,
            source_workload_namespace: source_ns,
            destination_workload: dest,
            destination_workload_namespace: dest_ns,
            destination_service: service,
            response_code: self.log.response_code,
            response_flags: self.log.flags,
            request_protocol: "http",
        }
    }
}

impl Tally for Finish {
    fn add(&mut self, n: u64) {
        self.log.bytes_sent += n;
    }

    fn done(&mut self) {
        if !std::mem::replace(&mut self.done, true) {
            self.emit();
        }
    }
}

#[cfg(test)]
mod tests;
