//! The pod runtime — meshlite's kubelet: every Pod in the store becomes local processes, one
//! per container, with host ports for its containerPorts, probes, restarts and logs, and its
//! status written back.
//!
//! - [`sync`] watches Pods and keeps one worker per pod; [`pod`] is a pod's life (ports,
//!   init containers, containers, status, stop); [`container`] one container's life.
//! - Pure pieces: [`env`] (environment), [`program`] (what an image runs), [`status`] (the
//!   pod's `status`), [`probe`] parsing, [`ports`] (the host port pool).
//! - [`process`] starts children that cannot outlive `up`; [`logs`] stores and serves output.

mod container;
pub mod env;
pub mod logs;
mod pod;
pub mod ports;
pub mod probe;
pub mod process;
pub mod program;
pub mod ps;
pub mod status;
mod sync;

use crate::admission::Admission;
use crate::api::meta;
use crate::api::resources;
use crate::apiserver::runtime::{ExecTarget, PodRuntime};
use crate::datadir::DataDir;
use crate::objects::{self, EventType, Note};
use crate::store::Store;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every container process carries this variable (the data dir), so a later `up` can find and
/// stop leftovers of its own data dir — and only those.
pub const MARKER_ENV: &str = "MESHLITE_DATA_DIR";

/// Default range of host ports for containerPorts: below the NodePort range (30000–32767) and
/// the kernel's ephemeral ports (32768+).
pub const DEFAULT_HOST_PORTS: RangeInclusive<u16> = 20000..=29999;

/// How the kubelet is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: DataDir,
    pub host_ports: RangeInclusive<u16>,
    /// The resolver proxy's port, given to pods as `HTTP_PROXY`.
    pub proxy_port: Option<u16>,
    /// The control plane's config stream, given to sidecars as `MESHLITE_XDS`.
    pub xds: Option<std::net::SocketAddr>,
    /// This binary (built-in samples and the launcher run from it).
    pub exe: PathBuf,
}

/// The running kubelet: a handle for the API server's `log` and `exec`.
pub struct Kubelet {
    shared: Arc<Shared>,
    sync: tokio::task::JoinHandle<()>,
}

/// State shared by the sync loop and every pod worker.
pub(crate) struct Shared {
    store: Store,
    admission: Arc<Admission>,
    dir: DataDir,
    exe: PathBuf,
    spawner: process::Spawner,
    ports: Mutex<ports::PortPool>,
    proxy_port: Option<u16>,
    xds: Option<std::net::SocketAddr>,
    marker: String,
    targets: Mutex<HashMap<(String, String, String), ExecTarget>>,
    workers: sync::Workers,
}

// === impl Kubelet ===

impl Kubelet {
    /// Stop leftovers of an earlier run of this data dir, then start running the stored pods.
    pub fn start(store: Store, admission: Arc<Admission>, config: Config) -> Kubelet {
        let marker = config.data_dir.path().display().to_string();
        for pid in process::stragglers(MARKER_ENV, &marker) {
            tracing::info!(pid, "stopping a container process left by an earlier run");
            let _ = process::kill_group(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let shared = Arc::new(Shared {
            store,
            admission,
            dir: config.data_dir,
            spawner: process::Spawner::new(Some(config.exe.clone())),
            exe: config.exe,
            ports: Mutex::new(ports::PortPool::new(config.host_ports)),
            proxy_port: config.proxy_port,
            xds: config.xds,
            marker,
            targets: Mutex::new(HashMap::new()),
            workers: Mutex::new(HashMap::new()),
        });
        let sync = tokio::spawn(sync::run(shared.clone()));
        Kubelet { shared, sync }
    }

    /// Stop every pod's processes (each with its grace period, at most `limit`), leaving the
    /// pods in the store so the next `up` starts them again.
    pub async fn shutdown(&self, limit: Duration) {
        self.sync.abort();
        sync::stop_all(&self.shared, limit).await;
    }
}

/// What the API server's `log` and `exec` ask of the kubelet.
impl PodRuntime for Kubelet {
    fn exec_target(&self, ns: &str, pod: &str, container: &str) -> Option<ExecTarget> {
        self.shared
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(ns.to_string(), pod.to_string(), container.to_string()))
            .cloned()
    }

    fn log_path(&self, ns: &str, pod: &str, container: &str, previous: bool) -> PathBuf {
        log_path(&self.shared.dir, ns, pod, container, previous)
    }
}

/// `DIR/logs/<ns>_<pod>/<container>.log` (or `.previous.log`).
pub fn log_path(dir: &DataDir, ns: &str, pod: &str, container: &str, previous: bool) -> PathBuf {
    let file = if previous {
        format!("{container}.previous.log")
    } else {
        format!("{container}.log")
    };
    log_dir(dir, ns, pod).join(file)
}

/// `DIR/logs/<ns>_<pod>`: a pod's log folder.
pub fn log_dir(dir: &DataDir, ns: &str, pod: &str) -> PathBuf {
    dir.path().join("logs").join(format!("{ns}_{pod}"))
}

// === impl Shared ===

impl Shared {
    /// Record an event as the kubelet.
    async fn record(
        &self,
        about: &Value,
        kind: EventType,
        reason: &str,
        message: &str,
        field_path: Option<&str>,
    ) {
        let note = Note {
            kind,
            reason,
            message,
            component: "kubelet",
            field_path,
        };
        self.note(about, &note).await
    }

    async fn note(&self, about: &Value, note: &Note<'_>) {
        objects::record(&self.store, &self.admission, about, note).await
    }

    /// The environment inputs for a container starting now.
    fn env_context(&self, pod: &container::PodContext, spec: &Value) -> env::Context {
        let ns = meta::namespace(&pod.pod).unwrap_or("default");
        let services = self
            .store
            .list(&format!(
                "{}{ns}/",
                resources::core("services").key_prefix()
            ))
            .map(|(s, _)| s)
            .unwrap_or_default();
        let image = spec
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sample = crate::samples::for_image(image);
        // In a pod with a sidecar the app's HTTP_PROXY is the sidecar's outbound listener; the
        // sidecar itself gets the config stream instead.
        let is_proxy = program::is_proxy_image(image);
        let sidecar_outbound = has_sidecar(&pod.pod)
            .then(|| pod.host_ports.get(&15001).copied())
            .flatten();
        let mut extra = Vec::new();
        if let (true, Some(xds)) = (is_proxy, self.xds) {
            extra.push(("MESHLITE_XDS".to_string(), xds.to_string()));
        }
        env::Context {
            host_ports: pod.host_ports.clone(),
            listen_port: listen_port(spec, sample.as_ref(), &pod.host_ports),
            services,
            proxy_port: if is_proxy {
                None
            } else {
                sidecar_outbound.or(self.proxy_port)
            },
            extra,
            path: self.path(&pod.workdir),
            passthrough: ["HOME", "LANG", "USER", "TMPDIR", "TERM"]
                .iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
                .collect(),
        }
    }

    /// PATH: the pod's helper folder (the built-in `curl`) first, then the machine's.
    fn path(&self, workdir: &std::path::Path) -> String {
        let host = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
        format!("{}:{host}", workdir.join(".meshlite-bin").display())
    }

    fn set_exec_target(
        &self,
        pod: &Value,
        container: &str,
        env: Vec<(String, String)>,
        cwd: PathBuf,
    ) {
        let key = (
            meta::namespace(pod).unwrap_or_default().to_string(),
            meta::name(pod).to_string(),
            container.to_string(),
        );
        self.targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, ExecTarget { env, cwd });
    }

    fn forget_pod(&self, ns: &str, pod: &str) {
        self.targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(n, p, _), _| !(n == ns && p == pod));
    }
}

/// The port a container's program listens on (`PORT`): for a built-in sample, the host port of
/// its image's usual port when declared, else of the first declared port, else of its usual
/// port (mapped even when undeclared, as `create deploy --image=nginx` declares none); for
/// other programs, the first declared port.
pub fn listen_port(
    spec: &Value,
    sample: Option<&crate::samples::Sample>,
    host_ports: &BTreeMap<u16, u16>,
) -> Option<u16> {
    let declared = container_ports(spec);
    let wanted = match sample {
        Some(s) if declared.contains(&s.default_port()) => Some(s.default_port()),
        Some(s) if declared.is_empty() && s.default_port() != 0 => Some(s.default_port()),
        _ => declared.first().copied(),
    }?;
    host_ports.get(&wanted).copied()
}

/// Whether the pod runs Istio's sidecar (`istio-proxy` from the proxy image).
pub fn has_sidecar(pod: &Value) -> bool {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            program::is_proxy_image(c.get("image").and_then(Value::as_str).unwrap_or_default())
        })
}

/// A container's declared TCP containerPorts, in order.
pub fn container_ports(spec: &Value) -> Vec<u16> {
    spec.get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("protocol").and_then(Value::as_str).unwrap_or("TCP") == "TCP")
        .filter_map(|p| p.get("containerPort").and_then(Value::as_u64))
        .filter_map(|p| u16::try_from(p).ok())
        .collect()
}
