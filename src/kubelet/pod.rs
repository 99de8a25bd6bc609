//! A pod's life on the node: take host ports (or report why not), bind it to the node, run init
//! containers in order and then the containers, write the status on every change, and on stop
//! end every container (TERM, grace, KILL) and give its ports back.

use super::container::{self, Outcome, PodContext};
use super::status::{self, Container, Stage};
use super::Shared;
use crate::api::meta;
use crate::api::node::{HOST_PORTS_ANNOTATION, NODE_NAME};
use crate::api::resources;
use crate::objects::{self, Note};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often an unschedulable pod (no free host ports) tries again.
const RETRY_SCHEDULING: Duration = Duration::from_secs(2);

/// Run `pod` until it is told to stop (`stop` turns `Some(grace)`). Returns once every
/// process has ended and the ports are released.
pub(super) async fn run(shared: Arc<Shared>, pod: Value, stop: watch::Receiver<Option<Duration>>) {
    let ns = meta::namespace(&pod).unwrap_or("default").to_string();
    let name = meta::name(&pod).to_string();
    let Some((pod, host_ports)) = schedule(&shared, pod, stop.clone()).await else {
        return;
    };
    let workdir = shared.dir.path().join("pods").join(format!("{ns}_{name}"));
    let bin = workdir.join(".meshlite-bin");
    if let Err(e) = std::fs::create_dir_all(&bin) {
        tracing::warn!(error = %e, "cannot create the pod's working folder {}", workdir.display());
    }
    // The built-in curl, and a `ps` that lists only the container's processes, first on
    // every container's PATH.
    for tool in ["curl", "ps"] {
        let link = bin.join(tool);
        if !link.exists() {
            let _ = std::os::unix::fs::symlink(&shared.exe, &link);
        }
    }
    let ctx = Arc::new(PodContext {
        restart_policy: pod
            .pointer("/spec/restartPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Always")
            .to_string(),
        logdir: super::log_dir(&shared.dir, &ns, &name),
        pod,
        host_ports: host_ports.clone(),
        workdir,
        stop: stop.clone(),
    });
    let init_specs = containers(&ctx.pod, "initContainers");
    let specs = containers(&ctx.pod, "containers");
    let (tx, mut rx) = mpsc::unbounded_channel::<(bool, usize, Container)>();
    let mut writer = StatusWriter {
        shared: shared.clone(),
        ns: ns.clone(),
        name: name.clone(),
        restart_policy: ctx.restart_policy.clone(),
        start_time: meta::now_rfc3339(),
        init: Vec::new(),
        main: Vec::new(),
        stage: if init_specs.is_empty() {
            Stage::Running
        } else {
            Stage::Initializing
        },
    };
    writer.main = specs
        .iter()
        .map(|c| waiting(c, "PodInitializing"))
        .collect();
    writer.init = init_specs
        .iter()
        .map(|c| waiting(c, "PodInitializing"))
        .collect();
    writer.write().await;

    let mut initialized = true;
    for (i, spec) in init_specs.iter().enumerate() {
        let task = tokio::spawn(container::run(
            shared.clone(),
            ctx.clone(),
            spec.clone(),
            i,
            true,
            tx.clone(),
        ));
        let outcome = drain_until(task, &mut rx, &mut writer).await;
        if outcome != Outcome::Done(0) {
            initialized = false;
            break;
        }
    }
    if initialized {
        writer.stage = Stage::Running;
        writer.main = specs
            .iter()
            .map(|c| waiting(c, "ContainerCreating"))
            .collect();
        writer.write().await;
        let tasks: Vec<_> = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                tokio::spawn(container::run(
                    shared.clone(),
                    ctx.clone(),
                    spec.clone(),
                    i,
                    false,
                    tx.clone(),
                ))
            })
            .collect();
        drop(tx);
        // Every state change until all containers are done for good (or stopped).
        let all = futures::future::join_all(tasks);
        tokio::pin!(all);
        loop {
            tokio::select! {
                Some(update) = rx.recv() => writer.apply(update).await,
                _ = &mut all => break,
            }
        }
        while let Ok(update) = rx.try_recv() {
            writer.apply(update).await;
        }
    } else {
        drop(tx);
    }
    // Done for good (completed or failed) but not deleted: hold on until told to stop.
    let mut stop = stop;
    if stop.borrow().is_none() {
        let _ = stop.changed().await;
    }
    release(&shared, &ns, &name, &host_ports);
}

/// Wait for one container task, writing its updates as they come.
async fn drain_until(
    task: tokio::task::JoinHandle<Outcome>,
    rx: &mut mpsc::UnboundedReceiver<(bool, usize, Container)>,
    writer: &mut StatusWriter,
) -> Outcome {
    tokio::pin!(task);
    let outcome = loop {
        tokio::select! {
            Some(update) = rx.recv() => writer.apply(update).await,
            r = &mut task => break r.unwrap_or(Outcome::Stopped),
        }
    };
    while let Ok(update) = rx.try_recv() {
        writer.apply(update).await;
    }
    outcome
}

fn release(shared: &Shared, ns: &str, name: &str, host_ports: &BTreeMap<u16, u16>) {
    let mut pool = shared.ports.lock().unwrap_or_else(|p| p.into_inner());
    for port in host_ports.values() {
        pool.release(*port);
    }
    drop(pool);
    shared.forget_pod(ns, name);
}

/// Place the pod on the node: host ports for every containerPort (the ones it had before when
/// still free), `spec.nodeName` and the port map annotation. Waits (reporting Unschedulable)
/// while the pool is exhausted. `None` when told to stop first or the pod is gone.
async fn schedule(
    shared: &Shared,
    pod: Value,
    mut stop: watch::Receiver<Option<Duration>>,
) -> Option<(Value, BTreeMap<u16, u16>)> {
    let ns = meta::namespace(&pod).unwrap_or("default").to_string();
    let name = meta::name(&pod).to_string();
    let res = resources::core("pods");
    let previous: BTreeMap<u16, u16> = pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(HOST_PORTS_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let wanted = wanted_ports(&pod);
    let fixed = declared_host_ports(&pod);
    let mut reported = false;
    let host_ports = loop {
        match allocate(shared, &wanted, &fixed, &previous) {
            Ok(m) => break m,
            Err(e) => {
                let msg = format!(
                    "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. ({e})"
                );
                if !reported {
                    reported = true;
                    shared
                        .note(
                            &pod,
                            &Note::warning("default-scheduler", "FailedScheduling", &msg),
                        )
                        .await;
                    let st = status::pod_status(
                        &status::Snapshot {
                            stage: Stage::Unschedulable,
                            unschedulable: Some(&msg),
                            init: &[],
                            containers: &[],
                            restart_policy: "Always",
                            start_time: "",
                        },
                        pod.get("status").unwrap_or(&Value::Null),
                        &meta::now_rfc3339(),
                    );
                    objects::edit(
                        &shared.store,
                        &shared.admission,
                        res,
                        &ns,
                        &name,
                        Some("status"),
                        |p| {
                            p["status"] = st;
                        },
                    )
                    .await;
                }
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_SCHEDULING) => continue,
                    _ = stop.changed() => return None,
                }
            }
        }
    };
    let was_bound = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let map_json = serde_json::to_string(&host_ports).unwrap_or_default();
    let bound = objects::edit(
        &shared.store,
        &shared.admission,
        res,
        &ns,
        &name,
        None,
        |p| {
            p["spec"]["nodeName"] = json!(NODE_NAME);
            meta::metadata_map_mut(p, "annotations")
                .insert(HOST_PORTS_ANNOTATION.into(), json!(map_json));
        },
    )
    .await;
    let Some(bound) = bound else {
        release(shared, &ns, &name, &host_ports);
        return None;
    };
    if !was_bound {
        let msg = format!("Successfully assigned {ns}/{name} to {NODE_NAME}");
        shared
            .note(
                &bound,
                &Note::normal("default-scheduler", "Scheduled", &msg),
            )
            .await;
    }
    Some((bound, host_ports))
}

/// Every containerPort that needs a host port (a built-in sample's usual port too, even when
/// undeclared).
fn wanted_ports(pod: &Value) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    for c in containers(pod, "containers")
        .iter()
        .chain(containers(pod, "initContainers").iter())
    {
        let declared = super::container_ports(c);
        let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
        let is_sidecar = c.pointer("/args/0").and_then(Value::as_str) == Some("proxy");
        if super::program::is_proxy_image(image) && is_sidecar {
            out.extend(super::program::PROXY_PORTS);
        }
        if declared.is_empty() {
            if let Some(s) = crate::samples::for_image(image) {
                if s.default_port() != 0 {
                    out.push(s.default_port());
                }
            }
        }
        out.extend(declared);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `containerPort` → `hostPort` for ports that declare one.
fn declared_host_ports(pod: &Value) -> BTreeMap<u16, u16> {
    let port = |p: &Value, key: &str| {
        p.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n != 0)
    };
    containers(pod, "containers")
        .iter()
        .flat_map(|c| {
            c.get("ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| Some((port(&p, "containerPort")?, port(&p, "hostPort")?)))
        .collect()
}

fn allocate(
    shared: &Shared,
    wanted: &[u16],
    fixed: &BTreeMap<u16, u16>,
    previous: &BTreeMap<u16, u16>,
) -> Result<BTreeMap<u16, u16>, super::ports::Exhausted> {
    let mut pool = shared.ports.lock().unwrap_or_else(|p| p.into_inner());
    let mut got = BTreeMap::new();
    for p in wanted {
        let result = match fixed.get(p) {
            // A declared hostPort is that port or nothing, as on a real node.
            Some(host) => pool
                .allocate_exact(*host)
                .ok_or_else(|| super::ports::Exhausted {
                    range: format!("hostPort {host}"),
                }),
            None => pool.allocate(previous.get(p).copied()),
        };
        match result {
            Ok(h) => {
                got.insert(*p, h);
            }
            Err(e) => {
                for h in got.values() {
                    pool.release(*h);
                }
                return Err(e);
            }
        }
    }
    Ok(got)
}

fn containers(pod: &Value, field: &str) -> Vec<Value> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn waiting(spec: &Value, reason: &str) -> Container {
    Container {
        name: spec
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        image: spec
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        state: status::State::waiting(reason, None),
        last_state: None,
        ready: false,
        started: false,
        restart_count: 0,
        pid: None,
    }
}

/// Keeps the pod's container states and writes `status` when they change.
struct StatusWriter {
    shared: Arc<Shared>,
    ns: String,
    name: String,
    restart_policy: String,
    start_time: String,
    stage: Stage,
    init: Vec<Container>,
    main: Vec<Container>,
}

// === impl StatusWriter ===

impl StatusWriter {
    async fn apply(&mut self, (init, i, c): (bool, usize, Container)) {
        let list = if init { &mut self.init } else { &mut self.main };
        if let Some(slot) = list.get_mut(i) {
            if *slot == c {
                return;
            }
            *slot = c;
        }
        self.write().await;
    }

    async fn write(&self) {
        let res = resources::core("pods");
        let snapshot = status::Snapshot {
            stage: self.stage,
            unschedulable: None,
            init: &self.init,
            containers: &self.main,
            restart_policy: &self.restart_policy,
            start_time: &self.start_time,
        };
        let now = meta::now_rfc3339();
        objects::edit(
            &self.shared.store,
            &self.shared.admission,
            res,
            &self.ns,
            &self.name,
            Some("status"),
            |p| {
                let st =
                    status::pod_status(&snapshot, p.get("status").unwrap_or(&Value::Null), &now);
                p["status"] = st;
            },
        )
        .await;
    }
}
