//! Table tests for the ReplicaSet controller.

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 10, 0)
        .single()
        .unwrap_or_default()
}

fn rs(replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "namespace": "ns", "uid": "rs-uid", "generation": 2},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}}
    })
}

/// A Pod of the ReplicaSet: (name, ready, scheduled, created, terminating).
fn pod(name: &str, ready: bool, scheduled: bool, created: &str, terminating: bool) -> Value {
    let mut p = json!({
        "metadata": {"name": name, "labels": {"app": "web"}, "creationTimestamp": created,
                     "ownerReferences": [{"uid": "rs-uid", "controller": true}]},
        "spec": {}, "status": {"phase": if scheduled { "Running" } else { "Pending" }}
    });
    if scheduled {
        p["spec"]["nodeName"] = json!("local");
    }
    if ready {
        p["status"]["conditions"] = json!([{"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}]);
    }
    if terminating {
        p["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    }
    p
}

fn split(actions: &[Action]) -> (Vec<&Value>, Vec<&str>, Option<&Value>) {
    let mut c = vec![];
    let mut d = vec![];
    let mut s = None;
    for a in actions {
        match a {
            Action::CreatePod(p) => c.push(p),
            Action::DeletePod { name } => d.push(name.as_str()),
            Action::UpdateStatus(st) => s = Some(st),
        }
    }
    (c, d, s)
}

#[test]
fn creates_missing_pods_from_the_template() {
    let actions = reconcile(&rs(3), &[], now());
    let (created, deleted, status) = split(&actions);
    assert_eq!(created.len(), 3);
    assert!(deleted.is_empty());
    for p in &created {
        let name = p["metadata"]["name"].as_str().unwrap_or("");
        assert!(name.starts_with("web-abc-") && name.len() == 13, "{name}");
        assert_eq!(p["metadata"]["generateName"], "web-abc-");
        assert_eq!(p["metadata"]["namespace"], "ns");
        assert_eq!(p["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(p["metadata"]["ownerReferences"][0]["uid"], "rs-uid");
        assert_eq!(p["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(p["spec"]["containers"][0]["name"], "c");
    }
    assert_eq!(
        status,
        Some(&json!({"replicas": 0, "observedGeneration": 2}))
    );
}

#[test]
fn scale_down_order_and_counts() {
    let pods = [
        pod("old-ready", true, true, "2024-01-01T00:00:00Z", false),
        pod("new-ready", true, true, "2024-01-01T00:05:00Z", false),
        pod("not-ready", false, true, "2024-01-01T00:00:00Z", false),
        pod("pending", false, false, "2024-01-01T00:00:00Z", false),
        pod("going", true, true, "2024-01-01T00:00:00Z", true),
        pod("stranger", true, true, "2024-01-01T00:00:00Z", false),
    ];
    let mut pods = pods.to_vec();
    pods[5]["metadata"]["ownerReferences"][0]["uid"] = json!("other");
    // (replicas, pods deleted in order, creates)
    let cases: [(i64, &[&str], usize); 4] = [
        (4, &[], 0),
        (3, &["pending"], 0),
        (1, &["pending", "not-ready", "new-ready"], 0),
        (6, &[], 2),
    ];
    for (n, want, creates) in cases {
        let actions = reconcile(&rs(n), &pods, now());
        let (c, d, st) = split(&actions);
        assert_eq!(d, want, "replicas {n}");
        assert_eq!(c.len(), creates, "replicas {n}");
        let st = st.cloned().unwrap_or_default();
        assert_eq!(st["replicas"], 4);
        assert_eq!(st["readyReplicas"], 2);
        assert_eq!(st["availableReplicas"], 2);
        assert_eq!(st["fullyLabeledReplicas"], 4);
    }
}

#[test]
fn min_ready_seconds_delays_availability_and_status_is_stable() {
    let mut r = rs(1);
    r["spec"]["minReadySeconds"] = json!(3600);
    let pods = [pod("p", true, true, "2024-01-01T00:00:00Z", false)];
    let acts = reconcile(&r, &pods, now());
    let (_, _, st) = split(&acts);
    let st = st.cloned().unwrap_or_default();
    assert_eq!(st.get("availableReplicas"), None);
    assert_eq!(st["readyReplicas"], 1);
    r["status"] = st;
    assert!(reconcile(&r, &pods, now()).is_empty());
}

#[test]
fn invalid_or_deleting_replicasets() {
    assert_eq!(try_reconcile(&json!({}), &[], now()), Err(Error::NoName));
    let mut r = rs(2);
    r["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    let acts = reconcile(&r, &[], now());
    let (c, _, _) = split(&acts);
    assert!(c.is_empty());
}

#[test]
fn pod_names_use_the_alphabet() {
    for _ in 0..20 {
        let n = pod_name("x");
        assert_eq!(n.len(), 7);
        assert!(n.bytes().skip(2).all(|b| pods::ALPHABET.contains(&b)));
    }
}

#[test]
fn huge_replica_counts_are_created_in_bursts() {
    let acts = reconcile(&rs(i64::MAX), &[], now());
    let (c, _, _) = split(&acts);
    assert_eq!(c.len(), 500);
}
