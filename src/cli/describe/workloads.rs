//! kubectl's Deployment and ReplicaSet describers and the pod template section they share
//! (`DescribePodTemplate`), up to but not including the events.

use super::containers::{self, Context};
use super::fields::{self, int, list, s, string_map};
use super::line;
use super::pod::topology_spread;
use super::volumes::volumes;
use crate::api::meta;
use chrono::{DateTime, TimeZone};
use serde_json::Value;
use std::fmt::Display;

/// The label the ReplicaSet controller adds to tell templates apart; ignored when matching a
/// Deployment's template to its ReplicaSets.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// Writes a Deployment's description from `Name:` to `NewReplicaSet:`. `replica_sets` may hold
/// any ReplicaSets of the namespace: those the Deployment controls are split into the new one
/// (whose template matches) and the old ones, as kubectl does.
pub(super) fn deployment<Tz: TimeZone>(
    w: &mut String,
    d: &Value,
    replica_sets: &[Value],
    now: &DateTime<Tz>,
) where
    Tz::Offset: Display,
{
    let null = Value::Null;
    let spec = d.get("spec").unwrap_or(&null);
    let status = d.get("status").unwrap_or(&null);
    line(w, 0, &format!("Name:\t{}", meta::name(d)));
    line(
        w,
        0,
        &format!("Namespace:\t{}", meta::namespace(d).unwrap_or_default()),
    );
    let created = d
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    line(
        w,
        0,
        &format!("CreationTimestamp:\t{}", fields::rfc1123z(created, now)),
    );
    fields::labels(w, "Labels", &meta::labels(d));
    fields::annotations(w, "Annotations", &meta::annotations(d));
    line(
        w,
        0,
        &format!(
            "Selector:\t{}",
            fields::selector_string(spec.get("selector"))
        ),
    );
    line(
        w,
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable",
            int(spec, "replicas"),
            int(status, "updatedReplicas"),
            int(status, "replicas"),
            int(status, "availableReplicas"),
            int(status, "unavailableReplicas"),
        ),
    );
    let strategy = spec.get("strategy").unwrap_or(&null);
    line(w, 0, &format!("StrategyType:\t{}", s(strategy, "type")));
    line(
        w,
        0,
        &format!("MinReadySeconds:\t{}", int(spec, "minReadySeconds")),
    );
    if let Some(ru) = strategy.get("rollingUpdate").filter(|v| v.is_object()) {
        line(
            w,
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge",
                fields::int_or_string(ru.get("maxUnavailable")),
                fields::int_or_string(ru.get("maxSurge")),
            ),
        );
    }
    pod_template(w, spec.get("template"), now);
    conditions(w, list(status, "conditions"));
    let (old, new) = split_replica_sets(d, replica_sets);
    if !old.is_empty() || !new.is_empty() {
        line(
            w,
            0,
            &format!("OldReplicaSets:\t{}", replica_set_list(&old)),
        );
        line(w, 0, &format!("NewReplicaSet:\t{}", replica_set_list(&new)));
    }
}

/// Writes a ReplicaSet's description from `Name:` to its conditions. `pods` may hold any pods
/// of the namespace: only those the ReplicaSet controls are counted by phase.
pub(super) fn replica_set<Tz: TimeZone>(
    w: &mut String,
    rs: &Value,
    pods: &[Value],
    now: &DateTime<Tz>,
) where
    Tz::Offset: Display,
{
    let null = Value::Null;
    let spec = rs.get("spec").unwrap_or(&null);
    let status = rs.get("status").unwrap_or(&null);
    line(w, 0, &format!("Name:\t{}", meta::name(rs)));
    line(
        w,
        0,
        &format!("Namespace:\t{}", meta::namespace(rs).unwrap_or_default()),
    );
    line(
        w,
        0,
        &format!(
            "Selector:\t{}",
            fields::format_label_selector(spec.get("selector"))
        ),
    );
    fields::labels(w, "Labels", &meta::labels(rs));
    fields::annotations(w, "Annotations", &meta::annotations(rs));
    if let Some(owner) = fields::controlled_by(rs) {
        line(w, 0, &format!("Controlled By:\t{owner}"));
    }
    line(
        w,
        0,
        &format!(
            "Replicas:\t{} current / {} desired",
            int(status, "replicas"),
            int(spec, "replicas")
        ),
    );
    let uid = rs
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut counts = [0usize; 4];
    for p in pods {
        // Pods that are orphans or owned by another controller are not counted.
        if fields::controller_ref(p).map(|r| s(r, "uid")) != Some(uid) {
            continue;
        }
        let slot = match p.pointer("/status/phase").and_then(Value::as_str) {
            Some("Running") => 0,
            Some("Pending") => 1,
            Some("Succeeded") => 2,
            Some("Failed") => 3,
            _ => continue,
        };
        counts[slot] += 1;
    }
    line(
        w,
        0,
        &format!(
            "Pods Status:\t{} Running / {} Waiting / {} Succeeded / {} Failed",
            counts[0], counts[1], counts[2], counts[3]
        ),
    );
    pod_template(w, spec.get("template"), now);
    conditions(w, list(status, "conditions"));
}

/// `Conditions:` with type, status and reason, when there are any (workload form).
fn conditions(w: &mut String, conditions: &[Value]) {
    if conditions.is_empty() {
        return;
    }
    line(w, 0, "Conditions:");
    line(w, 1, "Type\tStatus\tReason");
    line(w, 1, "----\t------\t------");
    for c in conditions {
        line(
            w,
            1,
            &format!("{} \t{}\t{}", s(c, "type"), s(c, "status"), s(c, "reason")),
        );
    }
}

/// kubectl's `DescribePodTemplate`.
pub(super) fn pod_template<Tz: TimeZone>(
    w: &mut String,
    template: Option<&Value>,
    now: &DateTime<Tz>,
) where
    Tz::Offset: Display,
{
    line(w, 0, "Pod Template:");
    let Some(template) = template.filter(|t| t.is_object()) else {
        // kubectl writes this without a newline; the next line continues it.
        w.push_str("  <unset>");
        return;
    };
    let null = Value::Null;
    let spec = template.get("spec").unwrap_or(&null);
    fields::labels(w, "  Labels", &meta::labels(template));
    let annotations = meta::annotations(template);
    if !annotations.is_empty() {
        fields::annotations(w, "  Annotations", &annotations);
    }
    if !s(spec, "serviceAccountName").is_empty() {
        line(
            w,
            1,
            &format!("Service Account:\t{}", s(spec, "serviceAccountName")),
        );
    }
    let cx = Context {
        space: "  ",
        pod: None,
        host_ports: Default::default(),
        now,
    };
    if !list(spec, "initContainers").is_empty() {
        containers::containers(w, "Init Containers", list(spec, "initContainers"), &[], &cx);
    }
    containers::containers(w, "Containers", list(spec, "containers"), &[], &cx);
    volumes(w, list(spec, "volumes"), "  ");
    topology_spread(w, list(spec, "topologySpreadConstraints"), "  ");
    if !s(spec, "priorityClassName").is_empty() {
        line(
            w,
            1,
            &format!("Priority Class Name:\t{}", s(spec, "priorityClassName")),
        );
    }
    fields::labels(w, "  Node-Selectors", &string_map(spec, "nodeSelector"));
    fields::tolerations(w, "  Tolerations", list(spec, "tolerations"));
}

/// The Deployment's ReplicaSets as (old, new), each sorted by creation time then name.
fn split_replica_sets<'a>(d: &Value, all: &'a [Value]) -> (Vec<&'a Value>, Vec<&'a Value>) {
    let uid = d
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut owned: Vec<&Value> = all
        .iter()
        .filter(|rs| fields::controller_ref(rs).map(|r| s(r, "uid")) == Some(uid))
        .collect();
    let created = |v: &Value| {
        v.pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    owned.sort_by(|a, b| (created(a), meta::name(a)).cmp(&(created(b), meta::name(b))));
    let want = template_without_hash(d.pointer("/spec/template"));
    let new_index = owned
        .iter()
        .position(|rs| template_without_hash(rs.pointer("/spec/template")) == want);
    let mut new = Vec::new();
    if let Some(i) = new_index {
        new.push(owned.remove(i));
    }
    (owned, new)
}

/// A pod template without the `pod-template-hash` label, for comparison.
fn template_without_hash(t: Option<&Value>) -> Value {
    let mut t = t.cloned().unwrap_or_default();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH);
    }
    t
}

/// `name (current/desired replicas created)` joined by commas, `<none>` for none.
fn replica_set_list(sets: &[&Value]) -> String {
    if sets.is_empty() {
        return "<none>".to_string();
    }
    sets.iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                meta::name(rs),
                rs.pointer("/status/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or_default(),
                rs.pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
