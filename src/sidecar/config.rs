//! The mesh configuration a sidecar receives: validation (a config that fails it is NACKed),
//! and the endpoint → Service index the inbound side labels its metrics with. Routing itself
//! is [`crate::proxy`]'s, compiled from the same config.

use serde_json::Value;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Why a received configuration cannot be used (the sidecar NACKs it and keeps the old one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The document is not a JSON object.
    #[error("config must be a JSON object")]
    NotObject,
    /// A top-level field has the wrong shape.
    #[error("config field \"{field}\" must be {expected}")]
    BadField {
        field: &'static str,
        expected: &'static str,
    },
    /// An entry of `sidecars` is malformed.
    #[error("config sidecars[\"{key}\"]: {reason}")]
    BadSidecar { key: String, reason: String },
}

/// One applied configuration version.
#[derive(Debug, Clone, Default)]
pub struct MeshConfig {
    /// Endpoint address → FQDN of the first Service listing it.
    service_of: HashMap<SocketAddr, String>,
}

// === impl MeshConfig ===

impl MeshConfig {
    /// Validate and index `{"services":[…],"endpoints":[…],"sidecars":{"NS/POD":{"inbound":N}}}`.
    pub fn parse(config: &Value) -> Result<MeshConfig, ConfigError> {
        let obj = config.as_object().ok_or(ConfigError::NotObject)?;
        object_list(obj.get("services"), "services")?;
        let endpoints = object_list(obj.get("endpoints"), "endpoints")?;
        match obj.get("sidecars") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (key, entry) in map {
                    let bad = |reason: &str| ConfigError::BadSidecar {
                        key: key.clone(),
                        reason: reason.to_string(),
                    };
                    if crate::xds::parse_proxy_id(key).is_err() {
                        return Err(bad("key must be NAMESPACE/POD"));
                    }
                    entry
                        .get("inbound")
                        .and_then(Value::as_u64)
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|n| *n != 0)
                        .ok_or_else(|| bad("\"inbound\" must be a port number (1-65535)"))?;
                }
            }
            Some(_) => {
                return Err(ConfigError::BadField {
                    field: "sidecars",
                    expected: "an object",
                })
            }
        }

        let mut service_of = HashMap::new();
        for eps in endpoints {
            let ns = str_at(eps, "/metadata/namespace");
            let fqdn = crate::routes::resolve_short_name(str_at(eps, "/metadata/name"), ns);
            for subset in eps
                .get("subsets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ports: Vec<u16> = subset
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.get("port").and_then(Value::as_u64))
                    .filter_map(|n| u16::try_from(n).ok())
                    .collect();
                for addr in subset
                    .get("addresses")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let ip = str_at(addr, "/ip")
                        .parse::<IpAddr>()
                        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
                    for port in &ports {
                        let sa = SocketAddr::new(ip, *port);
                        service_of.entry(sa).or_insert_with(|| fqdn.clone());
                    }
                }
            }
        }

        Ok(MeshConfig { service_of })
    }

    /// The FQDN of the first Service whose Endpoints list `endpoint`.
    pub fn service_at(&self, endpoint: SocketAddr) -> Option<&str> {
        self.service_of.get(&endpoint).map(String::as_str)
    }
}

fn object_list<'a>(v: Option<&'a Value>, field: &'static str) -> Result<&'a [Value], ConfigError> {
    let bad = ConfigError::BadField {
        field,
        expected: "an array of objects",
    };
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items),
        Some(_) => Err(bad),
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests;
