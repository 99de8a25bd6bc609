//! The pieces of a description: port protocols, pod warnings, multi-port Services, foreign
//! namespaces, TCP routes and gateway corner cases.

use serde_json::json;

use super::super::objects::{port_protocol, service_ports};
use super::*;

#[test]
fn port_protocols() {
    let cases = [
        (json!({"name": "http", "port": 80}), "HTTP"),
        (json!({"port": 80}), "auto-detect"),
        (json!({"name": "http2-api", "port": 80}), "HTTP2"),
        (json!({"name": "GRPC-port", "port": 80}), "GRPC"),
        (json!({"name": "grpc-web-ui", "port": 80}), "GRPC-Web"),
        (json!({"name": "https", "port": 443}), "HTTPS"),
        (json!({"name": "tcp-db", "port": 5432}), "TCP"),
        (json!({"name": "mongo", "port": 27017}), "Mongo"),
        (json!({"name": "web", "port": 80}), "UnsupportedProtocol"),
        (json!({"name": "db", "port": 3306}), "TCP"),
        (json!({"name": "dns", "port": 53, "protocol": "UDP"}), "UDP"),
        (json!({"port": 53, "protocol": "UDP"}), "UDP"),
        (json!({"port": 80, "appProtocol": "http"}), "HTTP"),
        (
            json!({"name": "web", "port": 80, "appProtocol": "kubernetes.io/h2c"}),
            "HTTP2",
        ),
        (
            json!({"name": "web", "port": 80, "appProtocol": "kubernetes.io/ws"}),
            "HTTP",
        ),
        (
            json!({"name": "web", "port": 443, "appProtocol": "kubernetes.io/wss"}),
            "HTTPS",
        ),
        (
            json!({"name": "http", "port": 80, "appProtocol": "redis"}),
            "Redis",
        ),
    ];
    for (port, want) in cases {
        let svc = json!({"spec": {"ports": [port.clone()]}});
        let ports = service_ports(&svc);
        let got = ports.first().map(port_protocol);
        assert_eq!(got.as_deref(), Some(want), "{port}");
    }
}

#[test]
fn invalid_service_ports_are_skipped() {
    let svc = json!({"spec": {"ports": [
        {"name": "ok", "port": 80},
        {"name": "big", "port": 70000},
        {"name": "none"},
        "junk",
    ]}});
    let names: Vec<String> = service_ports(&svc).into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["ok"]);
}

/// A meshed pod in `default` with `app: web` and the given extra spec, labels and status.
fn web_pod(containers: Value, labels: Value, statuses: Value) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "default", "uid": "uid-w1", "labels": labels},
        "spec": {"containers": containers},
        "status": {"phase": "Running", "containerStatuses": statuses},
    })
}

#[test]
fn pod_header_warnings() {
    let proxy = json!({"name": "istio-proxy"});
    let ready = json!([{"name": "web", "ready": true}, {"name": "istio-proxy", "ready": true}]);
    let labels = json!({"app": "web", "version": "v1"});
    let url = "https://istio.io/v1.28/docs/ops/deployment/application-requirements/";
    let tail = "Warning: No Kubernetes Services select pod web-1 (see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )\n";
    let cases = [
        (
            "UID 1337 in an app container and in the pod",
            {
                let mut pod = web_pod(
                    json!([{"name": "web", "securityContext": {"runAsUser": 1337}}, proxy]),
                    labels.clone(),
                    ready.clone(),
                );
                pod["spec"]["securityContext"] = json!({"runAsUser": 1337});
                pod
            },
            "WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.
Pod: web-1\n   Pod Revision: \n   Pod does not expose ports
   WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.
"
            .to_string(),
        ),
        (
            "the proxy's own UID is fine",
            web_pod(
                json!([{"name": "web"}, {"name": "istio-proxy", "securityContext": {"runAsUser": 1337}}]),
                labels.clone(),
                ready.clone(),
            ),
            "Pod: web-1\n   Pod Revision: \n   Pod does not expose ports\n".to_string(),
        ),
        (
            "containers not ready",
            {
                let mut pod = web_pod(
                    json!([{"name": "web"}, proxy]),
                    labels.clone(),
                    json!([{"name": "web", "ready": false}, {"name": "istio-proxy"}]),
                );
                pod["status"]["initContainerStatuses"] =
                    json!([{"name": "istio-init", "ready": false}]);
                pod
            },
            "Pod: web-1\n   Pod Revision: \n   Pod does not expose ports
WARNING: Pod web-1 Container web NOT READY
WARNING: Pod web-1 Container istio-proxy NOT READY
WARNING: Pod web-1 Init Container istio-init NOT READY
"
            .to_string(),
        ),
        (
            "no telemetry labels",
            web_pod(
                json!([{"name": "web"}, proxy]),
                json!({"tier": "front"}),
                ready.clone(),
            ),
            format!(
                "Pod: web-1\n   Pod Revision: \n   Pod does not expose ports
Suggestion: add required service name label for Istio telemetry. See {url}.
Suggestion: add required service revision label for Istio telemetry. See {url}.
"
            ),
        ),
        (
            "canonical labels count",
            web_pod(
                json!([{"name": "web"}, proxy]),
                json!({"service.istio.io/canonical-name": "web", "app.kubernetes.io/version": "1"}),
                ready.clone(),
            ),
            "Pod: web-1\n   Pod Revision: \n   Pod does not expose ports\n".to_string(),
        ),
        (
            "native sidecar",
            {
                let mut pod = web_pod(json!([{"name": "web"}]), labels.clone(), ready.clone());
                pod["spec"]["initContainers"] = json!([{"name": "istio-proxy", "restartPolicy": "Always", "ports": [{"containerPort": 15090}]}]);
                pod
            },
            "Pod: web-1\n   Pod Revision: \n   Pod does not expose ports\n".to_string(),
        ),
    ];
    for (name, pod, head) in cases {
        let s = Snapshot::default();
        let got = describe_pod(&pod, &s, None);
        let meshed = got.contains(PEER_AUTHN);
        let want = if meshed {
            format!("{head}{tail}--------------------\n{PEER_AUTHN}Skipping Gateway information (no ingress gateway pods)\n")
        } else {
            format!("{head}{tail}")
        };
        assert_eq!(got, want, "{name}\n--- got ---\n{got}");
        assert!(meshed, "{name}: described as meshed");
    }
}

#[test]
fn multi_port_service_and_port_level_settings() {
    let docs = [r#"
kind: Service
metadata: {name: api, namespace: default}
spec:
  selector: {app: api}
  ports:
  - {name: http, port: 9080}
  - {name: grpc-api, port: 9090, targetPort: grpc}
  - {name: metrics, port: 9091, targetPort: prom}
  - {name: dns, port: 53, protocol: UDP}
---
kind: Pod
metadata: {name: api-0, namespace: default, uid: uid-a0, labels: {app: api, version: v1}}
spec:
  containers:
  - name: api
    ports: [{containerPort: 9080}, {containerPort: 9443, name: grpc}]
  - {name: istio-proxy}
status: {phase: Running, containerStatuses: [{name: istio-proxy, ready: true}]}
---
kind: DestinationRule
metadata: {name: api, namespace: default}
spec:
  host: api.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 250ms}
      http: {http1MaxPendingRequests: 5, maxRetries: 2}
    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 1m}
    portLevelSettings:
    - port: {number: 9090}
      tls: {mode: DISABLE}
      loadBalancer: {consistentHash: {httpHeaderName: x-user}}
"#];
    let pool = "      Effective Traffic Policy:
         connectionPool: tcp.maxConnections=100, tcp.connectTimeout=250ms, http.http1MaxPendingRequests=5, http.maxRetries=2
         outlierDetection: consecutive5xxErrors=3, interval=5s, baseEjectionTime=1m, maxEjectionPercent=10, minHealthPercent=0
";
    let rule = "   DestinationRule: api for \"api.default.svc.cluster.local\"
      Policies: connection pool/outlier detection
      Port Level Settings:
    9090:
         TLS Mode: DISABLE
         Policies: load balancer
";
    let want = format!(
        "Service: api
   Port: http 9080/HTTP targets pod port 9080
   Port: grpc-api 9090/GRPC targets pod port 9443
   no suitable port for manifest: uid-a0
9080:
{rule}{pool}9090:
{rule}      Effective Traffic Policy:
         loadBalancer: consistentHash httpHeaderName=x-user
9091:
{rule}{pool}53:
Skipping Gateway information (no ingress gateway pods)
"
    );
    let got = describe(&docs, Subject::Service("api"), None);
    assert_eq!(got, want, "--- got ---\n{got}");
}

#[test]
fn services_rules_and_routes_across_namespaces() {
    let docs = [
        REVIEWS,
        r#"
kind: Service
metadata: {name: reviews-canary, namespace: default}
spec:
  selector: {version: v1}
  ports: [{name: http-alt, port: 8080, targetPort: 9080}]
---
kind: DestinationRule
metadata: {name: reviews-mesh, namespace: istio-system}
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
---
kind: VirtualService
metadata: {name: reviews-split, namespace: routing}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - fault:
      delay: {fixedDelay: 7s, percentage: {value: 100}}
    match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews.default, subset: v1}
      weight: 50
    - destination: {host: ratings.default.svc.cluster.local}
      weight: 50
  - route:
    - destination: {host: reviews.default.svc.cluster.local, subset: v1}
    - destination: {host: details, subset: v1}
"#,
    ];
    let want = "Pod: reviews-v1
   Pod Revision: default
   Pod Ports: 9080 (reviews), 15090 (istio-proxy)
--------------------
Service: reviews
   Port: http 9080/HTTP targets pod port 9080
DestinationRule: reviews-mesh.istio-system for \"reviews.default.svc.cluster.local\"
   Matching subsets: v1
   No Traffic Policy
VirtualService: reviews-split.routing
   Route to host \"reviews.default\" subset \"v1\" with weight 50%
   Route to host \"ratings.default.svc.cluster.local\" with weight 50%
   Fault injection delay:{fixed_delay:{seconds:7} percentage:{value:100}}, Match:  when headers are end-user=jason
   Route to details with invalid config
--------------------
Service: reviews-canary
   Port: http-alt 8080/HTTP targets pod port 9080
--------------------
Effective PeerAuthentication:
   Workload mTLS mode: PERMISSIVE
Skipping Gateway information (no ingress gateway pods)
";
    let got = describe(&docs, Subject::Pod("reviews-v1"), None);
    assert_eq!(got, want, "--- got ---\n{got}");
}

#[test]
fn tcp_routes_of_a_mixed_virtual_service() {
    let docs = [
        REVIEWS,
        r#"
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
  tcp:
  - match:
    - {port: 9080, sourceLabels: {app: ratings}}
    route:
    - destination: {host: reviews}
  - route:
    - destination: {host: other}
"#,
    ];
    let got = describe(&docs, Subject::Service("reviews"), None);
    let want = "Service: reviews
   Port: http 9080/HTTP targets pod port 9080
VirtualService: reviews
   port:9080 source_labels:{key:\"app\" value:\"ratings\"}
   1 additional destination(s) that will not reach this pod
Skipping Gateway information (no ingress gateway pods)
";
    assert_eq!(got, want, "--- got ---\n{got}");
}

#[test]
fn gateway_edge_cases() {
    let gateway_vs = |gateways: &str| {
        format!(
            r#"
kind: VirtualService
metadata: {{name: httpbin, namespace: default}}
spec:
  hosts: [httpbin.example.com]
  gateways: {gateways}
  http:
  - route:
    - destination: {{host: httpbin}}
"#
        )
    };
    let base = &HTTPBIN[..HTTPBIN.find("kind: VirtualService").unwrap_or(0)];
    let head = "Service: httpbin\n   Port: http 8000/HTTP targets pod port 8080\n";
    let cases = [
        (
            "qualified gateway name and a missing one",
            gateway_vs("[default/httpbin-gateway, mesh, gone]"),
            format!(
                "{head}--------------------
Exposed on Ingress Gateway http://localhost:8080
VirtualService: httpbin
   1 HTTP route(s)
WARNING: Proxy is stale; it references to non-existent gateway default/gone
"
            ),
        ),
        (
            "a Gateway without selector",
            gateway_vs("[httpbin-gateway, all-gateway]")
                + r#"
---
kind: Gateway
metadata: {name: all-gateway, namespace: default}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
"#,
            format!(
                "{head}--------------------
Exposed on Ingress Gateway http://localhost:8080
VirtualService: httpbin
   1 HTTP route(s)
Ingress Gateway default/all-gateway be applyed all workloads
"
            ),
        ),
        (
            "a gateway route to a subset the pods are not in",
            r#"
kind: VirtualService
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.example.com]
  gateways: [httpbin-gateway]
  http:
  - route:
    - destination: {host: httpbin, subset: v2}
---
kind: DestinationRule
metadata: {name: httpbin, namespace: default}
spec:
  host: httpbin
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"#
            .to_string(),
            format!(
                "{head}DestinationRule: httpbin for \"httpbin\"
   Matching subsets: v1
      (Non-matching subsets v2)
   No Traffic Policy
--------------------
Exposed on Ingress Gateway http://localhost:8080
VirtualService: httpbin
   WARNING: No destinations match pod subsets (checked 1 HTTP routes)
      Route to non-matching subset v2 for (everything)
"
            ),
        ),
    ];
    for (name, vs, want) in cases {
        let got = describe(
            &[base, &vs, INGRESS_SERVICE],
            Subject::Service("httpbin"),
            Some(&ingress()),
        );
        assert_eq!(got, want, "{name}\n--- got ---\n{got}");
    }
}

#[test]
fn malformed_objects_do_not_panic() {
    let s = snapshot(&[REVIEWS, REVIEWS_DR, REVIEWS_80_20, INGRESS_SERVICE]);
    let junk = [
        json!(null),
        json!({}),
        json!({"metadata": {"name": 7, "labels": "x"}, "spec": {"containers": "y", "ports": [1]}}),
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"ports": [{"containerPort": "x"}]}]}, "status": {"phase": "Running"}}),
    ];
    for obj in &junk {
        let pod = describe_pod(obj, &s, Some(&ingress()));
        assert!(pod.starts_with("Pod: "), "{obj}: {pod}");
        let svc = describe_service(obj, &s, Some(&ingress()));
        assert!(svc.starts_with("Service \""), "{obj}: {svc}");
    }
}
