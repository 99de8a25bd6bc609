//! Decode errors of built-in kinds, worded like Go's `encoding/json`.

use serde_json::Value;

use super::{lookup, DecodeError, Seg};

/// Keys whose value is a free-form map in the core/apps kinds: Go reports a bad map
/// value against the map field itself.
const MAP_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "matchLabels",
    "nodeSelector",
    "data",
    "stringData",
    "binaryData",
    "limits",
    "requests",
    "overhead",
];

/// `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
pub(super) fn decode_message(kind: &str, doc: &Value, err: &DecodeError) -> String {
    let path = err.path();
    let found = lookup(doc, path);
    // Keys only, without list indexes and without the keys of free-form maps.
    let mut keys: Vec<&str> = Vec::new();
    for (i, seg) in path.iter().enumerate() {
        if let Seg::Key(k) = seg {
            let in_map = i > 0
                && matches!(&path[i - 1], Seg::Key(parent) if MAP_FIELDS.contains(&parent.as_str())
                    || (parent == "selector" && kind == "Service"));
            if !in_map {
                keys.push(k);
            }
        }
    }
    let struct_name = go_struct(kind, &keys[..keys.len().saturating_sub(1)]);
    let field = keys.join(".");
    match err {
        DecodeError::Other { .. } if matches!(path.iter().rev().nth(1), Some(Seg::Key(k)) if k == "data" || k == "binaryData") =>
        {
            let text = found.and_then(Value::as_str).unwrap_or_default();
            format!(
                "illegal base64 data at input byte {}",
                base64_error_offset(text)
            )
        }
        DecodeError::Other { message, .. } => format!("json: error decoding {field}: {message}"),
        DecodeError::Variant { .. } => {
            format!("json: unsupported value in Go struct field {struct_name}.{field}")
        }
        DecodeError::Type { expected, .. } | DecodeError::Range { expected, .. } => {
            let go_type = go_type(expected, keys.last().copied().unwrap_or(kind));
            let json_type = match found {
                Some(Value::String(_)) => "string".to_string(),
                Some(Value::Bool(_)) => "bool".to_string(),
                Some(Value::Array(_)) => "array".to_string(),
                Some(Value::Object(_)) => "object".to_string(),
                Some(Value::Null) | None => "null".to_string(),
                Some(Value::Number(n)) if go_type.contains("int") => format!("number {n}"),
                Some(Value::Number(_)) => "number".to_string(),
            };
            if keys.is_empty() {
                return format!(
                    "json: cannot unmarshal {json_type} into Go value of type {go_type}"
                );
            }
            format!("json: cannot unmarshal {json_type} into Go struct field {struct_name}.{field} of type {go_type}")
        }
    }
}

/// The Go struct holding the field at `parents` (the keys leading to it).
fn go_struct(kind: &str, parents: &[&str]) -> String {
    let Some((&last, before)) = parents.split_last() else {
        return kind.to_string();
    };
    let name = match last {
        "metadata" => "ObjectMeta",
        "spec" if before.last() == Some(&"template") || kind == "Pod" => "PodSpec",
        "spec" => return format!("{kind}Spec"),
        "status" => return format!("{kind}Status"),
        "template" => "PodTemplateSpec",
        "selector" => "LabelSelector",
        "ports" if before.last() == Some(&"spec") && kind == "Service" => "ServicePort",
        "ports" if before.last() == Some(&"subsets") => "EndpointPort",
        "ports" => "ContainerPort",
        "subsets" => "EndpointSubset",
        "addresses" | "notReadyAddresses" => "EndpointAddress",
        "involvedObject" | "related" | "targetRef" => "ObjectReference",
        "source" => "EventSource",
        "series" => "EventSeries",
        "valueFrom" => "EnvVarSource",
        "livenessProbe" | "readinessProbe" | "startupProbe" => "Probe",
        "httpGet" => "HTTPGetAction",
        "tcpSocket" => "TCPSocketAction",
        "exec" => "ExecAction",
        "grpc" => "GRPCAction",
        "rollingUpdate" if kind == "Deployment" => "RollingUpdateDeployment",
        "strategy" => "DeploymentStrategy",
        "matchExpressions" => "LabelSelectorRequirement",
        other => {
            return go_struct_for_key(other).map_or_else(|| upper_first(other), str::to_string)
        }
    };
    name.to_string()
}

/// Go struct names of list/object fields whose name is not simply capitalised.
fn go_struct_for_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "containers" | "initContainers" => "Container",
        "ephemeralContainers" => "EphemeralContainer",
        "env" => "EnvVar",
        "envFrom" => "EnvFromSource",
        "volumes" => "Volume",
        "volumeMounts" => "VolumeMount",
        "resources" => "ResourceRequirements",
        "securityContext" => "SecurityContext",
        "configMapKeyRef" => "ConfigMapKeySelector",
        "secretKeyRef" => "SecretKeySelector",
        "fieldRef" => "ObjectFieldSelector",
        "resourceFieldRef" => "ResourceFieldSelector",
        "emptyDir" => "EmptyDirVolumeSource",
        "configMap" => "ConfigMapVolumeSource",
        "secret" => "SecretVolumeSource",
        "hostPath" => "HostPathVolumeSource",
        "persistentVolumeClaim" => "PersistentVolumeClaimVolumeSource",
        "ownerReferences" => "OwnerReference",
        "managedFields" => "ManagedFieldsEntry",
        "tolerations" => "Toleration",
        "imagePullSecrets" | "secrets" => "LocalObjectReference",
        "lifecycle" => "Lifecycle",
        "conditions" => "Condition",
        _ => return None,
    })
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Go's name for the type serde expected.
fn go_type(expected: &str, field: &str) -> String {
    let element = || go_struct_for_key(field).map_or("string".to_string(), |s| format!("v1.{s}"));
    match expected {
        "i32" => "int32".into(),
        "i64" => "int64".into(),
        "u32" => "uint32".into(),
        "u64" => "uint64".into(),
        "f64" | "f32" => "float64".into(),
        "a boolean" => "bool".into(),
        "a string" => "string".into(),
        "a sequence" => format!("[]{}", element()),
        "a map" => "map[string]string".into(),
        "IntOrString" => "intstr.IntOrString".into(),
        "Quantity" => "resource.Quantity".into(),
        "a base64-encoded string" => "[]uint8".into(),
        other if other.starts_with("struct ") => format!("v1.{}", &other["struct ".len()..]),
        other
            if other.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && !other.contains(' ') =>
        {
            format!("v1.{other}")
        }
        _ => "v1.Time".into(),
    }
}

/// Where Go's base64 decoder reports the first problem in `text`.
fn base64_error_offset(text: &str) -> usize {
    let cleaned: Vec<(usize, u8)> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b != b'\n' && *b != b'\r')
        .collect();
    let mut padding_seen = false;
    for (i, (at, b)) in cleaned.iter().enumerate() {
        let valid = b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
        if *b == b'=' {
            // Padding may only end a quantum.
            if i % 4 < 2 {
                return *at;
            }
            padding_seen = true;
            continue;
        }
        if !valid || padding_seen {
            return *at;
        }
    }
    let len = cleaned.len();
    if len % 4 != 0 {
        return len - len % 4;
    }
    0
}
