//! The control plane's own objects in `istio-system`: the `istio-ingressgateway` Deployment and
//! LoadBalancer Service as Istio's chart installs them, and an `istiod` Service.
//!
//! The gateway pod runs `meshlite pilot-agent proxy router`; its HTTP (8080) and HTTPS (8443)
//! container ports carry `hostPort`s so the browser reaches them on `localhost:--http-port`.

use serde_json::{json, Value};

/// The namespace of the control plane.
pub const NAMESPACE: &str = "istio-system";

/// The gateway's name (Deployment, Service and `app` label).
pub const NAME: &str = "istio-ingressgateway";

/// Container port behind Service port 80.
pub const HTTP_TARGET: u16 = 8080;

/// Container port behind Service port 443.
pub const HTTPS_TARGET: u16 = 8443;

/// The gateway Deployment, with `http_port`/`https_port` as host ports.
pub fn deployment(http_port: u16, https_port: u16) -> Value {
    let labels = json!({"app": NAME, "istio": "ingressgateway"});
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "replicas": 1,
            // Host ports cannot be held by two pods: replace the pod instead of surging.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {
                    "labels": {"app": NAME, "istio": "ingressgateway", "sidecar.istio.io/inject": "false"},
                    "annotations": {"prometheus.io/port": "15020", "prometheus.io/scrape": "true", "prometheus.io/path": "/stats/prometheus"}
                },
                "spec": {
                    "containers": [{
                        "name": "istio-proxy",
                        "image": format!("docker.io/istio/proxyv2:{}", crate::inject::ISTIO_VERSION),
                        "args": ["proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--log_output_level=default:info"],
                        "env": [
                            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                            {"name": "ISTIO_META_WORKLOAD_NAME", "value": NAME},
                            {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"}
                        ],
                        "ports": [
                            {"containerPort": 15021, "name": "status-port", "protocol": "TCP"},
                            {"containerPort": HTTP_TARGET, "hostPort": http_port, "name": "http2", "protocol": "TCP"},
                            {"containerPort": HTTPS_TARGET, "hostPort": https_port, "name": "https", "protocol": "TCP"},
                            {"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}
                        ],
                        "readinessProbe": {
                            "httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"},
                            "periodSeconds": 2, "failureThreshold": 30, "successThreshold": 1, "timeoutSeconds": 1
                        }
                    }]
                }
            }
        }
    })
}

/// The gateway's Service, as Istio's chart defines it.
pub fn service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {"app": NAME, "istio": "ingressgateway"}},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": NAME, "istio": "ingressgateway"},
            "ports": [
                {"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021},
                {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": HTTP_TARGET},
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": HTTPS_TARGET}
            ]
        }
    })
}

/// istiod's Service: the control plane's ports (served by `up` itself, so it has no pods).
pub fn istiod_service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istiod", "namespace": NAMESPACE, "labels": {"app": "istiod", "istio": "pilot"}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": "istiod", "istio": "pilot"},
            "ports": [
                {"name": "grpc-xds", "port": 15010, "protocol": "TCP", "targetPort": 15010},
                {"name": "https-dns", "port": 15012, "protocol": "TCP", "targetPort": 15012},
                {"name": "https-webhook", "port": 443, "protocol": "TCP", "targetPort": 15017},
                {"name": "http-monitoring", "port": 15014, "protocol": "TCP", "targetPort": 15014}
            ]
        }
    })
}

/// The host ports a stored gateway Deployment asks for: (http, https).
pub fn host_ports(deployment: &Value) -> (Option<u64>, Option<u64>) {
    let ports = deployment
        .pointer("/spec/template/spec/containers/0/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let host = |target: u16| {
        ports
            .iter()
            .find(|p| p.get("containerPort").and_then(Value::as_u64) == Some(u64::from(target)))
            .and_then(|p| p.get("hostPort").and_then(Value::as_u64))
    };
    (host(HTTP_TARGET), host(HTTPS_TARGET))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_objects_match_the_chart() {
        let d = deployment(8080, 8443);
        assert_eq!(host_ports(&d), (Some(8080), Some(8443)));
        assert_eq!(
            d.pointer("/spec/template/spec/containers/0/args/1"),
            Some(&json!("router"))
        );
        let s = service();
        let ports: Vec<_> = s["spec"]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_string(),
                    p["port"].as_u64(),
                    p["targetPort"].as_u64(),
                )
            })
            .collect();
        assert_eq!(
            ports,
            [
                ("status-port".to_string(), Some(15021), Some(15021)),
                ("http2".to_string(), Some(80), Some(8080)),
                ("https".to_string(), Some(443), Some(8443)),
            ]
        );
        assert_eq!(host_ports(&deployment(1, 2)), (Some(1), Some(2)));
    }
}
