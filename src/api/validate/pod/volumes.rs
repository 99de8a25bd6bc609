//! Pod volumes and container volume mounts.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Volume, VolumeMount};

use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::names;
use crate::api::validate::{quantity, Cause};

const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

const FILE_MODE_MSG: &str = "must be a number between 0 and 0777 (octal), both inclusive";

/// Validates the volumes and returns the names usable by volume mounts.
pub(super) fn volumes<'a>(
    vols: &'a [Volume],
    path: &FieldPath,
    errs: &mut Vec<Cause>,
) -> HashSet<&'a str> {
    let mut names_ok = HashSet::new();
    for (i, vol) in vols.iter().enumerate() {
        let at = path.index(i);
        let mut el = volume_source(vol, &at);
        let name_path = at.child("name");
        if vol.name.is_empty() {
            el.push(field::required(&name_path, ""));
        } else {
            for msg in names::dns1123_label(&vol.name) {
                el.push(field::invalid(&name_path, Bad::str(&vol.name), &msg));
            }
        }
        if names_ok.contains(vol.name.as_str()) {
            el.push(field::duplicate(&name_path, Bad::str(&vol.name)));
        }
        if el.is_empty() {
            names_ok.insert(vol.name.as_str());
        }
        errs.extend(el);
    }
    names_ok
}

fn volume_source(vol: &Volume, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let raw = serde_json::to_value(vol).unwrap_or_default();
    let given: Vec<&str> = VOLUME_SOURCES
        .iter()
        .copied()
        .filter(|s| raw.get(*s).is_some())
        .collect();
    match given.as_slice() {
        [] => errs.push(field::required(path, "must specify a volume type")),
        [_first, rest @ ..] => {
            for extra in rest {
                errs.push(field::forbidden(
                    &path.child(extra),
                    "may not specify more than 1 volume type",
                ));
            }
        }
    }
    if let Some(src) = &vol.host_path {
        if src.path.is_empty() {
            errs.push(field::required(&path.child("hostPath").child("path"), ""));
        }
    }
    if let Some(src) = &vol.secret {
        let at = path.child("secret");
        if src.secret_name.as_deref().unwrap_or_default().is_empty() {
            errs.push(field::required(&at.child("secretName"), ""));
        }
        errs.extend(file_mode(src.default_mode, &at.child("defaultMode")));
    }
    if let Some(src) = &vol.config_map {
        let at = path.child("configMap");
        if src.name.is_empty() {
            errs.push(field::required(&at.child("name"), ""));
        }
        errs.extend(file_mode(src.default_mode, &at.child("defaultMode")));
    }
    if let Some(src) = &vol.persistent_volume_claim {
        if src.claim_name.is_empty() {
            errs.push(field::required(
                &path.child("persistentVolumeClaim").child("claimName"),
                "",
            ));
        }
    }
    if let Some(limit) = vol.empty_dir.as_ref().and_then(|e| e.size_limit.as_ref()) {
        if quantity::parse(&limit.0).is_ok_and(|q| q.value < 0.0) {
            errs.push(field::forbidden(
                &path.child("emptyDir").child("sizeLimit"),
                "SizeLimit field must be a valid resource quantity",
            ));
        }
    }
    errs
}

fn file_mode(mode: Option<i32>, path: &FieldPath) -> Option<Cause> {
    let mode = mode?;
    (!(0..=0o777).contains(&mode))
        .then(|| field::invalid(path, Bad::Int(i64::from(mode)), FILE_MODE_MSG))
}

pub(super) fn volume_mounts(
    mounts: &[VolumeMount],
    volumes: &HashSet<&str>,
    path: &FieldPath,
) -> Vec<Cause> {
    let mut errs = Vec::new();
    let mut mount_points = HashSet::new();
    for (i, mount) in mounts.iter().enumerate() {
        let at = path.index(i);
        if mount.name.is_empty() {
            errs.push(field::required(&at.child("name"), ""));
        }
        if !volumes.contains(mount.name.as_str()) {
            errs.push(field::not_found(&at.child("name"), Bad::str(&mount.name)));
        }
        if mount.mount_path.is_empty() {
            errs.push(field::required(&at.child("mountPath"), ""));
        }
        if !mount_points.insert(mount.mount_path.as_str()) {
            errs.push(field::invalid(
                &at.child("mountPath"),
                Bad::str(&mount.mount_path),
                "must be unique",
            ));
        }
        if let Some(sub) = mount.sub_path.as_deref().filter(|s| !s.is_empty()) {
            let sp = path.child("subPath");
            if sub.starts_with('/') {
                errs.push(field::invalid(
                    &sp,
                    Bad::str(sub),
                    "must be a relative path",
                ));
            }
            if sub.split('/').any(|part| part == "..") {
                errs.push(field::invalid(&sp, Bad::str(sub), "must not contain '..'"));
            }
        }
    }
    errs
}
