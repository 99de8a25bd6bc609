//! Durable creates per second through the real API (HTTPS, token, admission, sled + group
//! commit), with 1 and with 32 concurrent clients.
//!
//! Run with: `cargo bench --bench store_writes` (prints figures; asserts nothing).

use futures::StreamExt;
use serde_json::json;
use std::time::Instant;

#[path = "common/server.rs"]
mod server;

use server::{start, Server};

async fn creates(s: &Server, ns: &str, n: usize, concurrency: usize) -> f64 {
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&s.ca).unwrap())
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let nsobj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
    client
        .post(format!("{}/api/v1/namespaces", s.url))
        .bearer_auth(&s.token)
        .json(&nsobj)
        .send()
        .await
        .unwrap();
    let url = format!("{}/api/v1/namespaces/{ns}/configmaps", s.url);
    let start = Instant::now();
    let ok = futures::stream::iter(0..n)
        .map(|i| {
            let (client, url, token) = (client.clone(), url.clone(), s.token.clone());
            async move {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")}, "data": {"i": i.to_string()}});
                // Reading the body lets the connection go back to the pool (no new TLS handshake).
                let Ok(r) = client.post(url).bearer_auth(token).json(&body).send().await else { return false };
                let created = r.status().as_u16() == 201;
                r.bytes().await.is_ok() && created
            }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(ok, n, "every create must be acknowledged");
    n as f64 / secs
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Baseline: the same client and TLS stack, a handler that does nothing (`GET /readyz`).
async fn baseline(s: &Server, n: usize, concurrency: usize) -> f64 {
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&s.ca).unwrap())
        .build()
        .unwrap();
    let url = format!("{}/readyz", s.url);
    let start = Instant::now();
    let ok = futures::stream::iter(0..n)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let Ok(r) = client.get(url).send().await else {
                    return false;
                };
                r.bytes().await.is_ok()
            }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    assert_eq!(ok, n);
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = start(&[]);
    rt.block_on(async {
        // Warm up TLS sessions and sled.
        creates(&server, "warmup", 200, 8).await;
        let one = creates(&server, "c1", 1_000, 1).await;
        let (cpu0, bench_cpu0) = (
            cpu_seconds(server.child.id()),
            cpu_seconds(std::process::id()),
        );
        let many = creates(&server, "c32", 10_000, 32).await;
        let cpu = cpu_seconds(server.child.id()) - cpu0;
        let client_cpu = cpu_seconds(std::process::id()) - bench_cpu0;
        let cpu_b = cpu_seconds(server.child.id());
        let base = baseline(&server, 10_000, 32).await;
        let cpu_base = cpu_seconds(server.child.id()) - cpu_b;
        println!("durable creates/s, 1 client:    {one:>8.0}");
        println!("durable creates/s, 32 clients:  {many:>8.0}   (target >= 5000)");
        println!("group commit gain (32 / 1):     {:>8.1}x", many / one);
        println!("baseline GET /readyz/s, 32:     {base:>8.0}   (same client and TLS, no work)");
        println!("creates / baseline (32):        {:>8.2}", many / base);
        println!(
            "server CPU per create (32):     {:>8.0} µs  (per /readyz: {:.0} µs)",
            cpu * 1e6 / 10_000.0,
            cpu_base * 1e6 / 10_000.0
        );
        println!(
            "load generator CPU per request: {:>8.0} µs  (it shares the machine's 2 cores)",
            client_cpu * 1e6 / 10_000.0
        );
    });
}
