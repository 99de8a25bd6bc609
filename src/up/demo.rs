//! `up --demo`: deploy the project's httpbin example into `default` with a sidecar, expose it
//! through the ingress gateway (Gateway + VirtualService), show progress while the pods start,
//! and print the URL once httpbin answers on `localhost:--http-port`.

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

/// Its Gateway and VirtualService.
const GATEWAY: &str = include_str!("../../examples/httpbin/httpbin-gateway.yaml");

/// Asks for a sidecar on one pod template, as `sidecar.istio.io/inject: "true"` does in Istio
/// without touching the namespace.
fn with_sidecar(mut obj: Value) -> Value {
    if obj.get("kind").and_then(Value::as_str) == Some("Deployment") {
        if let Some(labels) = obj
            .pointer_mut("/spec/template/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.insert("sidecar.istio.io/inject".into(), Value::from("true"));
        }
    }
    obj
}

/// Deploy and wait, printing progress to stdout.
pub async fn run(store: Store, admission: std::sync::Arc<Admission>, http_port: u16) {
    let started = Instant::now();
    let say = |msg: String| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "demo: {msg}");
        let _ = out.flush();
    };
    let docs: Vec<Value> = [HTTPBIN, GATEWAY]
        .iter()
        .flat_map(|text| serde_yaml::Deserializer::from_str(text))
        .filter_map(|doc| Value::deserialize(doc).ok())
        .map(with_sidecar)
        .collect();
    for mut obj in docs {
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(res) = resources::by_kind(
            obj.get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            &kind,
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
        // Stored in the served version (v1alpha3 and v1 share their schema).
        obj["apiVersion"] = Value::from(res.api_version_for(res.version()));
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
    let port = loop {
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
        if ready {
            break http_port;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Ready: wait for the gateway to answer (its pod may still be starting).
    let url = format!("http://localhost:{port}/");
    let client = reqwest::Client::builder().no_proxy().build();
    while Instant::now() < deadline {
        if let Ok(c) = &client {
            if let Ok(r) = c.get(format!("http://127.0.0.1:{port}/get")).send().await {
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
        "httpbin is ready but {url} does not answer yet; see `meshlite get pods -n istio-system` and `meshlite logs -n istio-system deploy/istio-ingressgateway`"
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
