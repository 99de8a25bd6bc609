//! The HTTP data path shared by the ingress gateway and the sidecars, playing Envoy's part.
//!
//! # Layout
//! - [`table`]: a compiled config version (routes from [`crate::routes`], clusters with their
//!   balancers) built from the control plane's snapshot for this proxy's role.
//! - [`pipeline`]: listener → virtual host → rule → action → filters; local answers.
//! - [`upstream`]: cluster → load balancer → pooled connection, with retries, timeouts, mirrors.
//! - [`balance`]: load-balancing, outlier-detection and connection-pool state per cluster.
//! - [`filters`]: pure header, CORS, fault and retry decisions.
//! - [`listen`]: accepting HTTP/1.1, h2c and TLS connections on a routed listener.
//! - [`exchange`], [`telemetry`], [`forward`]: access logs, metrics and HTTP plumbing.
//!
//! Data flows one way: a new config replaces the [`table::Table`] atomically; requests hold
//! the version they started with.

pub mod balance;
pub mod exchange;
pub mod filters;
pub mod forward;
pub mod listen;
pub mod pipeline;
pub mod table;
pub mod telemetry;
pub mod upstream;

use arc_swap::ArcSwapOption;
use forward::Body;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use std::sync::Arc;
use std::time::Duration;
use table::{Identity, Table};
use telemetry::Metrics;

/// Istio's default upstream connect timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One proxy's routing state.
pub struct Proxy {
    pub identity: Identity,
    /// The applied configuration; `None` until the first arrives.
    pub table: ArcSwapOption<Table>,
    pub metrics: Arc<Metrics>,
    /// Upstream connections, kept alive and reused per endpoint.
    pub client: Client<HttpConnector, Body>,
}

// === impl Proxy ===

impl Proxy {
    pub fn new(identity: Identity, metrics: Arc<Metrics>) -> Proxy {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Proxy {
            identity,
            table: ArcSwapOption::empty(),
            metrics,
            client,
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
