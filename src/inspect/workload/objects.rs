//! Reading raw Kubernetes Pods and Services the way istioctl's describe does: names, labels,
//! selectors, revisions, readiness, and Service ports resolved against a pod.

use std::collections::BTreeMap;

use serde_json::Value;

/// The string at `pointer`, or `""`.
pub(super) fn str_at<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The integer at `pointer`.
pub(super) fn int_at(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

/// The array at `pointer`, or an empty one.
pub(super) fn array_at<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The string map at `pointer` (labels, selectors); non-string values are skipped.
pub(super) fn labels_at(v: &Value, pointer: &str) -> BTreeMap<String, String> {
    crate::api::meta::string_map(v.pointer(pointer))
}

pub(super) fn name_of(v: &Value) -> String {
    str_at(v, "/metadata/name").to_string()
}

/// `metadata.namespace`, `default` when unset.
pub(super) fn namespace_of(v: &Value) -> String {
    match str_at(v, "/metadata/namespace") {
        "" => "default".to_string(),
        ns => ns.to_string(),
    }
}

/// istioctl's `name[.namespace]`: the namespace only when it is not the described one.
pub(super) fn kname(name: &str, namespace: &str, described: &str) -> String {
    if namespace == described {
        name.to_string()
    } else {
        format!("{name}.{namespace}")
    }
}

/// Whether `labels` carry every pair of `selector` (an empty selector selects everything).
pub(super) fn selects(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A port's `protocol`, with the API server's default of TCP.
pub(super) fn protocol_of(port: &Value) -> &str {
    match port.get("protocol").and_then(Value::as_str) {
        None | Some("") => "TCP",
        Some(p) => p,
    }
}

/// `securityContext.runAsUser` of a container.
pub(super) fn run_as_user(container: &Value) -> Option<i64> {
    int_at(container, "/securityContext/runAsUser")
}

/// The control-plane revision that injected the pod: the `istio.io/rev` annotation, else the
/// `revision` recorded in `sidecar.istio.io/status`, else empty.
pub(super) fn revision(pod: &Value) -> String {
    let annotations = labels_at(pod, "/metadata/annotations");
    if let Some(rev) = annotations.get("istio.io/rev") {
        return rev.clone();
    }
    annotations
        .get("sidecar.istio.io/status")
        .and_then(|status| serde_json::from_str::<Value>(status).ok())
        .and_then(|status| status.get("revision")?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Readiness of container `name` from the pod status (regular, then init containers); `None`
/// when the status does not list it.
pub(super) fn container_ready(pod: &Value, name: &str) -> Option<bool> {
    ["/status/containerStatuses", "/status/initContainerStatuses"]
        .iter()
        .flat_map(|list| array_at(pod, list))
        .find(|status| str_at(status, "/name") == name)
        .map(|status| status.get("ready").and_then(Value::as_bool) == Some(true))
}

/// istioctl's link to the application requirements, for the Istio release meshlite follows.
pub(super) fn deployment_requirements_url() -> String {
    let minor: Vec<&str> = crate::inject::ISTIO_VERSION.split('.').take(2).collect();
    format!(
        "https://istio.io/v{}/docs/ops/deployment/application-requirements/",
        minor.join(".")
    )
}

/// A Service's `targetPort`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Target {
    Number(i64),
    /// A container port name, looked up in the pod.
    Name(String),
}

/// One entry of a Service's `spec.ports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ServicePort {
    pub name: String,
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    pub app_protocol: Option<String>,
    pub target: Target,
}

// === impl ServicePort ===

impl ServicePort {
    /// The numeric `targetPort`, if it is a valid port number.
    pub fn target_number(&self) -> Option<u16> {
        match &self.target {
            Target::Number(n) => u16::try_from(*n).ok(),
            Target::Name(_) => None,
        }
    }
}

/// The Service's ports with valid numbers; an unset `targetPort` is the port itself, as the API
/// server defaults it.
pub(super) fn service_ports(svc: &Value) -> Vec<ServicePort> {
    array_at(svc, "/spec/ports")
        .iter()
        .filter_map(|p| {
            let port = u16::try_from(p.get("port")?.as_u64()?).ok()?;
            let target = match p.get("targetPort") {
                Some(Value::String(name)) => Target::Name(name.clone()),
                Some(Value::Number(n)) => Target::Number(n.as_i64().unwrap_or_default()),
                _ => Target::Number(i64::from(port)),
            };
            Some(ServicePort {
                name: str_at(p, "/name").to_string(),
                port,
                protocol: protocol_of(p).to_string(),
                app_protocol: p
                    .get("appProtocol")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                target,
            })
        })
        .collect()
}

/// The pod port a Service port sends to: a number as is, a name looked up among the pod's
/// container ports (and native sidecars') of the same protocol. The error is istioctl's text.
pub(super) fn find_port(pod: &Value, port: &ServicePort) -> Result<i64, String> {
    let name = match &port.target {
        Target::Number(n) => return Ok(*n),
        Target::Name(name) => name,
    };
    let regular = array_at(pod, "/spec/containers").iter();
    let native_sidecars = array_at(pod, "/spec/initContainers")
        .iter()
        .filter(|c| str_at(c, "/restartPolicy") == "Always");
    regular
        .chain(native_sidecars)
        .flat_map(|c| array_at(c, "/ports"))
        .find(|p| str_at(p, "/name") == name && protocol_of(p) == port.protocol)
        .and_then(|p| p.get("containerPort").and_then(Value::as_i64))
        .ok_or_else(|| {
            format!(
                "no suitable port for manifest: {}",
                str_at(pod, "/metadata/uid")
            )
        })
}

/// The protocol istioctl prints for a Service port: `auto-detect` for an unnamed port without
/// `appProtocol`, otherwise Istio's reading of `appProtocol` or the `<protocol>[-suffix]` name.
pub(super) fn port_protocol(port: &ServicePort) -> String {
    if port.name.is_empty() && port.app_protocol.is_none() && port.protocol != "UDP" {
        return "auto-detect".to_string();
    }
    convert_protocol(port).to_string()
}

/// Istio's protocol of a Kubernetes Service port.
fn convert_protocol(port: &ServicePort) -> &'static str {
    if port.protocol == "UDP" {
        return "UDP";
    }
    let declared = match port.app_protocol.as_deref() {
        // Kubernetes' own appProtocol names.
        Some("kubernetes.io/h2c") => return "HTTP2",
        Some("kubernetes.io/ws") => return "HTTP",
        Some("kubernetes.io/wss") => return "HTTPS",
        Some(app) => app,
        None => port.name.as_str(),
    };
    // `grpc-web` has a dash of its own, so it is checked before cutting at the first one.
    if declared
        .get(..8)
        .is_some_and(|head| head.eq_ignore_ascii_case("grpc-web"))
    {
        return "GRPC-Web";
    }
    let prefix = declared.split('-').next().unwrap_or_default();
    let parsed = match prefix.to_ascii_lowercase().as_str() {
        "tcp" => "TCP",
        "udp" => "UDP",
        "grpc" => "GRPC",
        "http" => "HTTP",
        "http_proxy" => "HTTP_PROXY",
        "http2" => "HTTP2",
        "https" => "HTTPS",
        "tls" => "TLS",
        "mongo" => "Mongo",
        "redis" => "Redis",
        "mysql" => "MySQL",
        _ => "UnsupportedProtocol",
    };
    // SMTP, DNS, MySQL and MongoDB ports are plain TCP unless declared otherwise.
    if parsed == "UnsupportedProtocol" && matches!(port.port, 25 | 53 | 3306 | 27017) {
        return "TCP";
    }
    parsed
}
