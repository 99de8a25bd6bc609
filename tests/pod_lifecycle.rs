//! A pod's life and the ways it can go wrong: crash loops with back-off, readiness, init
//! containers and grace periods, SIGKILL of `up` and restarts, and what a user can cause
//! (unrunnable images, no free ports, ports taken by other programs).

mod support;

use std::time::{Duration, Instant};
use support::{
    apply_file, apply_text, client, eventually, items, node_port, processes_of, processes_of_pod,
    ready, ready_pods, Meshlite,
};

#[tokio::test]
async fn a_crashing_container_backs_off_and_counts_restarts() {
    let m = Meshlite::start();
    apply_text(
        &m,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: crash\nspec:\n  containers:\n  - name: app\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo boom; exit 1\"]\n",
    );
    let v = eventually(&m, "/api/v1/namespaces/default/pods/crash", 20, |p| {
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    })
    .await;
    let cs = &v["status"]["containerStatuses"][0];
    assert!(cs["restartCount"].as_u64().unwrap() >= 1, "{cs}");
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 1, "{cs}");
    assert!(
        cs["state"]["waiting"]["message"]
            .as_str()
            .unwrap()
            .starts_with("back-off 10s"),
        "{cs}"
    );
    let table = m.cli(&["get", "pod", "crash"]).ok().to_string();
    assert!(table.contains("CrashLoopBackOff"), "{table}");
    // The next back-off doubles.
    let v = eventually(&m, "/api/v1/namespaces/default/pods/crash", 25, |p| {
        p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
            .as_str()
            .is_some_and(|s| s.starts_with("back-off 20s"))
    })
    .await;
    assert!(
        v["status"]["containerStatuses"][0]["restartCount"]
            .as_u64()
            .unwrap()
            >= 2
    );
    let prev = m.cli(&["logs", "crash", "--previous"]).ok().to_string();
    assert_eq!(prev, "boom\n");
    let events = m.cli(&["get", "events"]).ok().to_string();
    assert!(events.contains("BackOff"), "{events}");
}

#[tokio::test]
async fn readiness_takes_a_pod_out_of_endpoints_and_back() {
    let m = Meshlite::start();
    apply_text(
        &m,
        r#"apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx:1.15
    ports: [{containerPort: 80}]
    readinessProbe:
      exec: {command: ["test", "-f", "ready"]}
      periodSeconds: 1
      failureThreshold: 1
"#,
    );
    let path = "/api/v1/namespaces/default/endpoints/web";
    eventually(&m, path, 15, |e| {
        e["subsets"][0]["notReadyAddresses"]
            .as_array()
            .is_some_and(|a| a.len() == 1)
    })
    .await;
    m.cli(&["exec", "web", "--", "touch", "ready"]).ok();
    let e = eventually(&m, path, 15, |e| {
        e["subsets"][0]["addresses"]
            .as_array()
            .is_some_and(|a| a.len() == 1)
    })
    .await;
    assert_eq!(e["subsets"][0]["addresses"][0]["targetRef"]["name"], "web");
    m.cli(&["exec", "web", "--", "rm", "ready"]).ok();
    eventually(&m, path, 15, |e| e["subsets"][0]["addresses"].is_null()).await;
    let table = m.cli(&["get", "pod", "web"]).ok().to_string();
    assert!(table.contains("0/1"), "{table}");
}

#[tokio::test]
async fn init_containers_run_first_and_termination_honours_the_grace_period() {
    let m = Meshlite::start();
    apply_text(
        &m,
        r#"apiVersion: v1
kind: Pod
metadata: {name: staged}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: first
    image: busybox
    command: ["sh", "-c", "sleep 0.3; echo one > order"]
  - name: second
    image: busybox
    command: ["sh", "-c", "echo two >> order"]
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap '' TERM; cat order; while true; do sleep 0.1; done"]
"#,
    );
    // The first init container is still running: STATUS is Init:0/2.
    let table = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t = m.cli(&["get", "pod", "staged"]).ok().to_string();
            if t.contains("Init:") || Instant::now() > deadline {
                break t;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert!(
        table.contains("Init:0/2") || table.contains("Init:1/2"),
        "{table}"
    );
    let pod = eventually(&m, "/api/v1/namespaces/default/pods/staged", 15, ready).await;
    assert_eq!(
        pod["status"]["initContainerStatuses"][1]["state"]["terminated"]["reason"],
        "Completed"
    );
    let logs = m.cli(&["logs", "staged"]).ok().to_string();
    assert_eq!(logs, "one\ntwo\n");
    let logs = m.cli(&["logs", "staged", "-c", "first"]).ok().to_string();
    assert_eq!(logs, "");
    // It ignores SIGTERM: the kubelet kills it when the 1 s grace period is over.
    let started = Instant::now();
    m.cli(&["delete", "pod", "staged"]).ok();
    eventually(&m, "/api/v1/namespaces/default/pods", 10, |v| {
        items(v).is_empty()
    })
    .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "waited for the grace period: {took:?}"
    );
    assert!(
        processes_of_pod(&m.dir, "staged").is_empty(),
        "{:?}",
        processes_of_pod(&m.dir, "staged")
    );
}

#[tokio::test]
async fn sigkill_of_up_leaves_no_process_and_a_restart_brings_pods_back() {
    let mut m = Meshlite::start();
    apply_file(
        &m,
        &support::examples().join("httpbin/httpbin-nodeport.yaml"),
    );
    let pods = ready_pods(&m, "default", "app=httpbin", 1).await;
    let dir = m.dir.clone();
    assert!(
        !processes_of(&dir).is_empty(),
        "the pod runs as a marked process"
    );
    m.kill9();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_of(&dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left behind: {:?}",
            processes_of(&dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let tmp_keep = m; // keeps the temp dir alive
    let m2 = Meshlite::start_in(&dir);
    let again = ready_pods(&m2, "default", "app=httpbin", 1).await;
    assert_eq!(
        again[0]["metadata"]["name"], pods[0]["metadata"]["name"],
        "same pod"
    );
    assert_eq!(
        again[0]["metadata"]["annotations"]["meshlite.io/host-ports"],
        pods[0]["metadata"]["annotations"]["meshlite.io/host-ports"],
        "same host port"
    );
    let (_, svc) = m2.get("/api/v1/namespaces/default/services/httpbin").await;
    let r = client()
        .get(format!("http://127.0.0.1:{}/get", node_port(&svc)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(m2);
    drop(tmp_keep);
}

#[tokio::test]
async fn unrunnable_images_full_port_pools_and_taken_ports_are_reported() {
    // Two host ports only.
    let base = 20000 + 200 * 39 + 100 + (std::process::id() % 50) as u16;
    let range = format!("{base}-{}", base + 1);
    let m = Meshlite::start_with(&["--host-ports", &range]);
    apply_text(
        &m,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nothing\nspec:\n  containers:\n  - name: app\n    image: example.com/team/app:1\n",
    );
    let v = eventually(&m, "/api/v1/namespaces/default/pods/nothing", 10, |p| {
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ErrImageNotRunnable"
    })
    .await;
    let msg = v["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("command"), "says what to do: {msg}");
    let table = m.cli(&["get", "pod", "nothing"]).ok().to_string();
    assert!(table.contains("ErrImageNotRunnable"), "{table}");

    // Three one-port pods, two ports: the third waits, Unschedulable, and the others run.
    for i in 0..3 {
        apply_text(
            &m,
            &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web{i}\n  labels: {{app: web}}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    ports: [{{containerPort: 80}}]\n"),
        );
    }
    let v = eventually(
        &m,
        "/api/v1/namespaces/default/pods?labelSelector=app=web",
        15,
        |v| {
            let pods = items(v);
            pods.iter().filter(|p| ready(p)).count() == 2
                && pods
                    .iter()
                    .any(|p| p["status"]["conditions"][0]["reason"] == "Unschedulable")
        },
    )
    .await;
    let stuck = items(&v).into_iter().find(|p| !ready(p)).unwrap();
    let msg = stuck["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("didn't have free ports") && msg.contains(&range),
        "{msg}"
    );
    // Freeing a port lets it start.
    let running = items(&v).into_iter().find(ready).unwrap();
    m.cli(&[
        "delete",
        "pod",
        running["metadata"]["name"].as_str().unwrap(),
    ])
    .ok();
    eventually(
        &m,
        &format!(
            "/api/v1/namespaces/default/pods/{}",
            stuck["metadata"]["name"].as_str().unwrap()
        ),
        20,
        ready,
    )
    .await;

    // A NodePort held by another program: the Service says so, the rest works.
    apply_text(&m, "apiVersion: v1\nkind: Service\nmetadata: {name: open}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80}]\n");
    let (_, open) = m.get("/api/v1/namespaces/default/services/open").await;
    let free_port = node_port(&open);
    let (first, last) = m.node_port_range();
    let (taken_port, _holder) = (first..=last)
        .filter(|p| *p != free_port)
        .find_map(|p| {
            std::net::TcpListener::bind(("127.0.0.1", p))
                .ok()
                .map(|l| (p, l))
        })
        .expect("a free port to hold");
    apply_text(
        &m,
        &format!("apiVersion: v1\nkind: Service\nmetadata: {{name: blocked}}\nspec:\n  type: NodePort\n  selector: {{app: web}}\n  ports: [{{port: 80, nodePort: {taken_port}}}]\n"),
    );
    let events = eventually(&m, "/api/v1/namespaces/default/events", 15, |v| {
        items(v).iter().any(|e| e["reason"] == "FailedToListen")
    })
    .await;
    let e = items(&events)
        .into_iter()
        .find(|e| e["reason"] == "FailedToListen")
        .unwrap();
    assert_eq!(e["involvedObject"]["name"], "blocked");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{taken_port}")),
        "{e}"
    );
    let r = client()
        .get(format!("http://127.0.0.1:{free_port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the other Service still answers");
}
