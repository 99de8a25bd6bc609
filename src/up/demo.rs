//! `up --demo`: deploy the project's httpbin NodePort example into `default`, show progress
//! while its pod starts, and print the URL once httpbin answers there.

use crate::admission::Admission;
use crate::api::{meta, resources};
use crate::objects;
use crate::store::Store;
use serde::Deserialize;
use serde_json::Value;
use std::io::Write;
use std::time::{Duration, Instant};

/// The example, built into the binary so the demo works from any folder.
const HTTPBIN: &str = include_str!("../../examples/httpbin/httpbin-nodeport.yaml");

/// Deploy and wait, printing progress to stdout.
pub async fn run(store: Store, admission: std::sync::Arc<Admission>) {
    let started = Instant::now();
    let say = |msg: String| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "demo: {msg}");
        let _ = out.flush();
    };
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(HTTPBIN)
        .filter_map(|doc| Value::deserialize(doc).ok())
        .collect();
    for obj in docs {
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let Some(res) = resources::by_kind(
            obj.get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            kind,
        ) else {
            continue;
        };
        let key = res.key(Some("default"), meta::name(&obj));
        if matches!(store.get(&key), Ok(Some(_))) {
            say(format!(
                "{} {} already exists",
                kind.to_lowercase(),
                meta::name(&obj)
            ));
            continue;
        }
        if objects::create(&store, &admission, res, "default", obj.clone())
            .await
            .is_some()
        {
            say(format!(
                "{}/{} created",
                kind.to_lowercase(),
                meta::name(&obj)
            ));
        }
    }
    let mut last = String::new();
    let pods = resources::core("pods");
    let deadline = started + Duration::from_secs(60);
    let node_port = loop {
        if Instant::now() > deadline {
            say("httpbin did not become ready within 60 s; see `meshlite describe pod -l app=httpbin`".into());
            return;
        }
        let (items, _) = store
            .list(&format!("{}default/", pods.key_prefix()))
            .unwrap_or_default();
        let line = items
            .iter()
            .filter(|p| {
                p.pointer("/metadata/labels/app").and_then(Value::as_str) == Some("httpbin")
            })
            .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
            .map(progress)
            .collect::<Vec<_>>()
            .join(", ");
        if !line.is_empty() && line != last {
            say(line.clone());
            last = line;
        }
        let ready = items.iter().any(|p| {
            p.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
        });
        let port = store
            .get(&resources::core("services").key(Some("default"), "httpbin"))
            .ok()
            .flatten()
            .and_then(|s| s.pointer("/spec/ports/0/nodePort").and_then(Value::as_u64));
        if let (true, Some(port)) = (ready, port) {
            break port;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Ready: wait for the NodePort listener to answer.
    let url = format!("http://localhost:{node_port}/");
    let client = reqwest::Client::builder().no_proxy().build();
    while Instant::now() < deadline {
        if let Ok(c) = &client {
            if let Ok(r) = c
                .get(format!("http://127.0.0.1:{node_port}/get"))
                .send()
                .await
            {
                if r.status().is_success() {
                    say(format!(
                        "httpbin answers at {url} (ready in {:.2} s). Try: curl {url}get",
                        started.elapsed().as_secs_f64()
                    ));
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    say(format!(
        "httpbin is ready but {url} does not answer; is port {node_port} taken by another program?"
    ));
}

/// `httpbin-5f…-abcde: Running 1/1`-style progress for one pod.
fn progress(pod: &Value) -> String {
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ready = statuses.iter().filter(|c| c["ready"] == true).count();
    let reason = statuses
        .iter()
        .find_map(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str))
        .or_else(|| pod.pointer("/status/phase").and_then(Value::as_str))
        .unwrap_or("Pending");
    format!(
        "pod/{} {reason} {ready}/{}",
        meta::name(pod),
        statuses.len().max(1)
    )
}
