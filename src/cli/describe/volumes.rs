//! kubectl's `describeVolumes`: each pod volume with the description of its source.

use super::fields::{self, flag, int, list, s};
use super::line;
use serde_json::Value;

/// `Volumes:` and one block per volume; `space` is `"  "` inside a pod template.
pub(super) fn volumes(w: &mut String, volumes: &[Value], space: &str) {
    if volumes.is_empty() {
        line(w, 0, &format!("{space}Volumes:\t<none>"));
        return;
    }
    line(w, 0, &format!("{space}Volumes:"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        line(w, 1, &format!("{name_indent}{}:", s(v, "name")));
        source(w, v);
    }
}

/// The `Type:` line and the fields kubectl prints for the volume's source.
fn source(w: &mut String, v: &Value) {
    let get = |key: &str| v.get(key).filter(|s| s.is_object());
    if let Some(h) = get("hostPath") {
        let kind = Some(s(h, "type"))
            .filter(|t| !t.is_empty())
            .unwrap_or("<none>");
        line(w, 2, "Type:\tHostPath (bare host directory volume)");
        line(w, 2, &format!("Path:\t{}", s(h, "path")));
        line(w, 2, &format!("HostPathType:\t{kind}"));
    } else if let Some(e) = get("emptyDir") {
        let limit = match e.get("sizeLimit") {
            Some(Value::String(q)) if !fields::quantity_is_zero(q) => q.clone(),
            Some(Value::Number(n)) if n.as_f64().unwrap_or_default() > 0.0 => n.to_string(),
            _ => "<unset>".to_string(),
        };
        line(
            w,
            2,
            "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
        );
        line(w, 2, &format!("Medium:\t{}", s(e, "medium")));
        line(w, 2, &format!("SizeLimit:\t{limit}"));
    } else if let Some(sec) = get("secret") {
        line(w, 2, "Type:\tSecret (a volume populated by a Secret)");
        line(w, 2, &format!("SecretName:\t{}", s(sec, "secretName")));
        line(w, 2, &format!("Optional:\t{}", flag(sec, "optional")));
    } else if let Some(cm) = get("configMap") {
        line(w, 2, "Type:\tConfigMap (a volume populated by a ConfigMap)");
        line(w, 2, &format!("Name:\t{}", s(cm, "name")));
        line(w, 2, &format!("Optional:\t{}", flag(cm, "optional")));
    } else if let Some(pvc) = get("persistentVolumeClaim") {
        line(
            w,
            2,
            "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
        );
        line(w, 2, &format!("ClaimName:\t{}", s(pvc, "claimName")));
        line(w, 2, &format!("ReadOnly:\t{}", flag(pvc, "readOnly")));
    } else if let Some(d) = get("downwardAPI") {
        line(
            w,
            2,
            "Type:\tDownwardAPI (a volume populated by information about the pod)",
        );
        line(w, 2, "Items:");
        for item in list(d, "items") {
            if let Some(f) = item.get("fieldRef").filter(|v| v.is_object()) {
                line(
                    w,
                    3,
                    &format!("{} -> {}", s(f, "fieldPath"), s(item, "path")),
                );
            }
            if let Some(r) = item.get("resourceFieldRef").filter(|v| v.is_object()) {
                line(
                    w,
                    3,
                    &format!("{} -> {}", s(r, "resource"), s(item, "path")),
                );
            }
        }
    } else if let Some(p) = get("projected") {
        projected(w, p);
    } else {
        line(w, 1, "<unknown>");
    }
}

/// kubectl 1.31's projected volume: one or two lines per source. Its optional flags are Go
/// pointers printed with `%v`, so an unset one reads `<nil>`.
fn projected(w: &mut String, p: &Value) {
    let optional = |v: &Value| match v.get("optional").and_then(Value::as_bool) {
        Some(b) => b.to_string(),
        None => "<nil>".to_string(),
    };
    line(
        w,
        2,
        "Type:\tProjected (a volume that contains injected data from multiple sources)",
    );
    for src in list(p, "sources") {
        let get = |key: &str| src.get(key).filter(|s| s.is_object());
        if let Some(sec) = get("secret") {
            line(w, 2, &format!("SecretName:\t{}", s(sec, "name")));
            line(w, 2, &format!("SecretOptionalName:\t{}", optional(sec)));
        } else if get("downwardAPI").is_some() {
            line(w, 2, "DownwardAPI:\ttrue");
        } else if let Some(cm) = get("configMap") {
            line(w, 2, &format!("ConfigMapName:\t{}", s(cm, "name")));
            line(w, 2, &format!("ConfigMapOptional:\t{}", optional(cm)));
        } else if let Some(t) = get("serviceAccountToken") {
            line(
                w,
                2,
                &format!("TokenExpirationSeconds:\t{}", int(t, "expirationSeconds")),
            );
        }
    }
}
