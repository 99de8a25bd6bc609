//! The ingress gateway end to end: the walkthrough's Gateway and VirtualService on
//! `localhost:--http-port`, Istio's helloworld split, hosts, the seed's wrong port, HTTPS, and
//! the debugging commands.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use support::gateway::{gateway_ready, gateway_vs, get, httpbin, until};
use support::{apply_text, eventually, items, ready_pods, Meshlite};

fn name(pod: &Value) -> String {
    pod["metadata"]["name"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_walkthrough_reaches_httpbin_through_the_gateway_and_its_sidecar() {
    let m = Meshlite::start();
    let nodeport = support::examples().join("httpbin/httpbin-nodeport.yaml");
    let injected = m
        .cli(&["kube-inject", "-f", &nodeport.display().to_string()])
        .ok()
        .to_string();
    m.cli_stdin(&["apply", "-f", "-"], Some(&injected)).ok();
    let gw_file = support::examples().join("httpbin/httpbin-gateway.yaml");
    let out = m
        .cli(&["apply", "-f", &gw_file.display().to_string()])
        .ok()
        .to_string();
    assert!(
        out.contains("gateway.networking.istio.io/httpbin-gateway created"),
        "{out}"
    );
    let pod = ready_pods(&m, "default", "app%3Dhttpbin", 1)
        .await
        .remove(0);
    let gw = gateway_ready(&m).await;

    let (code, body) = until(&m, "/get", &[], |c, _| c == 200).await;
    assert_eq!(code, 200);
    assert!(body.contains("\"url\""), "httpbin's /get: {body}");

    // Port 80's NodePort serves the same listener.
    let (_, svc) = m
        .get("/api/v1/namespaces/istio-system/services/istio-ingressgateway")
        .await;
    let node_port = svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == 80)
        .and_then(|p| p["nodePort"].as_u64())
        .expect("nodePort of 80");
    let via_node_port = support::fetch(&format!("http://127.0.0.1:{node_port}/get")).await;
    assert!(via_node_port.contains("\"url\""), "{via_node_port}");

    // Both proxies log it.
    let gw_logs = m
        .cli(&["logs", "-n", "istio-system", &name(&gw)])
        .ok()
        .to_string();
    assert!(
        gw_logs.contains("\"GET /get HTTP/1.1\" 200")
            && gw_logs.contains("outbound|8000||httpbin.default.svc.cluster.local"),
        "gateway log: {gw_logs}"
    );
    let proxy_logs = m
        .cli(&["logs", &name(&pod), "-c", "istio-proxy"])
        .ok()
        .to_string();
    assert!(
        proxy_logs.contains("\"GET /get HTTP/1.1\" 200") && proxy_logs.contains("inbound|8080||"),
        "sidecar log: {proxy_logs}"
    );

    let listed = m.cli(&["get", "gateway,virtualservice"]).ok().to_string();
    assert!(
        listed.contains("gateway.networking.istio.io/httpbin-gateway"),
        "{listed}"
    );
    let vs_row = listed
        .lines()
        .find(|l| l.starts_with("virtualservice.networking.istio.io/httpbin"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(
        vs_row.contains("[\"httpbin-gateway\"]") && vs_row.contains("[\"*\"]"),
        "{vs_row}"
    );

    let svcs = m
        .cli(&["get", "svc", "-n", "istio-system"])
        .ok()
        .to_string();
    let gw_row: Vec<&str> = svcs
        .lines()
        .find(|l| l.starts_with("istio-ingressgateway"))
        .unwrap_or_else(|| panic!("{svcs}"))
        .split_whitespace()
        .collect();
    assert_eq!(gw_row[1], "LoadBalancer");
    assert_eq!(gw_row[3], "127.0.0.1");
    let ports: Vec<&str> = gw_row[4].split(',').collect();
    assert_eq!(ports.len(), 3, "{}", gw_row[4]);
    assert!(
        ports[0].starts_with("15021:")
            && ports[1].starts_with("80:")
            && ports[2].starts_with("443:")
    );
    assert!(
        svcs.lines()
            .any(|l| l.starts_with("istiod ") && l.contains("ClusterIP")),
        "{svcs}"
    );

    // The debugging views name what is behind each line.
    let target = format!("{}.istio-system", name(&gw));
    let routes = m.cli(&["proxy-config", "routes", &target]).ok().to_string();
    assert!(routes.contains("httpbin.default"), "{routes}");
    let clusters = m
        .cli(&["proxy-config", "clusters", &target])
        .ok()
        .to_string();
    assert!(
        clusters.contains("httpbin.default.svc.cluster.local"),
        "{clusters}"
    );
    let endpoints = m
        .cli(&["proxy-config", "endpoints", &target])
        .ok()
        .to_string();
    assert!(endpoints.contains("HEALTHY"), "{endpoints}");
    let described = m
        .cli(&["x", "describe", "pod", &name(&pod)])
        .ok()
        .to_string();
    for want in [
        "Service: httpbin",
        "VirtualService: httpbin",
        &format!(
            "Exposed on Ingress Gateway http://localhost:{}",
            m.http_port()
        ),
    ] {
        assert!(described.contains(want), "{want}:\n{described}");
    }

    // HTTP/2 without TLS (prior knowledge) and WebSocket upgrades pass both proxies.
    let h2 = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = h2
        .get(format!("http://127.0.0.1:{}/get", m.http_port()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (resp.status().as_u16(), resp.version()),
        (200, reqwest::Version::HTTP_2)
    );
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", m.http_port()))
        .await
        .unwrap();
    let ws_url = format!("ws://127.0.0.1:{}/websocket/echo", m.http_port());
    let (mut ws, resp) = tokio_tungstenite::client_async(ws_url, stream)
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 101);
    use futures::{SinkExt, StreamExt};
    ws.send(tokio_tungstenite::tungstenite::Message::text("hello mesh"))
        .await
        .unwrap();
    let echoed = ws.next().await.unwrap().unwrap();
    assert_eq!(echoed.into_text().unwrap().as_str(), "hello mesh");

    let url = format!("http://localhost:{}/get", m.http_port());
    let trace = m.cli(&["trace", "GET", &url]).ok().to_string();
    assert!(
        trace.contains("default/httpbin") || trace.contains("httpbin.default"),
        "{trace}"
    );
    assert!(
        trace.contains("outbound|8000||httpbin.default.svc.cluster.local"),
        "{trace}"
    );
}

#[tokio::test]
async fn the_walkthroughs_port_8001_warns_and_answers_503_saying_why() {
    let m = Meshlite::start();
    apply_text(&m, &httpbin("httpbin", 1, false));
    let yaml = gateway_vs(
        "\"*\"",
        "  - route:\n    - destination:\n        host: httpbin\n        port: {number: 8001}",
    );
    let run = m.cli_stdin(&["apply", "-f", "-"], Some(&yaml));
    run.ok();
    assert!(
        run.stderr
            .contains("Warning: [IST0101] (VirtualService default/vs)")
            && run.stderr.contains("httpbin:8001"),
        "apply warns: {}",
        run.stderr
    );
    let analyzed = m.cli(&["analyze", "-A"]);
    assert_eq!(analyzed.code, 79, "{}{}", analyzed.stdout, analyzed.stderr);
    assert!(analyzed.stdout.contains("IST0101") || analyzed.stderr.contains("IST0101"));
    ready_pods(&m, "default", "app%3Dhttpbin", 1).await;
    gateway_ready(&m).await;
    let (code, body) = until(&m, "/get", &[], |c, _| c == 503).await;
    assert_eq!(code, 503);
    assert!(
        body.contains("has no port 8001") && body.contains("8000"),
        "the 503 says why: {body}"
    );
}

#[tokio::test]
async fn helloworld_splits_by_weight_pins_by_header_and_hosts_choose_apps() {
    let m = Meshlite::start();
    support::apply_file(&m, &support::examples().join("helloworld/helloworld.yaml"));
    ready_pods(&m, "default", "app%3Dhelloworld", 2).await;
    gateway_ready(&m).await;
    // Without a DestinationRule: a plain route reaches both versions.
    let plain = gateway_vs(
        "\"hello.localhost\"",
        "  - route:\n    - destination: {host: helloworld, port: {number: 5000}}",
    );
    apply_text(&m, &plain);
    let host = [("host", "hello.localhost")];
    until(&m, "/hello", &host, |c, _| c == 200).await;
    let mut seen = BTreeMap::new();
    for _ in 0..60 {
        let (_, body, _) = get(&m, "/hello", &host).await;
        let version = if body.contains("version: v2") {
            "v2"
        } else {
            "v1"
        };
        *seen.entry(version).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 2, "both versions answer: {seen:?}");

    m.cli(&["delete", "virtualservice", "vs"]).ok();
    m.cli(&["delete", "gateway", "gw"]).ok();
    support::apply_file(
        &m,
        &support::examples().join("helloworld/helloworld-gateway.yaml"),
    );
    until(
        &m,
        "/hello",
        &[("host", "hello.localhost"), ("x-canary", "yes")],
        |c, b| c == 200 && b.contains("v2"),
    )
    .await;
    let mut v1 = 0;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://127.0.0.1:{}/hello", m.http_port());
    let mut tasks = Vec::new();
    for chunk in 0..10 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..100 {
                let body = client
                    .get(&url)
                    .header("host", "hello.localhost")
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                assert!(body.contains("Hello version"), "chunk {chunk}: {body}");
                if body.contains("version: v1") {
                    n += 1;
                }
            }
            n
        }));
    }
    for t in tasks {
        v1 += t.await.unwrap();
    }
    assert!(
        (840..=960).contains(&v1),
        "90/10 split over 1000: {v1} to v1"
    );
    for _ in 0..20 {
        let (_, body, _) = get(
            &m,
            "/hello",
            &[("host", "hello.localhost"), ("x-canary", "yes")],
        )
        .await;
        assert!(body.contains("version: v2"), "x-canary pins v2: {body}");
    }

    // Two apps on one port, chosen by host.
    apply_text(&m, &httpbin("httpbin", 1, false));
    ready_pods(&m, "default", "app%3Dhttpbin", 1).await;
    apply_text(
        &m,
        r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: localhost}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.localhost"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin-host}
spec:
  hosts: [httpbin.localhost]
  gateways: [localhost]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
"#,
    );
    let (_, body) = until(&m, "/headers", &[("host", "httpbin.localhost")], |c, _| {
        c == 200
    })
    .await;
    assert!(body.contains("httpbin.localhost"), "{body}");
    let (code, body, _) = get(&m, "/hello", &[("host", "hello.localhost")]).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Hello version"), "{body}");
    let (code, _, _) = get(&m, "/hello", &[("host", "other.example")]).await;
    assert_eq!(code, 404, "no virtual host for other hosts");
}

#[tokio::test]
async fn https_simple_with_a_credential_secret_and_https_redirect() {
    let m = Meshlite::start();
    apply_text(&m, &httpbin("httpbin", 1, false));
    let cert = rcgen::generate_simple_self_signed(vec!["httpbin.example.com".to_string()]).unwrap();
    let (crt, key) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tls.crt"), &crt).unwrap();
    std::fs::write(dir.path().join("tls.key"), &key).unwrap();
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    apply_text(
        &m,
        &format!(
            r#"
apiVersion: v1
kind: Secret
metadata: {{name: httpbin-credential, namespace: istio-system}}
type: kubernetes.io/tls
data:
  tls.crt: {}
  tls.key: {}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: secure}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 443, name: https, protocol: HTTPS}}
    tls: {{mode: SIMPLE, credentialName: httpbin-credential}}
    hosts: [httpbin.example.com]
  - port: {{number: 80, name: http, protocol: HTTP}}
    tls: {{httpsRedirect: true}}
    hosts: [httpbin.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: httpbin}}
spec:
  hosts: [httpbin.example.com]
  gateways: [secure]
  http:
  - route:
    - destination: {{host: httpbin, port: {{number: 8000}}}}
"#,
            b64(&crt),
            b64(&key)
        ),
    );
    ready_pods(&m, "default", "app%3Dhttpbin", 1).await;
    gateway_ready(&m).await;
    let (_, _) = until(&m, "/get", &[("host", "httpbin.example.com")], |c, _| {
        c == 301
    })
    .await;
    let (_, _, headers) = get(&m, "/get?x=1", &[("host", "httpbin.example.com")]).await;
    assert_eq!(headers["location"], "https://httpbin.example.com/get?x=1");

    let client = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(crt.as_bytes()).unwrap())
        .resolve(
            "httpbin.example.com",
            std::net::SocketAddr::from(([127, 0, 0, 1], m.https_port())),
        )
        .build()
        .unwrap();
    let url = format!("https://httpbin.example.com:{}/get", m.https_port());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let body = loop {
        match client.get(&url).send().await {
            Ok(r) if r.status() == 200 => break r.text().await.unwrap(),
            other => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "HTTPS never answered: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert!(body.contains("\"url\""), "{body}");
}

#[tokio::test]
async fn up_demo_serves_httpbin_through_the_gateway() {
    let m = Meshlite::start_with(&["--demo"]);
    let (code, body) = until(&m, "/get", &[], |c, _| c == 200).await;
    assert_eq!(code, 200);
    assert!(body.contains("\"url\""), "{body}");
    let pods = eventually(
        &m,
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dhttpbin",
        30,
        |v| {
            items(v).iter().any(|p| {
                p["spec"]["containers"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().any(|c| c["name"] == "istio-proxy"))
            })
        },
    )
    .await;
    assert_eq!(items(&pods).len(), 1);

    // The gateway holds host ports, so its rollouts replace the pod rather than surge.
    let gw = ["-n", "istio-system"];
    m.cli(&[
        "rollout",
        "restart",
        "deploy/istio-ingressgateway",
        gw[0],
        gw[1],
    ])
    .ok();
    m.cli(&[
        "rollout",
        "status",
        "deploy/istio-ingressgateway",
        gw[0],
        gw[1],
    ])
    .ok();
    until(&m, "/get", &[], |c, _| c == 200).await;
}
