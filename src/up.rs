//! `meshlite up`: the control plane in the foreground — store, API server, bootstrap objects —
//! until Ctrl-C or SIGTERM.

use crate::admission::{Admission, FieldValidation};
use crate::api::resources;
use crate::apiserver::{self, AppState};
use crate::datadir::DataDir;
use crate::kubelet::{self, Kubelet};
use crate::pki::{self, Pki};
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::sync::Arc;
use tokio::net::TcpListener;

mod demo;
pub mod gateway;
mod mesh;

/// The longest `up` waits for pods to stop when it shuts down.
const STOP_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How many change events are kept for watches to resume from.
pub const WATCH_HISTORY: usize = 10_000;

/// Options of `meshlite up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub data_dir: DataDir,
    /// 0 = any free port.
    pub api_port: u16,
    /// Change events kept for watches to resume from.
    pub watch_history: usize,
    /// NodePorts are allocated from here.
    pub node_ports: std::ops::RangeInclusive<u16>,
    /// Host ports handed to containerPorts.
    pub host_ports: std::ops::RangeInclusive<u16>,
    /// Deploy the demo and report when it answers.
    pub demo: bool,
    /// Where the ingress gateway's port 80 is served on localhost.
    pub http_port: u16,
    /// Where the ingress gateway's port 443 is served on localhost.
    pub https_port: u16,
}

/// Run the control plane until a shutdown signal.
pub async fn run(opts: UpOptions) -> Result<()> {
    let dir = &opts.data_dir;
    std::fs::create_dir_all(dir.path())
        .with_context(|| format!("cannot create the data dir {}", dir.path().display()))?;
    let _lock = lock(dir)?;
    let store = Store::open(&dir.db(), opts.watch_history)
        .with_context(|| format!("cannot open the store in {}", dir.db().display()))?;
    let pki = Pki::load_or_create(&dir.pki())?;
    let tls = pki.server_config(&dir.pki())?;
    let token = token(dir)?;

    let listener = TcpListener::bind(("127.0.0.1", opts.api_port)).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow!(
                "cannot listen on 127.0.0.1:{}: the port is in use by another program. Pick another with --api-port (0 = any free port)",
                opts.api_port
            )
        } else {
            anyhow!("cannot listen on 127.0.0.1:{}: {e}", opts.api_port)
        }
    })?;
    let port = listener.local_addr()?.port();
    let server = format!("https://127.0.0.1:{port}");
    for (flag, p) in [
        ("--http-port", opts.http_port),
        ("--https-port", opts.https_port),
    ] {
        if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", p)) {
            bail!(
                "cannot serve the ingress gateway on 127.0.0.1:{p}: {e}. Another program holds the port; pick another with {flag}"
            );
        }
    }

    let (services, _) = store.list(&resources::core("services").key_prefix())?;
    let admission = Arc::new(Admission::with_node_ports(
        &services,
        opts.node_ports.clone(),
    ));
    // Pods get this proxy as HTTP_PROXY, so Service names resolve from plain apps.
    let resolver = TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot listen for the Service name resolver on 127.0.0.1")?;
    // The config stream sidecars follow (istiod's part).
    let hub = crate::xds::Hub::new();
    let xds = TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot listen for the proxies' config stream on 127.0.0.1")?;
    let xds_addr = xds.local_addr()?;
    let xds_server = tokio::spawn({
        let app = crate::xds::router(hub.clone());
        async move {
            let _ = axum::serve(xds, app).await;
        }
    });
    let mesh = tokio::spawn(mesh::run(store.clone(), hub.clone()));
    let kubelet = Arc::new(Kubelet::start(
        store.clone(),
        admission.clone(),
        kubelet::Config {
            data_dir: dir.clone(),
            host_ports: opts.host_ports.clone(),
            proxy_port: Some(resolver.local_addr()?.port()),
            xds: Some(xds_addr),
            exe: std::env::current_exe().context("cannot find the meshlite executable")?,
        },
    ));
    let state = Arc::new(AppState {
        store: store.clone(),
        admission: admission.clone(),
        token: token.clone(),
        address: format!("127.0.0.1:{port}"),
        runtime: Some(kubelet.clone() as Arc<dyn apiserver::runtime::PodRuntime>),
        xds: Some(hub.clone()),
    });
    bootstrap(&state, port, &opts).await?;
    write_kubeconfig(dir, &server, &pki.ca_pem, &token)?;
    std::fs::write(
        dir.state(),
        json!({"pid": std::process::id(), "apiPort": port, "server": server}).to_string(),
    )
    .with_context(|| format!("cannot write {}", dir.state().display()))?;

    let controllers = tokio::spawn(crate::controllers::runner::run(
        store.clone(),
        admission.clone(),
    ));
    let network = tokio::spawn(crate::serviceproxy::run(
        store.clone(),
        admission.clone(),
        resolver,
    ));
    banner(dir, &server);
    if opts.demo {
        tokio::spawn(demo::run(store.clone(), admission.clone(), opts.http_port));
    }
    apiserver::serve::serve(
        listener,
        tls,
        apiserver::app(state),
        crate::signal::shutdown_signal(),
    )
    .await;
    println!("meshlite: stopping");
    controllers.abort();
    network.abort();
    mesh.abort();
    kubelet.shutdown(STOP_LIMIT).await;
    xds_server.abort();
    store.flush()?;
    let _ = std::fs::remove_file(dir.state());
    Ok(())
}

fn banner(dir: &DataDir, server: &str) {
    let kubeconfig = dir.kubeconfig();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "meshlite is up.\n\
         \n  API server:  {server}  (ready: {server}/readyz)\
         \n  data dir:    {}\
         \n  kubeconfig:  {}\
         \n\nUse it with kubectl:\n  export KUBECONFIG={}\n  kubectl get ns\
         \n\nOr with meshlite's own CLI (in another terminal):\
         \n  meshlite apply -f examples/httpbin/httpbin-nodeport.yaml\
         \n  meshlite get pod,svc\
         \n\nPress Ctrl-C to stop.",
        dir.path().display(),
        kubeconfig.display(),
        kubeconfig.display(),
    );
    let _ = out.flush();
}

/// Hold an exclusive lock on the data dir for as long as `up` runs.
fn lock(dir: &DataDir) -> Result<nix::fcntl::Flock<File>> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.lock())
        .with_context(|| format!("cannot open {}", dir.lock().display()))?;
    match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(l) => Ok(l),
        Err((_, _)) => {
            let running: Value = std::fs::read_to_string(dir.state())
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            let pid = running
                .get("pid")
                .map(Value::to_string)
                .unwrap_or_else(|| "?".into());
            let port = running
                .get("apiPort")
                .map(Value::to_string)
                .unwrap_or_else(|| "?".into());
            bail!(
                "meshlite is already running on data dir {} (pid {pid}, API https://127.0.0.1:{port}). \
                 Stop it first (Ctrl-C in its terminal, or kill {pid}), or use another --data-dir",
                dir.path().display()
            )
        }
    }
}

/// The bearer token: made once, kept in the data dir.
fn token(dir: &DataDir) -> Result<String> {
    if let Ok(t) = std::fs::read_to_string(dir.token()) {
        let t = t.trim().to_string();
        if !t.is_empty() {
            return Ok(t);
        }
    }
    let t: String = {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        (0..32)
            .map(|_| format!("{:02x}", rng.gen::<u8>()))
            .collect()
    };
    pki::write_private(&dir.token(), &t)?;
    Ok(t)
}

/// Write the kubeconfig atomically (a reader never sees half a file).
fn write_kubeconfig(dir: &DataDir, server: &str, ca_pem: &str, token: &str) -> Result<()> {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: meshlite\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n\
         contexts:\n- name: meshlite\n  context:\n    cluster: meshlite\n    user: meshlite\n    namespace: default\n\
         current-context: meshlite\nusers:\n- name: meshlite\n  user:\n    token: {token}\npreferences: {{}}\n"
    );
    let tmp = dir.path().join("kubeconfig.tmp");
    pki::write_private(&tmp, &text)?;
    std::fs::rename(&tmp, dir.kubeconfig())
        .with_context(|| format!("cannot write {}", dir.kubeconfig().display()))?;
    Ok(())
}

/// The namespaces every cluster has (istio-system with injection off, as Istio installs it),
/// and the `kubernetes` Service for the API itself.
async fn bootstrap(st: &AppState, port: u16, opts: &UpOptions) -> Result<()> {
    let ns_res = resources::core("namespaces");
    for (name, labels) in [
        ("default", json!({})),
        ("kube-system", json!({})),
        ("kube-public", json!({})),
        ("kube-node-lease", json!({})),
        ("istio-system", json!({"istio-injection": "disabled"})),
    ] {
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});
        create_if_missing(st, ns_res, None, obj).await?;
    }
    let svc = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": crate::admission::allocator::API_SERVICE_IP.to_string(),
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]}
    });
    create_if_missing(st, resources::core("services"), Some("default"), svc).await?;
    let ns = Some(gateway::NAMESPACE);
    let services = resources::core("services");
    create_if_missing(st, services, ns, gateway::istiod_service()).await?;
    create_if_missing(st, services, ns, gateway::service()).await?;
    let deployments = resources::lookup("deployments").context("deployments are served")?;
    let wanted = gateway::deployment(opts.http_port, opts.https_port);
    let key = deployments.key(ns, gateway::NAME);
    match st.store.get(&key)? {
        None => create_if_missing(st, deployments, ns, wanted).await?,
        Some(stored) => {
            // Another --http-port/--https-port than last time: roll the gateway onto them.
            let want = (
                Some(u64::from(opts.http_port)),
                Some(u64::from(opts.https_port)),
            );
            if gateway::host_ports(&stored) != want {
                crate::objects::edit(
                    &st.store,
                    &st.admission,
                    deployments,
                    gateway::NAMESPACE,
                    gateway::NAME,
                    None,
                    |d| {
                        d["spec"]["template"]["spec"]["containers"][0]["ports"] =
                            wanted["spec"]["template"]["spec"]["containers"][0]["ports"].clone();
                    },
                )
                .await;
            }
        }
    }
    Ok(())
}

async fn create_if_missing(
    st: &AppState,
    res: &resources::Resource,
    ns: Option<&str>,
    obj: Value,
) -> Result<()> {
    let key = res.key(ns, crate::api::meta::name(&obj));
    if st.store.get(&key)?.is_some() {
        return Ok(());
    }
    let admitted = st
        .admission
        .create(res, res.version(), ns, obj, FieldValidation::Strict)
        .map_err(|e| anyhow!("bootstrap object {key} was refused: {e}"))?;
    st.store.create(&key, admitted.object).await?;
    Ok(())
}
