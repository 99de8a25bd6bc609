//! Pure per-request filters of the data path: header operations, CORS, fault and retry decisions.

use crate::api::istio::{parse_duration, CorsPolicy, HeaderOperations};
use crate::routes::{RetryPolicy, StringMatcher};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};

/// Applies Istio's header operations in Envoy's order: remove, then set (overwrite), then add
/// (append). Names or values that are not valid HTTP are skipped.
pub fn apply_header_ops(headers: &mut HeaderMap, ops: Option<&HeaderOperations>) {
    let Some(ops) = ops else { return };
    for name in &ops.remove {
        if let Ok(name) = HeaderName::try_from(name.as_str()) {
            headers.remove(name);
        }
    }
    for (name, value) in &ops.set {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    for (name, value) in &ops.add {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
}

/// Whether `origin` is allowed by `cors` (`allowOrigins` StringMatches or the deprecated exact list).
pub fn origin_allowed(cors: &CorsPolicy, origin: &str) -> bool {
    cors.allow_origin.iter().any(|o| o == "*" || o == origin)
        || cors.allow_origins.iter().any(|m| {
            StringMatcher::compile(m).is_ok_and(|m| match m {
                // An empty StringMatch would be "present": treat it as no match here.
                StringMatcher::Present => false,
                m => m.matches(origin),
            })
        })
}

/// A CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(method: &hyper::Method, headers: &HeaderMap) -> bool {
    method == hyper::Method::OPTIONS
        && headers.contains_key("origin")
        && headers.contains_key("access-control-request-method")
}

/// The headers Envoy's CORS filter answers a preflight with (empty when the origin is not
/// allowed: the preflight then goes upstream, as `unmatchedPreflights: FORWARD` does).
pub fn preflight_headers(cors: &CorsPolicy, origin: &str) -> Vec<(&'static str, String)> {
    if !origin_allowed(cors, origin) {
        return Vec::new();
    }
    let mut out = vec![("access-control-allow-origin", origin.to_string())];
    if !cors.allow_methods.is_empty() {
        out.push(("access-control-allow-methods", cors.allow_methods.join(",")));
    }
    if !cors.allow_headers.is_empty() {
        out.push(("access-control-allow-headers", cors.allow_headers.join(",")));
    }
    if let Some(age) = cors.max_age.as_deref().and_then(parse_duration) {
        out.push(("access-control-max-age", age.as_secs().to_string()));
    }
    if cors.allow_credentials == Some(true) {
        out.push(("access-control-allow-credentials", "true".to_string()));
    }
    out
}

/// Headers added to an actual (non-preflight) response for an allowed origin.
pub fn response_cors_headers(cors: &CorsPolicy, origin: &str) -> Vec<(&'static str, String)> {
    if !origin_allowed(cors, origin) {
        return Vec::new();
    }
    let mut out = vec![("access-control-allow-origin", origin.to_string())];
    if !cors.expose_headers.is_empty() {
        out.push((
            "access-control-expose-headers",
            cors.expose_headers.join(","),
        ));
    }
    if cors.allow_credentials == Some(true) {
        out.push(("access-control-allow-credentials", "true".to_string()));
    }
    out
}

/// Whether a `roll` in `[0, 100)` falls inside `percentage`.
pub fn hit(percentage: f64, roll: f64) -> bool {
    roll < percentage
}

/// A uniform roll in `[0, 100)`. (A function, so no RNG handle lives across an `.await`.)
pub fn roll_percent() -> f64 {
    use rand::Rng;
    rand::thread_rng().gen_range(0.0..100.0)
}

/// A uniform roll in `[0, upper)` (0 when `upper` is 0).
pub fn roll_below(upper: u32) -> u32 {
    use rand::Rng;
    if upper == 0 {
        0
    } else {
        rand::thread_rng().gen_range(0..upper)
    }
}

/// What went wrong with one upstream attempt, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Status(u16),
    ConnectFailure,
    /// The connection closed before a response (Envoy: reset).
    Reset,
    PerTryTimeout,
}

/// Istio's retry policy for routes that set none: 2 attempts on connect failures, refused
/// streams, `unavailable`, `cancelled` and 503.
pub fn default_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        per_try_timeout: None,
        retry_on: [
            "connect-failure",
            "refused-stream",
            "unavailable",
            "cancelled",
            "retriable-status-codes",
            "503",
        ]
        .map(str::to_string)
        .to_vec(),
    }
}

/// Whether Envoy would retry after `attempt` under `policy` (`retry_on` as Envoy reads it:
/// condition names plus bare status codes, which become retriable status codes).
pub fn should_retry(policy: &RetryPolicy, attempt: Attempt) -> bool {
    let on = |name: &str| policy.retry_on.iter().any(|c| c == name);
    let codes = || policy.retry_on.iter().filter_map(|c| c.parse::<u16>().ok());
    match attempt {
        Attempt::Status(code) => {
            (on("5xx") && code >= 500)
                || (on("gateway-error") && matches!(code, 502..=504))
                || codes().any(|c| c == code)
        }
        Attempt::ConnectFailure => {
            on("connect-failure") || on("5xx") || on("gateway-error") || on("reset")
        }
        Attempt::Reset => on("reset") || on("5xx"),
        Attempt::PerTryTimeout => on("5xx") || on("gateway-error") || on("reset"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(on: &[&str]) -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            per_try_timeout: None,
            retry_on: on.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn retry_decisions() {
        use Attempt::*;
        let cases: &[(&[&str], Attempt, bool)] = &[
            (&["5xx"], Status(500), true),
            (&["5xx"], Status(404), false),
            (&["gateway-error"], Status(500), false),
            (&["gateway-error"], Status(503), true),
            (&["retriable-status-codes", "418"], Status(418), true),
            (&["connect-failure"], ConnectFailure, true),
            (&["connect-failure"], Status(503), false),
            (&["refused-stream"], ConnectFailure, false),
            (&["5xx"], PerTryTimeout, true),
            (&["connect-failure"], PerTryTimeout, false),
            (&["reset"], Reset, true),
        ];
        for (on, attempt, want) in cases {
            assert_eq!(
                should_retry(&policy(on), *attempt),
                *want,
                "{on:?} {attempt:?}"
            );
        }
        assert!(should_retry(&default_retries(), Status(503)));
        assert!(!should_retry(&default_retries(), Status(500)));
    }

    #[test]
    fn header_operations_order() {
        let mut headers = HeaderMap::new();
        headers.insert("x-old", HeaderValue::from_static("1"));
        headers.insert("x-keep", HeaderValue::from_static("a"));
        let ops: HeaderOperations = serde_json::from_value(serde_json::json!({
            "remove": ["x-old"], "set": {"x-keep": "b", "x-new": "c"}, "add": {"x-keep": "d"}
        }))
        .expect("ops");
        apply_header_ops(&mut headers, Some(&ops));
        assert!(!headers.contains_key("x-old"));
        let keep: Vec<_> = headers.get_all("x-keep").iter().collect();
        assert_eq!(keep, ["b", "d"]);
        assert_eq!(headers["x-new"], "c");
    }

    #[test]
    fn cors() {
        let cors: CorsPolicy = serde_json::from_value(serde_json::json!({
            "allowOrigins": [{"exact": "https://a.example"}, {"regex": "https://.*\\.b\\.example"}],
            "allowMethods": ["GET", "POST"], "allowHeaders": ["x-a"], "maxAge": "24h",
            "exposeHeaders": ["x-b"], "allowCredentials": true
        }))
        .expect("cors");
        assert!(origin_allowed(&cors, "https://a.example"));
        assert!(origin_allowed(&cors, "https://x.b.example"));
        assert!(!origin_allowed(&cors, "https://evil.example"));
        let pre = preflight_headers(&cors, "https://a.example");
        assert!(pre.contains(&("access-control-allow-methods", "GET,POST".to_string())));
        assert!(pre.contains(&("access-control-max-age", "86400".to_string())));
        assert!(preflight_headers(&cors, "https://evil.example").is_empty());
        let resp = response_cors_headers(&cors, "https://a.example");
        assert!(resp.contains(&("access-control-expose-headers", "x-b".to_string())));
    }
}
