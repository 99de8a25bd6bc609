//! Defaults the API server fills in on create and keeps on update, per kind.

use crate::api::meta;
use crate::api::resources::Resource;
use serde_json::{json, Value};

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
            // The kubelet fills in the rest once it sees the pod.
            obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
        }
        "Deployment" | "ReplicaSet" => {
            obj["status"] = json!({});
        }
        _ => {}
    }
}

/// Keep server-owned parts of an object across an update.
pub fn on_update(res: &Resource, current: &Value, obj: &mut Value) {
    if res.kind == "Namespace" {
        let name = meta::name(current).to_string();
        meta::metadata_map_mut(obj, "labels")
            .insert("kubernetes.io/metadata.name".into(), json!(name));
        if obj.get("spec").is_none() {
            obj["spec"] = current.get("spec").cloned().unwrap_or_else(|| json!({}));
        }
    }
}
