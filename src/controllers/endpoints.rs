//! The Endpoints controller's decision: which Pods back a Service, on which reachable ports.
//!
//! Mirrors Kubernetes' endpoints controller with one meshlite twist: every Pod runs as a local
//! process on 127.0.0.1, so a Pod's container ports are only reachable through the host ports the
//! kubelet mapped them to (annotation [`HOST_PORTS_ANNOTATION`]). The Endpoints object therefore
//! publishes host ports, not container ports.

#[cfg(test)]
mod tests;

use serde_json::{json, Map, Value};

pub use crate::api::node::{HOST_PORTS_ANNOTATION, NODE_NAME, POD_IP};

/// Label Kubernetes puts on the Endpoints of a headless Service.
pub const HEADLESS_LABEL: &str = "endpoints.kubernetes.io/headless-service";

/// The v1 Endpoints object for `service` given all pods of its namespace (None for services
/// without a selector: those are left to the user).
pub fn endpoints_for(service: &Value, pods: &[Value]) -> Option<Value> {
    let selector = service
        .pointer("/spec/selector")
        .and_then(Value::as_object)?;
    // An empty selector does not survive a round trip through the API (it is omitted), so
    // Kubernetes sees it as "no selector" too.
    if selector.is_empty() {
        return None;
    }
    let name = str_at(service, "/metadata/name");
    let namespace = str_at(service, "/metadata/namespace");
    let publish_not_ready = service
        .pointer("/spec/publishNotReadyAddresses")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let headless = str_at(service, "/spec/clusterIP") == "None";
    let service_ports: &[Value] = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);

    let mut subsets: Vec<Subset> = Vec::new();
    for pod in pods {
        if str_at(pod, "/metadata/namespace") != namespace || !selected(selector, pod) {
            continue;
        }
        if !should_be_in_endpoints(pod, publish_not_ready) {
            continue;
        }
        let Some(host_ports) = host_ports(pod) else {
            // Not started yet: no address to publish.
            continue;
        };
        let ports: Vec<Value> = service_ports
            .iter()
            .filter_map(|sp| endpoint_port(sp, pod, &host_ports))
            .collect();
        // Kubernetes publishes port-less addresses only for headless Services without ports; a
        // Pod that serves none of the Service's ports is otherwise left out.
        if ports.is_empty() && !(service_ports.is_empty() && headless) {
            continue;
        }
        let ready = publish_not_ready || is_ready(pod);
        let address = address(pod, name, namespace);
        let index = match subsets.iter().position(|s| s.ports == ports) {
            Some(i) => i,
            None => {
                subsets.push(Subset {
                    ports,
                    ready: Vec::new(),
                    not_ready: Vec::new(),
                });
                subsets.len() - 1
            }
        };
        let Some(subset) = subsets.get_mut(index) else {
            continue;
        };
        if ready {
            subset.ready.push(address);
        } else {
            subset.not_ready.push(address);
        }
    }
    for s in &mut subsets {
        s.ready.sort_by(|a, b| address_key(a).cmp(address_key(b)));
        s.not_ready
            .sort_by(|a, b| address_key(a).cmp(address_key(b)));
    }
    subsets.sort_by(|a, b| a.first_name().cmp(b.first_name()));

    let mut labels = service
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if headless {
        labels.insert(HEADLESS_LABEL.to_string(), json!(""));
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    metadata.insert("namespace".into(), json!(namespace));
    if !labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(labels));
    }
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("v1"));
    out.insert("kind".into(), json!("Endpoints"));
    out.insert("metadata".into(), Value::Object(metadata));
    if !subsets.is_empty() {
        let list: Vec<Value> = subsets.into_iter().map(Subset::into_value).collect();
        out.insert("subsets".into(), Value::Array(list));
    }
    Some(Value::Object(out))
}

/// The host-port map of a started pod, or None when the kubelet has not published it yet.
pub fn host_ports(pod: &Value) -> Option<Map<String, Value>> {
    let raw = pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(HOST_PORTS_ANNOTATION))
        .and_then(Value::as_str)?;
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// One subset under construction: the pods sharing one exact port list.
struct Subset {
    ports: Vec<Value>,
    ready: Vec<Value>,
    not_ready: Vec<Value>,
}

// === impl Subset ===

impl Subset {
    fn first_name(&self) -> &str {
        self.ready
            .first()
            .or(self.not_ready.first())
            .map(address_key)
            .unwrap_or("")
    }

    fn into_value(self) -> Value {
        let mut m = Map::new();
        if !self.ready.is_empty() {
            m.insert("addresses".into(), Value::Array(self.ready));
        }
        if !self.not_ready.is_empty() {
            m.insert("notReadyAddresses".into(), Value::Array(self.not_ready));
        }
        if !self.ports.is_empty() {
            m.insert("ports".into(), Value::Array(self.ports));
        }
        Value::Object(m)
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn address_key(a: &Value) -> &str {
    str_at(a, "/targetRef/name")
}

/// Equality-based selection: every selector label must be present with the same value.
fn selected(selector: &Map<String, Value>, pod: &Value) -> bool {
    let labels = pod.pointer("/metadata/labels").and_then(Value::as_object);
    selector.iter().all(|(k, want)| {
        labels
            .and_then(|l| l.get(k))
            .is_some_and(|have| have.as_str() == want.as_str())
    })
}

/// Kubernetes' `ShouldPodBeInEndpoints`: finished pods never serve; terminating pods serve only
/// when the Service publishes not-ready addresses (they may still be draining).
fn should_be_in_endpoints(pod: &Value, include_terminating: bool) -> bool {
    if !include_terminating
        && pod
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|v| !v.is_null())
    {
        return false;
    }
    !matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed")
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| str_at(c, "/type") == "Ready" && str_at(c, "/status") == "True")
        })
}

fn address(pod: &Value, service: &str, namespace: &str) -> Value {
    let mut m = Map::new();
    m.insert("ip".into(), json!(POD_IP));
    // As in Kubernetes: a pod's hostname is published when its subdomain names this Service.
    let hostname = str_at(pod, "/spec/hostname");
    if !hostname.is_empty() && str_at(pod, "/spec/subdomain") == service {
        m.insert("hostname".into(), json!(hostname));
    }
    m.insert("nodeName".into(), json!(NODE_NAME));
    m.insert(
        "targetRef".into(),
        json!({
            "kind": "Pod",
            "namespace": namespace,
            "name": str_at(pod, "/metadata/name"),
            "uid": str_at(pod, "/metadata/uid"),
        }),
    );
    Value::Object(m)
}

/// The Endpoints port for one Service port on one pod, or None when the pod does not serve it.
///
/// The published port is the pod's HOST port: all pods share 127.0.0.1, so the container port
/// alone would be ambiguous and is not what a client can connect to.
fn endpoint_port(
    service_port: &Value,
    pod: &Value,
    host_ports: &Map<String, Value>,
) -> Option<Value> {
    let protocol = match str_at(service_port, "/protocol") {
        "" => "TCP",
        p => p,
    };
    let container_port = container_port(service_port, pod, protocol)?;
    let host_port = host_ports
        .get(&container_port.to_string())
        .and_then(Value::as_u64)?;
    let mut m = Map::new();
    let name = str_at(service_port, "/name");
    if !name.is_empty() {
        m.insert("name".into(), json!(name));
    }
    m.insert("port".into(), json!(host_port));
    m.insert("protocol".into(), json!(protocol));
    if let Some(app) = service_port.get("appProtocol").filter(|v| v.is_string()) {
        m.insert("appProtocol".into(), app.clone());
    }
    Some(Value::Object(m))
}

/// Kubernetes' `FindPort`: a numeric targetPort is taken as is; a named one is looked up among
/// the pod's container ports of the same protocol; absent means the Service port itself.
fn container_port(service_port: &Value, pod: &Value, protocol: &str) -> Option<u64> {
    match service_port.get("targetPort") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() => {
            if let Ok(n) = s.parse::<u64>() {
                return Some(n);
            }
            let containers = pod.pointer("/spec/containers").and_then(Value::as_array)?;
            containers
                .iter()
                .filter_map(|c| c.get("ports").and_then(Value::as_array))
                .flatten()
                .find(|p| {
                    str_at(p, "/name") == s
                        && match str_at(p, "/protocol") {
                            "" => "TCP",
                            other => other,
                        } == protocol
                })
                .and_then(|p| p.get("containerPort"))
                .and_then(Value::as_u64)
        }
        _ => service_port.get("port").and_then(Value::as_u64),
    }
}
