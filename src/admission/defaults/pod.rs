//! The defaults Kubernetes fills into pod specs (a Pod's own, or a workload's template) and
//! into workload specs, so stored objects read as they do on a cluster (`get -o yaml`,
//! `describe`: `Port: 8080/TCP`).

use serde_json::{json, Map, Value};

/// Defaults of a PodSpec (and its containers), as SetDefaults_PodSpec / _Container do.
/// `is_pod`: a Pod itself also gets the service account and default tolerations that
/// admission adds.
pub fn pod_spec(spec: &mut Value, is_pod: bool) {
    let Some(s) = spec.as_object_mut() else {
        return;
    };
    put(s, "restartPolicy", json!("Always"));
    put(s, "terminationGracePeriodSeconds", json!(30));
    put(s, "dnsPolicy", json!("ClusterFirst"));
    put(s, "securityContext", json!({}));
    put(s, "schedulerName", json!("default-scheduler"));
    if is_pod {
        put(s, "enableServiceLinks", json!(true));
        put(s, "preemptionPolicy", json!("PreemptLowerPriority"));
        put(s, "priority", json!(0));
        put(s, "serviceAccountName", json!("default"));
        let sa = s.get("serviceAccountName").cloned().unwrap_or_default();
        put(s, "serviceAccount", sa);
        if !s.contains_key("tolerations") {
            s.insert(
                "tolerations".into(),
                json!([
                    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
                ]),
            );
        }
    }
    for field in ["containers", "initContainers"] {
        if let Some(cs) = s.get_mut(field).and_then(Value::as_array_mut) {
            cs.iter_mut().for_each(container);
        }
    }
}

/// Defaults of one container.
fn container(c: &mut Value) {
    let image = c
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(c) = c.as_object_mut() else {
        return;
    };
    // `:latest` (or no tag) pulls always; a pinned tag or digest only if missing.
    let repo_end = image.rfind('/').map_or(0, |i| i + 1);
    let tag = image[repo_end..].split_once(':').map(|(_, t)| t);
    let always = !image.contains('@') && matches!(tag, None | Some("latest"));
    put(
        c,
        "imagePullPolicy",
        json!(if always { "Always" } else { "IfNotPresent" }),
    );
    put(c, "resources", json!({}));
    put(c, "terminationMessagePath", json!("/dev/termination-log"));
    put(c, "terminationMessagePolicy", json!("File"));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            put(p, "protocol", json!("TCP"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).and_then(Value::as_object_mut) {
            put(p, "timeoutSeconds", json!(1));
            put(p, "periodSeconds", json!(10));
            put(p, "successThreshold", json!(1));
            put(p, "failureThreshold", json!(3));
            if let Some(h) = p.get_mut("httpGet").and_then(Value::as_object_mut) {
                put(h, "scheme", json!("HTTP"));
                put(h, "path", json!("/"));
            }
        }
    }
}

/// Deployment spec defaults (replicas, strategy, history, progress deadline) and its template's.
pub fn deployment(obj: &mut Value) {
    if let Some(s) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        put(s, "replicas", json!(1));
        put(s, "revisionHistoryLimit", json!(10));
        put(s, "progressDeadlineSeconds", json!(600));
        put(
            s,
            "strategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
        );
        if let Some(st) = s.get_mut("strategy").and_then(Value::as_object_mut) {
            put(st, "type", json!("RollingUpdate"));
            if st.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                put(
                    st,
                    "rollingUpdate",
                    json!({"maxSurge": "25%", "maxUnavailable": "25%"}),
                );
            }
        }
    }
    template(obj);
}

/// ReplicaSet (and other workloads with a template): replicas and the template's defaults.
pub fn replica_set(obj: &mut Value) {
    if let Some(s) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        put(s, "replicas", json!(1));
    }
    template(obj);
}

/// The pod template's spec defaults, wherever a workload keeps it.
pub fn template(obj: &mut Value) {
    for ptr in [
        "/spec/template/spec",
        "/spec/jobTemplate/spec/template/spec",
    ] {
        if let Some(spec) = obj.pointer_mut(ptr) {
            pod_spec(spec, false);
        }
    }
}

/// A volume that names no source is an `emptyDir` (SetDefaults_Volume) — applied before
/// validation, as decoding does on a real API server, so Istio's injected volumes are valid.
pub fn volume_sources(obj: &mut Value) {
    for ptr in [
        "/spec/volumes",
        "/spec/template/spec/volumes",
        "/spec/jobTemplate/spec/template/spec/volumes",
    ] {
        let Some(vols) = obj.pointer_mut(ptr).and_then(Value::as_array_mut) else {
            continue;
        };
        for v in vols.iter_mut().filter_map(Value::as_object_mut) {
            if v.keys().all(|k| k == "name") {
                v.insert("emptyDir".into(), json!({}));
            }
        }
    }
}

/// Insert `v` under `k` unless set (null counts as unset).
fn put(m: &mut Map<String, Value>, k: &str, v: Value) {
    if m.get(k).is_none_or(Value::is_null) {
        m.insert(k.into(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_and_template_defaults() {
        let mut pod = json!({"containers": [{"name": "a", "image": "nginx",
            "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
            "readinessProbe": {"httpGet": {"port": 80}}}]});
        pod_spec(&mut pod, true);
        let c = &pod["containers"][0];
        assert_eq!(c["imagePullPolicy"], "Always");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["ports"][1]["protocol"], "UDP");
        assert_eq!(c["readinessProbe"]["periodSeconds"], 10);
        assert_eq!(c["readinessProbe"]["httpGet"]["scheme"], "HTTP");
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["serviceAccountName"], "default");
        assert_eq!(pod["tolerations"].as_array().map(Vec::len), Some(2));

        for (image, policy) in [
            ("nginx:1.15", "IfNotPresent"),
            ("nginx:latest", "Always"),
            ("localhost:5000/nginx", "Always"),
            ("localhost:5000/nginx:1", "IfNotPresent"),
            ("nginx@sha256:abc", "IfNotPresent"),
        ] {
            let mut c = json!({"image": image});
            container(&mut c);
            assert_eq!(c["imagePullPolicy"], policy, "{image}");
        }

        let mut d = json!({"spec": {"strategy": {"type": "Recreate"},
                                    "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}});
        deployment(&mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert!(d["spec"]["strategy"].get("rollingUpdate").is_none());
        assert_eq!(d["spec"]["template"]["spec"]["dnsPolicy"], "ClusterFirst");
        assert!(d["spec"]["template"]["spec"]
            .get("serviceAccountName")
            .is_none());
    }
}
