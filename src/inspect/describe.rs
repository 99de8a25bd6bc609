//! Short text for config pieces shared by traces, tables and JSON: matchers, durations,
//! percentages, policies, load balancers and names.

use std::time::Duration;

use crate::api::istio::{CorsPolicy, HeaderOperations, Headers, ServerTlsMode, StringMatch};
use crate::routes::{
    cluster_name, HashKey, LbPolicy, Listener, Route, StringMatcher, WeightedCluster,
};

/// The pattern a compiled regex was written as: the compiler wraps it in `^(?:...)$`.
pub(super) fn regex_source(re: &regex::Regex) -> &str {
    let text = re.as_str();
    text.strip_prefix("^(?:")
        .and_then(|t| t.strip_suffix(")$"))
        .unwrap_or(text)
}

/// `(kind, pattern)` of a matcher, named after the StringMatch fields (`exact`, `prefix`,
/// `regex`); presence matchers are `("present", "")`.
pub(super) fn matcher_parts(m: &StringMatcher) -> (&'static str, &str) {
    match m {
        StringMatcher::Exact(v) => ("exact", v),
        StringMatcher::Prefix(v) => ("prefix", v),
        StringMatcher::Regex(re) => ("regex", regex_source(re)),
        StringMatcher::Present => ("present", ""),
    }
}

/// The matcher as the StringMatch it came from (`{}` for presence).
pub(super) fn matcher_model(m: &StringMatcher) -> StringMatch {
    let mut out = StringMatch::default();
    match m {
        StringMatcher::Exact(v) => out.exact = Some(v.clone()),
        StringMatcher::Prefix(v) => out.prefix = Some(v.clone()),
        StringMatcher::Regex(re) => out.regex = Some(regex_source(re).to_string()),
        StringMatcher::Present => {}
    }
    out
}

/// A duration the way Istio users write them: `2s`, `500ms`, `1m30s`, `1.5s`, `2h`.
pub(super) fn duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    let secs = d.as_secs();
    if secs == 0 {
        return match nanos {
            0 => "0s".to_string(),
            n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
            n if n % 1_000 == 0 => format!("{}us", n / 1_000),
            n => format!("{n}ns"),
        };
    }
    let mut out = String::new();
    let (hours, minutes, seconds) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || nanos > 0 {
        let fraction = format!("{:09}", nanos);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            out.push_str(&format!("{seconds}s"));
        } else {
            out.push_str(&format!("{seconds}.{fraction}s"));
        }
    }
    out
}

/// A percentage without needless decimals: `10`, `33.33`, `0.5`.
pub(super) fn percent(p: f64) -> String {
    let text = format!("{p:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Envoy's name of the cluster a destination resolves to; a destination whose port could not
/// be determined gets port 0, which no cluster has.
pub(super) fn destination_cluster(c: &WeightedCluster) -> String {
    cluster_name(c.port.unwrap_or(0), c.subset.as_deref(), &c.host)
}

/// `ns/name` as istioctl prints a config: `name.ns`.
pub(super) fn config_ref(source: &str) -> String {
    match source.split_once('/') {
        Some((ns, name)) => format!("{name}.{ns}"),
        None => source.to_string(),
    }
}

/// Whether a gateway listener terminates HTTP (plain or TLS) and so has routes.
fn gateway_serves_http(l: &Listener) -> bool {
    match l.protocol.as_str() {
        "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" => true,
        "HTTPS" => l.tls.as_ref().is_some_and(|t| {
            !matches!(
                t.mode,
                ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
            )
        }),
        _ => false,
    }
}

/// Istio's route configuration name of a listener: `http.PORT` / `https.PORT` for gateways,
/// the bare port for sidecars; `None` for gateway listeners that do not carry HTTP.
pub(super) fn route_config_name(l: &Listener) -> Option<String> {
    if l.gateways.is_empty() {
        return Some(l.port.to_string());
    }
    if !gateway_serves_http(l) {
        return None;
    }
    let kind = if l.protocol == "HTTPS" {
        "https"
    } else {
        "http"
    };
    Some(format!("{kind}.{}", l.port))
}

/// Envoy's name of a load-balancing algorithm (Istio's consistent hash is a ring hash).
pub(super) fn lb_name(lb: &LbPolicy) -> &'static str {
    match lb {
        LbPolicy::LeastRequest => "LEAST_REQUEST",
        LbPolicy::RoundRobin => "ROUND_ROBIN",
        LbPolicy::Random => "RANDOM",
        LbPolicy::ConsistentHash(_) => "RING_HASH",
    }
}

/// The load-balancer name plus, for consistent hashing, what is hashed.
pub(super) fn lb_text(lb: &LbPolicy) -> String {
    let name = lb_name(lb);
    match lb {
        LbPolicy::ConsistentHash(key) => match key {
            HashKey::Header(header) => format!("{name} header={header}"),
            HashKey::Cookie { name: cookie, .. } => format!("{name} cookie={cookie}"),
            HashKey::Query(param) => format!("{name} query={param}"),
            HashKey::SourceIp => format!("{name} source-ip"),
        },
        _ => name.to_string(),
    }
}

/// `set a=b, add c=d, remove e`; `None` when there are no operations.
fn header_ops(ops: &HeaderOperations) -> Option<String> {
    let mut parts = Vec::new();
    let pairs = |map: &std::collections::BTreeMap<String, String>| {
        map.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !ops.set.is_empty() {
        parts.push(format!("set {}", pairs(&ops.set)));
    }
    if !ops.add.is_empty() {
        parts.push(format!("add {}", pairs(&ops.add)));
    }
    if !ops.remove.is_empty() {
        parts.push(format!("remove {}", ops.remove.join(" ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `request headers: set x-a=b` / `response headers: remove x-c`, each with `scope` appended.
fn header_lines(headers: &Headers, scope: &str, out: &mut Vec<String>) {
    let sides = [
        ("request", headers.request.as_ref()),
        ("response", headers.response.as_ref()),
    ];
    for (side, ops) in sides {
        if let Some(text) = ops.and_then(header_ops) {
            out.push(format!("{side} headers{scope}: {text}"));
        }
    }
}

/// One line summarising a CORS policy.
fn cors_line(cors: &CorsPolicy) -> String {
    let mut origins: Vec<String> = cors.allow_origin.clone();
    origins.extend(
        cors.allow_origins
            .iter()
            .map(|m| match (&m.exact, &m.prefix, &m.regex) {
                (Some(v), _, _) => v.clone(),
                (None, Some(v), _) => format!("{v}*"),
                (None, None, Some(v)) => format!("regex {v}"),
                (None, None, None) => "*".to_string(),
            }),
    );
    let mut parts = vec![format!(
        "origins {}",
        if origins.is_empty() {
            "(none)".to_string()
        } else {
            origins.join(",")
        }
    )];
    let lists = [
        ("methods", &cors.allow_methods),
        ("headers", &cors.allow_headers),
        ("expose", &cors.expose_headers),
    ];
    for (label, list) in lists {
        if !list.is_empty() {
            parts.push(format!("{label} {}", list.join(",")));
        }
    }
    if let Some(age) = &cors.max_age {
        parts.push(format!("max age {age}"));
    }
    if cors.allow_credentials == Some(true) {
        parts.push("credentials".to_string());
    }
    format!("cors: {}", parts.join("; "))
}

/// One human-readable line per policy of `route`, in the order Envoy applies them.
pub(super) fn policy_lines(route: &Route) -> Vec<String> {
    let mut out = Vec::new();
    let policy = &route.policy;
    if let Some(authority) = route.rewrite.as_ref().and_then(|r| r.authority.as_ref()) {
        out.push(format!("rewrite authority {authority}"));
    }
    if let Some(t) = policy.timeout {
        out.push(format!("timeout {}", duration(t)));
    }
    if let Some(r) = &policy.retries {
        if r.attempts == 0 {
            out.push("retries disabled".to_string());
        } else {
            let mut line = format!("retries {}", r.attempts);
            if !r.retry_on.is_empty() {
                line.push_str(&format!(" on {}", r.retry_on.join(",")));
            }
            if let Some(t) = r.per_try_timeout {
                line.push_str(&format!(" (per try {})", duration(t)));
            }
            out.push(line);
        }
    }
    if let Some(fault) = &policy.fault {
        if let Some(d) = &fault.delay {
            out.push(format!(
                "fault delay {} for {}%",
                duration(d.duration),
                percent(d.percentage)
            ));
        }
        if let Some(a) = &fault.abort {
            let what = match (a.http_status, &a.grpc_status) {
                (Some(status), _) => status.to_string(),
                (None, Some(grpc)) => format!("grpc {grpc}"),
                (None, None) => "(no status)".to_string(),
            };
            out.push(format!("fault abort {what} for {}%", percent(a.percentage)));
        }
    }
    for m in &policy.mirrors {
        out.push(format!(
            "mirror {} {}%",
            destination_cluster(&m.cluster),
            percent(m.percentage)
        ));
    }
    if let Some(h) = &policy.headers {
        header_lines(h, "", &mut out);
    }
    if let crate::routes::Action::Route(clusters) = &route.action {
        for c in clusters {
            if let Some(h) = &c.headers {
                header_lines(h, &format!(" for {}", destination_cluster(c)), &mut out);
            }
        }
    }
    if let Some(cors) = &policy.cors {
        out.push(cors_line(cors));
    }
    out
}
