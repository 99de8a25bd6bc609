//! The HTTP data path shared by the ingress gateway and the sidecars, playing Envoy's part.
//!
//! # Layout
//! The path is a stack of tower layers, composed in one place, [`stack`]:
//!
//! ```text
//! accept (listen) → HTTP server (h1, h2, upgrades)
//!   → observe (request id, access log, metrics, errors → local replies)
//!   → route (listener → virtual host → rule) → cors → fault → action (redirect, direct
//!     response, or one weighted destination)
//!   → headers → replay (keep small bodies) → mirror → timeout → retry
//!   → endpoint (cluster → load balancer → one endpoint) → client (pooled connections)
//! ```
//!
//! The inbound side of a sidecar reuses `observe` and `client` around its own `inbound` step.
//! Each layer is one file and is tested on its own over `tower::service_fn` upstreams.
//!
//! - [`table`], [`target`]: a compiled config version — routes from [`crate::routes`],
//!   clusters with their balancers, and what each route needs to forward, computed once.
//! - [`balance`]: load-balancing, outlier-detection and connection-pool state per cluster.
//! - [`error`], [`report`], [`telemetry`]: local replies, what layers note about an exchange,
//!   and the metrics and access-log records made from it.
//! - [`listen`], [`forward`]: sockets, TLS and HTTP plumbing.
//!
//! Data flows one way: a new config replaces the [`table::Table`] atomically; requests hold
//! the version they started with. The proxy depends on [`crate::routes`] and [`crate::api`]
//! for its config and on nothing that runs the control plane.

pub mod action;
pub mod balance;
pub mod client;
pub mod cors;
pub mod endpoint;
pub mod error;
pub mod fault;
pub mod forward;
pub mod headers;
pub mod inbound;
pub mod layer;
pub mod listen;
pub mod mirror;
pub mod observe;
pub mod outbound;
pub mod replay;
pub mod report;
pub mod retry;
pub mod route;
pub mod stack;
pub mod table;
pub mod target;
pub mod telemetry;
pub mod timeout;
pub mod workers;

#[cfg(test)]
mod test_util;

use arc_swap::ArcSwapOption;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use table::{Identity, Table};
use telemetry::Metrics;

/// Header a sidecar sends to a peer's inbound listener: the app host port to deliver to.
pub const TARGET_PORT_HEADER: &str = "x-meshlite-target-port";

/// Header a sidecar sends to a peer's inbound listener: the calling workload, for metrics
/// (standing in for Istio's peer metadata exchange).
pub const SOURCE_WORKLOAD_HEADER: &str = "x-meshlite-source-workload";

/// The future every layer returns.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Where a request came in; the listener puts it in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Downstream {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The listener's port as routes know it (the container port, or the URL's port for a
    /// sidecar's outbound call).
    pub port: u16,
    /// `http` or `https`.
    pub scheme: &'static str,
}

/// One proxy's routing state.
pub struct Proxy {
    pub identity: Identity,
    /// The applied configuration; `None` until the first arrives.
    pub table: ArcSwapOption<Table>,
    pub metrics: Arc<Metrics>,
}

// === impl Proxy ===

impl Proxy {
    pub fn new(identity: Identity, metrics: Arc<Metrics>) -> Proxy {
        Proxy {
            identity,
            table: ArcSwapOption::empty(),
            metrics,
        }
    }

    /// Compiles and installs a published configuration.
    pub fn apply(&self, config: &serde_json::Value) {
        let previous = self.table.load_full();
        let table = Table::build(config, &self.identity, previous.as_deref());
        for warning in &table.router.warnings {
            tracing::debug!("config: {warning}");
        }
        self.table.store(Some(Arc::new(table)));
    }
}
