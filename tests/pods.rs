//! Pods run for real: Deployments become local processes that answer on their Services'
//! ports — NodePorts, ClusterIP listeners and names from other pods — and scale and roll out
//! without dropping requests.

mod support;

use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{
    apply_file, apply_text, client, eventually, fetch, httpbin_yaml, node_port, ready_pods,
    Meshlite,
};

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
