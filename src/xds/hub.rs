//! The shared state behind the configuration stream: the latest config and each proxy's sync.

use super::{parse_proxy_id, XdsError};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// Where one sidecar stands with the configuration stream.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyStatus {
    /// `pod.namespace`, as `istioctl proxy-status` names proxies.
    pub proxy: String,
    /// Whether a config stream to this proxy is open.
    pub connected: bool,
    /// The last version written to the proxy's stream.
    pub sent: Option<String>,
    /// The last version the proxy accepted.
    pub acked: Option<String>,
    /// The proxy's last rejection (NACK) message; cleared by the next ACK.
    pub error: Option<String>,
    /// The hub's latest version ("0" before anything was published).
    pub latest: String,
    /// When the proxy last connected, disconnected, acknowledged or rejected.
    pub since: DateTime<Utc>,
}

/// The configuration hub: publishes config snapshots and tracks what each proxy has.
///
/// Cheap to clone; all clones share the same state.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    proxies: Mutex<BTreeMap<String, Proxy>>,
    /// The latest snapshot; a watch channel so slow readers skip to the newest one.
    latest: watch::Sender<Snapshot>,
    /// Bumped on every ACK or NACK so waiters re-check.
    acks: watch::Sender<u64>,
}

/// One published configuration, already serialized as its stream line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub version: u64,
    pub line: Bytes,
}

#[derive(Debug, Clone)]
struct Proxy {
    streams: usize,
    sent: Option<u64>,
    acked: Option<u64>,
    error: Option<String>,
    since: DateTime<Utc>,
}

/// Keeps a proxy counted as connected while its stream is alive.
pub(crate) struct StreamGuard {
    hub: Hub,
    proxy: String,
}

// === impl Hub ===

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("version", &self.inner.latest.borrow().version)
            .finish()
    }
}

impl Hub {
    /// A hub with nothing published yet (version "0").
    pub fn new() -> Hub {
        Hub {
            inner: Arc::new(Inner {
                proxies: Mutex::new(BTreeMap::new()),
                latest: watch::Sender::new(Snapshot::default()),
                acks: watch::Sender::new(0),
            }),
        }
    }

    /// Make `config` the current configuration under the next version and wake every stream.
    /// Returns the new version.
    pub fn publish(&self, config: Value) -> String {
        let mut version = 0;
        self.inner.latest.send_modify(|snap| {
            version = snap.version + 1;
            let line = serde_json::json!({"version": version.to_string(), "config": config});
            let mut text = line.to_string();
            text.push('\n');
            *snap = Snapshot {
                version,
                line: Bytes::from(text),
            };
        });
        version.to_string()
    }

    /// The latest published configuration (`null` before the first publish).
    pub fn config(&self) -> Value {
        let line = self.inner.latest.borrow().line.clone();
        serde_json::from_slice::<Value>(&line)
            .ok()
            .and_then(|mut v| v.get_mut("config").map(Value::take))
            .unwrap_or(Value::Null)
    }

    /// The latest published version ("0" before the first publish).
    pub fn version(&self) -> String {
        self.inner.latest.borrow().version.to_string()
    }

    /// Every proxy that ever connected or acknowledged, sorted by `NAMESPACE/POD`.
    pub fn status(&self) -> Vec<ProxyStatus> {
        let latest = self.version();
        self.proxies()
            .iter()
            .map(|(id, p)| ProxyStatus {
                proxy: display_name(id),
                connected: p.streams > 0,
                sent: p.sent.map(|v| v.to_string()),
                acked: p.acked.map(|v| v.to_string()),
                error: p.error.clone(),
                latest: latest.clone(),
                since: p.since,
            })
            .collect()
    }

    /// Record a proxy's answer to `version`: accepted when `error` is `None`, else rejected
    /// (the error is kept and the acknowledged version stays where it was).
    pub fn ack(&self, proxy: &str, version: &str, error: Option<String>) -> Result<(), XdsError> {
        parse_proxy_id(proxy)?;
        let number: u64 = version
            .parse()
            .map_err(|_| XdsError::BadVersion(version.to_string()))?;
        {
            let mut proxies = self.proxies();
            let entry = proxies.entry(proxy.to_string()).or_insert_with(Proxy::new);
            match error {
                None => {
                    entry.acked = Some(entry.acked.map_or(number, |a| a.max(number)));
                    entry.error = None;
                }
                Some(e) => entry.error = Some(e),
            }
            entry.since = Utc::now();
        }
        self.inner.acks.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }

    /// Wait until `proxy` (`NAMESPACE/POD`) has acknowledged `version` or a newer one; false
    /// when `timeout` passes first.
    pub async fn wait_acked(&self, proxy: &str, version: &str, timeout: Duration) -> bool {
        let Ok(wanted) = version.parse::<u64>() else {
            return false;
        };
        let mut rx = self.inner.acks.subscribe();
        let check = || {
            self.proxies()
                .get(proxy)
                .and_then(|p| p.acked)
                .is_some_and(|a| a >= wanted)
        };
        let wait = async {
            loop {
                if check() {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return check();
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.unwrap_or(false)
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.inner.latest.subscribe()
    }

    /// Count a new stream for `proxy` until the guard is dropped.
    pub(crate) fn connect(&self, proxy: &str) -> StreamGuard {
        let mut proxies = self.proxies();
        let entry = proxies.entry(proxy.to_string()).or_insert_with(Proxy::new);
        entry.streams += 1;
        entry.since = Utc::now();
        StreamGuard {
            hub: self.clone(),
            proxy: proxy.to_string(),
        }
    }

    fn proxies(&self) -> MutexGuard<'_, BTreeMap<String, Proxy>> {
        // A panic elsewhere while holding the lock leaves consistent data (every update is a
        // single field store), so a poisoned lock is still usable.
        self.inner
            .proxies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

// === impl Proxy ===

impl Proxy {
    fn new() -> Proxy {
        Proxy {
            streams: 0,
            sent: None,
            acked: None,
            error: None,
            since: Utc::now(),
        }
    }
}

// === impl StreamGuard ===

impl StreamGuard {
    /// Note that `version` was written to this proxy's stream.
    pub(crate) fn sent(&self, version: u64) {
        if let Some(p) = self.hub.proxies().get_mut(&self.proxy) {
            p.sent = Some(p.sent.map_or(version, |s| s.max(version)));
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Some(p) = self.hub.proxies().get_mut(&self.proxy) {
            p.streams = p.streams.saturating_sub(1);
            p.since = Utc::now();
        }
    }
}

/// `NS/POD` → `pod.ns`.
fn display_name(id: &str) -> String {
    match id.split_once('/') {
        Some((ns, pod)) => format!("{pod}.{ns}"),
        None => id.to_string(),
    }
}
