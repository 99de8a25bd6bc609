//! Sidecar injection end to end: `kube-inject` leaves its input alone and its output runs as a
//! 2/2 pod; a namespace label injects new pods only; apps call Services by name through their
//! sidecar, which logs and counts the call; config reaches running proxies; a killed sidecar
//! comes back.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{eventually, items, ready, Meshlite};

/// The one ready, not terminating pod matching `selector`.
async fn ready_pod(m: &Meshlite, ns: &str, selector: &str) -> Value {
    let path = format!("/api/v1/namespaces/{ns}/pods?labelSelector={selector}");
    let v = eventually(m, &path, 30, |v| {
        let pods = items(v);
        pods.len() == 1 && ready(&pods[0]) && pods[0]["metadata"]["deletionTimestamp"].is_null()
    })
    .await;
    items(&v).remove(0)
}

fn name(pod: &Value) -> String {
    pod["metadata"]["name"].as_str().unwrap().to_string()
}

fn row_of(table: &str, name: &str) -> Vec<String> {
    table
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("{name} not in\n{table}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_walkthrough_injects_by_hand_and_by_namespace_label() {
    let m = Meshlite::start();
    let file = support::examples().join("httpbin/httpbin-nodeport.yaml");
    let before = std::fs::read(&file).unwrap();
    let injected = m
        .cli(&["kube-inject", "-f", &file.display().to_string()])
        .ok()
        .to_string();
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "kube-inject leaves the file alone"
    );
    assert!(injected.contains("name: istio-proxy") && injected.contains("name: istio-init"));
    assert!(
        injected.contains("kind: Service"),
        "other documents pass through"
    );
    m.cli_stdin(&["apply", "-f", "-"], Some(&injected)).ok();
    let pod = ready_pod(&m, "default", "app=httpbin").await;
    let table = m.cli(&["get", "pod"]).ok().to_string();
    assert_eq!(
        row_of(&table, &name(&pod))[1..3],
        ["2/2", "Running"],
        "{table}"
    );
    // The proxy process of that pod shows in `ps`.
    let ps = m
        .cli(&["exec", &name(&pod), "-c", "istio-proxy", "--", "ps", "aux"])
        .ok()
        .to_string();
    assert!(
        ps.contains("pilot-agent proxy sidecar --domain default.svc.cluster.local"),
        "{ps}"
    );

    // Automatic injection: only pods created after the label get the sidecar.
    m.cli(&["create", "ns", "sidecar-test"]).ok();
    m.cli(&[
        "create",
        "deploy",
        "nginx-0",
        "--image=nginx:1.15",
        "-n",
        "sidecar-test",
    ])
    .ok();
    let early = ready_pod(&m, "sidecar-test", "app=nginx-0").await;
    m.cli(&[
        "label",
        "namespace",
        "sidecar-test",
        "istio-injection=enabled",
    ])
    .ok();
    let labels = m.cli(&["get", "ns", "--show-labels"]).ok().to_string();
    assert!(
        row_of(&labels, "sidecar-test")[3].contains("istio-injection=enabled"),
        "{labels}"
    );
    m.cli(&[
        "create",
        "deploy",
        "nginx-1",
        "--image=nginx:1.15",
        "--replicas=1",
        "-n",
        "sidecar-test",
    ])
    .ok();
    let late = ready_pod(&m, "sidecar-test", "app=nginx-1").await;
    let names = m
        .cli(&[
            "get",
            "pod",
            &name(&late),
            "-n",
            "sidecar-test",
            "-o",
            "jsonpath={.spec.containers[*].name}",
        ])
        .ok()
        .to_string();
    assert_eq!(names, "nginx istio-proxy");
    let table = m
        .cli(&["get", "pod", "-n", "sidecar-test"])
        .ok()
        .to_string();
    assert_eq!(row_of(&table, &name(&early))[1], "1/1", "{table}");
    assert_eq!(row_of(&table, &name(&late))[1], "2/2", "{table}");
    // Recreating the early pod injects it.
    m.cli(&["rollout", "restart", "deploy/nginx-0", "-n", "sidecar-test"])
        .ok();
    m.cli(&[
        "rollout",
        "status",
        "deploy/nginx-0",
        "-n",
        "sidecar-test",
        "--timeout",
        "60s",
    ])
    .ok();
    let again = ready_pod(&m, "sidecar-test", "app=nginx-0").await;
    assert_eq!(again["spec"]["containers"].as_array().unwrap().len(), 2);

    // Every proxy (the two sidecars, nginx's and the ingress gateway) runs the latest config.
    let status = eventually(&m, "/debug/proxy-status", 10, |v| {
        v.as_array().is_some_and(|a| {
            a.len() == 4
                && a.iter()
                    .all(|s| s["connected"] == true && s["acked"] == s["latest"])
        })
    })
    .await;
    assert_eq!(status.as_array().unwrap().len(), 4);
    let out = m.cli(&["proxy-status"]).ok().to_string();
    assert!(out.starts_with("NAME "), "{out}");
    assert_eq!(out.matches("SYNCED").count(), 16, "{out}");
    assert!(out.contains("istio-ingressgateway-"), "{out}");
    assert!(out.contains(&format!("{}.default", name(&pod))), "{out}");
}

#[tokio::test]
async fn apps_call_services_through_their_sidecar() {
    let m = Meshlite::start();
    m.cli(&["label", "namespace", "default", "istio-injection=enabled"])
        .ok();
    m.cli(&[
        "apply",
        "-f",
        &support::examples()
            .join("helloworld/helloworld.yaml")
            .display()
            .to_string(),
    ])
    .ok();
    m.cli(&[
        "apply",
        "-f",
        &support::examples()
            .join("curl/curl.yaml")
            .display()
            .to_string(),
    ])
    .ok();
    let curl = ready_pod(&m, "default", "app=curl").await;
    ready_pod(&m, "default", "app=helloworld,version=v1").await;
    ready_pod(&m, "default", "app=helloworld,version=v2").await;
    let env = m
        .cli(&["exec", &name(&curl), "-c", "curl", "--", "env"])
        .ok()
        .to_string();
    let ports: Value = serde_json::from_str(
        curl["metadata"]["annotations"]["meshlite.io/host-ports"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let outbound = ports["15001"].as_u64().unwrap();
    assert!(
        env.contains(&format!(
            "HTTP_PROXY=http://default:pod@127.0.0.1:{outbound}"
        )),
        "{env}"
    );
    for _ in 0..4 {
        let out = m
            .cli(&[
                "exec",
                &name(&curl),
                "-c",
                "curl",
                "--",
                "curl",
                "-s",
                "http://helloworld:5000/hello",
            ])
            .ok()
            .to_string();
        assert!(out.starts_with("Hello version: v"), "{out}");
    }
    // The call shows in the sidecar's access log and metrics.
    let log = m
        .cli(&["logs", &name(&curl), "-c", "istio-proxy"])
        .ok()
        .to_string();
    assert!(
        log.contains("\"GET /hello HTTP/1.1\" 200")
            && log.contains("outbound|5000||helloworld.default.svc.cluster.local"),
        "{log}"
    );
    let metrics = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!(
            "http://127.0.0.1:{}/stats/prometheus",
            ports["15090"].as_u64().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // One series per destination workload (helloworld-v1, -v2); together they count 4.
    let total: u64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("istio_requests_total")
                && l.contains("helloworld.default.svc.cluster.local")
                && l.contains("reporter=\"source\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.trim().parse::<u64>().ok())
        .sum();
    assert_eq!(total, 4, "{metrics}");
}

#[tokio::test]
async fn new_endpoints_reach_a_running_proxy_and_a_killed_sidecar_comes_back() {
    let m = Meshlite::start();
    m.cli(&["label", "namespace", "default", "istio-injection=enabled"])
        .ok();
    m.cli(&[
        "apply",
        "-f",
        &support::examples()
            .join("curl/curl.yaml")
            .display()
            .to_string(),
    ])
    .ok();
    let curl = ready_pod(&m, "default", "app=curl").await;
    // A Service that appears after the proxy started is reachable through it at once.
    m.cli(&["create", "deploy", "web", "--image=nginx:1.15"])
        .ok();
    m.cli_stdin(
        &["apply", "-f", "-"],
        Some("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"),
    )
    .ok();
    ready_pod(&m, "default", "app=web").await;
    eventually(&m, "/api/v1/namespaces/default/endpoints/web", 10, |e| {
        e["subsets"][0]["addresses"].is_array()
    })
    .await;
    eventually(&m, "/debug/proxy-status", 10, |v| {
        v[0]["acked"] == v[0]["latest"]
    })
    .await;
    let out = m
        .cli(&[
            "exec",
            &name(&curl),
            "-c",
            "curl",
            "--",
            "curl",
            "-s",
            "-w",
            " %{http_code}",
            "http://web/",
        ])
        .ok()
        .to_string();
    assert!(
        out.ends_with(" 200") && out.contains("Welcome to nginx!"),
        "{out}"
    );

    // Steady traffic through the sidecar (as the app sends it, via its HTTP_PROXY) while the
    // Service's endpoints change under it: scaled up, then every pod replaced.
    let ports: Value = serde_json::from_str(
        curl["metadata"]["annotations"]["meshlite.io/host-ports"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let proxy = format!(
        "http://default:pod@127.0.0.1:{}",
        ports["15001"].as_u64().unwrap()
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let driver = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let c = reqwest::Client::builder()
                .proxy(reqwest::Proxy::http(&proxy).unwrap())
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let (mut ok, mut failed) = (0u32, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match c.get("http://web.default/").send().await {
                    Ok(r) if r.status() == 200 => ok += 1,
                    Ok(r) => failed.push(format!(
                        "{} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )),
                    Err(e) => failed.push(format!("{e:?}")),
                }
            }
            (ok, failed)
        })
    };
    m.cli(&["scale", "deploy/web", "--replicas=2"]).ok();
    m.cli(&["rollout", "status", "deploy/web", "--timeout", "60s"])
        .ok();
    m.cli(&["rollout", "restart", "deploy/web"]).ok();
    m.cli(&["rollout", "status", "deploy/web", "--timeout", "60s"])
        .ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed) = driver.await.unwrap();
    assert!(ok > 20, "traffic flowed: {ok}");
    assert!(failed.is_empty(), "failed requests: {failed:?}");

    // Kill the sidecar: the kubelet restarts it, it resyncs, the pod is 2/2 again.
    let pid = curl["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "istio-proxy")
        .and_then(|c| c["containerID"].as_str())
        .and_then(|id| id.strip_prefix("meshlite://"))
        .and_then(|p| p.parse::<i32>().ok())
        .expect("the sidecar's pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let path = format!("/api/v1/namespaces/default/pods/{}", name(&curl));
    let back = eventually(&m, &path, 30, |p| {
        ready(p)
            && p["status"]["containerStatuses"]
                .as_array()
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c["name"] == "istio-proxy" && c["restartCount"] == 1 && c["ready"] == true
                    })
                })
    })
    .await;
    assert_eq!(back["status"]["phase"], "Running");
    eventually(&m, "/debug/proxy-status", 10, |v| {
        v[0]["connected"] == true && v[0]["acked"] == v[0]["latest"]
    })
    .await;
    let out = m
        .cli(&[
            "exec",
            &name(&curl),
            "-c",
            "curl",
            "--",
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "http://web/",
        ])
        .ok()
        .to_string();
    assert_eq!(out, "200");
}

#[test]
fn kube_inject_writes_elsewhere_and_names_bad_documents() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.yaml");
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\ndata: {a: b}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers: {name: app}\n";
    std::fs::write(&input, text).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(support::BIN);
        cmd.args(args);
        support::run(cmd, None)
    };
    let err = run(&["kube-inject", "-f", &input.display().to_string()])
        .fails()
        .to_string();
    assert!(err.contains("document 2 (Deployment/broken)"), "{err}");
    assert!(
        err.contains("spec.template.spec.containers: must be a list"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), text);

    // Istio's own sample, written to a file with -o.
    let Some(fixtures) = support::istio_fixtures() else {
        return;
    };
    let out = dir.path().join("out.yaml");
    let hello = fixtures.join("inject/hello.yaml");
    run(&[
        "kube-inject",
        "-f",
        &hello.display().to_string(),
        "-o",
        &out.display().to_string(),
    ])
    .ok();
    let injected: Value = serde_yaml::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let names: Vec<&str> = injected["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hello", "istio-proxy"]);
    assert_eq!(
        injected["spec"]["template"]["spec"]["initContainers"][0]["name"],
        "istio-init"
    );
}
