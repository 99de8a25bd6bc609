//! Istio sidecar injection: adds `istio-init` and `istio-proxy` to pod templates, as `istioctl kube-inject` does.
//!
//! The output follows Istio's `injection-template.yaml` and its golden `hello.yaml.injected`, in the
//! CLASSIC (non-native) sidecar layout that Istio uses for Kubernetes < 1.33 and that
//! `istioctl kube-inject` uses without a cluster: `istio-init` is the first init container and
//! `istio-proxy` is the last entry of `containers`.
//!
//! Deliberate differences from the golden `hello.yaml.injected` (which is rendered in the native layout
//! with a test hub):
//! - Layout: `istio-proxy` sits last in `containers` (no `restartPolicy: Always`) instead of second in
//!   `initContainers`; hence `sidecar.istio.io/status` reads
//!   `{"initContainers":["istio-init"],"containers":["istio-proxy"],...}`.
//! - Image: `docker.io/istio/proxyv2:<ISTIO_VERSION>` (the released hub/tag) instead of
//!   `registry.istio.io/testing/proxyv2:latest`.
//! - Env: `GOMAXPROCS` (resourceFieldRef `limits.cpu`, divisor "1") follows `GOMEMLIMIT`, as in
//!   Istio 1.28 (the golden comes from a later master that dropped it).
//! - Serialization artefacts of Go structs are not produced: no `resources: {}` on app containers,
//!   no `strategy: {}` / `status: {}` on the workload; keys keep insertion order rather than sorted.
//! - The owning Deployment of a ReplicaSet-owned pod is derived even when the pod has no
//!   `generateName` (Istio only looks at owners of pods with a generated name).
//! - A user container named `istio-proxy` is merged by overlaying its top-level fields onto the
//!   generated one (Istio uses a strategic merge patch, which also merges lists by key).
//! - `wanted` also refuses `istio-system`, where the control plane lives.
//!
//! Volumes `workload-socket`, `credential-socket` and `workload-certs` carry only a name, exactly as in
//! the golden: Kubernetes API defaulting turns a volume without a source into an `emptyDir`.

use serde_json::{Map, Value};

mod policy;
mod prometheus;
mod template;
mod workload;

#[cfg(test)]
mod tests;

pub use policy::wanted;
pub use workload::workload_of;

/// The Istio release whose sidecar is injected (image tag of `docker.io/istio/proxyv2`).
pub const ISTIO_VERSION: &str = "1.28.0";
/// Annotation recording what injection added; its presence marks a pod as already injected.
pub const STATUS_ANNOTATION: &str = "sidecar.istio.io/status";
/// Pod label (preferred) or annotation that opts a pod in or out of injection.
pub const INJECT_KEY: &str = "sidecar.istio.io/inject";
/// The proxy image injected into every pod.
pub fn proxy_image() -> String {
    format!("docker.io/istio/proxyv2:{ISTIO_VERSION}")
}

/// Why an object could not be injected; every variant names the offending field path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InjectError {
    /// A field that must be a JSON object holds something else.
    #[error("{0}: must be an object")]
    NotAnObject(String),
    /// A field that must be a list holds something else.
    #[error("{0}: must be a list")]
    NotAList(String),
    /// A field that must be a string holds something else.
    #[error("{0}: must be a string")]
    NotAString(String),
    /// A field that must be an integer holds something else.
    #[error("{0}: must be an integer")]
    NotAnInteger(String),
    /// A field that must be a boolean holds something else.
    #[error("{0}: must be a boolean")]
    NotABoolean(String),
    /// A field needed for injection is missing.
    #[error("{0}: Required value")]
    Required(String),
}

/// The workload a pod belongs to, as the proxy reports it (`ISTIO_META_WORKLOAD_NAME`, `ISTIO_META_OWNER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Namespace the pod lives in.
    pub namespace: String,
    /// Workload name, e.g. the Deployment's name; also the last fallback of the canonical-name label.
    pub name: String,
    /// Owner URI, e.g. `kubernetes://apis/apps/v1/namespaces/NS/deployments/NAME`.
    pub owner: String,
}

/// Where the pod template sits inside an object of a given kind, or `None` for kinds without one.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&[]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some(&["spec", "template"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

/// Inject one Kubernetes object (any kind). Kinds with a pod template — Pod, Deployment, StatefulSet,
/// DaemonSet, ReplicaSet, Job, CronJob (spec.jobTemplate.spec.template), ReplicationController — get the
/// sidecar unless skipped; other kinds are returned unchanged. `namespace` is the namespace the object
/// will live in (for the owner/workload fields; default "default"). Returns (object, injected?).
pub fn inject(obj: &Value, namespace: &str) -> Result<(Value, bool), InjectError> {
    let mut out = obj.clone();
    let Some(root) = out.as_object_mut() else {
        return Err(InjectError::NotAnObject("object".into()));
    };
    let kind = match root.get("kind") {
        None => return Ok((out, false)),
        Some(Value::String(k)) => k.clone(),
        Some(_) => return Err(InjectError::NotAString("kind".into())),
    };
    let Some(path) = template_path(&kind) else {
        return Ok((out, false));
    };
    let workload = workload_of(&Value::Object(root.clone()), namespace)?;

    // Walk down to the pod template, creating nothing: a workload without a template is invalid.
    let mut node: &mut Map<String, Value> = root;
    let mut prefix = String::new();
    for step in path {
        prefix.push_str(step);
        node = match node.get_mut(*step) {
            Some(Value::Object(m)) => m,
            Some(_) => return Err(InjectError::NotAnObject(prefix)),
            None => return Err(InjectError::Required(prefix)),
        };
        prefix.push('.');
    }
    // Take the pieces out in place (leaving nulls) so the object keeps its key order.
    let had_meta = node.contains_key("metadata");
    let mut meta = node
        .get_mut("metadata")
        .map(std::mem::take)
        .unwrap_or(Value::Null);
    let mut spec = node
        .get_mut("spec")
        .map(std::mem::take)
        .unwrap_or(Value::Null);
    let result = inject_at(&mut meta, &mut spec, &workload, &prefix);
    if had_meta {
        node.insert("metadata".into(), meta);
    } else if !meta.is_null() {
        // Kubernetes convention: metadata comes before spec.
        let at = node.keys().position(|k| k == "spec").unwrap_or(node.len());
        node.shift_insert(at, "metadata".into(), meta);
    }
    if let Some(slot) = node.get_mut("spec") {
        *slot = spec;
    }
    let injected = result?;
    Ok((out, injected))
}

/// Inject a pod template or pod: `meta` is its metadata object, `spec` its PodSpec. Skips (returns Ok(false))
/// when hostNetwork is true, when the pod says no (label, else annotation, `sidecar.istio.io/inject: "false"`),
/// or when already injected (`sidecar.istio.io/status` present) — so injecting twice equals injecting once.
pub fn inject_template(
    meta: &mut Value,
    spec: &mut Value,
    workload: &Workload,
) -> Result<bool, InjectError> {
    inject_at(meta, spec, workload, "")
}

/// [`inject_template`] with error paths prefixed by `prefix` (e.g. `spec.template.`).
fn inject_at(
    meta: &mut Value,
    spec: &mut Value,
    workload: &Workload,
    prefix: &str,
) -> Result<bool, InjectError> {
    let meta_path = format!("{prefix}metadata");
    let spec_path = format!("{prefix}spec");
    // A template without metadata gets one only if something is injected.
    let mut empty = Map::new();
    let meta_map = match meta {
        Value::Object(m) => m,
        Value::Null => &mut empty,
        _ => return Err(InjectError::NotAnObject(meta_path)),
    };
    let spec_map = match spec {
        Value::Object(m) => m,
        Value::Null => return Err(InjectError::Required(spec_path)),
        _ => return Err(InjectError::NotAnObject(spec_path)),
    };
    let labels = string_map(meta_map.get("labels"), &format!("{meta_path}.labels"))?;
    let annotations = string_map(
        meta_map.get("annotations"),
        &format!("{meta_path}.annotations"),
    )?;
    let host_network = match spec_map.get("hostNetwork") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(InjectError::NotABoolean(format!("{spec_path}.hostNetwork"))),
    };
    let pod = template::PodView::read(spec_map, &spec_path)?;

    if lookup(&annotations, STATUS_ANNOTATION).is_some()
        || host_network
        || !policy::pod_allows(&labels, &annotations)
    {
        return Ok(false);
    }
    let ctx = template::Context {
        pod: &pod,
        labels: &labels,
        annotations: &annotations,
        workload,
    };
    template::apply(meta_map, spec_map, &ctx);
    if meta.is_null() {
        *meta = Value::Object(empty);
    }
    Ok(true)
}

/// Reads a `map[string]string` field (labels, annotations); absent or null is empty.
fn string_map(v: Option<&Value>, path: &str) -> Result<Vec<(String, String)>, InjectError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(InjectError::NotAString(format!("{path}.{k}"))),
            })
            .collect(),
        Some(_) => Err(InjectError::NotAnObject(path.to_string())),
    }
}

/// Looks up a key in a list of string pairs read by [`string_map`].
fn lookup<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
