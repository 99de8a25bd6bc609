//! Retry, fault injection and CORS policies of an HTTP rule.

use super::matching::{header_name, regexp};
use super::{percentage, Errs};
use crate::api::istio::{Abort, CorsPolicy, Delay, HttpRetry};
use crate::api::validate::field::{go_quote, FieldPath};

const RETRY_ON: &[&str] = &[
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

const HTTP_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE",
];

const GRPC_STATUSES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

pub(super) fn cors_policy(errs: &mut Errs, cors: &CorsPolicy, path: &FieldPath) {
    for (i, origin) in cors.allow_origins.iter().enumerate() {
        let at = path.child("allowOrigins").index(i);
        let set = [&origin.exact, &origin.prefix, &origin.regex]
            .iter()
            .filter(|v| v.is_some())
            .count();
        errs.one_of(&at, set);
        let value = origin
            .exact
            .as_deref()
            .or(origin.prefix.as_deref())
            .or(origin.regex.as_deref())
            .unwrap_or_default();
        if value.is_empty() {
            errs.err(&at, "'' is not a valid match type for CORS allow origins");
        } else if let Some(re) = &origin.regex {
            errs.check(&at, regexp(re, "corsPolicy.allowOrigins"));
        }
    }
    for (i, method) in cors.allow_methods.iter().enumerate() {
        if !HTTP_METHODS.contains(&method.as_str()) {
            errs.err(
                &path.child("allowMethods").index(i),
                format!("{} is not a supported HTTP method", go_quote(method)),
            );
        }
    }
    for (list, name) in [
        (&cors.allow_headers, "allowHeaders"),
        (&cors.expose_headers, "exposeHeaders"),
    ] {
        for (i, header) in list.iter().enumerate() {
            if header != "*" {
                errs.check(&path.child(name).index(i), header_name(header));
            }
        }
    }
    let max_age = path.child("maxAge");
    if let Some(d) = errs.duration(cors.max_age.as_ref(), &max_age) {
        if d.subsec_nanos() > 0 {
            errs.err(
                &max_age,
                "max_age duration is accurate only to seconds precision",
            );
        }
    }
}

pub(super) fn fault_abort(errs: &mut Errs, abort: &Abort, path: &FieldPath) {
    let set = [
        abort.http_status.is_some(),
        abort.grpc_status.is_some(),
        abort.http2_error.is_some(),
    ];
    errs.one_of(path, set.iter().filter(|s| **s).count());
    percentage(errs, abort.percentage.as_ref(), &path.child("percentage"));
    if let Some(status) = &abort.grpc_status {
        if !GRPC_STATUSES.contains(&status.as_str()) {
            errs.err(
                &path.child("grpcStatus"),
                format!(
                    "gRPC status {} is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'",
                    go_quote(status)
                ),
            );
        }
    } else if abort.http2_error.is_some() {
        errs.err(
            &path.child("http2Error"),
            "HTTP/2 abort fault injection not supported yet",
        );
    } else if let Some(status) = abort.http_status {
        errs.check(&path.child("httpStatus"), http_status(i64::from(status)));
    }
}

pub(super) fn fault_delay(errs: &mut Errs, delay: &Delay, path: &FieldPath) {
    errs.one_of(
        path,
        usize::from(delay.fixed_delay.is_some()) + usize::from(delay.exponential_delay.is_some()),
    );
    percentage(errs, delay.percentage.as_ref(), &path.child("percentage"));
    errs.duration(delay.fixed_delay.as_ref(), &path.child("fixedDelay"));
    if delay.exponential_delay.is_some() {
        let at = path.child("exponentialDelay");
        errs.duration(delay.exponential_delay.as_ref(), &at);
        errs.err(&at, "exponentialDelay not supported yet");
    }
}

pub(super) fn http_status(status: i64) -> Result<(), String> {
    if !(200..=600).contains(&status) {
        return Err(format!("HTTP status {status} is not in range 200-599"));
    }
    Ok(())
}

pub(super) fn http_retry(errs: &mut Errs, retries: &HttpRetry, path: &FieldPath) {
    if retries.attempts < 0 {
        errs.err(&path.child("attempts"), "attempts cannot be negative");
    }
    if retries.attempts == 0
        && (retries.per_try_timeout.is_some()
            || !retries.retry_on.is_empty()
            || retries.retry_remote_localities.is_some())
    {
        errs.err(
            path,
            "http retry policy configured when attempts are set to 0 (disabled)",
        );
    }
    errs.duration(
        retries.per_try_timeout.as_ref(),
        &path.child("perTryTimeout"),
    );
    errs.duration(retries.backoff.as_ref(), &path.child("backoff"));
    if !retries.retry_on.is_empty() {
        for policy in retries.retry_on.split(',') {
            let is_status = policy.parse::<u16>().is_ok_and(is_known_http_status);
            if !is_status && !RETRY_ON.contains(&policy) {
                errs.err(
                    &path.child("retryOn"),
                    format!("{} is not a valid retryOn policy", go_quote(policy)),
                );
            }
        }
    }
}

/// Status codes Go's `http.StatusText` knows.
fn is_known_http_status(code: u16) -> bool {
    matches!(code,
        100..=103 | 200..=208 | 226 | 300..=305 | 307 | 308 | 400..=418 | 421..=426 | 428 | 429 | 431 | 451
        | 500..=508 | 510 | 511)
}
