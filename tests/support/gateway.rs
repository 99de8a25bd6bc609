//! Gateway helpers: sample workloads, a Gateway + VirtualService pair, and requests to the
//! ingress gateway on the instance's `--http-port`.
#![allow(dead_code)]

use super::{ready_pods, Meshlite};
use serde_json::Value;
use std::time::Duration;

/// An httpbin Deployment + Service `name` (port 8000 → 8080), optionally with a sidecar.
pub fn httpbin(name: &str, replicas: u32, sidecar: bool) -> String {
    format!(
        r#"
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: 8000, targetPort: 8080}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, version: v1, sidecar.istio.io/inject: "{sidecar}"}}
    spec:
      containers:
      - name: httpbin
        image: docker.io/mccutchen/go-httpbin:v2.15.0
        ports:
        - containerPort: 8080
"#
    )
}

/// A Gateway on port 80 for `hosts`, plus `vs_spec_http` as the `http:` of a VirtualService
/// bound to it.
pub fn gateway_vs(hosts: &str, http: &str) -> String {
    format!(
        r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: [{hosts}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
spec:
  hosts: [{hosts}]
  gateways: [gw]
  http:
{http}
"#
    )
}

/// Wait for the gateway pod to be ready.
pub async fn gateway_ready(m: &Meshlite) -> Value {
    ready_pods(m, "istio-system", "istio%3Dingressgateway", 1)
        .await
        .remove(0)
}

/// GET `path` on the gateway with extra headers until `ok(status, body)`; the last answer.
pub async fn until(
    m: &Meshlite,
    path: &str,
    headers: &[(&str, &str)],
    ok: impl Fn(u16, &str) -> bool,
) -> (u16, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body, _) = get(m, path, headers).await;
        if ok(code, &body) {
            return (code, body);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "GET {path} never got there; last {code}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One GET on the gateway: status, body, headers.
pub async fn get(
    m: &Meshlite,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, reqwest::header::HeaderMap) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut req = client.get(format!("http://127.0.0.1:{}{path}", m.http_port()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    match req.send().await {
        Ok(r) => {
            let code = r.status().as_u16();
            let h = r.headers().clone();
            (code, r.text().await.unwrap_or_default(), h)
        }
        Err(e) => (0, e.to_string(), Default::default()),
    }
}
