//! The kubelet's main loop: follow Pods in the store (a [`crate::store::watcher`]) and keep
//! exactly one worker per live pod — start workers for new pods, stop them (with the pod's grace
//! period) for deleted or terminating ones, and remove a terminating pod from the store once its
//! processes are gone.

use super::{pod, Shared};
use crate::api::meta;
use crate::api::resources;
use crate::store::watcher::{self, Watcher};
use crate::store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Grace for pods removed from the store without going through termination (namespace
/// deletion, force delete).
const GONE_GRACE: Duration = Duration::from_secs(2);

/// A pod worker: its stop switch and its task.
pub(super) struct Worker {
    /// `<ns>_<name>`: the pod's folder names.
    folder: String,
    stop: watch::Sender<Option<Duration>>,
    task: tokio::task::JoinHandle<()>,
}

/// The live workers by pod uid.
pub(super) type Workers = Mutex<HashMap<String, Worker>>;

/// Follow pods until aborted.
pub(super) async fn run(shared: Arc<Shared>) {
    let mut pods = Watcher::new(shared.store.clone(), resources::core("pods").key_prefix());
    let mut first = true;
    while let Some(ev) = pods.next().await {
        match ev {
            watcher::Event::Init(pods) => {
                if std::mem::take(&mut first) {
                    remove_leftover_folders(&shared, &pods);
                }
                resync(&shared, pods);
            }
            watcher::Event::Apply(pod) => observe(&shared, pod, false),
            watcher::Event::Delete(pod) => observe(&shared, pod, true),
        }
    }
}

/// Folders of pods deleted while `up` was not running.
fn remove_leftover_folders(shared: &Shared, pods: &[Value]) {
    let kept: Vec<String> = pods.iter().map(folder).collect();
    for base in ["pods", "logs"] {
        let Ok(entries) = std::fs::read_dir(shared.dir.path().join(base)) else {
            continue;
        };
        for e in entries.flatten() {
            if !kept.contains(&e.file_name().to_string_lossy().into_owned()) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// A full listing: stop workers of pods that are not in it, then observe every pod.
fn resync(shared: &Arc<Shared>, pods: Vec<Value>) {
    let live: Vec<String> = pods.iter().map(uid).collect();
    {
        let mut w = shared.workers.lock().unwrap_or_else(|p| p.into_inner());
        for (id, worker) in w.iter() {
            if !live.contains(id) {
                let _ = worker.stop.send(Some(GONE_GRACE));
            }
        }
        w.retain(|id, _| live.contains(id));
    }
    for p in pods {
        observe(shared, p, false);
    }
}

/// React to one pod's latest state.
fn observe(shared: &Arc<Shared>, pod: Value, deleted: bool) {
    let id = uid(&pod);
    let mut w = shared.workers.lock().unwrap_or_else(|p| p.into_inner());
    if deleted {
        let worker = w.remove(&id);
        if let Some(worker) = &worker {
            let _ = worker.stop.send(Some(GONE_GRACE));
        }
        forget(shared, worker, folder(&pod));
        return;
    }
    let terminating = pod.pointer("/metadata/deletionTimestamp").is_some();
    if terminating {
        let grace = pod
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_u64)
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(30));
        match w.get(&id) {
            Some(worker) => {
                // A shorter grace (a second delete) replaces a longer one.
                let current = *worker.stop.borrow();
                if current.is_none_or(|c| grace < c) {
                    let _ = worker.stop.send(Some(grace));
                }
            }
            None => {
                // Nothing runs for it (e.g. `up` restarted mid-termination): remove it now.
                let key = resources::core("pods").key(meta::namespace(&pod), meta::name(&pod));
                finish(shared.store.clone(), key, id.clone());
            }
        }
        return;
    }
    if w.contains_key(&id) {
        return;
    }
    let pod_folder = folder(&pod);
    let (stop, stop_rx) = watch::channel(None);
    let task = {
        let shared = shared.clone();
        let key = resources::core("pods").key(meta::namespace(&pod), meta::name(&pod));
        let id = id.clone();
        let mut stop_rx2 = stop_rx.clone();
        tokio::spawn(async move {
            pod::run(shared.clone(), pod, stop_rx).await;
            // Stopped because the pod is terminating: it may go now.
            if stop_rx2.borrow_and_update().is_some() {
                finish(shared.store.clone(), key, id);
            }
        })
    };
    w.insert(
        id,
        Worker {
            folder: pod_folder,
            stop,
            task,
        },
    );
}

/// `<ns>_<name>`, the name of a pod's working and log folders.
fn folder(pod: &Value) -> String {
    format!(
        "{}_{}",
        meta::namespace(pod).unwrap_or("default"),
        meta::name(pod)
    )
}

/// A pod is gone for good: once its processes have ended, remove its working folder and logs
/// (unless a new pod of the same name has started using them meanwhile).
fn forget(shared: &Arc<Shared>, worker: Option<Worker>, folder: String) {
    let shared = shared.clone();
    tokio::spawn(async move {
        if let Some(w) = worker {
            let _ = w.task.await;
        }
        let reused = shared
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|w| w.folder == folder);
        if !reused {
            for base in ["pods", "logs"] {
                let _ = std::fs::remove_dir_all(shared.dir.path().join(base).join(&folder));
            }
        }
    });
}

/// Remove a terminated pod from the store (only the same pod: a new one of the same name stays).
fn finish(store: Store, key: String, id: String) {
    tokio::spawn(async move {
        let r = store
            .mutate(&key, |cur| match cur {
                Some(cur)
                    if uid(cur) == id && cur.pointer("/metadata/deletionTimestamp").is_some() =>
                {
                    Ok(crate::store::Change::Delete)
                }
                _ => Ok(crate::store::Change::Keep),
            })
            .await;
        if let Err(e) = r {
            tracing::debug!(error = %e, %key, "removing a terminated pod skipped");
        }
    });
}

/// Stop every worker with at most `limit` of grace and wait for them.
pub(super) async fn stop_all(shared: &Shared, limit: Duration) {
    let all: Vec<Worker> = shared
        .workers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain()
        .map(|(_, w)| w)
        .collect();
    for w in &all {
        let _ = w.stop.send(Some(limit));
    }
    for w in all {
        let _ = w.task.await;
    }
}

fn uid(pod: &Value) -> String {
    pod.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
