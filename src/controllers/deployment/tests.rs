//! Table tests for the Deployment controller, driven through a small in-memory cluster.

use super::super::replicaset;
use super::*;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn deploy(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "d-uid", "generation": 1},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "c", "image": image}]}}
        }
    })
}

/// Objects as a store would hold them, moved forward by both controllers.
struct World {
    d: Value,
    rses: Vec<Value>,
    pods: Vec<Value>,
    now: DateTime<Utc>,
    seq: u64,
    log: Vec<String>,
}

impl World {
    fn new(d: Value) -> World {
        World {
            d,
            rses: vec![],
            pods: vec![],
            now: t0(),
            seq: 0,
            log: vec![],
        }
    }

    fn stamp(&mut self, obj: &mut Value) {
        self.seq += 1;
        obj["metadata"]["uid"] = json!(format!("uid-{}", self.seq));
        let t = self.now + chrono::Duration::milliseconds(i64::try_from(self.seq).unwrap_or(0));
        obj["metadata"]["creationTimestamp"] =
            json!(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    }

    /// One Deployment reconcile; returns its actions after applying them.
    fn sync_deploy(&mut self) -> Vec<Action> {
        let actions = reconcile(&self.d, &self.rses, &self.pods, self.now);
        for a in &actions {
            match a {
                Action::CreateReplicaSet(rs) => {
                    let mut rs = rs.clone();
                    self.stamp(&mut rs);
                    self.log.push(format!(
                        "create {} {}",
                        rs["metadata"]["name"], rs["spec"]["replicas"]
                    ));
                    self.rses.push(rs);
                }
                Action::UpdateReplicaSet(rs) => {
                    self.log.push(format!(
                        "scale {} {}",
                        rs["metadata"]["name"], rs["spec"]["replicas"]
                    ));
                    for slot in self.rses.iter_mut() {
                        if slot["metadata"]["name"] == rs["metadata"]["name"] {
                            *slot = rs.clone();
                        }
                    }
                }
                Action::DeleteReplicaSet { name } => {
                    self.log.push(format!("delete {name}"));
                    self.rses.retain(|r| r["metadata"]["name"] != json!(name));
                }
                Action::UpdateStatus(st) => self.d["status"] = st.clone(),
            }
        }
        actions
    }

    /// The ReplicaSet controller over every ReplicaSet; deleted Pods vanish at once.
    fn sync_rses(&mut self) {
        for rs in self.rses.clone() {
            for a in replicaset::reconcile(&rs, &self.pods, self.now) {
                match a {
                    replicaset::Action::CreatePod(mut p) => {
                        self.stamp(&mut p);
                        self.pods.push(p);
                    }
                    replicaset::Action::DeletePod { name } => {
                        self.pods.retain(|p| p["metadata"]["name"] != json!(name));
                    }
                    replicaset::Action::UpdateStatus(st) => {
                        for slot in self.rses.iter_mut() {
                            if slot["metadata"]["name"] == rs["metadata"]["name"] {
                                slot["status"] = st.clone();
                            }
                        }
                    }
                }
            }
        }
    }

    fn ready_all(&mut self) {
        let t = self.now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for p in self.pods.iter_mut() {
            p["status"] = json!({"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t}]});
        }
    }

    fn spec_replicas(&self) -> Vec<(String, i64)> {
        self.rses
            .iter()
            .map(|r| {
                (
                    str_at(r, "/metadata/name").to_string(),
                    r["spec"]["replicas"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    }

    fn available(&self) -> usize {
        self.pods.iter().filter(|p| pods::is_ready(p)).count()
    }

    /// Run full rounds (deployment, replicasets, readiness) until nothing changes.
    fn settle(&mut self, check: &dyn Fn(&World)) -> usize {
        for round in 0..50 {
            self.now += chrono::Duration::seconds(1);
            self.sync_rses();
            self.ready_all();
            let acts = self.sync_deploy();
            check(self);
            if acts.is_empty() {
                return round;
            }
        }
        panic!("did not settle: {:?}", self.log);
    }

    fn set_template(&mut self, image: &str) {
        self.d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
        let g = self.d["metadata"]["generation"].as_i64().unwrap_or(0);
        self.d["metadata"]["generation"] = json!(g + 1);
    }

    fn cond(&self, kind: &str) -> (String, String, String) {
        let c = self.d["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == kind).cloned())
            .unwrap_or(Value::Null);
        (
            c["status"].as_str().unwrap_or("").into(),
            c["reason"].as_str().unwrap_or("").into(),
            c["message"].as_str().unwrap_or("").into(),
        )
    }
}

#[test]
fn hash_is_stable_and_sensitive() {
    let tpl = deploy(1, "nginx:1")["spec"]["template"].clone();
    let h = pod_template_hash(&tpl, None);
    assert!(h.len() >= 6 && h.len() <= 10, "{h}");
    assert!(h.bytes().all(|b| pods::ALPHABET.contains(&b)), "{h}");
    assert_eq!(h, pod_template_hash(&tpl, None));
    // Key order does not matter.
    let reordered = json!({"spec": tpl["spec"].clone(), "metadata": tpl["metadata"].clone()});
    assert_eq!(h, pod_template_hash(&reordered, None));
    let mut restarted = tpl.clone();
    restarted["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"});
    let cases = [
        pod_template_hash(&deploy(1, "nginx:2")["spec"]["template"], None),
        pod_template_hash(&restarted, None),
        pod_template_hash(&tpl, Some(1)),
    ];
    for other in cases {
        assert_ne!(h, other);
    }
    assert_ne!(
        pod_template_hash(&tpl, Some(1)),
        pod_template_hash(&tpl, Some(2))
    );
}

#[test]
fn first_reconcile_creates_the_replicaset() {
    let d = deploy(3, "nginx:1");
    let actions = reconcile(&d, &[], &[], t0());
    let hash = pod_template_hash(&d["spec"]["template"], None);
    let Some(Action::CreateReplicaSet(rs)) = actions.first() else {
        panic!("{actions:?}")
    };
    assert_eq!(rs["metadata"]["name"], json!(format!("web-{hash}")));
    assert_eq!(rs["metadata"]["namespace"], "default");
    assert_eq!(
        rs["metadata"]["labels"],
        json!({"app": "web", "pod-template-hash": hash})
    );
    assert_eq!(
        rs["spec"]["selector"],
        json!({"matchLabels": {"app": "web", "pod-template-hash": hash}})
    );
    assert_eq!(
        rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"],
        json!(hash)
    );
    assert_eq!(rs["spec"]["replicas"], 3);
    assert_eq!(
        rs["metadata"]["ownerReferences"],
        json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-uid",
                "controller": true, "blockOwnerDeletion": true}])
    );
    let ann = &rs["metadata"]["annotations"];
    assert_eq!(ann[REVISION_ANNOTATION], "1");
    assert_eq!(ann[DESIRED_ANNOTATION], "3");
    assert_eq!(ann[MAX_ANNOTATION], "4");
    let Some(Action::UpdateStatus(st)) = actions.last() else {
        panic!("{actions:?}")
    };
    assert_eq!(st["observedGeneration"], 1);
    assert_eq!(st["unavailableReplicas"], 3);
    let reasons: Vec<&str> = st["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        ["NewReplicaSetCreated", "MinimumReplicasUnavailable"]
    );
}

#[test]
fn invalid_deployments_do_nothing() {
    for d in [json!({}), json!({"metadata": {"name": "x"}}), json!(null)] {
        assert!(reconcile(&d, &[], &[], t0()).is_empty());
    }
}

#[test]
fn scale_up_and_down_then_status_settles() {
    let mut w = World::new(deploy(1, "nginx:1"));
    w.settle(&|_| {});
    for n in [3, 1, 0, 2] {
        w.d["spec"]["replicas"] = json!(n);
        w.settle(&|_| {});
        assert_eq!(w.rses.len(), 1);
        assert_eq!(w.spec_replicas()[0].1, n);
        assert_eq!(w.pods.len(), usize::try_from(n).unwrap_or(0));
        let st = &w.d["status"];
        assert_eq!(st["replicas"].as_i64().unwrap_or(0), n, "{st}");
        assert_eq!(st["availableReplicas"].as_i64().unwrap_or(0), n);
        assert_eq!(st["updatedReplicas"].as_i64().unwrap_or(0), n);
        assert_eq!(w.cond("Available").1, "MinimumReplicasAvailable");
    }
    let name = w.spec_replicas()[0].0.clone();
    assert_eq!(
        w.cond("Progressing"),
        (
            "True".into(),
            "NewReplicaSetAvailable".into(),
            format!("ReplicaSet \"{name}\" has successfully progressed.")
        )
    );
    // Settled: a further reconcile changes nothing.
    assert!(reconcile(&w.d, &w.rses, &w.pods, w.now).is_empty());
}

#[test]
fn rolling_update_respects_surge_and_availability() {
    // (replicas, maxSurge, maxUnavailable, allowed max total, required min available)
    let cases = [
        (4, json!(null), json!(null), 5, 3),
        (4, json!(0), json!(1), 4, 3),
        (3, json!("100%"), json!(0), 6, 3),
        (2, json!(0), json!(0), 2, 1),
        (10, json!("30%"), json!("10%"), 13, 9),
    ];
    for (replicas, surge, unavail, max_total, min_avail) in cases {
        let mut d = deploy(replicas, "nginx:1");
        if !surge.is_null() {
            d["spec"]["strategy"] = json!({"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavail}});
        }
        let mut w = World::new(d);
        w.settle(&|_| {});
        let old = w.spec_replicas()[0].0.clone();
        w.set_template("nginx:2");
        let check = move |w: &World| {
            let total: i64 = w.spec_replicas().iter().map(|r| r.1).sum();
            assert!(
                total <= max_total,
                "case {replicas}: total {total} {:?}",
                w.log
            );
            assert!(w.available() >= min_avail, "case {replicas}: {:?}", w.log);
        };
        w.settle(&check);
        let sizes = w.spec_replicas();
        assert_eq!(sizes.len(), 2);
        assert!(sizes.contains(&(old.clone(), 0)), "{sizes:?}");
        let new = sizes
            .iter()
            .find(|r| r.0 != old)
            .map(|r| r.0.clone())
            .unwrap_or_default();
        assert!(sizes.contains(&(new.clone(), replicas)));
        assert_eq!(w.d["status"]["updatedReplicas"], json!(replicas));
        assert_eq!(w.cond("Progressing").1, "NewReplicaSetAvailable");
        let rs = w
            .rses
            .iter()
            .find(|r| r["metadata"]["name"] == json!(new))
            .cloned()
            .unwrap_or_default();
        assert_eq!(rs["metadata"]["annotations"][REVISION_ANNOTATION], "2");
    }
}

#[test]
fn rolling_update_starts_with_surge_then_scales_old_down() {
    let mut w = World::new(deploy(4, "nginx:1"));
    w.settle(&|_| {});
    w.log.clear();
    w.set_template("nginx:2");
    w.now += chrono::Duration::seconds(1);
    let acts = w.sync_deploy();
    // New RS at 1 (surge), then the old scaled by maxUnavailable in the same pass.
    assert!(
        w.log
            .first()
            .is_some_and(|l| l.starts_with("create") && l.ends_with(" 1")),
        "{:?}",
        w.log
    );
    assert!(
        w.log
            .get(1)
            .is_some_and(|l| l.starts_with("scale") && l.ends_with(" 3")),
        "{:?}",
        w.log
    );
    assert!(matches!(acts.last(), Some(Action::UpdateStatus(_))));
}

#[test]
fn recreate_waits_for_old_pods() {
    let mut d = deploy(2, "nginx:1");
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    let mut w = World::new(d);
    w.settle(&|_| {});
    w.set_template("nginx:2");
    // Old scaled to zero, no new RS yet.
    let acts = w.sync_deploy();
    assert!(
        acts.iter()
            .all(|a| !matches!(a, Action::CreateReplicaSet(_))),
        "{acts:?}"
    );
    assert_eq!(w.spec_replicas().len(), 1);
    assert_eq!(w.spec_replicas()[0].1, 0);
    // Old pods still terminating: still no new RS.
    for p in w.pods.iter_mut() {
        p["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    }
    let acts = w.sync_deploy();
    assert!(
        acts.iter()
            .all(|a| !matches!(a, Action::CreateReplicaSet(_))),
        "{acts:?}"
    );
    // Gone: the new RS comes up at full size.
    w.pods.clear();
    let acts = w.sync_deploy();
    let created: Vec<&Value> = acts
        .iter()
        .filter_map(|a| match a {
            Action::CreateReplicaSet(rs) => Some(rs),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["spec"]["replicas"], 2);
    w.settle(&|_| {});
    assert_eq!(w.d["status"]["availableReplicas"], 2);
}

#[test]
fn rollback_adopts_the_old_replicaset() {
    let mut w = World::new(deploy(2, "nginx:1"));
    w.settle(&|_| {});
    let first = w.spec_replicas()[0].0.clone();
    w.set_template("nginx:2");
    w.settle(&|_| {});
    w.set_template("nginx:1");
    w.settle(&|_| {});
    assert_eq!(w.rses.len(), 2, "no third ReplicaSet: {:?}", w.log);
    let rs = w
        .rses
        .iter()
        .find(|r| r["metadata"]["name"] == json!(first))
        .cloned()
        .unwrap_or_default();
    assert_eq!(rs["spec"]["replicas"], 2);
    assert_eq!(rs["metadata"]["annotations"][REVISION_ANNOTATION], "3");
}

#[test]
fn history_beyond_the_limit_is_deleted() {
    let mut d = deploy(1, "v0");
    d["spec"]["revisionHistoryLimit"] = json!(1);
    let mut w = World::new(d);
    w.settle(&|_| {});
    for v in ["v1", "v2", "v3"] {
        w.set_template(v);
        w.settle(&|_| {});
    }
    assert_eq!(w.rses.len(), 2, "{:?}", w.log);
    let revs: Vec<String> = w
        .rses
        .iter()
        .map(|r| {
            r["metadata"]["annotations"][REVISION_ANNOTATION]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(revs, ["3", "4"]);
}

#[test]
fn paused_only_reports_status() {
    let mut w = World::new(deploy(2, "nginx:1"));
    w.settle(&|_| {});
    w.d["spec"]["paused"] = json!(true);
    w.set_template("nginx:2");
    let acts = w.sync_deploy();
    assert!(
        acts.iter().all(|a| matches!(a, Action::UpdateStatus(_))),
        "{acts:?}"
    );
    assert_eq!(w.cond("Progressing").1, "DeploymentPaused");
    assert_eq!(w.d["status"].get("updatedReplicas"), None);
    w.d["spec"]["paused"] = json!(false);
    w.settle(&|_| {});
    assert_eq!(w.rses.len(), 2);
    assert_eq!(w.cond("Progressing").1, "NewReplicaSetAvailable");
}

#[test]
fn name_collision_bumps_the_count() {
    let d = deploy(1, "nginx:1");
    let hash = pod_template_hash(&d["spec"]["template"], None);
    let squatter = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("web-{hash}"), "uid": "other"},
        "spec": {"template": {"metadata": {"labels": {"x": "y"}}}}});
    let actions = reconcile(&d, &[squatter], &[], t0());
    let Some(Action::CreateReplicaSet(rs)) = actions.first() else {
        panic!("{actions:?}")
    };
    let hash1 = pod_template_hash(&d["spec"]["template"], Some(1));
    assert_eq!(rs["metadata"]["name"], json!(format!("web-{hash1}")));
    let Some(Action::UpdateStatus(st)) = actions.last() else {
        panic!()
    };
    assert_eq!(st["collisionCount"], 1);
}

#[test]
fn conditions_keep_transition_time_and_kubernetes_order() {
    let mut w = World::new(deploy(2, "nginx:1"));
    w.sync_deploy();
    let first = w.d["status"]["conditions"][0].clone();
    assert_eq!(first["reason"], "NewReplicaSetCreated");
    w.settle(&|_| {});
    let conds = w.d["status"]["conditions"].clone();
    let types: Vec<&str> = conds
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(types, ["Available", "Progressing"]);
    // Progressing stayed True throughout: its transition time is the first one.
    assert_eq!(conds[1]["lastTransitionTime"], first["lastTransitionTime"]);
    assert_ne!(conds[1]["lastUpdateTime"], first["lastUpdateTime"]);
    // Available went False -> True: a new transition.
    assert_ne!(conds[0]["lastTransitionTime"], first["lastTransitionTime"]);
}

#[test]
fn rollout_restart_annotation_rolls_out_a_new_replicaset() {
    let mut w = World::new(deploy(2, "nginx:1"));
    w.settle(&|_| {});
    w.d["spec"]["template"]["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"});
    w.settle(&|w: &World| assert!(w.available() >= 2, "{:?}", w.log));
    assert_eq!(w.rses.len(), 2);
    let new = w
        .rses
        .iter()
        .find(|r| r["spec"]["replicas"] == 2)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        new["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
        "2024-01-01T00:00:00Z"
    );
    assert!(w
        .pods
        .iter()
        .all(|p| p["metadata"]["ownerReferences"][0]["uid"] == new["metadata"]["uid"]));
}

#[test]
fn malformed_objects_do_not_panic() {
    let mut bad_template = deploy(1, "x");
    bad_template["spec"]["template"] = json!("nonsense");
    let mut bad_spec = deploy(2, "x");
    bad_spec["spec"]["strategy"] =
        json!({"rollingUpdate": {"maxSurge": "abc%", "maxUnavailable": -3}});
    let rs = json!({"metadata": {"name": "web-x", "uid": "r",
        "ownerReferences": [{"uid": "d-uid", "controller": true}]}, "spec": "oops"});
    let pod = json!({"metadata": {"ownerReferences": "x"}, "status": {"conditions": 3}});
    for d in [bad_template, bad_spec, deploy(0, "x")] {
        let _ = reconcile(
            &d,
            &[rs.clone(), json!(null)],
            &[pod.clone(), json!([])],
            t0(),
        );
    }
    let _ = replicaset::reconcile(&rs, &[pod], t0());
}
