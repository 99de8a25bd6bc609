//! How fast a change reaches running proxies: from an API write (a new Service) to a sidecar's
//! ACK of the config that carries it, and from a VirtualService write to the first request the
//! ingress gateway serves by the new rule — against the API write alone as the baseline.
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
    routes(&s, &c).await;
}

/// A VirtualService whose one rule answers `body` directly.
fn probe_vs(body: &str) -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
           "metadata": {"name": "probe"},
           "spec": {"hosts": ["*"], "gateways": ["probe"],
                    "http": [{"directResponse": {"status": 200, "body": {"string": body}}}]}})
}

/// API write of a changed VirtualService → first gateway answer by the new rule.
async fn routes(s: &server::Server, c: &reqwest::Client) {
    let url = |path: &str| format!("{}{path}", s.url);
    let gw = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
                    "metadata": {"name": "probe"},
                    "spec": {"selector": {"istio": "ingressgateway"},
                             "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}});
    let base = "/apis/networking.istio.io/v1/namespaces/default";
    for (plural, obj) in [("gateways", gw), ("virtualservices", probe_vs("v0"))] {
        let r = c
            .post(url(&format!("{base}/{plural}")))
            .bearer_auth(&s.token)
            .json(&obj)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let probe = reqwest::Client::builder().no_proxy().build().unwrap();
    let gateway = format!("http://127.0.0.1:{}/", s.http_port);
    let answer = |want: String| {
        let (probe, gateway) = (probe.clone(), gateway.clone());
        async move {
            loop {
                if let Ok(r) = probe.get(&gateway).send().await {
                    if r.text().await.ok().as_deref() == Some(want.as_str()) {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), answer("v0".into()))
        .await
        .expect("the gateway never served the first rule");
    let mut write_ms = Vec::new();
    let mut served_ms = Vec::new();
    for i in 1..=ROUNDS {
        let t0 = Instant::now();
        let r = c
            .patch(url(&format!("{base}/virtualservices/probe")))
            .bearer_auth(&s.token)
            .header("content-type", "application/merge-patch+json")
            .body(json!({"spec": probe_vs(&format!("v{i}"))["spec"]}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        write_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        tokio::time::timeout(Duration::from_secs(10), answer(format!("v{i}")))
            .await
            .expect("the new rule never served");
        served_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (w50, s50, s90) = (
        percentile(write_ms, 0.5),
        percentile(served_ms.clone(), 0.5),
        percentile(served_ms, 0.9),
    );
    println!(
        "VirtualService write → first request served by the new rule at the gateway ({ROUNDS} changes): median {s50:.1} ms, p90 {s90:.1} ms (goal < 100 ms)"
    );
    println!(
        "  baseline: the API write alone, median {w50:.1} ms; propagation adds {:.1} ms",
        s50 - w50
    );
}
