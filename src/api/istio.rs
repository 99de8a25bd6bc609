//! Serde models of the Istio networking and security APIs (the `spec` of each kind).
//!
//! Field names follow the protobuf JSON mapping used by the Istio CRDs (camelCase). Every
//! optional message, duration and wrapper type is an `Option`; lists and maps default to
//! empty; plain scalars default to their protobuf zero value. The models accept unknown
//! fields (the API server decides whether those are errors), and serialising a model emits
//! every non-`Option` field, so a decode/encode round trip keeps every known key.
//!
//! Durations stay strings, exactly as written; [`parse_duration`] interprets them.

mod destination_rule;
mod gateway;
mod security;
mod service_entry;
mod sidecar;
mod virtual_service;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use destination_rule::*;
pub use gateway::*;
pub use security::*;
pub use service_entry::*;
pub use sidecar::*;
pub use virtual_service::*;

/// A string map as it appears in the API (labels, header values, ...).
pub type StringMap = std::collections::BTreeMap<String, String>;

/// Percent specifies a percentage in the range of [0.0, 100.0].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Percent {
    #[serde(default)]
    pub value: f64,
}

/// Describes how to match a given string in HTTP headers, URIs, etc. Exactly one of the
/// fields is meant to be set (the API server enforces it).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StringMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// RE2 style regex-based match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// Selects a port of the destination by number.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortSelector {
    #[serde(default)]
    pub number: u32,
}

/// The network addressable service to which a request or connection is sent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// Service registry name; required by the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default)]
    pub subset: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<PortSelector>,
}

/// Label selector of the networking APIs (`Sidecar`, `ServiceEntry`): `{labels: {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSelector {
    #[serde(default)]
    pub labels: StringMap,
}

/// Label selector of the `type.v1beta1` APIs (`DestinationRule`, security): `{matchLabels: {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default)]
    pub match_labels: StringMap,
}

/// A reference to another object a policy applies to.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTargetReference {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
}

/// Parses an Istio duration (`7s`, `0.5s`, `100ms`, `1m`, `1h30m`).
///
/// The accepted syntax is Go's `time.ParseDuration`, which is what the CRD's
/// `duration(...)` rule evaluates: a sequence of decimal numbers with a unit each
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), or a bare `0`. Negative durations and
/// overflowing ones yield `None`, as does anything else that does not parse.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('+').unwrap_or(text);
    if let Some(magnitude) = rest.strip_prefix('-') {
        // A duration field can never be negative; "-0s" is still zero in Go but is
        // rejected by the ">= 1ms" rule anyway.
        return if go_duration_nanos(magnitude)? == 0 {
            Some(Duration::ZERO)
        } else {
            None
        };
    }
    go_duration_nanos(rest).map(Duration::from_nanos)
}

/// Nanoseconds of an unsigned Go duration literal.
fn go_duration_nanos(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    if text.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_num) = match after_int.strip_prefix('.') {
            Some(frac) => {
                let frac_len = frac.bytes().take_while(u8::is_ascii_digit).count();
                frac.split_at(frac_len)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = after_num
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after_num.len(), |(i, _)| i);
        let (unit, tail) = after_num.split_at(unit_len);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let mut value = whole.checked_mul(scale)?;
        // Fractional digits beyond nanosecond precision are truncated, as in Go.
        let mut place = scale;
        for digit in frac_part.bytes() {
            place /= 10;
            if place == 0 {
                break;
            }
            value += u128::from(digit - b'0') * place;
        }
        total = total.checked_add(value)?;
        rest = tail;
    }
    u64::try_from(total)
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases: &[(&str, Option<u64>)] = &[
            ("7s", Some(7_000_000_000)),
            ("0.5s", Some(500_000_000)),
            ("100ms", Some(100_000_000)),
            ("1m", Some(60_000_000_000)),
            ("1h30m", Some(5_400_000_000_000)),
            ("1.5h", Some(5_400_000_000_000)),
            ("250us", Some(250_000)),
            ("250µs", Some(250_000)),
            ("3ns", Some(3)),
            (".5s", Some(500_000_000)),
            ("0", Some(0)),
            ("0s", Some(0)),
            ("+2s", Some(2_000_000_000)),
            ("-0s", Some(0)),
            ("-1s", None),
            ("", None),
            ("s", None),
            ("5", None),
            ("5 s", None),
            ("1d", None),
            (".s", None),
            ("1.s", Some(1_000_000_000)),
            ("99999999999999999999h", None),
        ];
        for (text, want) in cases {
            let got = parse_duration(text).map(|d| d.as_nanos() as u64);
            assert_eq!(got, *want, "parse_duration({text:?})");
        }
    }
}
