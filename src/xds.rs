//! The control plane's configuration stream to sidecars: an xDS-like protocol over HTTP/1.1.
//!
//! Sidecars open `GET /v1/config?proxy=NS/POD` and receive newline-delimited JSON documents
//! `{"version":"N","config":{…}}`: the current configuration at once, then each newer one. When
//! several versions are published while a sidecar is still reading, only the latest is sent
//! (the configuration is a full snapshot, so intermediate ones carry nothing extra). Sidecars
//! answer each document with `POST /v1/ack`, carrying an error text to reject it (a NACK).
//!
//! [`Hub`] holds the state and is pure bookkeeping; [`router`] owns the HTTP side;
//! [`status_table`] renders `istioctl proxy-status`.

mod hub;
mod server;
mod table;
#[cfg(test)]
mod tests;

pub use hub::{Hub, ProxyStatus};
pub use server::{router, AckRequest};
pub use table::status_table;

/// Why a request to the configuration stream is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XdsError {
    /// The proxy id is not of the form `NAMESPACE/POD`.
    #[error("invalid proxy id \"{0}\": expected NAMESPACE/POD")]
    BadProxyId(String),
    /// The acknowledged version is not a version number.
    #[error("invalid version \"{0}\": expected a decimal version number")]
    BadVersion(String),
}

/// Check a proxy id (`NAMESPACE/POD`) and return its namespace and pod name.
pub fn parse_proxy_id(id: &str) -> Result<(&str, &str), XdsError> {
    match id.split_once('/') {
        Some((ns, pod)) if !ns.is_empty() && !pod.is_empty() && !pod.contains('/') => Ok((ns, pod)),
        _ => Err(XdsError::BadProxyId(id.to_string())),
    }
}
