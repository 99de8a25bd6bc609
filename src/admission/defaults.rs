//! Defaults the API server fills in on create and keeps on update, per kind.

use crate::api::meta;
use crate::api::resources::Resource;
use serde_json::{json, Value};

mod pod;

/// Defaults that must exist before validation (what decoding sets on a real API server).
pub fn before_validation(res: &Resource, obj: &mut Value) {
    if matches!(
        res.kind,
        "Pod"
            | "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
            | "PodTemplate"
    ) {
        pod::volume_sources(obj);
    }
}

/// Fill the defaults of a new object.
pub fn on_create(res: &Resource, obj: &mut Value) {
    match res.kind {
        "Namespace" => {
            let name = meta::name(obj).to_string();
            meta::metadata_map_mut(obj, "labels")
                .insert("kubernetes.io/metadata.name".into(), json!(name));
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
            obj["status"] = json!({"phase": "Active"});
        }
        "Pod" => {
            if let Some(spec) = obj.get_mut("spec") {
                pod::pod_spec(spec, true);
            }
            // The kubelet fills in the rest once it sees the pod.
            obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
        }
        "Deployment" => {
            pod::deployment(obj);
            obj["status"] = json!({});
        }
        "ReplicaSet" => {
            pod::replica_set(obj);
            obj["status"] = json!({});
        }
        _ => workload(res, obj),
    }
}

/// Template defaults of the other workload kinds (on create and update alike).
fn workload(res: &Resource, obj: &mut Value) {
    if matches!(
        res.kind,
        "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "ReplicationController" | "PodTemplate"
    ) {
        pod::template(obj);
    }
}

/// Keep server-owned parts of an object across an update.
pub fn on_update(res: &Resource, current: &Value, obj: &mut Value) {
    // Defaulting runs on every write, as the API server decodes each request the same way.
    match res.kind {
        "Pod" => {
            if let Some(spec) = obj.get_mut("spec") {
                pod::pod_spec(spec, true);
            }
        }
        "Deployment" => pod::deployment(obj),
        "ReplicaSet" => pod::replica_set(obj),
        _ => workload(res, obj),
    }
    if res.kind == "Namespace" {
        let name = meta::name(current).to_string();
        meta::metadata_map_mut(obj, "labels")
            .insert("kubernetes.io/metadata.name".into(), json!(name));
        if obj.get("spec").is_none() {
            obj["spec"] = current.get("spec").cloned().unwrap_or_else(|| json!({}));
        }
    }
}
