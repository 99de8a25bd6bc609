//! The Deployment's decisions: new ReplicaSet, one step per strategy, cleanup, conditions.

use super::super::replicaset::pods::{controller_ref, format_time, str_at};
use super::{
    controller_uid, pods, rollout, same_template, set_annotation, Conditions, Counts, Error, Rs,
    Spec, AVAILABLE, HASH_LABEL, NOT_COPIED, PROGRESSING, REVISION_ANNOTATION,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// Give up looking for a free ReplicaSet name after this many hash collisions.
const MAX_COLLISIONS: i64 = 100;

// === impl Spec ===

impl<'a> Spec<'a> {
    pub(super) fn parse(obj: &'a Value) -> Result<Spec<'a>, Error> {
        let name = str_at(obj, "/metadata/name");
        if name.is_empty() {
            return Err(Error::NoName);
        }
        let uid = str_at(obj, "/metadata/uid");
        if uid.is_empty() {
            return Err(Error::NoUid(name.to_string()));
        }
        let int = |p: &str| obj.pointer(p).and_then(Value::as_i64);
        let replicas = int("/spec/replicas").unwrap_or(1).clamp(0, rollout::LIMIT);
        let recreate = str_at(obj, "/spec/strategy/type") == "Recreate";
        let (max_surge, max_unavailable) = if recreate {
            (0, 0)
        } else {
            let (s, u) = rollout::fenceposts(obj.pointer("/spec/strategy/rollingUpdate"), replicas);
            (s, u.min(replicas))
        };
        let progress_deadline = match obj.pointer("/spec/progressDeadlineSeconds") {
            Some(Value::Null) => None,
            Some(v) => v.as_i64(),
            None => Some(600),
        };
        Ok(Spec {
            obj,
            name,
            uid,
            replicas,
            template: obj.pointer("/spec/template").cloned().unwrap_or(json!({})),
            recreate,
            max_surge,
            max_unavailable,
            min_ready: int("/spec/minReadySeconds").unwrap_or(0),
            history_limit: int("/spec/revisionHistoryLimit").unwrap_or(10).max(0),
            paused: obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true),
            progress_deadline,
        })
    }

    fn max_old_revision(all: &[Rs], new: Option<usize>) -> i64 {
        all.iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != new)
            .map(|(_, r)| r.revision)
            .max()
            .unwrap_or(0)
    }

    /// The new ReplicaSet carries the next revision and the Deployment's annotations; an old
    /// ReplicaSet brought back by a rollback gets a fresh revision this way.
    pub(super) fn sync_new_annotations(&self, all: &mut [Rs], i: usize) {
        let want = Self::max_old_revision(all, Some(i)).saturating_add(1);
        let Some(rs) = all.get_mut(i) else { return };
        let mut changed = false;
        if rs.revision < want {
            rs.revision = want;
            changed |= set_annotation(&mut rs.obj, REVISION_ANNOTATION, want.to_string());
        }
        for (k, v) in self.copied_annotations() {
            changed |= set_annotation(&mut rs.obj, &k, v);
        }
        rs.annotations_changed |= changed;
    }

    fn copied_annotations(&self) -> Vec<(String, String)> {
        self.obj
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()))
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect()
    }

    /// Make the ReplicaSet for the current template, sized `replicas`. A name already taken by
    /// another ReplicaSet is a hash collision: the collision count goes up and changes the hash.
    fn create_new(
        &self,
        all: &mut Vec<Rs>,
        namespace_rses: &[Value],
        collision: &mut Option<i64>,
        replicas: i64,
        conds: &mut Conditions,
        now: DateTime<Utc>,
    ) -> usize {
        let mut hash = pod_template_hash_for(self, *collision);
        for _ in 0..MAX_COLLISIONS {
            let taken = namespace_rses.iter().any(|r| {
                str_at(r, "/metadata/name") == format!("{}-{hash}", self.name)
                    && !(controller_uid(r) == Some(self.uid) && same_template(r, &self.template))
            });
            if !taken {
                break;
            }
            *collision = Some(collision.unwrap_or(0).saturating_add(1));
            hash = pod_template_hash_for(self, *collision);
        }
        let name = format!("{}-{hash}", self.name);
        let revision = Self::max_old_revision(all, None).saturating_add(1);

        let mut template = self.template.clone();
        let mut labels = template
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        labels.insert(HASH_LABEL.into(), json!(hash));
        super::set_path(
            &mut template,
            &["metadata", "labels"],
            Value::Object(labels.clone()),
        );
        let mut selector = self
            .obj
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut match_labels = selector
            .get("matchLabels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match_labels.insert(HASH_LABEL.into(), json!(hash));
        selector.insert("matchLabels".into(), Value::Object(match_labels));

        let mut annotations: Map<String, Value> = self
            .copied_annotations()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        annotations.insert(
            super::DESIRED_ANNOTATION.into(),
            json!(self.replicas.to_string()),
        );
        annotations.insert(
            super::MAX_ANNOTATION.into(),
            json!((self.replicas + self.max_surge).to_string()),
        );
        annotations.insert(REVISION_ANNOTATION.into(), json!(revision.to_string()));
        let mut meta = Map::new();
        meta.insert("name".into(), json!(name));
        if let Some(ns) = self.obj.pointer("/metadata/namespace") {
            meta.insert("namespace".into(), ns.clone());
        }
        meta.insert("labels".into(), Value::Object(labels));
        meta.insert("annotations".into(), Value::Object(annotations));
        meta.insert(
            "ownerReferences".into(),
            json!([controller_ref("apps/v1", "Deployment", self.name, self.uid)]),
        );
        let obj = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": meta,
            "spec": {
                "replicas": replicas,
                "minReadySeconds": self.min_ready,
                "selector": selector,
                "template": template,
            },
        });
        let msg = format!("Created new replica set {name:?}");
        conds.set(PROGRESSING, "True", "NewReplicaSetCreated", &msg, now);
        all.push(Rs {
            obj,
            name,
            replicas,
            observed_replicas: replicas,
            revision,
            created: format_time(now),
            active: 0,
            ready: 0,
            available: 0,
            running: false,
            is_new_object: true,
            annotations_changed: false,
        });
        all.len() - 1
    }

    /// One RollingUpdate step: grow the new ReplicaSet within the surge, or else shrink old
    /// ones within the availability floor. Returns whether anything was scaled.
    pub(super) fn rolling_step(
        &self,
        all: &mut Vec<Rs>,
        new: &mut Option<usize>,
        namespace_rses: &[Value],
        collision: &mut Option<i64>,
        conds: &mut Conditions,
        now: DateTime<Utc>,
    ) -> bool {
        let n = match *new {
            Some(n) => n,
            None => {
                let size = rollout::new_rs_replicas(all, 0, self.replicas, self.max_surge);
                self.create_new(all, namespace_rses, collision, size, conds, now)
            }
        };
        *new = Some(n);
        let current = all.get(n).map(|r| r.replicas).unwrap_or(0);
        let target = if current > self.replicas {
            self.replicas
        } else {
            rollout::new_rs_replicas(all, current, self.replicas, self.max_surge)
        };
        if target != current {
            if let Some(rs) = all.get_mut(n) {
                rs.scale(target, self);
            }
            return true;
        }
        let olds: Vec<usize> = (0..all.len()).filter(|i| *i != n).collect();
        let before: Vec<i64> = all.iter().map(|r| r.replicas).collect();
        let scaled =
            rollout::scale_down_old(all, &olds, Some(n), self.replicas, self.max_unavailable);
        for (i, was) in before.into_iter().enumerate() {
            if let Some(rs) = all.get_mut(i) {
                if rs.replicas != was {
                    let to = rs.replicas;
                    rs.scale(to, self);
                }
            }
        }
        scaled
    }

    /// One Recreate step: all old ReplicaSets to zero, wait until their Pods are gone, then the
    /// new one at full size. Returns whether anything was scaled down.
    pub(super) fn recreate_step(
        &self,
        all: &mut Vec<Rs>,
        new: &mut Option<usize>,
        namespace_rses: &[Value],
        collision: &mut Option<i64>,
        conds: &mut Conditions,
        now: DateTime<Utc>,
    ) -> bool {
        let mut scaled = false;
        for (i, rs) in all.iter_mut().enumerate() {
            if Some(i) != *new && rs.replicas > 0 {
                rs.scale(0, self);
                scaled = true;
            }
        }
        let old_running = all
            .iter()
            .enumerate()
            .any(|(i, r)| Some(i) != *new && r.running);
        if scaled || old_running {
            return scaled;
        }
        let n = match *new {
            Some(n) => n,
            None => self.create_new(all, namespace_rses, collision, self.replicas, conds, now),
        };
        *new = Some(n);
        if let Some(rs) = all.get_mut(n) {
            if rs.replicas != self.replicas {
                rs.scale(self.replicas, self);
            }
        }
        false
    }

    /// Done: every Pod is from the new template and available.
    pub(super) fn complete(&self, c: &Counts) -> bool {
        c.updated == self.replicas && c.replicas == self.replicas && c.available == self.replicas
    }

    /// Old ReplicaSets at zero with no Pods left, oldest revisions first, beyond the history
    /// limit.
    pub(super) fn cleanup(&self, all: &[Rs], new: Option<usize>) -> Vec<String> {
        let mut idle: Vec<&Rs> = all
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                Some(*i) != new
                    && r.replicas == 0
                    && r.observed_replicas == 0
                    && r.active == 0
                    && !pods::is_terminating(&r.obj)
            })
            .map(|(_, r)| r)
            .collect();
        let limit = usize::try_from(self.history_limit).unwrap_or(0);
        if idle.len() <= limit {
            return Vec::new();
        }
        idle.sort_by(|a, b| (a.revision, &a.created).cmp(&(b.revision, &b.created)));
        let extra = idle.len() - limit;
        idle.into_iter()
            .take(extra)
            .map(|r| r.name.clone())
            .collect()
    }

    /// `Available` from the availability floor; `Progressing` from how the rollout moved.
    pub(super) fn set_conditions(
        &self,
        conds: &mut Conditions,
        counts: &Counts,
        old: &Counts,
        new_name: &str,
        now: DateTime<Utc>,
    ) {
        if counts.available >= self.replicas - self.max_unavailable {
            let msg = "Deployment has minimum availability.";
            conds.set(AVAILABLE, "True", "MinimumReplicasAvailable", msg, now);
        } else {
            let msg = "Deployment does not have minimum availability.";
            conds.set(AVAILABLE, "False", "MinimumReplicasUnavailable", msg, now);
        }
        let Some(deadline) = self.progress_deadline else {
            conds
                .0
                .retain(|c| c.get("type").and_then(Value::as_str) != Some(PROGRESSING));
            return;
        };
        let already_complete = counts.replicas == counts.updated
            && conds.reason(PROGRESSING) == Some("NewReplicaSetAvailable");
        if self.paused || already_complete {
            return;
        }
        if self.complete(counts) {
            if !new_name.is_empty() {
                let msg = format!("ReplicaSet {new_name:?} has successfully progressed.");
                conds.set(PROGRESSING, "True", "NewReplicaSetAvailable", &msg, now);
            }
        } else if counts.progressed_since(old) {
            let msg = if new_name.is_empty() {
                "Deployment is progressing.".to_string()
            } else {
                format!("ReplicaSet {new_name:?} is progressing.")
            };
            conds.refresh(PROGRESSING, "True", "ReplicaSetUpdated", &msg, now);
        } else if self.timed_out(conds, deadline, now) {
            let msg = if new_name.is_empty() {
                "Deployment has timed out progressing.".to_string()
            } else {
                format!("ReplicaSet {new_name:?} has timed out progressing.")
            };
            conds.set(PROGRESSING, "False", "ProgressDeadlineExceeded", &msg, now);
        }
    }

    fn timed_out(&self, conds: &Conditions, deadline: i64, now: DateTime<Utc>) -> bool {
        let Some(c) = conds.get(PROGRESSING) else {
            return false;
        };
        match c.get("reason").and_then(Value::as_str) {
            Some("ProgressDeadlineExceeded") => return true,
            Some("NewReplicaSetAvailable") => return false,
            _ => {}
        }
        c.get("lastUpdateTime")
            .and_then(Value::as_str)
            .and_then(pods::parse_time)
            .is_some_and(|from| pods::elapsed(from, deadline, now))
    }
}

fn pod_template_hash_for(d: &Spec, collision: Option<i64>) -> String {
    super::pod_template_hash(&d.template, collision)
}
