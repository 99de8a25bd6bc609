//! Table tests for the injection, Gateway selector and Service port-name analyzers.

use serde_json::{json, Value};

use super::super::workloads;
use super::{namespace, objects, pod, summarize, svc};

#[test]
fn injection_table() {
    let values = vec![
        namespace("plain", json!({})),
        namespace("on", json!({"istio-injection": "enabled"})),
        namespace("rev", json!({"istio.io/rev": "canary"})),
        namespace("off", json!({"istio-injection": "disabled"})),
        namespace(
            "both",
            json!({"istio-injection": "enabled", "istio.io/rev": "canary"}),
        ),
        namespace("kube-system", json!({})),
        namespace("istio-system", json!({})),
        pod("on", "with-proxy", json!({}), &["app", "istio-proxy"]),
        pod("on", "without", json!({}), &["app"]),
        pod(
            "on",
            "opted-out",
            json!({"sidecar.istio.io/inject": "False"}),
            &["app"],
        ),
        json!({"kind": "Pod", "metadata": {"name": "anno-out", "namespace": "on", "annotations": {"sidecar.istio.io/inject": "false"}}, "spec": {"containers": [{"name": "app"}]}}),
        json!({"kind": "Pod", "metadata": {"name": "label-wins", "namespace": "on", "labels": {"sidecar.istio.io/inject": "true"}, "annotations": {"sidecar.istio.io/inject": "false"}}, "spec": {"containers": [{"name": "app"}]}}),
        json!({"kind": "Pod", "metadata": {"name": "host-net", "namespace": "on"}, "spec": {"hostNetwork": true, "containers": [{"name": "app"}]}}),
        json!({"kind": "Pod", "metadata": {"name": "native", "namespace": "on"}, "spec": {"initContainers": [{"name": "istio-proxy"}], "containers": [{"name": "app"}]}}),
        pod("rev", "rev-missing", json!({}), &["app"]),
        pod("off", "ignored", json!({}), &["app"]),
        pod("both", "ignored2", json!({}), &["app"]),
        pod("plain", "ignored3", json!({}), &["app"]),
    ];
    let got = summarize(workloads::injection(&objects(&values)));
    let want = vec![
        (
            "IST0103",
            "Pod on/label-wins",
            "The pod on/label-wins is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.",
        ),
        (
            "IST0103",
            "Pod on/without",
            "The pod on/without is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.",
        ),
        (
            "IST0103",
            "Pod rev/rev-missing",
            "The pod rev/rev-missing is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.",
        ),
        (
            "IST0102",
            "Namespace plain",
            "The namespace is not enabled for Istio injection. Run 'kubectl label namespace plain istio-injection=enabled' to enable it, or 'kubectl label namespace plain istio-injection=disabled' to explicitly mark it as not needing injection.",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .into_iter()
        .map(|(a, b, c)| (a.into(), b.into(), c.into()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn gateway_selector_table() {
    let gw = |selector: Value| json!({"kind": "Gateway", "metadata": {"name": "g", "namespace": "default"}, "spec": {"selector": selector}});
    let ingress = pod(
        "istio-system",
        "ingress",
        json!({"istio": "ingressgateway", "app": "istio-ingressgateway"}),
        &["istio-proxy"],
    );
    let cases: Vec<(&str, Value, Vec<Value>, Option<&str>)> = vec![
        (
            "matches pod in another namespace",
            gw(json!({"istio": "ingressgateway"})),
            vec![ingress.clone()],
            None,
        ),
        (
            "multiple labels all match",
            gw(json!({"istio": "ingressgateway", "app": "istio-ingressgateway"})),
            vec![ingress.clone()],
            None,
        ),
        (
            "no pod",
            gw(json!({"istio": "ingress"})),
            vec![ingress.clone()],
            Some("Referenced selector not found: \"istio=ingress\""),
        ),
        (
            "sorted pairs",
            gw(json!({"z": "1", "a": "2"})),
            vec![ingress.clone()],
            Some("Referenced selector not found: \"a=2,z=1\""),
        ),
        (
            "empty selector matches any pod",
            gw(json!({})),
            vec![ingress],
            None,
        ),
        (
            "empty selector, no pods",
            gw(json!({})),
            vec![],
            Some("Referenced selector not found: \"\""),
        ),
    ];
    for (name, gateway, pods, want) in cases {
        let mut values = pods;
        values.push(gateway);
        let got: Vec<String> = workloads::gateway_selectors(&objects(&values))
            .into_iter()
            .map(|m| m.text)
            .collect();
        let want: Vec<String> = want.into_iter().map(str::to_string).collect();
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn port_protocol_table() {
    let cases = [
        (80, "http", "TCP", None, true),
        (80, "http-web", "TCP", None, true),
        (80, "HTTP2-x", "TCP", None, true),
        (80, "grpc-web-x", "TCP", None, true),
        (80, "https", "TCP", None, true),
        (80, "tls-x", "TCP", None, true),
        (80, "tcp", "TCP", None, true),
        (80, "mongo", "TCP", None, true),
        (80, "mysql-db", "TCP", None, true),
        (80, "redis", "TCP", None, true),
        (80, "web", "TCP", None, false),
        (80, "", "TCP", None, false),
        (80, "webhttp", "TCP", None, false),
        (3306, "", "TCP", None, true),
        (53, "dns", "UDP", None, true),
        (80, "web", "TCP", Some("http"), true),
        (80, "http", "TCP", Some("custom"), false),
        (80, "web", "TCP", Some("kubernetes.io/h2c"), true),
    ];
    for (port, name, proto, app, want) in cases {
        assert_eq!(
            workloads::port_protocol_known(port, name, proto, app),
            want,
            "{port} {name} {proto} {app:?}"
        );
    }
}

#[test]
fn port_name_messages() {
    let values = vec![
        svc(
            "default",
            "bad",
            json!([{"name": "web", "port": 8080, "targetPort": 9090}, {"port": 81}, {"name": "http", "port": 80}, {"name": "x", "port": 82, "targetPort": "named"}]),
        ),
        svc("kube-system", "sys", json!([{"name": "web", "port": 8080}])),
        json!({"kind": "Service", "metadata": {"name": "cp", "namespace": "istio-system", "labels": {"istio": "pilot"}}, "spec": {"ports": [{"name": "web", "port": 1}]}}),
        json!({"kind": "Service", "metadata": {"name": "ext", "namespace": "default"}, "spec": {"type": "ExternalName", "ports": [{"name": "tcp", "port": 1}, {"name": "http", "port": 2}]}}),
    ];
    let got = summarize(workloads::port_names(&objects(&values)));
    let want = vec![
        (
            "IST0150",
            "Service default/ext",
            "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly",
        ),
        (
            "IST0118",
            "Service default/bad",
            "Port name  (port: 81, targetPort: 0) doesn't follow the naming convention of Istio port.",
        ),
        (
            "IST0118",
            "Service default/bad",
            "Port name web (port: 8080, targetPort: 9090) doesn't follow the naming convention of Istio port.",
        ),
        (
            "IST0118",
            "Service default/bad",
            "Port name x (port: 82, targetPort: named) doesn't follow the naming convention of Istio port.",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .into_iter()
        .map(|(a, b, c)| (a.into(), b.into(), c.into()))
        .collect();
    assert_eq!(got, want);
}
