//! Tests of the table printers, one file per family of resources.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;

use super::{build, Include};

mod core;
mod durations;
mod istio;
mod network;
mod pods;
mod tables;
mod workloads;

/// The fixed "now" every test measures ages against.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .expect("valid time")
}

/// An RFC 3339 timestamp `seconds` before [`now`].
fn ago(seconds: i64) -> String {
    (now() - Duration::seconds(seconds)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The table of one object.
fn table(resource: &str, obj: &Value) -> Value {
    build(
        resource,
        std::slice::from_ref(obj),
        now(),
        Include::Metadata,
    )
}

/// The cells of the single row printed for `obj`.
fn cells(resource: &str, obj: &Value) -> Vec<Value> {
    table(resource, obj)["rows"][0]["cells"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The column names of a resource's table.
fn column_names(resource: &str) -> Vec<String> {
    let t = build(resource, &[], now(), Include::None);
    t["columnDefinitions"]
        .as_array()
        .map(|cols| {
            cols.iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The cell under the named column of the single row printed for `obj`.
fn cell(resource: &str, obj: &Value, column: &str) -> Value {
    let index = column_names(resource).iter().position(|c| c == column);
    match index {
        Some(i) => cells(resource, obj).get(i).cloned().unwrap_or(Value::Null),
        None => panic!("{resource} has no column {column}"),
    }
}
