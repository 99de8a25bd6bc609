//! A container's environment, as the kubelet builds it — Service variables, then the
//! container's `env` (with `$(VAR)` references and `fieldRef`s) — plus what meshlite adds
//! because every pod shares the machine: its ports (`PORT`, `PORT_<containerPort>`) and the
//! proxy that resolves Service names (`HTTP_PROXY`).

use serde_json::Value;
use std::collections::BTreeMap;

/// What the environment is built from, besides the pod and container.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// containerPort → host port, for the whole pod.
    pub host_ports: BTreeMap<u16, u16>,
    /// The port the container's program should listen on (`PORT`), if any.
    pub listen_port: Option<u16>,
    /// Services of the pod's namespace that exist when the container starts.
    pub services: Vec<Value>,
    /// The resolver proxy's port (`HTTP_PROXY`), or the sidecar's when injected.
    pub proxy_port: Option<u16>,
    /// `PATH` (meshlite's helper folder first, then the machine's).
    pub path: String,
    /// Passed through from `up`'s environment so local programs behave: HOME, LANG, USER, TMPDIR.
    pub passthrough: Vec<(String, String)>,
    /// Set by meshlite for this container (e.g. the sidecar's `MESHLITE_XDS`).
    pub extra: Vec<(String, String)>,
}

/// The environment of `container` in `pod`, in order (later entries win for duplicate names,
/// as the container's own `env` overrides Service variables in Kubernetes).
pub fn build(pod: &Value, container: &Value, ctx: &Context) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String| {
        env.retain(|(name, _)| *name != k);
        env.push((k, v));
    };
    set(&mut env, "PATH".into(), ctx.path.clone());
    for (k, v) in &ctx.passthrough {
        set(&mut env, k.clone(), v.clone());
    }
    set(&mut env, "HOSTNAME".into(), str_at(pod, "/metadata/name"));
    if pod.pointer("/spec/enableServiceLinks") != Some(&Value::Bool(false)) {
        // `kubernetes` (the API server) is left out: in-cluster clients would find no service
        // account token; programs that need the API read the kubeconfig instead.
        for svc in ctx.services.iter().filter(|s| {
            !(str_at(s, "/metadata/name") == "kubernetes"
                && str_at(s, "/metadata/namespace") == "default")
        }) {
            for (k, v) in service_vars(svc) {
                set(&mut env, k, v);
            }
        }
    }
    if let Some(port) = ctx.proxy_port {
        let ns = str_at(pod, "/metadata/namespace");
        // The namespace rides along as the proxy user name, so `http://reviews:9080/` resolves
        // in the pod's own namespace.
        let url = format!("http://{ns}:pod@127.0.0.1:{port}");
        set(&mut env, "HTTP_PROXY".into(), url.clone());
        set(&mut env, "http_proxy".into(), url);
        let no_proxy = "localhost,127.0.0.1,::1".to_string();
        set(&mut env, "NO_PROXY".into(), no_proxy.clone());
        set(&mut env, "no_proxy".into(), no_proxy);
    }
    if let Some(port) = ctx.listen_port {
        set(&mut env, "PORT".into(), port.to_string());
    }
    for (container_port, host) in &ctx.host_ports {
        set(&mut env, format!("PORT_{container_port}"), host.to_string());
    }
    for (k, v) in &ctx.extra {
        set(&mut env, k.clone(), v.clone());
    }
    for var in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = var.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = match var.get("value").and_then(Value::as_str) {
            Some(v) => expand(v, &env),
            None => match var
                .pointer("/valueFrom/fieldRef/fieldPath")
                .and_then(Value::as_str)
            {
                Some(path) => field_ref(pod, path),
                // secretKeyRef/configMapKeyRef/resourceFieldRef: not served; empty, as an
                // optional reference that is missing.
                None => String::new(),
            },
        };
        set(&mut env, name.to_string(), value);
    }
    env
}

/// Expand `$(VAR)` references against `env` as the kubelet does: `$$` escapes, unknown
/// references stay as written.
pub fn expand(s: &str, env: &[(String, String)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match env.iter().rev().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The value of a `fieldRef` (the fields the downward API offers that mean something here).
fn field_ref(pod: &Value, path: &str) -> String {
    match path {
        "metadata.name" => str_at(pod, "/metadata/name"),
        "metadata.namespace" => str_at(pod, "/metadata/namespace"),
        "metadata.uid" => str_at(pod, "/metadata/uid"),
        "spec.serviceAccountName" => {
            let sa = str_at(pod, "/spec/serviceAccountName");
            if sa.is_empty() {
                "default".into()
            } else {
                sa
            }
        }
        "spec.nodeName" => crate::api::node::NODE_NAME.into(),
        "status.podIP" | "status.hostIP" => "127.0.0.1".into(),
        "status.podIPs" | "status.hostIPs" => "127.0.0.1".into(),
        _ => {
            // metadata.labels['k'] / metadata.annotations['k']
            for (prefix, field) in [
                ("metadata.labels['", "labels"),
                ("metadata.annotations['", "annotations"),
            ] {
                if let Some(key) = path.strip_prefix(prefix).and_then(|r| r.strip_suffix("']")) {
                    return pod
                        .pointer(&format!("/metadata/{field}"))
                        .and_then(|m| m.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                }
            }
            String::new()
        }
    }
}

/// `<SVC>_SERVICE_HOST`, `<SVC>_SERVICE_PORT`, `<SVC>_SERVICE_PORT_<NAME>` and the Docker-link
/// style `<SVC>_PORT…` variables. The address is the Service's local listener on 127.0.0.1
/// (from its `meshlite.io/cluster-ports` annotation) when known, since the cluster IP itself is
/// only a label on this machine.
fn service_vars(svc: &Value) -> Vec<(String, String)> {
    let name = str_at(svc, "/metadata/name");
    let cluster_ip = str_at(svc, "/spec/clusterIP");
    if name.is_empty() || cluster_ip.is_empty() || cluster_ip == "None" {
        return Vec::new();
    }
    let local: BTreeMap<String, u16> = svc
        .pointer("/metadata/annotations/meshlite.io~1cluster-ports")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let prefix = name.to_uppercase().replace('-', "_");
    let ports: Vec<&Value> = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let address = |p: &Value| -> (String, u64, String) {
        let port = p.get("port").and_then(Value::as_u64).unwrap_or(0);
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        match local.get(&format!("{port}/{proto}")) {
            Some(l) => ("127.0.0.1".into(), u64::from(*l), proto.to_string()),
            None => (cluster_ip.clone(), port, proto.to_string()),
        }
    };
    let mut out = Vec::new();
    let Some(first) = ports.first() else {
        return out;
    };
    let (host, port, proto) = address(first);
    out.push((format!("{prefix}_SERVICE_HOST"), host.clone()));
    out.push((format!("{prefix}_SERVICE_PORT"), port.to_string()));
    for p in &ports {
        let (h, port, proto) = address(p);
        if let Some(pname) = p.get("name").and_then(Value::as_str) {
            let pname = pname.to_uppercase().replace('-', "_");
            out.push((format!("{prefix}_SERVICE_PORT_{pname}"), port.to_string()));
        }
        let svc_port = p.get("port").and_then(Value::as_u64).unwrap_or(0);
        let lower = proto.to_lowercase();
        let base = format!("{prefix}_PORT_{svc_port}_{}", proto.to_uppercase());
        out.push((base.clone(), format!("{lower}://{h}:{port}")));
        out.push((format!("{base}_PROTO"), lower));
        out.push((format!("{base}_PORT"), port.to_string()));
        out.push((format!("{base}_ADDR"), h));
    }
    out.push((
        format!("{prefix}_PORT"),
        format!("{}://{host}:{port}", proto.to_lowercase()),
    ));
    out
}

fn str_at(v: &Value, ptr: &str) -> String {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests;
