//! Connecting to backends, shared by the Service listeners, the name resolver and the
//! proxies: one address with a timeout, or the first of a list that answers, round-robin.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;

/// How long one backend gets to accept before the next one is tried.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Connect to `addr` (TCP_NODELAY set); the error names the address.
pub async fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(format!("{addr}: {e}")),
        Err(_) => Err(format!("{addr}: connect timed out")),
    }
}

/// The first backend that accepts, starting at the round-robin position `next` — falling
/// through refused ones so a pod going away costs no request. The error lists every failure.
pub async fn connect_any(
    backends: &[SocketAddr],
    next: &AtomicUsize,
) -> Result<(TcpStream, SocketAddr), String> {
    if backends.is_empty() {
        return Err("no backends".to_string());
    }
    let start = next.fetch_add(1, Ordering::Relaxed);
    let mut failures = Vec::new();
    for i in 0..backends.len() {
        let addr = backends[start.wrapping_add(i) % backends.len()];
        match connect(addr).await {
            Ok(s) => return Ok((s, addr)),
            Err(e) => failures.push(e),
        }
    }
    Err(failures.join("; "))
}
