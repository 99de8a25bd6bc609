//! Deployments inside `up`: a Deployment gets its ReplicaSet and Pods (named as Kubernetes
//! names them), follows scaling, and deleting an owner deletes what it owns.

mod support;

use reqwest::Method;
use serde_json::json;
use support::{eventually, items, Meshlite};

#[tokio::test]
async fn deployments_get_replicasets_and_pods_and_take_them_away() {
    let m = Meshlite::start();
    m.cli(&[
        "apply",
        "-f",
        &support::examples()
            .join("httpbin/httpbin-nodeport.yaml")
            .display()
            .to_string(),
    ])
    .ok();
    let rs = eventually(
        &m,
        "/apis/apps/v1/namespaces/default/replicasets",
        10,
        |v| items(v).len() == 1,
    )
    .await;
    let rs = &items(&rs)[0];
    let rs_name = rs["metadata"]["name"].as_str().unwrap().to_string();
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap();
    assert_eq!(rs_name, format!("httpbin-{hash}"));
    assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
    let pods = eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
        items(v).len() == 1
    })
    .await;
    let pod = &items(&pods)[0];
    let pod_name = pod["metadata"]["name"].as_str().unwrap();
    assert!(
        pod_name.starts_with(&format!("{rs_name}-")) && pod_name.len() == rs_name.len() + 6,
        "{pod_name}"
    );
    assert_eq!(pod["metadata"]["ownerReferences"][0]["name"], rs_name);
    assert_eq!(
        pod["spec"]["containers"][0]["image"],
        "docker.io/mccutchen/go-httpbin:v2.15.0"
    );

    // Scale up and down through the Deployment.
    let path = "/apis/apps/v1/namespaces/default/deployments/httpbin";
    m.send(
        Method::PATCH,
        path,
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 3}}),
    )
    .await;
    eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
        items(v).len() == 3
    })
    .await;
    m.send(
        Method::PATCH,
        path,
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 1}}),
    )
    .await;
    eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
        items(v).len() == 1
    })
    .await;
    // The status catches up once the extra pods are gone.
    eventually(&m, path, 10, |d| {
        d["status"]["observedGeneration"] == json!(3) && d["status"]["replicas"] == json!(1)
    })
    .await;

    // What the controllers did is recorded as Events, found by the object they are about.
    let q =
        format!("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D{rs_name}");
    let evs = eventually(&m, &q, 10, |v| {
        items(v)
            .iter()
            .filter(|e| e["reason"] == "SuccessfulDelete")
            .count()
            == 2
    })
    .await;
    assert!(items(&evs).iter().any(|e| e["reason"] == "SuccessfulCreate"
        && e["source"]["component"] == "replicaset-controller"));
    let evs = eventually(
        &m,
        "/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind%3DDeployment",
        10,
        |v| items(v).len() >= 3,
    )
    .await;
    assert!(
        items(&evs).iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("from 0 to 1"))),
        "{evs:#}"
    );
    assert!(
        items(&evs).iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("from 1 to 3"))),
        "{evs:#}"
    );

    // Deleting the Deployment takes its ReplicaSet and Pods with it.
    assert_eq!(
        m.send(Method::DELETE, path, "application/json", &json!({}))
            .await
            .0,
        200
    );
    eventually(
        &m,
        "/apis/apps/v1/namespaces/default/replicasets",
        10,
        |v| items(v).is_empty(),
    )
    .await;
    eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
        items(v).is_empty()
    })
    .await;
}

#[tokio::test]
async fn the_scale_subresource_reads_and_writes_replicas() {
    let m = Meshlite::start();
    m.cli(&[
        "create",
        "deploy",
        "web",
        "--image=nginx:1.15",
        "--replicas=2",
    ])
    .ok();
    let path = "/apis/apps/v1/namespaces/default/deployments/web/scale";
    let (code, scale) = m.get(path).await;
    assert_eq!(code, 200);
    assert_eq!(
        (scale["kind"].as_str(), scale["spec"]["replicas"].as_i64()),
        (Some("Scale"), Some(2))
    );
    assert_eq!(scale["status"]["selector"], "app=web");
    let (code, scale) = m
        .send(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &json!({"spec": {"replicas": 4}}),
        )
        .await;
    assert_eq!(
        (code, scale["spec"]["replicas"].as_i64()),
        (200, Some(4)),
        "{scale}"
    );
    eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
        items(v).len() == 4
    })
    .await;
    let (code, s) = m
        .send(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &json!({"spec": {"replicas": -1}}),
        )
        .await;
    assert_eq!((code, s["reason"].as_str()), (422, Some("Invalid")), "{s}");
    if let Some(k) = support::kubectls().into_iter().next() {
        assert_eq!(
            m.kubectl(&k, &["scale", "deploy", "web", "--replicas=1"])
                .ok(),
            "deployment.apps/web scaled\n"
        );
        eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
            items(v).len() == 1
        })
        .await;
    }
}
