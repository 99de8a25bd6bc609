//! The query of a pod log request (`PodLogOptions` as kubectl sends them) and its validation.

use chrono::{DateTime, Utc};

use super::LogsError;

/// What part of a container's log to show and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Only the last N lines (`tailLines`).
    pub tail: Option<usize>,
    /// Prefix every line with its RFC 3339 time (`timestamps`).
    pub timestamps: bool,
    /// Only lines newer than this many seconds (`sinceSeconds`).
    pub since_seconds: Option<u64>,
    /// Only lines at or after this time (`sinceTime`).
    pub since_time: Option<DateTime<Utc>>,
    /// Stop after this many bytes of output (`limitBytes`).
    pub limit_bytes: Option<usize>,
    /// Keep streaming new lines (`follow`).
    pub follow: bool,
    /// The log of the previous run of the container (`previous`).
    pub previous: bool,
    /// Which container of the pod (`container`).
    pub container: Option<String>,
}

// === impl LogOptions ===

impl LogOptions {
    /// Parses a URL query string such as `tailLines=10&timestamps=true&container=app`.
    ///
    /// Unknown parameters are ignored, as the API server does for ones it does not use.
    pub fn from_query(query: &str) -> Result<LogOptions, String> {
        Self::parse_query(query).map_err(|e| e.to_string())
    }

    /// [`LogOptions::from_query`] with a typed error.
    pub fn parse_query(query: &str) -> Result<LogOptions, LogsError> {
        let mut opts = LogOptions::default();
        let mut seen = std::collections::HashSet::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            // Like the API server, the first value of a repeated parameter wins.
            if !seen.insert(key.clone()) {
                continue;
            }
            match key.as_ref() {
                "tailLines" => {
                    let n = parse_int("tailLines", &value)?;
                    let n = usize::try_from(n).map_err(|_| LogsError::Invalid {
                        field: "tailLines",
                        value: n.to_string(),
                        reason: "must be greater than or equal to 0",
                    })?;
                    opts.tail = Some(n);
                }
                "limitBytes" => {
                    let n = parse_int("limitBytes", &value)?;
                    let n =
                        usize::try_from(n)
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or(LogsError::Invalid {
                                field: "limitBytes",
                                value: n.to_string(),
                                reason: "must be greater than 0",
                            })?;
                    opts.limit_bytes = Some(n);
                }
                "sinceSeconds" => {
                    let n = parse_int("sinceSeconds", &value)?;
                    let n = u64::try_from(n)
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or(LogsError::Invalid {
                            field: "sinceSeconds",
                            value: n.to_string(),
                            reason: "must be greater than 0",
                        })?;
                    opts.since_seconds = Some(n);
                }
                "sinceTime" => {
                    let time =
                        DateTime::parse_from_rfc3339(&value).map_err(|_| LogsError::Invalid {
                            field: "sinceTime",
                            value: format!("{value:?}"),
                            reason: "must be an RFC 3339 time",
                        })?;
                    opts.since_time = Some(time.with_timezone(&Utc));
                }
                "timestamps" => opts.timestamps = parse_bool(&value),
                "follow" => opts.follow = parse_bool(&value),
                "previous" => opts.previous = parse_bool(&value),
                "container" if !value.is_empty() => opts.container = Some(value.into_owned()),
                _ => {}
            }
        }
        if opts.since_seconds.is_some() && opts.since_time.is_some() {
            return Err(LogsError::Forbidden(
                "at most one of `sinceTime` or `sinceSeconds` may be specified",
            ));
        }
        Ok(opts)
    }

    /// The oldest time a shown line may have, if any.
    pub fn since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let Some(time) = self.since_time {
            return Some(time);
        }
        let seconds = i64::try_from(self.since_seconds?).ok()?;
        now.checked_sub_signed(chrono::TimeDelta::try_seconds(seconds)?)
    }
}

/// Booleans in Kubernetes queries: only `false` and `0` (any case) are false; any other value,
/// even an empty one, is true.
pub fn parse_bool(value: &str) -> bool {
    !(value.eq_ignore_ascii_case("false") || value == "0")
}

fn parse_int(field: &'static str, value: &str) -> Result<i64, LogsError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| LogsError::NotANumber {
            field,
            value: value.to_owned(),
        })
}
