//! Text of the small pieces a description prints: HTTP matches as istioctl abbreviates them,
//! protobuf text for the parts it prints raw (faults, TCP matches, regexes), and the effective
//! traffic policy of a cluster.

use super::super::describe::{duration, lb_name};
use crate::api::istio::{
    parse_duration, HttpFaultInjection, HttpMatchRequest, L4MatchAttributes, Percent, StringMatch,
};
use crate::routes::{ClusterPolicy, HashKey, LbPolicy};

/// A StringMatch as istioctl shortens it: exact as is, prefix with `*`, regex as protobuf text.
fn render_string_match(m: &StringMatch) -> String {
    match (&m.exact, &m.prefix, &m.regex) {
        (Some(exact), _, _) => exact.clone(),
        (None, Some(prefix), _) => format!("{prefix}*"),
        (None, None, Some(regex)) => format!("regex:{}", quote(regex)),
        (None, None, None) => String::new(),
    }
}

/// `Match: URI[ uncased][ when headers are k=v; ...]`, trimmed.
pub(super) fn render_match(m: &HttpMatchRequest) -> String {
    let mut text = "Match: ".to_string();
    if let Some(uri) = &m.uri {
        text.push_str(&render_string_match(uri));
        if m.ignore_uri_case {
            text.push_str(" uncased");
        }
    }
    if !m.headers.is_empty() {
        let conditions: Vec<String> = m
            .headers
            .iter()
            .map(|(k, v)| format!("{k}={}", render_string_match(v)))
            .collect();
        text.push_str(" when headers are ");
        text.push_str(&conditions.join("; "));
    }
    text.trim().to_string()
}

/// All match blocks of a rule, or `everything` when it has none.
pub(super) fn render_matches(matches: &[HttpMatchRequest]) -> String {
    if matches.is_empty() {
        return "everything".to_string();
    }
    let parts: Vec<String> = matches.iter().map(render_match).collect();
    parts.join(", ")
}

/// A protobuf text string literal.
fn quote(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `google.protobuf.Duration` in protobuf text (`{seconds:7}`); unparseable text is empty.
fn duration_text(text: &str) -> String {
    let Some(d) = parse_duration(text) else {
        return "{}".to_string();
    };
    let mut parts = Vec::new();
    if d.as_secs() > 0 {
        parts.push(format!("seconds:{}", d.as_secs()));
    }
    if d.subsec_nanos() > 0 {
        parts.push(format!("nanos:{}", d.subsec_nanos()));
    }
    format!("{{{}}}", parts.join(" "))
}

/// A Percent in protobuf text (`{value:50}`).
fn percent_text(p: &Percent) -> String {
    if p.value == 0.0 {
        "{}".to_string()
    } else {
        format!("{{value:{}}}", p.value)
    }
}

/// An HTTPFaultInjection in protobuf text, fields in declaration order.
pub(super) fn fault_text(f: &HttpFaultInjection) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &f.delay {
        let mut inner = Vec::new();
        if d.percent != 0 {
            inner.push(format!("percent:{}", d.percent));
        }
        if let Some(t) = &d.fixed_delay {
            inner.push(format!("fixed_delay:{}", duration_text(t)));
        }
        if let Some(t) = &d.exponential_delay {
            inner.push(format!("exponential_delay:{}", duration_text(t)));
        }
        if let Some(p) = &d.percentage {
            inner.push(format!("percentage:{}", percent_text(p)));
        }
        parts.push(format!("delay:{{{}}}", inner.join(" ")));
    }
    if let Some(a) = &f.abort {
        let mut inner = Vec::new();
        if let Some(status) = a.http_status {
            inner.push(format!("http_status:{status}"));
        }
        if let Some(status) = &a.grpc_status {
            inner.push(format!("grpc_status:{}", quote(status)));
        }
        if let Some(error) = &a.http2_error {
            inner.push(format!("http2_error:{}", quote(error)));
        }
        if let Some(p) = &a.percentage {
            inner.push(format!("percentage:{}", percent_text(p)));
        }
        parts.push(format!("abort:{{{}}}", inner.join(" ")));
    }
    parts.join(" ")
}

/// A TCP rule's match block in protobuf text, fields in declaration order.
pub(super) fn l4_match_text(m: &L4MatchAttributes) -> String {
    let mut parts: Vec<String> = m
        .destination_subnets
        .iter()
        .map(|s| format!("destination_subnets:{}", quote(s)))
        .collect();
    if m.port != 0 {
        parts.push(format!("port:{}", m.port));
    }
    parts.extend(
        m.source_labels
            .iter()
            .map(|(k, v)| format!("source_labels:{{key:{} value:{}}}", quote(k), quote(v))),
    );
    parts.extend(m.gateways.iter().map(|g| format!("gateways:{}", quote(g))));
    if !m.source_namespace.is_empty() {
        parts.push(format!("source_namespace:{}", quote(&m.source_namespace)));
    }
    parts.join(" ")
}

/// One line per part of `policy` that differs from Envoy's defaults, named after the
/// DestinationRule fields that set it.
pub(super) fn policy_lines(policy: &ClusterPolicy) -> Vec<String> {
    let mut out = Vec::new();
    if policy.lb != LbPolicy::default() {
        let text = match &policy.lb {
            LbPolicy::ConsistentHash(key) => match key {
                HashKey::Header(h) => format!("consistentHash httpHeaderName={h}"),
                HashKey::Cookie { name, ttl, .. } => match ttl {
                    Some(ttl) => format!("consistentHash httpCookie={name} ttl={}", duration(*ttl)),
                    None => format!("consistentHash httpCookie={name}"),
                },
                HashKey::Query(q) => format!("consistentHash httpQueryParameterName={q}"),
                HashKey::SourceIp => "consistentHash useSourceIp=true".to_string(),
            },
            other => lb_name(other).to_string(),
        };
        out.push(format!("loadBalancer: {text}"));
    }
    let pool = &policy.pool;
    let count = |v: Option<u32>| v.map(|v| v.to_string());
    let limits = [
        ("tcp.maxConnections", count(pool.max_connections)),
        ("tcp.connectTimeout", pool.connect_timeout.map(duration)),
        (
            "http.http1MaxPendingRequests",
            count(pool.max_pending_requests),
        ),
        ("http.http2MaxRequests", count(pool.max_requests)),
        (
            "http.maxRequestsPerConnection",
            count(pool.max_requests_per_connection),
        ),
        ("http.maxRetries", count(pool.max_retries)),
    ];
    let pool_parts: Vec<String> = limits
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect();
    if !pool_parts.is_empty() {
        out.push(format!("connectionPool: {}", pool_parts.join(", ")));
    }
    if let Some(o) = &policy.outlier {
        let mut parts = Vec::new();
        if let Some(n) = o.consecutive_5xx {
            parts.push(format!("consecutive5xxErrors={n}"));
        }
        if let Some(n) = o.consecutive_gateway_errors {
            parts.push(format!("consecutiveGatewayErrors={n}"));
        }
        parts.push(format!("interval={}", duration(o.interval)));
        parts.push(format!(
            "baseEjectionTime={}",
            duration(o.base_ejection_time)
        ));
        parts.push(format!("maxEjectionPercent={}", o.max_ejection_percent));
        parts.push(format!("minHealthPercent={}", o.min_health_percent));
        out.push(format!("outlierDetection: {}", parts.join(", ")));
    }
    out
}
