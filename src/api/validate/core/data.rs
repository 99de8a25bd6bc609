//! ConfigMaps and Secrets: data keys, sizes and per-type required keys.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use serde_json::Value;

use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::meta;
use crate::api::validate::names::{self, NameRule};
use crate::api::validate::{typed, Cause, Report};

/// Most bytes a ConfigMap's or Secret's data may hold.
const MAX_DATA_BYTES: usize = 1024 * 1024;

/// Validates data keys, reporting each at `data[key]` (or `binaryData[key]`).
fn data_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    for key in keys {
        for msg in names::config_map_key(key) {
            errs.push(field::invalid(&path.key(key), Bad::str(key), &msg));
        }
    }
    errs
}

pub(crate) fn config_map(obj: &Value) -> Report {
    typed(obj, "v1", "ConfigMap", |cm: &ConfigMap, _| {
        let mut errs = meta::object_meta(&cm.metadata, NameRule::Dns1123Subdomain, true);
        let data = cm.data.clone().unwrap_or_default();
        let binary = cm.binary_data.clone().unwrap_or_default();
        let data_path = FieldPath::new("data");
        for key in data.keys() {
            errs.extend(data_keys(std::iter::once(key), &data_path));
            if binary.contains_key(key) {
                errs.push(field::invalid(
                    &data_path.key(key),
                    Bad::str(key),
                    "duplicate of key present in binaryData",
                ));
            }
        }
        errs.extend(data_keys(binary.keys(), &FieldPath::new("binaryData")));
        let total: usize = data.values().map(String::len).sum::<usize>()
            + binary.values().map(|b| b.0.len()).sum::<usize>();
        if total > MAX_DATA_BYTES {
            errs.push(field::too_long(&FieldPath::default(), MAX_DATA_BYTES));
        }
        errs
    })
}

pub(crate) fn secret(obj: &Value) -> Report {
    typed(obj, "v1", "Secret", |s: &Secret, _| {
        let mut errs = meta::object_meta(&s.metadata, NameRule::Dns1123Subdomain, true);
        // `stringData` is merged into `data` before validation, so its keys report there.
        let mut data: BTreeMap<String, Vec<u8>> = s
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        for (k, v) in s.string_data.iter().flatten() {
            data.insert(k.clone(), v.clone().into_bytes());
        }
        let data_path = FieldPath::new("data");
        errs.extend(data_keys(data.keys(), &data_path));
        if data.values().map(Vec::len).sum::<usize>() > MAX_DATA_BYTES {
            errs.push(field::too_long(&data_path, MAX_DATA_BYTES));
        }
        let annotations = s.metadata.annotations.clone().unwrap_or_default();
        let require =
            |errs: &mut Vec<Cause>, key: &str| errs.push(field::required(&data_path.key(key), ""));
        match s.type_.as_deref().unwrap_or_default() {
            "kubernetes.io/service-account-token" => {
                let key = "kubernetes.io/service-account.name";
                if annotations.get(key).is_none_or(|v| v.is_empty()) {
                    errs.push(field::required(
                        &FieldPath::new("metadata").child("annotations").key(key),
                        "",
                    ));
                }
            }
            ty @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
                let key = if ty == "kubernetes.io/dockercfg" {
                    ".dockercfg"
                } else {
                    ".dockerconfigjson"
                };
                match data.get(key) {
                    None => require(&mut errs, key),
                    Some(bytes) => {
                        if let Err(e) =
                            serde_json::from_slice::<serde_json::Map<String, Value>>(bytes)
                        {
                            errs.push(field::invalid(
                                &data_path.key(key),
                                Bad::str("<secret contents redacted>"),
                                &e.to_string(),
                            ));
                        }
                    }
                }
            }
            // Username or password may be empty, but one of the keys must be there.
            "kubernetes.io/basic-auth"
                if !data.contains_key("username") && !data.contains_key("password") =>
            {
                require(&mut errs, "username");
                require(&mut errs, "password");
            }
            "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(Vec::is_empty) => {
                require(&mut errs, "ssh-privatekey");
            }
            "kubernetes.io/tls" => {
                for key in ["tls.crt", "tls.key"] {
                    if !data.contains_key(key) {
                        require(&mut errs, key);
                    }
                }
            }
            _ => {}
        }
        errs
    })
}
