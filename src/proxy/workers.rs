//! Envoy's threading model: the data path runs on worker threads, each with an event loop of
//! its own (a current-thread runtime), and a connection stays on the worker that accepted it —
//! with the upstream connections its requests open — so a request never hops between threads.
//!
//! Every worker accepts on every listener (the sockets are shared, so the kernel hands each
//! connection to one of them) and builds its own stacks, so connection pools are per worker.

use super::stack::Stack;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::watch;

/// One data-path listener: its socket, the port requests route as, and how to build a stack
/// for it (called once per worker).
pub struct Listener {
    pub socket: TcpListener,
    pub port: u16,
    pub stack: Arc<dyn Fn() -> Stack + Send + Sync>,
    /// The proxy whose table says whether the listener terminates TLS (gateways).
    pub tls: Option<Arc<super::Proxy>>,
}

/// Running workers; dropping them (or [`Workers::stop`]) ends every worker's connections.
pub struct Workers {
    threads: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

/// How many workers a proxy runs: one per core, as Envoy's `--concurrency 0`.
pub fn default_count() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Starts `count` workers serving `listeners`.
pub fn start(count: usize, listeners: Vec<Listener>) -> std::io::Result<Workers> {
    let (stop, stopped) = watch::channel(false);
    let listeners = Arc::new(listeners);
    let mut threads = Vec::new();
    for n in 0..count.max(1) {
        let mut sockets = Vec::new();
        for l in listeners.iter() {
            let socket = l.socket.try_clone()?;
            socket.set_nonblocking(true)?;
            sockets.push(socket);
        }
        let (listeners, mut stopped) = (listeners.clone(), stopped.clone());
        let thread = std::thread::Builder::new()
            .name(format!("proxy-worker-{n}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!("proxy worker {n}: cannot start its event loop: {e}");
                        return;
                    }
                };
                runtime.block_on(async move {
                    let mut serving = tokio::task::JoinSet::new();
                    for (l, socket) in listeners.iter().zip(sockets) {
                        match tokio::net::TcpListener::from_std(socket) {
                            Ok(socket) => {
                                let stack = (l.stack)();
                                serving.spawn(super::listen::serve(
                                    stack,
                                    socket,
                                    l.port,
                                    l.tls.clone(),
                                ));
                            }
                            Err(e) => tracing::error!("proxy worker {n}: listener {}: {e}", l.port),
                        }
                    }
                    let _ = stopped.wait_for(|s| *s).await;
                    serving.shutdown().await;
                });
            })?;
        threads.push(thread);
    }
    Ok(Workers { threads, stop })
}

// === impl Workers ===

impl Workers {
    /// Stops every worker and waits for their threads.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.stop.send(true);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.halt();
    }
}
