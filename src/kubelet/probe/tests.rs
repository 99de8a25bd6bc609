//! Tests of probe parsing and threshold tracking.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;

/// Container ports 8080 and 9090 are mapped to 28080 and 29090.
fn resolve(port: u16) -> Option<u16> {
    match port {
        8080 => Some(28080),
        9090 => Some(29090),
        _ => None,
    }
}

fn container() -> Value {
    json!({"name": "app", "ports": [
        {"name": "http", "containerPort": 8080},
        {"name": "metrics", "containerPort": 9090}
    ]})
}

#[test]
fn parses_actions() {
    let cases: Vec<(&str, Value, Action)> = vec![
        (
            "numeric http port, path and headers",
            json!({"httpGet": {"port": 8080, "path": "/healthz?full=1",
                "httpHeaders": [{"name": "X-A", "value": "1"}]}}),
            Action::HttpGet {
                port: 28080,
                path: "/healthz?full=1".into(),
                scheme_https: false,
                host: None,
                headers: vec![("X-A".into(), "1".into())],
            },
        ),
        (
            "named port, no path, https, host",
            json!({"httpGet": {"port": "metrics", "scheme": "HTTPS", "host": "localhost"}}),
            Action::HttpGet {
                port: 29090,
                path: "/".into(),
                scheme_https: true,
                host: Some("localhost".into()),
                headers: vec![],
            },
        ),
        (
            "path without slash",
            json!({"httpGet": {"port": 8080, "path": "ready", "scheme": "HTTP", "host": ""}}),
            Action::HttpGet {
                port: 28080,
                path: "/ready".into(),
                scheme_https: false,
                host: None,
                headers: vec![],
            },
        ),
        (
            "tcp named",
            json!({"tcpSocket": {"port": "http"}}),
            Action::TcpSocket { port: 28080 },
        ),
        (
            "tcp number as string",
            json!({"tcpSocket": {"port": "9090"}}),
            Action::TcpSocket { port: 29090 },
        ),
        (
            "grpc",
            json!({"grpc": {"port": 9090, "service": "x"}}),
            Action::Grpc { port: 29090 },
        ),
        (
            "exec",
            json!({"exec": {"command": ["cat", "/tmp/healthy"]}}),
            Action::Exec {
                command: vec!["cat".into(), "/tmp/healthy".into()],
            },
        ),
    ];
    for (name, probe, want) in cases {
        let got = parse(&probe, &container(), &resolve).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.action, want, "{name}");
    }
}

#[test]
fn rejects_bad_probes() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "missing action",
            json!({"periodSeconds": 5}),
            "must specify a handler type",
        ),
        ("not an object", json!("x"), "probe must be an object"),
        (
            "two actions",
            json!({"tcpSocket": {"port": 8080}, "exec": {"command": ["true"]}}),
            "may not specify more than 1 handler type",
        ),
        (
            "unknown named port",
            json!({"httpGet": {"port": "grpc"}}),
            "port grpc not found",
        ),
        (
            "port zero",
            json!({"tcpSocket": {"port": 0}}),
            "invalid port number: 0",
        ),
        (
            "port too big",
            json!({"tcpSocket": {"port": 70000}}),
            "invalid port number: 70000",
        ),
        (
            "missing port",
            json!({"tcpSocket": {}}),
            "tcpSocket.port: Required value",
        ),
        (
            "unmapped port",
            json!({"tcpSocket": {"port": 7000}}),
            "container port 7000 is not mapped to a host port",
        ),
        (
            "empty command",
            json!({"exec": {"command": []}}),
            "exec.command must be a non-empty list of strings",
        ),
        (
            "non-string command",
            json!({"exec": {"command": ["sh", 1]}}),
            "exec.command must be a non-empty list of strings",
        ),
        (
            "negative period",
            json!({"exec": {"command": ["true"]}, "periodSeconds": -1}),
            "periodSeconds: must be a non-negative integer, got -1",
        ),
        (
            "nameless header",
            json!({"httpGet": {"port": 8080, "httpHeaders": [{"value": "1"}]}}),
            "httpGet.httpHeaders: every header needs a name",
        ),
    ];
    for (name, probe, want) in cases {
        let err = parse(&probe, &container(), &resolve).expect_err(name);
        assert_eq!(err, want, "{name}");
    }
}

#[test]
fn parses_timing_with_defaults() {
    let action = json!({"command": ["true"]});
    let cases: Vec<(&str, Value, Timing)> = vec![
        ("all defaults", json!({}), Timing::default()),
        (
            "zeros take defaults",
            json!({"periodSeconds": 0, "timeoutSeconds": 0, "successThreshold": 0,
                "failureThreshold": 0, "initialDelaySeconds": 0}),
            Timing::default(),
        ),
        (
            "all set",
            json!({"initialDelaySeconds": 5, "periodSeconds": 2, "timeoutSeconds": 3,
                "successThreshold": 2, "failureThreshold": 7}),
            Timing {
                initial_delay: Duration::from_secs(5),
                period: Duration::from_secs(2),
                timeout: Duration::from_secs(3),
                success_threshold: 2,
                failure_threshold: 7,
            },
        ),
    ];
    for (name, mut probe, want) in cases {
        if let Some(obj) = probe.as_object_mut() {
            obj.insert("exec".into(), action.clone());
        }
        let got = parse(&probe, &container(), &resolve).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.timing, want, "{name}");
    }
    let d = Timing::default();
    assert_eq!(
        (
            d.initial_delay,
            d.period,
            d.timeout,
            d.success_threshold,
            d.failure_threshold
        ),
        (
            Duration::ZERO,
            Duration::from_secs(10),
            Duration::from_secs(1),
            1,
            3
        )
    );
}

fn outcomes(pattern: &str) -> Vec<Outcome> {
    pattern
        .chars()
        .map(|c| match c {
            's' => Outcome::Success,
            _ => Outcome::Failure("boom".into()),
        })
        .collect()
}

#[test]
fn tracker_applies_thresholds() {
    // (name, success_threshold, failure_threshold, initial, results, states after each)
    let cases = [
        ("three failures to go false", 1, 3, true, "fffs", "TTFT"),
        ("interrupted failures reset", 1, 3, true, "ffsfff", "TTTTTF"),
        ("readiness starts false", 1, 3, false, "sf", "TT"),
        ("success threshold 2", 2, 3, false, "sfssf", "FFFTT"),
        ("failure threshold 1", 1, 1, true, "fs", "FT"),
        ("zero thresholds act as 1", 0, 0, true, "fs", "FT"),
        ("initial kept until threshold", 3, 3, false, "ss", "FF"),
    ];
    for (name, success, failure, initial, results, want) in cases {
        let timing = Timing {
            success_threshold: success,
            failure_threshold: failure,
            ..Timing::default()
        };
        let mut tracker = Tracker::new(&timing, initial);
        assert_eq!(tracker.state(), initial, "{name}: initial");
        let got: String = outcomes(results)
            .iter()
            .map(|o| if tracker.record(o) { 'T' } else { 'F' })
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(tracker.state(), want.ends_with('T'), "{name}: state()");
    }
}

#[test]
fn tracker_reset_forgets_the_run() {
    let mut tracker = Tracker::new(&Timing::default(), true);
    let fail = Outcome::Failure("x".into());
    tracker.record(&fail);
    tracker.record(&fail);
    tracker.reset(true);
    assert!(tracker.record(&fail), "run restarted after reset");
}
