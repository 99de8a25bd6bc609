//! The Deployment controller: rolls a Pod template out through one ReplicaSet per revision.

mod hash;
mod rollout;
mod spec;
mod status;
#[cfg(test)]
mod tests;

pub use hash::pod_template_hash;

use super::replicaset::pods::{self, controller_uid, str_at};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use status::{Conditions, Counts, AVAILABLE, PROGRESSING};

/// What the Deployment controller wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create this ReplicaSet (a full object).
    CreateReplicaSet(Value),
    /// Replace this ReplicaSet (changed `spec.replicas` and/or annotations).
    UpdateReplicaSet(Value),
    /// Delete an old ReplicaSet beyond `revisionHistoryLimit`.
    DeleteReplicaSet { name: String },
    /// Replace the Deployment's `.status` with this value.
    UpdateStatus(Value),
}

/// Why a Deployment cannot be reconciled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The Deployment has no `metadata.name`.
    #[error("the Deployment has no name")]
    NoName,
    /// The Deployment has no `metadata.uid`, so it cannot own ReplicaSets yet.
    #[error("Deployment {0:?} has no uid")]
    NoUid(String),
}

/// The label that ties a ReplicaSet and its Pods to one template.
pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";

/// Deployment annotations that describe the Deployment itself and are not copied to its
/// ReplicaSets.
const NOT_COPIED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    DESIRED_ANNOTATION,
    MAX_ANNOTATION,
    "deprecated.deployment.rollback.to",
];

/// The parts of a Deployment the controller works from, with defaults applied.
struct Spec<'a> {
    obj: &'a Value,
    name: &'a str,
    uid: &'a str,
    replicas: i64,
    template: Value,
    recreate: bool,
    max_surge: i64,
    max_unavailable: i64,
    min_ready: i64,
    history_limit: i64,
    paused: bool,
    progress_deadline: Option<i64>,
}

/// One owned ReplicaSet as observed, with the size the controller wants for it.
#[derive(Debug, Clone)]
pub(crate) struct Rs {
    obj: Value,
    pub(crate) name: String,
    /// Desired `spec.replicas` (changed by this reconcile).
    pub(crate) replicas: i64,
    observed_replicas: i64,
    revision: i64,
    pub(crate) created: String,
    pub(crate) active: i64,
    pub(crate) ready: i64,
    pub(crate) available: i64,
    /// Any Pod still present and not finished, terminating ones included.
    running: bool,
    is_new_object: bool,
    annotations_changed: bool,
}

/// Reconcile a Deployment against the ReplicaSets and Pods of its namespace. Invalid input
/// yields no actions.
pub fn reconcile(
    deployment: &Value,
    replicasets: &[Value],
    pods: &[Value],
    now: DateTime<Utc>,
) -> Vec<Action> {
    try_reconcile(deployment, replicasets, pods, now).unwrap_or_default()
}

/// [`reconcile`], saying why nothing can be done.
pub fn try_reconcile(
    deployment: &Value,
    replicasets: &[Value],
    pods: &[Value],
    now: DateTime<Utc>,
) -> Result<Vec<Action>, Error> {
    let d = Spec::parse(deployment)?;
    let mut all: Vec<Rs> = replicasets
        .iter()
        .filter(|r| controller_uid(r) == Some(d.uid))
        .map(|r| Rs::observe(r, pods, now))
        .collect();
    // Oldest first: when several ReplicaSets match the template, the oldest is the new one.
    all.sort_by(|a, b| (&a.created, &a.name).cmp(&(&b.created, &b.name)));
    let mut new = all.iter().position(|r| same_template(&r.obj, &d.template));
    let old_status = deployment.get("status");
    let old_counts = Counts::from_status(old_status);
    let mut conds = Conditions::from_status(old_status);
    let mut collision = old_status
        .and_then(|s| s.get("collisionCount"))
        .and_then(Value::as_i64);
    let mut deletes = Vec::new();

    if d.paused {
        if conds.reason(PROGRESSING) != Some("DeploymentPaused") {
            conds.set(
                PROGRESSING,
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused",
                now,
            );
        }
    } else {
        if conds.reason(PROGRESSING) == Some("DeploymentPaused") {
            conds.set(
                PROGRESSING,
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed",
                now,
            );
        }
        if let Some(i) = new {
            d.sync_new_annotations(&mut all, i);
            if conds.get(PROGRESSING).is_none() {
                let msg = format!("Found new replica set {:?}", name_of(&all, Some(i)));
                conds.set(PROGRESSING, "True", "FoundNewReplicaSet", &msg, now);
            }
        }
        let scaled = if d.recreate {
            d.recreate_step(
                &mut all,
                &mut new,
                replicasets,
                &mut collision,
                &mut conds,
                now,
            )
        } else {
            d.rolling_step(
                &mut all,
                &mut new,
                replicasets,
                &mut collision,
                &mut conds,
                now,
            )
        };
        let counts = Counts::of(&all, new);
        if !scaled && d.complete(&counts) {
            deletes = d.cleanup(&all, new);
        }
    }

    let counts = Counts::of(&all, new);
    d.set_conditions(&mut conds, &counts, &old_counts, name_of(&all, new), now);
    let generation = deployment
        .pointer("/metadata/generation")
        .and_then(Value::as_i64);
    let status = status::render(generation, &counts, collision, &conds);

    let mut actions = Vec::new();
    let ordered = new
        .into_iter()
        .chain((0..all.len()).filter(|i| Some(*i) != new));
    for i in ordered {
        let Some(rs) = all.get(i) else { continue };
        if rs.is_new_object {
            actions.push(Action::CreateReplicaSet(rs.obj.clone()));
        } else if rs.replicas != rs.observed_replicas || rs.annotations_changed {
            actions.push(Action::UpdateReplicaSet(rs.obj.clone()));
        }
    }
    actions.extend(
        deletes
            .into_iter()
            .map(|name| Action::DeleteReplicaSet { name }),
    );
    if old_status != Some(&status) {
        actions.push(Action::UpdateStatus(status));
    }
    Ok(actions)
}

fn name_of(all: &[Rs], i: Option<usize>) -> &str {
    i.and_then(|i| all.get(i))
        .map(|r| r.name.as_str())
        .unwrap_or("")
}

/// The template with the `pod-template-hash` label taken out (and an emptied label map
/// dropped), so a ReplicaSet's template compares equal to the Deployment's it came from.
fn without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
    }
    t
}

fn same_template(rs: &Value, template: &Value) -> bool {
    rs.pointer("/spec/template")
        .is_some_and(|t| without_hash(t) == without_hash(template))
}

fn set_annotation(obj: &mut Value, key: &str, value: String) -> bool {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return false;
    };
    let ann = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !ann.is_object() {
        *ann = Value::Object(Map::new());
    }
    let Some(ann) = ann.as_object_mut() else {
        return false;
    };
    if ann.get(key).and_then(Value::as_str) == Some(value.as_str()) {
        return false;
    }
    ann.insert(key.into(), Value::String(value));
    true
}

// === impl Rs ===

impl Rs {
    fn observe(obj: &Value, pods: &[Value], now: DateTime<Utc>) -> Rs {
        let uid = str_at(obj, "/metadata/uid");
        let mine: Vec<&Value> = if uid.is_empty() {
            // Not yet stored (no uid): fall back to its selector.
            let sel = obj
                .pointer("/spec/selector")
                .cloned()
                .unwrap_or(Value::Null);
            pods.iter()
                .filter(|p| {
                    pods::selector_matches(
                        &sel,
                        p.pointer("/metadata/labels").and_then(Value::as_object),
                    )
                })
                .collect()
        } else {
            pods::owned_by(uid, pods)
        };
        let min_ready = obj
            .pointer("/spec/minReadySeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let active: Vec<&&Value> = mine.iter().filter(|p| pods::is_active(p)).collect();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let replicas = obj
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .clamp(0, rollout::LIMIT);
        Rs {
            name: str_at(obj, "/metadata/name").to_string(),
            replicas,
            observed_replicas: replicas,
            revision: revision_of(obj),
            created: str_at(obj, "/metadata/creationTimestamp").to_string(),
            active: count(active.len()),
            ready: count(active.iter().filter(|p| pods::is_ready(p)).count()),
            available: count(
                active
                    .iter()
                    .filter(|p| pods::is_available(p, min_ready, now))
                    .count(),
            ),
            running: mine.iter().any(|p| !pods::is_finished(p)),
            is_new_object: false,
            annotations_changed: false,
            obj: obj.clone(),
        }
    }

    fn scale(&mut self, to: i64, d: &Spec) {
        self.replicas = to;
        set_path(&mut self.obj, &["spec", "replicas"], json!(to));
        // Kubernetes records the Deployment's size on every ReplicaSet it scales.
        let a = set_annotation(&mut self.obj, DESIRED_ANNOTATION, d.replicas.to_string());
        let b = set_annotation(
            &mut self.obj,
            MAX_ANNOTATION,
            (d.replicas + d.max_surge).to_string(),
        );
        self.annotations_changed |= a || b;
    }
}

/// Set a nested field, turning anything in the way that is not an object into one (so malformed
/// input is repaired rather than a cause of failure).
pub(crate) fn set_path(obj: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *obj = value;
        return;
    };
    let mut cur = obj;
    for key in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Some(map) = cur.as_object_mut() else {
            return;
        };
        cur = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Some(map) = cur.as_object_mut() {
        map.insert(last.to_string(), value);
    }
}

fn revision_of(obj: &Value) -> i64 {
    obj.pointer(&format!(
        "/metadata/annotations/{}",
        REVISION_ANNOTATION.replace('/', "~1")
    ))
    .and_then(Value::as_str)
    .and_then(|s| s.parse().ok())
    .unwrap_or(0)
}
