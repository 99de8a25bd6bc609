//! Pods run for real: Deployments become local processes that answer on their Services'
//! ports; scaling, rollouts under traffic, crash loops, readiness, restarts of `up`, and the
//! failures a user can cause (unrunnable images, no free ports, ports taken by others).

mod support;

use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{eventually, items, ready, Meshlite};

/// Wait until exactly `n` pods matching `selector` are Ready and none is terminating.
async fn ready_pods(m: &Meshlite, ns: &str, selector: &str, n: usize) -> Vec<Value> {
    let path = format!("/api/v1/namespaces/{ns}/pods?labelSelector={selector}");
    let v = eventually(m, &path, 30, |v| {
        let pods = items(v);
        pods.len() == n
            && pods
                .iter()
                .all(|p| ready(p) && p["metadata"]["deletionTimestamp"].is_null())
    })
    .await;
    items(&v)
}

fn node_port(svc: &Value) -> u16 {
    svc["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .expect("nodePort") as u16
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// GET `url`; its body.
async fn fetch(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn apply_file(m: &Meshlite, path: &Path) {
    m.cli(&["apply", "-f", &path.display().to_string()]).ok();
}

fn apply_text(m: &Meshlite, yaml: &str) {
    m.cli_stdin(&["apply", "-f", "-"], Some(yaml)).ok();
}

fn httpbin_yaml() -> std::path::PathBuf {
    support::istio_fixtures()
        .map(|f| f.join("samples/httpbin/httpbin-nodeport.yaml"))
        .unwrap_or_else(|| support::examples().join("httpbin/httpbin-nodeport.yaml"))
}

/// The marker every container process of this data dir carries.
fn processes_of(dir: &Path) -> Vec<u32> {
    let wanted = format!("MESHLITE_DATA_DIR={}", dir.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(e.path().join("environ")) {
            if env.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()) {
                out.push(pid);
            }
        }
    }
    out
}

#[tokio::test]
async fn httpbin_answers_on_its_node_port_and_lists_like_the_seed() {
    let m = Meshlite::start();
    apply_file(&m, &httpbin_yaml());
    let pods = ready_pods(&m, "default", "app=httpbin", 1).await;
    let (_, svc) = m.get("/api/v1/namespaces/default/services/httpbin").await;
    let port = node_port(&svc);
    let r = client()
        .get(format!("http://127.0.0.1:{port}/get?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["args"]["x"][0], "1", "{body}");
    assert!(body["headers"]["Host"].is_array(), "headers echoed: {body}");

    let table = m.cli(&["get", "pod,svc"]).ok().to_string();
    let pod_name = pods[0]["metadata"]["name"].as_str().unwrap();
    let pod_line = table
        .lines()
        .find(|l| l.starts_with(&format!("pod/{pod_name}")))
        .unwrap();
    let cols: Vec<&str> = pod_line.split_whitespace().collect();
    assert_eq!(&cols[1..4], ["1/1", "Running", "0"], "{table}");
    let svc_line = table
        .lines()
        .find(|l| l.starts_with("service/httpbin"))
        .unwrap();
    let cols: Vec<&str> = svc_line.split_whitespace().collect();
    assert_eq!(cols[1], "NodePort");
    assert_eq!(cols[3], "<none>");
    assert_eq!(cols[4], format!("8000:{port}/TCP"));

    // The Endpoints list the pod's reachable address; describe shows the local listener too.
    let host_ports: Value = serde_json::from_str(
        pods[0]["metadata"]["annotations"]["meshlite.io/host-ports"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let host = host_ports["8080"].as_u64().unwrap();
    let eps = m.cli(&["get", "endpoints", "httpbin"]).ok().to_string();
    assert!(eps.contains(&format!("127.0.0.1:{host}")), "{eps}");
    // The app answers on its own port too (a pod address bypasses every proxy).
    let r = client()
        .get(format!("http://127.0.0.1:{host}/status/418"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 418);
    let described = m.cli(&["describe", "pod", pod_name]).ok().to_string();
    assert!(
        described.contains(&format!("Host Port:      {host}/TCP")),
        "{described}"
    );
    assert!(
        described.contains("Started container httpbin"),
        "{described}"
    );

    // logs and exec.
    let logs = m.cli(&["logs", "deploy/httpbin"]).ok().to_string();
    assert!(logs.contains("GET /get?x=1"), "{logs}");
    let env = m.cli(&["exec", pod_name, "--", "env"]).ok().to_string();
    assert!(env.contains(&format!("PORT={host}")), "{env}");
    assert!(env.contains(&format!("HOSTNAME={pod_name}")), "{env}");
    let r = m.cli(&[
        "exec",
        pod_name,
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(r.stdout, "out\n");
    assert!(
        r.stderr.contains("err") && r.stderr.contains("exit code 7"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn helloworld_answers_both_versions_through_its_service() {
    let m = Meshlite::start();
    let file = support::istio_fixtures()
        .map(|f| f.join("samples/helloworld/helloworld.yaml"))
        .unwrap_or_else(|| support::examples().join("helloworld/helloworld.yaml"));
    apply_file(&m, &file);
    apply_file(&m, &support::examples().join("curl/curl.yaml"));
    ready_pods(&m, "default", "app=helloworld", 2).await;
    ready_pods(&m, "default", "app=curl", 1).await;
    // Through the ClusterIP's local listener…
    let svc = eventually(
        &m,
        "/api/v1/namespaces/default/services/helloworld",
        10,
        |s| s["metadata"]["annotations"]["meshlite.io/cluster-ports"].is_string(),
    )
    .await;
    let local: Value = serde_json::from_str(
        svc["metadata"]["annotations"]["meshlite.io/cluster-ports"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let port = local["5000/TCP"].as_u64().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let text = fetch(&format!("http://127.0.0.1:{port}/hello")).await;
        assert!(text.starts_with("Hello version: v"), "{text}");
        seen.insert(text[15..17].to_string());
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "both versions answer: {seen:?}");
    // …and by name from another pod, through the resolver (HTTP_PROXY).
    let out = m
        .cli(&[
            "exec",
            "deploy/curl",
            "--",
            "curl",
            "-s",
            "http://helloworld:5000/hello",
        ])
        .ok()
        .to_string();
    assert!(out.starts_with("Hello version: v"), "{out}");
    let out = m
        .cli(&[
            "exec",
            "deploy/curl",
            "--",
            "curl",
            "-s",
            "http://helloworld.default.svc.cluster.local:5000/hello",
        ])
        .ok()
        .to_string();
    assert!(out.starts_with("Hello version: v"), "{out}");
}

#[tokio::test]
async fn scaling_runs_replicas_side_by_side() {
    let m = Meshlite::start();
    apply_file(
        &m,
        &support::examples().join("httpbin/httpbin-nodeport.yaml"),
    );
    ready_pods(&m, "default", "app=httpbin", 1).await;
    m.cli(&["scale", "deploy/httpbin", "--replicas=3"]).ok();
    let pods = ready_pods(&m, "default", "app=httpbin", 3).await;
    let ports: std::collections::BTreeSet<String> = pods
        .iter()
        .map(|p| {
            p["metadata"]["annotations"]["meshlite.io/host-ports"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ports.len(), 3, "three distinct host ports: {ports:?}");
    let (_, svc) = m.get("/api/v1/namespaces/default/services/httpbin").await;
    let port = node_port(&svc);
    // The Service spreads over all three.
    let eps = eventually(
        &m,
        "/api/v1/namespaces/default/endpoints/httpbin",
        10,
        |e| e["subsets"].as_array().map(|s| s.len()) == Some(3),
    )
    .await;
    assert_eq!(eps["subsets"][0]["addresses"][0]["ip"], "127.0.0.1");
    let mut hosts = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let c = client();
        let v: Value = c
            .get(format!("http://127.0.0.1:{port}/hostname"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_default();
        if let Some(h) = v["hostname"].as_str() {
            hosts.insert(h.to_string());
        }
    }
    assert_eq!(hosts.len(), 3, "{hosts:?}");
    m.cli(&["scale", "deploy/httpbin", "--replicas=1"]).ok();
    ready_pods(&m, "default", "app=httpbin", 1).await;
    let table = m.cli(&["get", "deploy", "httpbin"]).ok().to_string();
    assert!(table.lines().nth(1).unwrap().contains(" 1/1 "), "{table}");
}

#[tokio::test]
async fn a_rollout_under_traffic_fails_no_request() {
    let m = Meshlite::start();
    apply_file(
        &m,
        &support::examples().join("httpbin/httpbin-nodeport.yaml"),
    );
    m.cli(&["scale", "deploy/httpbin", "--replicas=2"]).ok();
    let before = ready_pods(&m, "default", "app=httpbin", 2).await;
    let (_, svc) = m.get("/api/v1/namespaces/default/services/httpbin").await;
    let port = node_port(&svc);
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut drivers = Vec::new();
    for _ in 0..2 {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        drivers.push(tokio::spawn(async move {
            let c = client();
            let mut errors = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match c.get(format!("http://127.0.0.1:{port}/get")).send().await {
                    Ok(r) if r.status() == 200 => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        errors.push(format!("status {}", r.status()));
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        errors.push(format!("{e:?}"));
                    }
                }
            }
            errors
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // An env change rolls the pods.
    m.cli(&["rollout", "restart", "deploy/httpbin"]).ok();
    let status = m
        .cli(&["rollout", "status", "deploy/httpbin", "--timeout", "60s"])
        .ok()
        .to_string();
    assert!(status.contains("successfully rolled out"), "{status}");
    let after = ready_pods(&m, "default", "app=httpbin", 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for d in drivers {
        errors.extend(d.await.unwrap());
    }
    let names = |ps: &[Value]| {
        ps.iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        names(&before).iter().all(|n| !names(&after).contains(n)),
        "all pods replaced"
    );
    assert!(
        ok.load(Ordering::Relaxed) > 20,
        "traffic flowed: {}",
        ok.load(Ordering::Relaxed)
    );
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "failed requests: {errors:?}"
    );
}

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

#[tokio::test]
async fn demo_prints_the_url_once_httpbin_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let block = support::PortBlock::take(None);
    let mut child = std::process::Command::new(support::BIN)
        .args([
            "up",
            "--api-port",
            "0",
            "--demo",
            "--host-ports",
            &block.host_ports(),
            "--service-node-port-range",
            &block.node_ports(),
            "--data-dir",
        ])
        .arg(tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let done = line.contains("httpbin answers at");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !reader.is_finished() {
        assert!(Instant::now() < deadline, "the demo never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let lines = reader.join().unwrap();
    let last = lines.last().unwrap().clone();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("deployment/httpbin created")),
        "{lines:?}"
    );
    let url = last
        .split_whitespace()
        .find(|w| w.starts_with("http://localhost:"))
        .unwrap();
    assert!(url.ends_with('/'), "{last}");
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
        processes_of(&m.dir).is_empty(),
        "{:?}",
        processes_of(&m.dir)
    );
}

#[tokio::test]
async fn load_balancers_get_127_0_0_1_and_their_node_port() {
    let m = Meshlite::start();
    apply_text(
        &m,
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{name: http, port: 80}]\n",
    );
    m.cli(&["create", "deploy", "web", "--image=nginx:1.15"])
        .ok();
    // `create deploy` labels its pods app=web, as kubectl does.
    ready_pods(&m, "default", "app=web", 1).await;
    let svc = eventually(&m, "/api/v1/namespaces/default/services/web", 10, |s| {
        s["status"]["loadBalancer"]["ingress"][0]["ip"] == "127.0.0.1"
    })
    .await;
    let table = m.cli(&["get", "svc", "web"]).ok().to_string();
    let cols: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(cols[1], "LoadBalancer");
    assert_eq!(cols[3], "127.0.0.1", "{table}");
    let page = fetch(&format!("http://127.0.0.1:{}/", node_port(&svc))).await;
    assert!(page.contains("Welcome to nginx!"), "{page}");
}

#[tokio::test]
async fn every_project_example_runs() {
    let m = Meshlite::start();
    m.cli(&["create", "ns", "sidecar-test"]).ok();
    for (file, ns) in [
        ("httpbin/httpbin-nodeport.yaml", "default"),
        ("helloworld/helloworld.yaml", "default"),
        ("curl/curl.yaml", "default"),
        ("sidecar-test/nginx.yaml", "sidecar-test"),
    ] {
        let path = support::examples().join(file).display().to_string();
        m.cli(&["apply", "-f", &path, "-n", ns]).ok();
    }
    for (ns, selector, n) in [
        ("default", "app=httpbin", 1),
        ("default", "app=helloworld", 2),
        ("default", "app=curl", 1),
        ("sidecar-test", "app=nginx-1", 1),
    ] {
        ready_pods(&m, ns, selector, n).await;
    }
    let out = m
        .cli(&[
            "exec",
            "deploy/curl",
            "--",
            "curl",
            "-s",
            "-w",
            "%{http_code}",
            "http://httpbin.default:8000/status/200",
        ])
        .ok()
        .to_string();
    assert_eq!(out, "200");
}
