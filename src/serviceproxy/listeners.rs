//! Service listeners on 127.0.0.1, reconciled against the planned frontends.
//!
//! Each accepted connection goes to the next ready backend (round-robin, with fallthrough).

use super::plan::{Bind, Frontend};
use crate::dial;
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// Why a frontend could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Another program (or another Service) holds the port.
    #[error("{addr} is in use by {holder}")]
    InUse { addr: SocketAddr, holder: String },
    /// Any other failure to listen (e.g. a privileged port).
    #[error("cannot listen on {addr}: {source}")]
    Io { addr: SocketAddr, source: io::Error },
}

/// The outcome of one frontend after a sync: where it listens, or why it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub namespace: String,
    pub service: String,
    pub port: u16,
    pub bind: Bind,
    pub result: Result<SocketAddr, String>,
}

/// The node's Service listeners. Dropping it closes every listener; connections already
/// accepted run to completion.
pub struct ServiceProxy {
    listeners: Mutex<HashMap<Key, Listener>>,
}

/// A listener is kept across syncs while its Service port and bind stay the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    namespace: String,
    service: String,
    port: u16,
    bind: Bind,
}

struct Listener {
    addr: SocketAddr,
    backends: Arc<ArcSwap<Vec<SocketAddr>>>,
    accept: JoinHandle<()>,
}

// === impl ServiceProxy ===

impl Default for ServiceProxy {
    fn default() -> Self {
        Self::new()
    }
}

impl ServiceProxy {
    pub fn new() -> ServiceProxy {
        ServiceProxy {
            listeners: Mutex::new(HashMap::new()),
        }
    }

    /// Make the listeners match `frontends`: keep unchanged ones (swapping in their new backends),
    /// close removed ones, open new ones. Frontends that fail to open are reported and retried
    /// on the next sync. Results come back in the order of `frontends`.
    pub async fn sync(&self, frontends: Vec<Frontend>) -> Vec<Bound> {
        let mut listeners = self.listeners.lock().await;
        let wanted: Vec<(Key, Frontend)> = frontends
            .into_iter()
            .map(|f| {
                let key = Key {
                    namespace: f.namespace.clone(),
                    service: f.service.clone(),
                    port: f.port,
                    bind: f.bind,
                };
                (key, f)
            })
            .collect();

        // Close what is no longer wanted first, so its port is free for a new bind below.
        let removed: Vec<Key> = listeners
            .keys()
            .filter(|k| !wanted.iter().any(|(w, _)| w == *k))
            .cloned()
            .collect();
        for key in removed {
            if let Some(l) = listeners.remove(&key) {
                l.close().await;
            }
        }

        let mut out = Vec::with_capacity(wanted.len());
        for (key, frontend) in wanted {
            let result = match listeners.get(&key) {
                Some(existing) => {
                    existing.backends.store(Arc::new(frontend.backends));
                    Ok(existing.addr)
                }
                None => match open(&key.bind, &listeners).await {
                    Ok(listener) => {
                        let l = Listener::start(listener, frontend.backends);
                        let addr = l.addr;
                        listeners.insert(key.clone(), l);
                        Ok(addr)
                    }
                    Err(e) => {
                        tracing::warn!(namespace = %key.namespace, service = %key.service, port = key.port, "{e}");
                        Err(e.to_string())
                    }
                },
            };
            out.push(Bound {
                namespace: key.namespace,
                service: key.service,
                port: key.port,
                bind: key.bind,
                result,
            });
        }
        out
    }
}

/// Bind a frontend's socket. A cluster port falls back to any free port when its preferred one
/// is taken; a node port has no fallback (clients were told its number).
async fn open(bind: &Bind, current: &HashMap<Key, Listener>) -> Result<TcpListener, ListenError> {
    let port = match bind {
        Bind::NodePort(p) => *p,
        Bind::ClusterPort { preferred } => preferred.unwrap_or(0),
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(e) if matches!(bind, Bind::ClusterPort { preferred: Some(_) }) => {
            tracing::debug!(%addr, "preferred cluster port unavailable ({e}); using any free port");
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .await
                .map_err(|source| ListenError::Io { addr, source })
        }
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            let holder = current
                .iter()
                .find(|(_, l)| l.addr == addr)
                .map(|(k, _)| format!("Service {}/{} port {}", k.namespace, k.service, k.port))
                .unwrap_or_else(|| "another program".to_string());
            Err(ListenError::InUse { addr, holder })
        }
        Err(source) => Err(ListenError::Io { addr, source }),
    }
}

// === impl Listener ===

impl Listener {
    fn start(listener: TcpListener, backends: Vec<SocketAddr>) -> Listener {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let backends = Arc::new(ArcSwap::from_pointee(backends));
        let accept = tokio::spawn(accept_loop(listener, backends.clone()));
        Listener {
            addr,
            backends,
            accept,
        }
    }

    /// Stop accepting and wait until the socket is closed.
    async fn close(mut self) {
        self.accept.abort();
        let _ = (&mut self.accept).await;
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// How long a connection waits for a reachable backend before it is closed.
const HOLD_WITHOUT_BACKENDS: Duration = Duration::from_secs(2);

/// Accept until aborted. Connections run in their own tasks, so closing the listener lets them
/// finish.
async fn accept_loop(listener: TcpListener, backends: Arc<ArcSwap<Vec<SocketAddr>>>) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(forward(stream, backends.clone(), next.clone()));
            }
            Err(e) => {
                // Usually fd exhaustion: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Connect to a backend, round-robin, falling through to the next ones on failure so that a pod
/// going away mid-rollout costs no request; then relay bytes both ways. With no backend
/// reachable the connection is held a moment while the list is looked at again (a pod that just
/// became ready reaches the list a few milliseconds later), then closed.
async fn forward(
    mut inbound: TcpStream,
    backends: Arc<ArcSwap<Vec<SocketAddr>>>,
    next: Arc<AtomicUsize>,
) {
    let deadline = tokio::time::Instant::now() + HOLD_WITHOUT_BACKENDS;
    let mut outbound = loop {
        if let Ok((s, _)) = dial::connect_any(&backends.load_full(), &next).await {
            break s;
        }
        if tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    if let Err(e) = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await {
        tracing::debug!("relay ended: {e}");
    }
}
