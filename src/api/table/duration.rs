//! Ages and durations as kube prints them (`k8s.io/apimachinery/pkg/util/duration.HumanDuration`).

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::str_at;

/// Kubernetes' HumanDuration: a short duration with two or three significant figures.
///
/// Up to two minutes it counts seconds (`45s`, `119s`); then minutes and seconds below ten
/// minutes (`5m10s`), minutes below three hours (`20m`), hours and minutes below eight hours
/// (`4h5m`), hours below two days (`30h`), days and hours below eight days (`4d3h`), days below
/// two years (`400d`), years and days below eight years (`3y45d`), then years. A clock skew of
/// up to a second in the future reads `0s`; anything further ahead is `<invalid>`.
pub fn human_duration(d: Duration) -> String {
    // Whole units truncate toward zero, like Go's int(d.Seconds()) and d / time.Minute.
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d.num_minutes();
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d.num_hours();
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        let days = hours / 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    let years = hours / 24 / 365;
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{days}d")
        };
    }
    format!("{years}y")
}

/// kubectl's AGE cell for an object's metadata.creationTimestamp ("<unknown>" when absent).
pub fn age(obj: &Value, now: DateTime<Utc>) -> String {
    since(str_at(obj, &["metadata", "creationTimestamp"]), now)
}

/// Time elapsed from an RFC 3339 timestamp to `now`; `<unknown>` for an empty or unreadable
/// one (Go's zero time).
pub(crate) fn since(timestamp: &str, now: DateTime<Utc>) -> String {
    match parse_time(timestamp) {
        Some(t) => human_duration(now.signed_duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

/// Parses a `metav1.Time` or `metav1.MicroTime` string.
pub(crate) fn parse_time(timestamp: &str) -> Option<DateTime<Utc>> {
    if timestamp.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(timestamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
