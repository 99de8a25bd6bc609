//! The `istio-proxy` container (`meshlite pilot-agent proxy sidecar|router`): one process
//! playing pilot-agent and Envoy for one pod.
//!
//! It follows the control plane's config stream ([`crate::xds`]), and serves:
//! - outbound (15001, sidecars): the app's HTTP forward proxy, routed by [`crate::proxy`]
//!   (VirtualServices, DestinationRules) to the destination pod's sidecar or the pod itself;
//! - inbound (15006, sidecars): requests from peers, forwarded to the app port they name;
//! - the gateway's listeners (routers): every other container port, routed by [`crate::proxy`];
//! - status (15021): `/healthz/ready`;
//! - Prometheus (15090, and 15020 when merged): `/stats/prometheus`.

mod admin;
mod client;
pub mod config;
#[cfg(test)]
mod tests;

use crate::proxy::inbound::{InboundLayer, ServiceOf};
use crate::proxy::table::{Identity, Role};
use crate::proxy::telemetry::Label;
use crate::proxy::{forward, stack, telemetry, workers, Proxy};

use arc_swap::ArcSwapOption;
use config::MeshConfig;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use telemetry::Metrics;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The sidecar's identity and ports (all on 127.0.0.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// A pod's sidecar, or a gateway (`router`) serving its app ports as routed listeners.
    pub role: Role,
    pub pod: String,
    pub namespace: String,
    /// The control plane's config stream.
    pub xds: SocketAddr,
    /// Host port of 15001.
    pub outbound: u16,
    /// Host port of 15006.
    pub inbound: u16,
    /// Host port of 15021.
    pub status: u16,
    /// Host port of 15090.
    pub prometheus: u16,
    /// Host port of 15020, when the pod exposes merged metrics.
    pub merged_prometheus: Option<u16>,
    /// The app's containerPort → host port.
    pub app_ports: BTreeMap<u16, u16>,
}

/// Why the sidecar cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// A listener's port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port} ({listener}): {source}")]
    Bind {
        listener: &'static str,
        port: u16,
        source: std::io::Error,
    },
}

/// The container ports the sidecar itself owns; every other `PORT_<n>` is an app port.
const PROXY_PORTS: [u16; 5] = [15001, 15006, 15020, 15021, 15090];

// === impl Settings ===

impl Settings {
    /// Read the settings from environment variables: `POD_NAME`, `POD_NAMESPACE`,
    /// `MESHLITE_XDS` (host:port), `PORT_15001`, `PORT_15006`, `PORT_15021`, `PORT_15090`,
    /// optional `PORT_15020`, and every other `PORT_<containerPort>` as an app port.
    ///
    /// `env` is a lookup, so app ports are found by asking for each possible port number.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let required = |name: &str| {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("environment variable {name} is not set"))
        };
        let port = |name: &str, value: String| {
            value
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| {
                    format!("environment variable {name}={value:?} is not a port number (1-65535)")
                })
        };
        let required_port = |n: u16| {
            let name = format!("PORT_{n}");
            port(&name, required(&name)?)
        };
        let xds_raw = required("MESHLITE_XDS")?;
        let xds = xds_raw.trim().parse::<SocketAddr>().map_err(|_| {
            format!("environment variable MESHLITE_XDS={xds_raw:?} is not a host:port address")
        })?;
        let merged_prometheus = match env("PORT_15020") {
            Some(v) => Some(port("PORT_15020", v)?),
            None => None,
        };
        let mut app_ports = BTreeMap::new();
        for n in 1..=u16::MAX {
            if PROXY_PORTS.contains(&n) {
                continue;
            }
            let name = format!("PORT_{n}");
            if let Some(v) = env(&name) {
                app_ports.insert(n, port(&name, v)?);
            }
        }
        Ok(Settings {
            role: Role::Sidecar,
            pod: required("POD_NAME")?,
            namespace: required("POD_NAMESPACE")?,
            xds,
            outbound: required_port(15001)?,
            inbound: required_port(15006)?,
            status: required_port(15021)?,
            prometheus: required_port(15090)?,
            merged_prometheus,
            app_ports,
        })
    }
}

/// State shared by the listeners and the config client.
pub(crate) struct Shared {
    pub settings: Settings,
    /// The last applied configuration; requests hold the one they started with.
    pub config: ArcSwapOption<MeshConfig>,
    pub metrics: Arc<Metrics>,
    /// The routed data path.
    pub proxy: Arc<Proxy>,
}

/// Run the sidecar until `shutdown` completes.
pub async fn run(settings: Settings, shutdown: impl Future) -> anyhow::Result<()> {
    let bind = |listener: &'static str, port: u16| async move {
        TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|source| SidecarError::Bind {
                listener,
                port,
                source,
            })
    };
    let sidecar = settings.role == Role::Sidecar;
    let (outbound, inbound) = if sidecar {
        (
            Some(bind("outbound", settings.outbound).await?),
            Some(bind("inbound", settings.inbound).await?),
        )
    } else {
        (None, None)
    };
    let mut routed = Vec::new();
    if !sidecar {
        for (container_port, host_port) in &settings.app_ports {
            routed.push((*container_port, bind("gateway", *host_port).await?));
        }
    }
    let status = bind("status", settings.status).await?;
    let prometheus = bind("prometheus", settings.prometheus).await?;
    let merged = match settings.merged_prometheus {
        Some(p) => Some(bind("merged prometheus", p).await?),
        None => None,
    };

    let workload = telemetry::workload_name(&settings.pod);
    let metrics = Arc::new(Metrics::new());
    let proxy = Arc::new(Proxy::new(
        Identity {
            role: settings.role,
            namespace: settings.namespace.clone(),
            pod: settings.pod.clone(),
            workload: workload.clone(),
        },
        metrics.clone(),
    ));
    let shared = Arc::new(Shared {
        settings,
        config: ArcSwapOption::empty(),
        metrics,
        proxy,
    });

    // Dropping the set on return aborts every task, and with them their connections.
    let mut tasks = JoinSet::new();
    tasks.spawn(client::run(shared.clone()));
    // The data path runs on worker threads (Envoy's model); the config client and the
    // admin endpoints stay on this runtime.
    let workers = workers::start(
        workers::default_count(),
        data_path(&shared, outbound, inbound, routed)?,
    )?;
    {
        let shared = shared.clone();
        tasks.spawn(forward::serve(status, move |req, _, _| {
            let shared = shared.clone();
            async move { admin::status(&shared, &req) }
        }));
    }
    for listener in std::iter::once(prometheus).chain(merged) {
        let shared = shared.clone();
        tasks.spawn(forward::serve(listener, move |req, _, _| {
            let shared = shared.clone();
            async move { admin::prometheus(&shared, &req) }
        }));
    }
    shutdown.await;
    tasks.shutdown().await;
    workers.stop();
    Ok(())
}

/// The data-path listeners and how each worker builds its stack for them.
fn data_path(
    shared: &Arc<Shared>,
    outbound: Option<TcpListener>,
    inbound: Option<TcpListener>,
    routed: Vec<(u16, TcpListener)>,
) -> std::io::Result<Vec<workers::Listener>> {
    let mut out = Vec::new();
    let proxy = &shared.proxy;
    if let Some(outbound) = outbound {
        let (proxy, port) = (proxy.clone(), shared.settings.outbound);
        out.push(workers::Listener {
            socket: outbound.into_std()?,
            port,
            stack: Arc::new(move || stack::outbound(&proxy, port)),
            tls: None,
        });
    }
    if let Some(inbound) = inbound {
        let settings = &shared.settings;
        let pod = format!("{}/{}", settings.namespace, settings.pod);
        let config = shared.clone();
        let service_of: ServiceOf = Arc::new(move |app| {
            let config = config.config.load();
            config.as_deref()?.service_at(app).map(Label::new)
        });
        let ports = InboundLayer::new(&pod, settings.app_ports.clone(), service_of);
        let proxy = proxy.clone();
        out.push(workers::Listener {
            socket: inbound.into_std()?,
            port: settings.inbound,
            stack: Arc::new(move || stack::inbound(&proxy, ports.clone())),
            tls: None,
        });
    }
    for (port, listener) in routed {
        let for_stack = proxy.clone();
        out.push(workers::Listener {
            socket: listener.into_std()?,
            port,
            stack: Arc::new(move || stack::gateway(&for_stack)),
            tls: Some(proxy.clone()),
        });
    }
    Ok(out)
}
