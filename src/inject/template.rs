//! Rendering of Istio's injection template: pod labels/annotations, `istio-init`, `istio-proxy`, volumes.

use serde_json::{json, Map, Value};

use super::{lookup, proxy_image, InjectError, Workload, STATUS_ANNOTATION};

/// Name of the traffic-capture init container.
pub const INIT_CONTAINER: &str = "istio-init";
/// Name of the proxy container.
pub const PROXY_CONTAINER: &str = "istio-proxy";
/// pilot-agent status port: health, merged Prometheus metrics, drain.
pub const STATUS_PORT: u16 = 15020;
/// Envoy readiness port.
pub const HEALTH_PORT: u16 = 15021;
/// Envoy's own Prometheus port.
pub const ENVOY_PROM_PORT: u16 = 15090;
/// UID/GID the proxy runs as; iptables exempts its traffic from capture.
pub const PROXY_UID: u16 = 1337;

/// Volumes the sidecar adds, in the order Istio lists them in `sidecar.istio.io/status`.
pub const VOLUMES: [&str; 9] = [
    "workload-socket",
    "credential-socket",
    "workload-certs",
    "istio-envoy",
    "istio-data",
    "istio-podinfo",
    "istio-token",
    "istiod-ca-cert",
    "istio-ca-crl",
];

/// What injection needs to know about a pod spec, read and checked before anything is changed.
#[derive(Debug)]
pub(super) struct PodView {
    /// Names of the app containers (every container but a user-declared `istio-proxy`).
    app_containers: Vec<String>,
    /// `ISTIO_META_POD_PORTS`, formatted as Istio's template prints it.
    pod_ports: String,
}

// === impl PodView ===

impl PodView {
    /// Checks the shape of the PodSpec fields injection touches, reporting the first bad field path.
    pub(super) fn read(spec: &Map<String, Value>, spec_path: &str) -> Result<Self, InjectError> {
        let containers_path = format!("{spec_path}.containers");
        let containers = match spec.get("containers") {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => return Err(InjectError::Required(containers_path)),
            Some(_) => return Err(InjectError::NotAList(containers_path)),
        };
        for field in ["initContainers", "volumes"] {
            match spec.get(field) {
                None | Some(Value::Null) | Some(Value::Array(_)) => {}
                Some(_) => return Err(InjectError::NotAList(format!("{spec_path}.{field}"))),
            }
        }
        let mut app_containers = Vec::new();
        let mut ports = Vec::new();
        for (i, c) in containers.iter().enumerate() {
            let path = format!("{containers_path}[{i}]");
            let c = c
                .as_object()
                .ok_or_else(|| InjectError::NotAnObject(path.clone()))?;
            let name = match c.get("name") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => {
                    return Err(InjectError::Required(format!("{path}.name")));
                }
                Some(_) => return Err(InjectError::NotAString(format!("{path}.name"))),
            };
            match c.get("ports") {
                None | Some(Value::Null) => {}
                Some(Value::Array(list)) => {
                    for (j, p) in list.iter().enumerate() {
                        ports.push(port_json(p, &format!("{path}.ports[{j}]"))?);
                    }
                }
                Some(_) => return Err(InjectError::NotAList(format!("{path}.ports"))),
            }
            if name != PROXY_CONTAINER {
                app_containers.push(name);
            }
        }
        Ok(PodView {
            app_containers,
            pod_ports: format_pod_ports(&ports),
        })
    }
}

/// One ContainerPort as Go's encoding/json prints `corev1.ContainerPort`: fields in struct order,
/// empty optional fields omitted, `containerPort` always present.
fn port_json(p: &Value, path: &str) -> Result<String, InjectError> {
    let p = p
        .as_object()
        .ok_or_else(|| InjectError::NotAnObject(path.to_string()))?;
    let mut out = Map::new();
    let text = |key: &str| -> Result<Option<Value>, InjectError> {
        match p.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(v @ Value::String(_)) => Ok(Some(v.clone())),
            Some(_) => Err(InjectError::NotAString(format!("{path}.{key}"))),
        }
    };
    let number = |key: &str| -> Result<i64, InjectError> {
        match p.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| InjectError::NotAnInteger(format!("{path}.{key}"))),
        }
    };
    if let Some(v) = text("name")? {
        out.insert("name".into(), v);
    }
    let host_port = number("hostPort")?;
    if host_port != 0 {
        out.insert("hostPort".into(), host_port.into());
    }
    out.insert("containerPort".into(), number("containerPort")?.into());
    for key in ["protocol", "hostIP"] {
        if let Some(v) = text(key)? {
            out.insert(key.into(), v);
        }
    }
    Ok(Value::Object(out).to_string())
}

/// The template's layout: `[`, one port per line indented by four spaces, later ones prefixed by a
/// comma, then `]`.
fn format_pod_ports(ports: &[String]) -> String {
    let mut s = String::from("[");
    for (i, p) in ports.iter().enumerate() {
        s.push_str("\n    ");
        if i > 0 {
            s.push(',');
        }
        s.push_str(p);
    }
    s.push_str("\n]");
    s
}

/// Everything the template reads about the pod being injected.
pub(super) struct Context<'a> {
    pub pod: &'a PodView,
    pub labels: &'a [(String, String)],
    pub annotations: &'a [(String, String)],
    pub workload: &'a Workload,
}

/// Sprig's `default`: the first non-empty value.
fn first_set<'a>(candidates: &[Option<&'a str>], fallback: &'a str) -> &'a str {
    candidates
        .iter()
        .flatten()
        .find(|s| !s.is_empty())
        .copied()
        .unwrap_or(fallback)
}

/// `service.istio.io/canonical-name`, truncated to 63 characters and trimmed of `-_.` like the template.
fn canonical_name(ctx: &Context) -> String {
    let l = |k| lookup(ctx.labels, k);
    let name = first_set(
        &[
            l("service.istio.io/canonical-name"),
            l("app.kubernetes.io/name"),
            l("app"),
        ],
        &ctx.workload.name,
    );
    let truncated: String = name.chars().take(63).collect();
    truncated.trim_matches(['-', '_', '.']).to_string()
}

/// `service.istio.io/canonical-revision`.
fn canonical_revision(ctx: &Context) -> String {
    let l = |k| lookup(ctx.labels, k);
    first_set(
        &[
            l("service.istio.io/canonical-revision"),
            l("app.kubernetes.io/version"),
            l("version"),
        ],
        "latest",
    )
    .to_string()
}

/// Gets `map[key]` as an object, replacing anything else (null; other shapes were refused earlier)
/// with `{}`. Always `Some`; the option only spares a panic path.
fn object_entry<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

/// Gets `map[key]` as a list, replacing anything else (null; other shapes were refused earlier)
/// with `[]`. Always `Some`; the option only spares a panic path.
fn list_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Vec<Value>> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut()
}

/// Applies the template to a validated pod: metadata, containers, volumes and Prometheus merge.
pub(super) fn apply(meta: &mut Map<String, Value>, spec: &mut Map<String, Value>, ctx: &Context) {
    let Some(labels) = object_entry(meta, "labels") else {
        return;
    };
    let tls_mode = first_set(&[lookup(ctx.labels, "security.istio.io/tlsMode")], "istio");
    labels.insert("security.istio.io/tlsMode".into(), tls_mode.into());
    labels.insert(
        "service.istio.io/canonical-name".into(),
        canonical_name(ctx).into(),
    );
    labels.insert(
        "service.istio.io/canonical-revision".into(),
        canonical_revision(ctx).into(),
    );

    let Some(annotations) = object_entry(meta, "annotations") else {
        return;
    };
    annotations.insert("istio.io/rev".into(), "default".into());
    if let Some(first) = ctx.pod.app_containers.first() {
        for key in [
            "kubectl.kubernetes.io/default-logs-container",
            "kubectl.kubernetes.io/default-container",
        ] {
            if lookup(ctx.annotations, key).is_none() {
                annotations.insert(key.into(), first.clone().into());
            }
        }
    }
    annotations.insert(STATUS_ANNOTATION.into(), status_annotation().into());
    let prometheus_env = super::prometheus::merge(annotations, ctx.annotations);

    let mut proxy = proxy_container(ctx);
    if let (Some(env), Some(Value::Array(list))) = (prometheus_env, proxy.get_mut("env")) {
        list.push(json!({"name": "ISTIO_PROMETHEUS_ANNOTATIONS", "value": env}));
    }

    if let Some(inits) = list_entry(spec, "initContainers") {
        inits.insert(0, init_container(resources(ctx.annotations)));
    }

    let Some(containers) = list_entry(spec, "containers") else {
        return;
    };
    // A user-declared istio-proxy overrides the generated one field by field.
    let user_proxy = containers
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some(PROXY_CONTAINER))
        .map(|pos| containers.remove(pos));
    if let Some(Value::Object(user)) = user_proxy {
        for (k, v) in user {
            proxy.insert(k, v);
        }
    }
    containers.push(Value::Object(proxy));

    if let Some(list) = list_entry(spec, "volumes") {
        list.extend(volumes());
    }
}

/// `sidecar.istio.io/status` for the classic layout, as compact JSON with Istio's key order.
pub fn status_annotation() -> String {
    json!({
        "initContainers": [INIT_CONTAINER],
        "containers": [PROXY_CONTAINER],
        "volumes": VOLUMES,
        "imagePullSecrets": null,
        "revision": "default",
    })
    .to_string()
}

/// The resources of both injected containers: Istio's defaults, or the pod's
/// `sidecar.istio.io/proxy{CPU,Memory}{,Limit}` annotations when any of them is set.
fn resources(annotations: &[(String, String)]) -> Value {
    let a = |k| lookup(annotations, k);
    let (cpu, mem) = (
        a("sidecar.istio.io/proxyCPU"),
        a("sidecar.istio.io/proxyMemory"),
    );
    let (cpu_l, mem_l) = (
        a("sidecar.istio.io/proxyCPULimit"),
        a("sidecar.istio.io/proxyMemoryLimit"),
    );
    if [cpu, mem, cpu_l, mem_l].iter().all(Option::is_none) {
        return json!({
            "limits": {"cpu": "2", "memory": "1Gi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        });
    }
    let pair = |c: Option<&str>, m: Option<&str>| {
        let mut out = Map::new();
        if let Some(c) = c {
            out.insert("cpu".into(), c.into());
        }
        if let Some(m) = m {
            out.insert("memory".into(), m.into());
        }
        out
    };
    let mut out = Map::new();
    if cpu_l.is_some() || mem_l.is_some() {
        out.insert("limits".into(), Value::Object(pair(cpu_l, mem_l)));
    }
    if cpu.is_some() || mem.is_some() {
        out.insert("requests".into(), Value::Object(pair(cpu, mem)));
    }
    Value::Object(out)
}

/// `istio-init`: installs the iptables redirection (no CNI).
fn init_container(resources: Value) -> Value {
    json!({
        "name": INIT_CONTAINER,
        "image": proxy_image(),
        "args": [
            "istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
            "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020",
            "--log_output_level=default:info",
        ],
        "resources": resources,
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
            "privileged": false,
            "readOnlyRootFilesystem": false,
            "runAsGroup": 0,
            "runAsNonRoot": false,
            "runAsUser": 0,
        },
    })
}

/// An env var read from the pod's own fields.
fn field_env(name: &str, field: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": field}}})
}

/// An env var read from the container's resources.
fn resource_env(name: &str, resource: &str) -> Value {
    json!({"name": name, "valueFrom": {"resourceFieldRef": {"resource": resource, "divisor": "1"}}})
}

/// A literal env var.
fn value_env(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// `istio-proxy`: pilot-agent and Envoy.
fn proxy_container(ctx: &Context) -> Map<String, Value> {
    let w = ctx.workload;
    let env = vec![
        value_env("PILOT_CERT_PROVIDER", "istiod"),
        value_env("CA_ADDR", "istiod.istio-system.svc:15012"),
        field_env("POD_NAME", "metadata.name"),
        field_env("POD_NAMESPACE", "metadata.namespace"),
        field_env("INSTANCE_IP", "status.podIP"),
        field_env("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        field_env("HOST_IP", "status.hostIP"),
        resource_env("ISTIO_CPU_LIMIT", "limits.cpu"),
        value_env("PROXY_CONFIG", "{}\n"),
        value_env("ISTIO_META_POD_PORTS", &ctx.pod.pod_ports),
        value_env(
            "ISTIO_META_APP_CONTAINERS",
            &ctx.pod.app_containers.join(","),
        ),
        resource_env("GOMEMLIMIT", "limits.memory"),
        resource_env("GOMAXPROCS", "limits.cpu"),
        value_env("ISTIO_META_CLUSTER_ID", "Kubernetes"),
        field_env("ISTIO_META_NODE_NAME", "spec.nodeName"),
        value_env("ISTIO_META_INTERCEPTION_MODE", "REDIRECT"),
        value_env("ISTIO_META_WORKLOAD_NAME", &w.name),
        value_env("ISTIO_META_OWNER", &w.owner),
        value_env("ISTIO_META_MESH_ID", "cluster.local"),
        value_env("TRUST_DOMAIN", "cluster.local"),
    ];
    let ready = |period: u32, failures: u32| {
        json!({
            "httpGet": {"path": "/healthz/ready", "port": HEALTH_PORT},
            "periodSeconds": period,
            "timeoutSeconds": 3,
            "failureThreshold": failures,
        })
    };
    let mounts: Vec<Value> = [
        ("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
        ("credential-socket", "/var/run/secrets/credential-uds"),
        (
            "workload-certs",
            "/var/run/secrets/workload-spiffe-credentials",
        ),
        ("istiod-ca-cert", "/var/run/secrets/istio"),
        ("istio-ca-crl", "/var/run/secrets/istio/crl"),
        ("istio-data", "/var/lib/istio/data"),
        ("istio-envoy", "/etc/istio/proxy"),
        ("istio-token", "/var/run/secrets/tokens"),
        ("istio-podinfo", "/etc/istio/pod"),
    ]
    .iter()
    .map(|(name, path)| json!({"name": name, "mountPath": path}))
    .collect();
    let container = json!({
        "name": PROXY_CONTAINER,
        "image": proxy_image(),
        "args": [
            "proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
            "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error",
            "--log_output_level=default:info",
        ],
        "ports": [{"name": "http-envoy-prom", "containerPort": ENVOY_PROM_PORT, "protocol": "TCP"}],
        "env": env,
        "resources": resources(ctx.annotations),
        "volumeMounts": mounts,
        "readinessProbe": ready(15, 4),
        "startupProbe": ready(1, 600),
        "lifecycle": {
            "preStop": {"exec": {"command": [
                "pilot-agent", "request", format!("--debug-port={STATUS_PORT}"), "POST", "drain",
            ]}},
        },
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
            "privileged": false,
            "readOnlyRootFilesystem": true,
            "runAsGroup": PROXY_UID,
            "runAsNonRoot": true,
            "runAsUser": PROXY_UID,
        },
    });
    match container {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The volumes the sidecar mounts, in [`VOLUMES`] order.
fn volumes() -> Vec<Value> {
    vec![
        json!({"name": "workload-socket"}),
        json!({"name": "credential-socket"}),
        json!({"name": "workload-certs"}),
        json!({"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}),
        json!({"name": "istio-data", "emptyDir": {}}),
        json!({"name": "istio-podinfo", "downwardAPI": {"items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
        ]}}),
        json!({"name": "istio-token", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}},
        ]}}),
        json!({"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}}),
        json!({"name": "istio-ca-crl", "configMap": {"name": "istio-ca-crl", "optional": true}}),
    ]
}
