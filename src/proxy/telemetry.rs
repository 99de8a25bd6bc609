//! What a proxy reports about each request: Istio's standard metrics and Envoy's access log.

use chrono::{DateTime, Utc};
use hyper::header::HeaderValue;
use hyper::http::uri::PathAndQuery;
use hyper::Method;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// A metric label value shared by every request that reports it (built once per proxy or
/// per config version, so counting a request copies no string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(Arc<str>);

// === impl Label ===

impl Label {
    pub fn new(value: &str) -> Label {
        Label(Arc::from(value))
    }

    /// Istio's value for what the proxy cannot know.
    pub fn unknown() -> Label {
        static UNKNOWN: LazyLock<Label> = LazyLock::new(|| Label::new("unknown"));
        UNKNOWN.clone()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Label {
    fn from(value: &str) -> Label {
        Label::new(value)
    }
}

impl EncodeLabelValue for Label {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// The labels of `istio_requests_total` and `istio_request_duration_milliseconds` (Istio's
/// standard labels that make sense on one machine).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// `source` (outbound and gateways) or `destination` (inbound).
    pub reporter: &'static str,
    pub source_workload: Label,
    pub source_workload_namespace: Label,
    pub destination_workload: Label,
    pub destination_workload_namespace: Label,
    pub destination_service: Label,
    pub response_code: u16,
    pub response_flags: &'static str,
    pub request_protocol: &'static str,
}

/// Istio's duration buckets, in milliseconds.
const DURATION_BUCKETS: [f64; 20] = [
    0.5,
    1.0,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
    30000.0,
    60000.0,
    300000.0,
    600000.0,
    1800000.0,
    3600000.0,
    f64::MAX,
];

fn duration_histogram() -> Histogram {
    // The last bucket is +Inf, which the encoder adds itself.
    Histogram::new(
        DURATION_BUCKETS[..DURATION_BUCKETS.len() - 1]
            .iter()
            .copied(),
    )
}

/// A proxy's Prometheus registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
}

// === impl Metrics ===

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        // The client appends `_total` to counters.
        registry.register("istio_requests", "Total requests", requests.clone());
        let durations: Family<RequestLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        registry.register(
            "istio_request_duration_milliseconds",
            "Request duration in milliseconds",
            durations.clone(),
        );
        let live = Gauge::<i64>::default();
        live.set(1);
        registry.register("envoy_server_live", "Whether the server is live", live);
        Metrics {
            registry,
            requests,
            durations,
        }
    }

    /// Count one finished request that took `duration`.
    pub fn count(&self, labels: &RequestLabels, duration: Duration) {
        self.requests.get_or_create(labels).inc();
        self.durations
            .get_or_create(labels)
            .observe(duration.as_secs_f64() * 1000.0);
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing to a String cannot fail; keep whatever was produced.
            tracing::warn!("encoding metrics failed");
        }
        out
    }
}

/// The workload a pod belongs to, as Istio labels it: Deployment pods
/// (`name-<replicaset hash>-<5 chars>`) report the Deployment name, other pods their own name.
pub fn workload_name(pod: &str) -> String {
    let parts: Vec<&str> = pod.rsplitn(3, '-').collect();
    if let [suffix, hash, base] = parts.as_slice() {
        let alnum = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if suffix.len() == 5
            && alnum(suffix)
            && (6..=10).contains(&hash.len())
            && alnum(hash)
            && !base.is_empty()
        {
            return base.to_string();
        }
    }
    pod.to_string()
}

/// One request's access log record, in Envoy's default format. Its fields borrow the
/// request's own header values and the config version's names, so recording copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    pub start: DateTime<Utc>,
    pub method: Method,
    pub path: Option<PathAndQuery>,
    pub protocol: &'static str,
    pub response_code: u16,
    /// Envoy response flags (`UH`, `UF`, `NR`, …) or `-`.
    pub flags: &'static str,
    /// `via_upstream` or why the proxy answered itself.
    pub details: &'static str,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    pub duration: Duration,
    /// Time until the upstream's response headers, when there was an upstream response.
    pub upstream_time: Option<Duration>,
    pub forwarded_for: Option<HeaderValue>,
    pub user_agent: Option<HeaderValue>,
    pub request_id: Option<HeaderValue>,
    pub authority: Option<HeaderValue>,
    pub upstream_host: Option<SocketAddr>,
    pub upstream_cluster: Option<Arc<str>>,
    pub upstream_local: Option<SocketAddr>,
    pub downstream_local: Option<SocketAddr>,
    pub downstream_remote: Option<SocketAddr>,
    pub route: Option<Arc<str>>,
}

// === impl AccessLog ===

impl AccessLog {
    /// The log line (without newline), field for field Envoy's default format.
    pub fn line(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the line (without newline) to `out`.
    pub fn write(&self, out: &mut String) {
        fn opt<T: std::fmt::Display>(out: &mut String, v: &Option<T>) {
            match v {
                Some(v) => {
                    let _ = write!(out, "{v}");
                }
                None => out.push('-'),
            }
        }
        fn header(out: &mut String, v: &Option<HeaderValue>) {
            match v.as_ref().and_then(|v| v.to_str().ok()) {
                Some(v) => out.push_str(v),
                None => out.push('-'),
            }
        }
        out.push('[');
        crate::logline::write_time(out, self.start, 3);
        let _ = write!(
            out,
            "] \"{} {} {}\" {} {} {} - \"-\" {} {} {} ",
            self.method,
            self.path.as_ref().map_or("/", PathAndQuery::as_str),
            self.protocol,
            self.response_code,
            self.flags,
            self.details,
            self.bytes_received,
            self.bytes_sent,
            self.duration.as_millis(),
        );
        opt(out, &self.upstream_time.map(|d| d.as_millis()));
        for (i, v) in [
            &self.forwarded_for,
            &self.user_agent,
            &self.request_id,
            &self.authority,
        ]
        .into_iter()
        .enumerate()
        {
            out.push_str(if i == 0 { " \"" } else { "\" \"" });
            header(out, v);
        }
        out.push_str("\" \"");
        opt(out, &self.upstream_host);
        out.push_str("\" ");
        opt(out, &self.upstream_cluster);
        for v in [
            &self.upstream_local,
            &self.downstream_local,
            &self.downstream_remote,
        ] {
            out.push(' ');
            opt(out, v);
        }
        out.push_str(" - ");
        opt(out, &self.route);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn workload_names() {
        let cases = [
            ("helloworld-v1-5d8f7b9c4-abcde", "helloworld-v1"),
            ("productpage-v1-6b746f74dc-9stvs", "productpage-v1"),
            ("web-7d4b9c8f6d-x2x4z", "web"),
            ("web-0", "web-0"),
            ("standalone", "standalone"),
            ("job-abcde", "job-abcde"),
            ("a-b-c", "a-b-c"),
            ("-5d8f7b9c4-abcde", "-5d8f7b9c4-abcde"),
            ("x-5D8F7B9C4-abcde", "x-5D8F7B9C4-abcde"),
            ("", ""),
        ];
        for (pod, want) in cases {
            assert_eq!(workload_name(pod), want, "{pod:?}");
        }
    }

    fn sample() -> AccessLog {
        AccessLog {
            start: Utc
                .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                .single()
                .expect("valid time")
                + chrono::Duration::milliseconds(678),
            method: Method::GET,
            path: Some(PathAndQuery::from_static("/hello")),
            protocol: "HTTP/1.1",
            response_code: 200,
            flags: "-",
            details: "via_upstream",
            bytes_received: 0,
            bytes_sent: 42,
            duration: Duration::from_millis(3),
            upstream_time: Some(Duration::from_millis(2)),
            forwarded_for: None,
            user_agent: Some(HeaderValue::from_static("curl/8.5.0")),
            request_id: Some(HeaderValue::from_static("id-1")),
            authority: Some(HeaderValue::from_static("helloworld:5000")),
            upstream_host: Some("127.0.0.1:20003".parse().expect("addr")),
            upstream_cluster: Some("outbound|5000||helloworld.default.svc.cluster.local".into()),
            upstream_local: Some("127.0.0.1:41234".parse().expect("addr")),
            downstream_local: Some("127.0.0.1:20001".parse().expect("addr")),
            downstream_remote: Some("127.0.0.1:41233".parse().expect("addr")),
            route: Some("default".into()),
        }
    }

    #[test]
    fn access_log_lines() {
        let ok = sample();
        let mut failed = sample();
        failed.response_code = 503;
        failed.flags = "UH";
        failed.details = "no_healthy_upstream";
        failed.upstream_time = None;
        failed.upstream_host = None;
        failed.upstream_local = None;
        failed.user_agent = None;
        failed.request_id = None;
        let cases = [
            (ok, "[2026-01-02T03:04:05.678Z] \"GET /hello HTTP/1.1\" 200 - via_upstream - \"-\" 0 42 3 2 \"-\" \"curl/8.5.0\" \"id-1\" \"helloworld:5000\" \"127.0.0.1:20003\" outbound|5000||helloworld.default.svc.cluster.local 127.0.0.1:41234 127.0.0.1:20001 127.0.0.1:41233 - default"),
            (failed, "[2026-01-02T03:04:05.678Z] \"GET /hello HTTP/1.1\" 503 UH no_healthy_upstream - \"-\" 0 42 3 - \"-\" \"-\" \"-\" \"helloworld:5000\" \"-\" outbound|5000||helloworld.default.svc.cluster.local - 127.0.0.1:20001 127.0.0.1:41233 - default"),
        ];
        for (log, want) in cases {
            assert_eq!(log.line(), want);
        }
    }

    #[test]
    fn metrics_exposition() {
        let m = Metrics::new();
        let labels = RequestLabels {
            reporter: "source",
            source_workload: "sleep".into(),
            source_workload_namespace: "default".into(),
            destination_workload: "hello".into(),
            destination_workload_namespace: "default".into(),
            destination_service: "hello.default.svc.cluster.local".into(),
            response_code: 200,
            response_flags: "-",
            request_protocol: "http",
        };
        m.count(&labels, Duration::from_millis(3));
        m.count(&labels, Duration::from_millis(30));
        let text = m.encode();
        let set = "reporter=\"source\",source_workload=\"sleep\",source_workload_namespace=\"default\",destination_workload=\"hello\",destination_workload_namespace=\"default\",destination_service=\"hello.default.svc.cluster.local\",response_code=\"200\",response_flags=\"-\",request_protocol=\"http\"";
        assert!(
            text.contains(&format!("istio_requests_total{{{set}}} 2")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "istio_request_duration_milliseconds_bucket{{le=\"5.0\",{set}}} 1"
            )) || text.contains(&format!(
                "istio_request_duration_milliseconds_bucket{{{set},le=\"5.0\"}} 1"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "istio_request_duration_milliseconds_count{{{set}}} 2"
            )),
            "{text}"
        );
        assert!(text.contains("envoy_server_live 1"), "{text}");
    }
}
