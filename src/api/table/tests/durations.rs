//! HumanDuration boundaries and the AGE cell.

use chrono::Duration;
use serde_json::json;

use super::{ago, now};
use crate::api::table::{age, human_duration};

#[test]
fn human_duration_matches_kube_boundaries() {
    let s = Duration::seconds;
    let m = Duration::minutes;
    let h = Duration::hours;
    let d = Duration::days;
    let cases: Vec<(Duration, &str)> = vec![
        (s(0), "0s"),
        (Duration::milliseconds(999), "0s"),
        (Duration::milliseconds(1999), "1s"),
        (s(-1), "0s"),
        (Duration::milliseconds(-1500), "0s"),
        (s(-2), "<invalid>"),
        (s(-3600), "<invalid>"),
        (s(1), "1s"),
        (s(45), "45s"),
        (s(59), "59s"),
        (s(60), "60s"),
        (s(119), "119s"),
        (s(120), "2m"),
        (s(121), "2m1s"),
        (s(150), "2m30s"),
        (m(5) + s(10), "5m10s"),
        (m(9) + s(59), "9m59s"),
        (m(10), "10m"),
        (m(10) + s(30), "10m"),
        (m(20), "20m"),
        (m(179) + s(59), "179m"),
        (h(3), "3h"),
        (h(3) + m(5), "3h5m"),
        (h(7) + m(59), "7h59m"),
        (h(8), "8h"),
        (h(8) + m(30), "8h"),
        (h(47) + m(59), "47h"),
        (h(48), "2d"),
        (d(4) + h(3), "4d3h"),
        (d(7) + h(23), "7d23h"),
        (d(8), "8d"),
        (d(8) + h(5), "8d"),
        (d(400), "400d"),
        (d(729), "729d"),
        (d(730), "2y"),
        (d(3 * 365 + 45), "3y45d"),
        (d(7 * 365 + 364), "7y364d"),
        (d(8 * 365), "8y"),
        (d(10 * 365 + 200), "10y"),
    ];
    for (duration, want) in cases {
        assert_eq!(
            human_duration(duration),
            want,
            "human_duration({duration:?})"
        );
    }
}

#[test]
fn age_reads_creation_timestamp() {
    let cases = vec![
        (json!({"metadata": {"creationTimestamp": ago(5)}}), "5s"),
        (
            json!({"metadata": {"creationTimestamp": ago(310)}}),
            "5m10s",
        ),
        (
            json!({"metadata": {"creationTimestamp": "2024-05-01T11:59:59.500000Z"}}),
            "0s",
        ),
        (
            json!({"metadata": {"creationTimestamp": "2024-05-01T13:59:59+02:00"}}),
            "1s",
        ),
        (
            json!({"metadata": {"creationTimestamp": "2024-05-01T12:00:30Z"}}),
            "<invalid>",
        ),
        (json!({"metadata": {}}), "<unknown>"),
        (
            json!({"metadata": {"creationTimestamp": null}}),
            "<unknown>",
        ),
        (json!({"metadata": {"creationTimestamp": ""}}), "<unknown>"),
        (
            json!({"metadata": {"creationTimestamp": "yesterday"}}),
            "<unknown>",
        ),
        (json!(null), "<unknown>"),
    ];
    for (obj, want) in cases {
        assert_eq!(age(&obj, now()), want, "age of {obj}");
    }
}
