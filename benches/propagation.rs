//! How fast a change reaches a running sidecar: from an API write (a new Service) to the
//! proxy's ACK of the config that carries it — against the API write alone as the baseline.
//!
//! Run with: `cargo bench --bench propagation` (prints figures; asserts nothing).

#[path = "common/server.rs"]
mod server;

use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ROUNDS: usize = 30;

/// The one proxy's status row.
async fn proxy(s: &server::Server, c: &reqwest::Client) -> Option<Value> {
    let v: Value = c
        .get(format!("{}/debug/proxy-status", s.url))
        .bearer_auth(&s.token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    v.as_array()?.first().cloned()
}

fn synced(p: &Value) -> bool {
    p["connected"] == true && p["acked"] == p["latest"]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let s = server::start(&[]);
    let c = s.client();
    let post = |path: &str, body: Value| {
        c.post(format!("{}{path}", s.url))
            .bearer_auth(&s.token)
            .json(&body)
            .send()
    };
    // One injected pod: Istio's curl sample in a namespace labelled for injection.
    post(
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench", "labels": {"istio-injection": "enabled"}}}),
    )
    .await
    .unwrap();
    post(
        "/api/v1/namespaces/bench/pods",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
               "spec": {"containers": [{"name": "curl", "image": "curlimages/curl"}]}}),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !proxy(&s, &c).await.as_ref().is_some_and(synced) {
        assert!(Instant::now() < deadline, "the sidecar never synced");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut write_ms = Vec::new();
    let mut ack_ms = Vec::new();
    for i in 0..ROUNDS {
        let before = proxy(&s, &c).await.unwrap()["latest"].clone();
        let t0 = Instant::now();
        let r = post(
            "/api/v1/namespaces/bench/services",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("svc-{i}")},
                   "spec": {"selector": {"app": format!("a{i}")}, "ports": [{"port": 80}]}}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        write_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        loop {
            let p = proxy(&s, &c).await.unwrap();
            if p["latest"] != before && synced(&p) {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "no ACK within 10 s");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        ack_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (w50, a50, a90) = (
        percentile(write_ms.clone(), 0.5),
        percentile(ack_ms.clone(), 0.5),
        percentile(ack_ms, 0.9),
    );
    println!(
        "API write → sidecar ACK ({ROUNDS} new Services): median {a50:.1} ms, p90 {a90:.1} ms (goal < 100 ms)"
    );
    println!(
        "  baseline: the API write alone, median {w50:.1} ms; propagation adds {:.1} ms",
        a50 - w50
    );
}
