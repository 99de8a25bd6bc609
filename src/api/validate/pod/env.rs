//! Environment variables of a container (`ValidateEnv`).

use k8s_openapi::api::core::v1::EnvVar;

use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::names;
use crate::api::validate::Cause;

pub(super) fn env(vars: &[EnvVar], path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    for (i, var) in vars.iter().enumerate() {
        let at = path.index(i);
        if var.name.is_empty() {
            errs.push(field::required(&at.child("name"), ""));
        } else {
            for msg in names::env_var_name(&var.name) {
                errs.push(field::invalid(&at.child("name"), Bad::str(&var.name), &msg));
            }
        }
        let Some(from) = &var.value_from else {
            continue;
        };
        let from_path = at.child("valueFrom");
        let mut sources = 0;
        if let Some(sel) = &from.field_ref {
            sources += 1;
            let fp = from_path.child("fieldRef").child("fieldPath");
            if sel.field_path.is_empty() {
                errs.push(field::required(&fp, ""));
            } else if !env_field_path_ok(&sel.field_path) {
                errs.push(field::not_supported(
                    &fp,
                    Bad::str(&sel.field_path),
                    ENV_FIELD_PATHS,
                ));
            }
        }
        if let Some(sel) = &from.resource_field_ref {
            sources += 1;
            let rp = from_path.child("resourceFieldRef").child("resource");
            if sel.resource.is_empty() {
                errs.push(field::required(&rp, ""));
            } else if !ENV_RESOURCES.contains(&sel.resource.as_str())
                && !sel.resource.contains("hugepages-")
            {
                errs.push(field::not_supported(
                    &rp,
                    Bad::str(&sel.resource),
                    ENV_RESOURCES,
                ));
            }
        }
        for (kind, key_ref) in [
            (
                "configMapKeyRef",
                from.config_map_key_ref.as_ref().map(|s| (&s.name, &s.key)),
            ),
            (
                "secretKeyRef",
                from.secret_key_ref.as_ref().map(|s| (&s.name, &s.key)),
            ),
        ] {
            let Some((name, key)) = key_ref else { continue };
            sources += 1;
            let kp = from_path.child(kind);
            for msg in names::dns1123_subdomain(name) {
                errs.push(field::invalid(&kp.child("name"), Bad::str(name), &msg));
            }
            if key.is_empty() {
                errs.push(field::required(&kp.child("key"), ""));
            } else {
                for msg in names::config_map_key(key) {
                    errs.push(field::invalid(&kp.child("key"), Bad::str(key), &msg));
                }
            }
        }
        if sources == 0 {
            errs.push(field::invalid(
                &from_path,
                Bad::str(""),
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !var.value.as_deref().unwrap_or_default().is_empty() {
            errs.push(field::invalid(
                &from_path,
                Bad::str(""),
                "may not be specified when `value` is not empty",
            ));
        } else if sources > 1 {
            errs.push(field::invalid(
                &from_path,
                Bad::str(""),
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

const ENV_RESOURCES: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

/// Downward API paths usable in env vars, including `metadata.labels['key']` subscripts.
fn env_field_path_ok(path: &str) -> bool {
    let base = path.split_once('[').map_or(path, |(base, _)| base);
    if base != path {
        return matches!(base, "metadata.labels" | "metadata.annotations") && path.ends_with("']");
    }
    ENV_FIELD_PATHS.contains(&path)
}
