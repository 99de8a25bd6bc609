//! Pod spec validation (`ValidatePodSpec`), shared by Pods and the pod templates of
//! Deployments and ReplicaSets.
//!
//! The object is validated as the API server sees it after defaulting: fields that the
//! server defaults (restart policy, pull policy, port protocol, probe thresholds, ...) are
//! only checked when they were given.

mod env;
mod probe;
mod resources;
mod volumes;

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec};

use self::probe::{lifecycle_handler, probe, ProbeKind};
use self::volumes::{volume_mounts, volumes};
use super::field::{self, Bad, FieldPath};
use super::meta;
use super::names;
use super::Cause;

pub(crate) use self::probe::port_num_or_name;

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// Validates a pod spec found at `path` (`spec` or `spec.template.spec`).
pub(crate) fn pod_spec(spec: &PodSpec, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let volumes = volumes(
        spec.volumes.as_deref().unwrap_or_default(),
        &path.child("volumes"),
        &mut errs,
    );
    let containers = &spec.containers;
    let init_containers = spec.init_containers.as_deref().unwrap_or_default();

    // Regular containers.
    let containers_path = path.child("containers");
    if containers.is_empty() {
        errs.push(field::required(&containers_path, ""));
    }
    let mut names_seen: HashSet<&str> = HashSet::new();
    for (i, ctr) in containers.iter().enumerate() {
        let at = containers_path.index(i);
        errs.extend(container_common(ctr, &volumes, &at));
        if !ctr.name.is_empty() && !names_seen.insert(&ctr.name) {
            errs.push(field::duplicate(&at.child("name"), Bad::str(&ctr.name)));
        }
        if let Some(lifecycle) = &ctr.lifecycle {
            let lc = at.child("lifecycle");
            if let Some(h) = &lifecycle.post_start {
                errs.extend(lifecycle_handler(h, &lc.child("postStart")));
            }
            if let Some(h) = &lifecycle.pre_stop {
                errs.extend(lifecycle_handler(h, &lc.child("preStop")));
            }
        }
        errs.extend(probes(ctr, &at));
        if ctr.restart_policy.is_some() {
            errs.push(field::forbidden(
                &at.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs.extend(host_port_conflicts(containers, &containers_path));

    // Init containers share the name space of regular containers.
    let init_path = path.child("initContainers");
    let mut all_names: HashSet<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    for (i, ctr) in init_containers.iter().enumerate() {
        let at = init_path.index(i);
        errs.extend(container_common(ctr, &volumes, &at));
        let restart_always = match ctr.restart_policy.as_deref() {
            None => false,
            Some("Always") => true,
            Some(other) => {
                errs.push(field::not_supported(
                    &at.child("restartPolicy"),
                    Bad::str(other),
                    &["Always"],
                ));
                false
            }
        };
        if all_names.contains(ctr.name.as_str()) {
            errs.push(field::duplicate(&at.child("name"), Bad::str(&ctr.name)));
        } else if !ctr.name.is_empty() {
            all_names.insert(&ctr.name);
        }
        errs.extend(host_port_conflicts(std::slice::from_ref(ctr), &init_path));
        if restart_always {
            errs.extend(probes(ctr, &at));
        } else {
            let without_always = "may not be set for init containers without restartPolicy=Always";
            if ctr.lifecycle.is_some() {
                errs.push(field::forbidden(&at.child("lifecycle"), without_always));
            }
            if ctr.liveness_probe.is_some() {
                errs.push(field::forbidden(&at.child("livenessProbe"), without_always));
            }
            if ctr.readiness_probe.is_some() {
                errs.push(field::forbidden(
                    &at.child("readinessProbe"),
                    "may not be set for init containers",
                ));
            }
            if ctr.startup_probe.is_some() {
                errs.push(field::forbidden(&at.child("startupProbe"), without_always));
            }
        }
    }

    if let Some(policy) = spec.restart_policy.as_deref() {
        if !matches!(policy, "Always" | "OnFailure" | "Never") {
            errs.push(field::not_supported(
                &path.child("restartPolicy"),
                Bad::str(policy),
                &["Always", "OnFailure", "Never"],
            ));
        }
    }
    if let Some(policy) = spec.dns_policy.as_deref() {
        if !matches!(
            policy,
            "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None"
        ) {
            errs.push(field::not_supported(
                &path.child("dnsPolicy"),
                Bad::str(policy),
                &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
            ));
        }
    }
    errs.extend(meta::labels(
        spec.node_selector.as_ref(),
        &path.child("nodeSelector"),
    ));
    for (field_name, value) in [
        ("serviceAccountName", &spec.service_account_name),
        ("nodeName", &spec.node_name),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            for msg in names::dns1123_subdomain(v) {
                errs.push(field::invalid(&path.child(field_name), Bad::str(v), &msg));
            }
        }
    }
    if let Some(secs) = spec.active_deadline_seconds {
        if !(1..=i64::from(i32::MAX)).contains(&secs) {
            errs.push(field::invalid(
                &path.child("activeDeadlineSeconds"),
                Bad::Int(secs),
                &names::inclusive_range_error(1, i64::from(i32::MAX)),
            ));
        }
    }
    for (field_name, value) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            for msg in names::dns1123_label(v) {
                errs.push(field::invalid(&path.child(field_name), Bad::str(v), &msg));
            }
        }
    }
    errs
}

/// The liveness, readiness and startup probes of one container.
fn probes(ctr: &Container, at: &FieldPath) -> Vec<Cause> {
    let mut errs = probe(
        ctr.liveness_probe.as_ref(),
        &at.child("livenessProbe"),
        ProbeKind::Liveness,
    );
    errs.extend(probe(
        ctr.readiness_probe.as_ref(),
        &at.child("readinessProbe"),
        ProbeKind::Readiness,
    ));
    errs.extend(probe(
        ctr.startup_probe.as_ref(),
        &at.child("startupProbe"),
        ProbeKind::Startup,
    ));
    errs
}

/// Checks shared by regular and init containers.
fn container_common(ctr: &Container, volumes: &HashSet<&str>, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let name_path = path.child("name");
    if ctr.name.is_empty() {
        errs.push(field::required(&name_path, ""));
    } else {
        for msg in names::dns1123_label(&ctr.name) {
            errs.push(field::invalid(&name_path, Bad::str(&ctr.name), &msg));
        }
    }
    if ctr.image.as_deref().unwrap_or_default().is_empty() {
        errs.push(field::required(&path.child("image"), ""));
    }
    if let Some(policy) = ctr.termination_message_policy.as_deref() {
        if !matches!(policy, "File" | "FallbackToLogsOnError") {
            errs.push(field::not_supported(
                &path.child("terminationMessagePolicy"),
                Bad::str(policy),
                &["File", "FallbackToLogsOnError"],
            ));
        }
    }
    errs.extend(container_ports(
        ctr.ports.as_deref().unwrap_or_default(),
        &path.child("ports"),
    ));
    errs.extend(env::env(
        ctr.env.as_deref().unwrap_or_default(),
        &path.child("env"),
    ));
    for (i, source) in ctr.env_from.iter().flatten().enumerate() {
        let at = path.child("envFrom").index(i);
        match (&source.config_map_ref, &source.secret_ref) {
            (None, None) => errs.push(field::invalid(
                &at,
                Bad::str(""),
                "must specify one of: `configMapRef` or `secretRef`",
            )),
            (Some(_), Some(_)) => errs.push(field::invalid(
                &at,
                Bad::str(""),
                "may not have more than one field specified at a time",
            )),
            _ => {}
        }
    }
    errs.extend(volume_mounts(
        ctr.volume_mounts.as_deref().unwrap_or_default(),
        volumes,
        &path.child("volumeMounts"),
    ));
    if let Some(policy) = ctr.image_pull_policy.as_deref() {
        if !matches!(policy, "Always" | "IfNotPresent" | "Never") {
            errs.push(field::not_supported(
                &path.child("imagePullPolicy"),
                Bad::str(policy),
                &["Always", "IfNotPresent", "Never"],
            ));
        }
    }
    if let Some(resources) = &ctr.resources {
        errs.extend(resources::resource_requirements(
            resources,
            &path.child("resources"),
        ));
    }
    errs
}

fn container_ports(ports: &[ContainerPort], path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let at = path.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = names::port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(field::invalid(&at.child("name"), Bad::str(name), &msg));
                }
            } else if !seen.insert(name) {
                errs.push(field::duplicate(&at.child("name"), Bad::str(name)));
            }
        }
        if port.container_port == 0 {
            errs.push(field::required(&at.child("containerPort"), ""));
        } else {
            for msg in names::port_num(i64::from(port.container_port)) {
                errs.push(field::invalid(
                    &at.child("containerPort"),
                    Bad::Int(i64::from(port.container_port)),
                    &msg,
                ));
            }
        }
        if let Some(host_port) = port.host_port.filter(|p| *p != 0) {
            for msg in names::port_num(i64::from(host_port)) {
                errs.push(field::invalid(
                    &at.child("hostPort"),
                    Bad::Int(i64::from(host_port)),
                    &msg,
                ));
            }
        }
        if let Some(protocol) = port.protocol.as_deref() {
            if !PROTOCOLS.contains(&protocol) {
                errs.push(field::not_supported(
                    &at.child("protocol"),
                    Bad::str(protocol),
                    PROTOCOLS,
                ));
            }
        }
    }
    errs
}

fn host_port_conflicts(containers: &[Container], path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let mut seen = HashSet::new();
    for (ci, ctr) in containers.iter().enumerate() {
        for (pi, port) in ctr.ports.iter().flatten().enumerate() {
            let Some(host_port) = port.host_port.filter(|p| *p != 0) else {
                continue;
            };
            let key = format!(
                "{}/{}/{host_port}",
                port.host_ip.as_deref().unwrap_or_default(),
                port.protocol.as_deref().unwrap_or("TCP")
            );
            if !seen.insert(key.clone()) {
                let at = path.index(ci).child("ports").index(pi).child("hostPort");
                errs.push(field::duplicate(&at, Bad::Str(key)));
            }
        }
    }
    errs
}
