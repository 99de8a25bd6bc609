//! Finding the pod a command means, as kubectl's `logs`/`exec` do: `NAME`, `pod/NAME`, or
//! `TYPE/NAME` of a workload (one of its pods, preferring ready and newer ones).

use super::client::{check, Client};
use crate::api::{meta, resources};
use anyhow::{anyhow, bail, Result};
use serde_json::Value;

/// The pod object for `target` in `ns`.
pub async fn resolve(client: &Client, ns: &str, target: &str) -> Result<Value> {
    let (kind, name) = match target.split_once('/') {
        Some((t, n)) => {
            let res = resources::lookup(t)
                .ok_or_else(|| anyhow!("the server doesn't have a resource type {t:?}"))?;
            (res.kind, n)
        }
        None => ("Pod", target),
    };
    if kind == "Pod" {
        return check(
            client
                .get_json(&format!("/api/v1/namespaces/{ns}/pods/{name}"))
                .await,
            "",
        );
    }
    let path = match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
            format!(
                "/apis/apps/v1/namespaces/{ns}/{}s/{name}",
                kind.to_lowercase()
            )
        }
        "Job" => format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}"),
        "Service" => format!("/api/v1/namespaces/{ns}/services/{name}"),
        other => bail!("cannot find the pods of a {other}"),
    };
    let owner = check(client.get_json(&path).await, "")?;
    let selector = owner
        .pointer("/spec/selector/matchLabels")
        .or_else(|| owner.pointer("/spec/selector"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("{} {name} has no pod selector", kind.to_lowercase()))?;
    let list = check(
        client
            .get_json(&format!(
                "/api/v1/namespaces/{ns}/pods?labelSelector={}",
                form_urlencoded::byte_serialize(selector.as_bytes()).collect::<String>()
            ))
            .await,
        "",
    )?;
    let mut pods: Vec<Value> = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if pods.is_empty() {
        bail!("no pods found for {} {name}", kind.to_lowercase());
    }
    // Ready before not ready, running before not, then the newest.
    let rank = |p: &Value| {
        let ready = p
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            });
        let running = p.pointer("/status/phase").and_then(Value::as_str) == Some("Running");
        let terminating = p.pointer("/metadata/deletionTimestamp").is_some();
        (
            !terminating,
            ready,
            running,
            p.pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )
    };
    pods.sort_by_key(|p| std::cmp::Reverse(rank(p)));
    if pods.len() > 1 {
        eprintln!(
            "Found {} pods, using pod/{}",
            pods.len(),
            meta::name(&pods[0])
        );
    }
    Ok(pods.swap_remove(0))
}
