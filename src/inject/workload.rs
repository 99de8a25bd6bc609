//! Which workload an object's pods belong to (Istio's deployment metadata), for the proxy's identity fields.

use serde_json::Value;

use super::{InjectError, Workload};

/// Pod label Deployments put on their ReplicaSets' pods; it is also the ReplicaSet name's suffix.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// The API group/version of a kind, for objects that do not state their `apiVersion`.
fn default_api_version(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        _ => "v1",
    }
}

/// Istio's owner URI: `kubernetes://apis/<apiVersion>/namespaces/<ns>/<lowercase kind>s/<name>`.
pub fn owner_uri(api_version: &str, namespace: &str, kind: &str, name: &str) -> String {
    format!(
        "kubernetes://apis/{api_version}/namespaces/{namespace}/{}s/{name}",
        kind.to_ascii_lowercase()
    )
}

/// Reads an optional string field of `obj` at `path` (dotted, for errors).
fn opt_str<'a>(obj: &'a Value, key: &str, path: &str) -> Result<Option<&'a str>, InjectError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(InjectError::NotAString(path.to_string())),
    }
}

/// Derives the workload of a Kubernetes object. `namespace` wins over `metadata.namespace`; when both
/// are empty the namespace is `default`. Workload kinds name themselves; a Pod names its controlling
/// owner: a ReplicaSet with the pod's `pod-template-hash` suffix names its Deployment, a Job whose name
/// ends in a CronJob schedule timestamp names its CronJob; a bare Pod names itself.
pub fn workload_of(obj: &Value, namespace: &str) -> Result<Workload, InjectError> {
    let meta = match obj.get("metadata") {
        None | Some(Value::Null) => &Value::Null,
        Some(m @ Value::Object(_)) => m,
        Some(_) => return Err(InjectError::NotAnObject("metadata".into())),
    };
    let kind = opt_str(obj, "kind", "kind")?.unwrap_or("Pod");
    let api_version = opt_str(obj, "apiVersion", "apiVersion")?
        .map(str::to_string)
        .unwrap_or_else(|| default_api_version(kind).to_string());
    let ns = match namespace {
        "" => opt_str(meta, "namespace", "metadata.namespace")?
            .filter(|s| !s.is_empty())
            .unwrap_or("default"),
        ns => ns,
    };
    let name = opt_str(meta, "name", "metadata.name")?.unwrap_or("");
    let (api_version, kind, name) = if kind == "Pod" {
        pod_owner(meta, name)?.unwrap_or((api_version, kind.to_string(), name.to_string()))
    } else {
        (api_version, kind.to_string(), name.to_string())
    };
    Ok(Workload {
        owner: owner_uri(&api_version, ns, &kind, &name),
        namespace: ns.to_string(),
        name,
    })
}

/// The (apiVersion, kind, name) of a pod's controller, mapped to the user-facing workload.
fn pod_owner(
    meta: &Value,
    pod_name: &str,
) -> Result<Option<(String, String, String)>, InjectError> {
    let refs = match meta.get("ownerReferences") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(InjectError::NotAList("metadata.ownerReferences".into())),
    };
    let controller = refs
        .iter()
        .enumerate()
        .find(|(_, r)| r.get("controller") == Some(&Value::Bool(true)));
    let Some((i, r)) = controller else {
        return Ok(None);
    };
    let path = format!("metadata.ownerReferences[{i}]");
    let mut kind = opt_str(r, "kind", &format!("{path}.kind"))?
        .unwrap_or("")
        .to_string();
    let mut api_version = opt_str(r, "apiVersion", &format!("{path}.apiVersion"))?
        .unwrap_or("")
        .to_string();
    let mut name = opt_str(r, "name", &format!("{path}.name"))?
        .unwrap_or("")
        .to_string();
    if name.is_empty() {
        name = pod_name.to_string();
    }
    match kind.as_str() {
        "ReplicaSet" => {
            let hash = meta
                .get("labels")
                .and_then(|l| l.get(POD_TEMPLATE_HASH))
                .and_then(Value::as_str)
                .unwrap_or("");
            let deployment = (!hash.is_empty())
                .then(|| name.strip_suffix(&format!("-{hash}")))
                .flatten()
                .map(str::to_string);
            if let Some(deployment) = deployment {
                name = deployment;
                kind = "Deployment".into();
            }
        }
        "Job" => {
            if let Some(cron) = cron_job_name(&name) {
                name = cron.to_string();
                kind = "CronJob".into();
                // A pod does not say which version its CronJob was created with; batch/v1 is current.
                api_version = "batch/v1".into();
            }
        }
        _ => {}
    }
    Ok(Some((api_version, kind, name)))
}

/// The CronJob name of a Job named `<cronjob>-<8 to 10 digit scheduled time>`.
fn cron_job_name(job: &str) -> Option<&str> {
    let (base, suffix) = job.rsplit_once('-')?;
    let digits = suffix.len();
    ((8..=10).contains(&digits) && suffix.bytes().all(|b| b.is_ascii_digit()) && !base.is_empty())
        .then_some(base)
}
