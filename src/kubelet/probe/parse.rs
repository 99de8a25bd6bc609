//! Parsing of a container's probe object (`livenessProbe`, `readinessProbe`, `startupProbe`).

use std::time::Duration;

use serde_json::Value;

use super::{Action, Probe, ProbeError, Timing};

/// Parse a container's probe object (`livenessProbe` etc.). Named ports (`port: http`)
/// resolve through the container's `ports[].name`; `resolve` maps a containerPort to its
/// host port.
pub fn parse(
    probe: &Value,
    container: &Value,
    resolve: &dyn Fn(u16) -> Option<u16>,
) -> Result<Probe, String> {
    parse_probe(probe, container, resolve).map_err(|e| e.to_string())
}

fn parse_probe(
    probe: &Value,
    container: &Value,
    resolve: &dyn Fn(u16) -> Option<u16>,
) -> Result<Probe, ProbeError> {
    let obj = probe.as_object().ok_or(ProbeError::NotAnObject)?;
    let handlers: Vec<&str> = ["httpGet", "tcpSocket", "exec", "grpc"]
        .into_iter()
        .filter(|k| obj.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    let action = match handlers.as_slice() {
        [] => return Err(ProbeError::MissingAction),
        [one] => parse_action(one, &obj[*one], container, resolve)?,
        _ => return Err(ProbeError::SeveralActions),
    };
    Ok(Probe {
        action,
        timing: parse_timing(probe)?,
    })
}

fn parse_action(
    kind: &str,
    spec: &Value,
    container: &Value,
    resolve: &dyn Fn(u16) -> Option<u16>,
) -> Result<Action, ProbeError> {
    let host_port = |field: &str| -> Result<u16, ProbeError> {
        let port = container_port(spec.get("port").unwrap_or(&Value::Null), container).map_err(
            |e| match e {
                ProbeError::InvalidPort(p) if p == "null" => ProbeError::BadField {
                    field: format!("{field}.port"),
                    reason: "Required value".to_string(),
                },
                other => other,
            },
        )?;
        resolve(port).ok_or(ProbeError::Unmapped(port))
    };
    match kind {
        "httpGet" => {
            let port = host_port(kind)?;
            let raw_path = opt_str(spec, "path", "httpGet.path")?.unwrap_or_default();
            let path = if raw_path.starts_with('/') {
                raw_path
            } else {
                format!("/{raw_path}")
            };
            let scheme = opt_str(spec, "scheme", "httpGet.scheme")?;
            let scheme_https = scheme.is_some_and(|s| s.eq_ignore_ascii_case("https"));
            let host = opt_str(spec, "host", "httpGet.host")?.filter(|h| !h.is_empty());
            let headers = parse_headers(spec.get("httpHeaders"))?;
            Ok(Action::HttpGet {
                port,
                path,
                scheme_https,
                host,
                headers,
            })
        }
        "tcpSocket" => Ok(Action::TcpSocket {
            port: host_port(kind)?,
        }),
        "grpc" => Ok(Action::Grpc {
            port: host_port(kind)?,
        }),
        _ => {
            let command = spec
                .get("command")
                .and_then(Value::as_array)
                .ok_or(ProbeError::BadCommand)?
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or(ProbeError::BadCommand)?;
            if command.is_empty() {
                return Err(ProbeError::BadCommand);
            }
            Ok(Action::Exec { command })
        }
    }
}

/// The container port a probe's `port` designates: a number, a named port, or a number
/// written as a string (the kubelet's last-ditch interpretation).
fn container_port(port: &Value, container: &Value) -> Result<u16, ProbeError> {
    let number = match port {
        Value::Number(n) => n.as_i64(),
        Value::String(name) => match named_port(container, name) {
            Some(p) => Some(p),
            None => Some(
                name.parse::<i64>()
                    .map_err(|_| ProbeError::NamedPortNotFound(name.clone()))?,
            ),
        },
        other => return Err(ProbeError::InvalidPort(other.to_string())),
    };
    number
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| ProbeError::InvalidPort(port.to_string().trim_matches('"').to_string()))
}

fn named_port(container: &Value, name: &str) -> Option<i64> {
    container
        .get("ports")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?
        .get("containerPort")?
        .as_i64()
}

fn parse_headers(headers: Option<&Value>) -> Result<Vec<(String, String)>, ProbeError> {
    let Some(headers) = headers.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let bad = |reason: &str| ProbeError::BadField {
        field: "httpGet.httpHeaders".to_string(),
        reason: reason.to_string(),
    };
    headers
        .as_array()
        .ok_or_else(|| bad("must be a list"))?
        .iter()
        .map(|h| {
            let name = h.get("name").and_then(Value::as_str);
            let value = h.get("value").and_then(Value::as_str).unwrap_or_default();
            match name {
                Some(n) if !n.is_empty() => Ok((n.to_string(), value.to_string())),
                _ => Err(bad("every header needs a name")),
            }
        })
        .collect()
}

fn opt_str(spec: &Value, key: &str, field: &str) -> Result<Option<String>, ProbeError> {
    match spec.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ProbeError::BadField {
            field: field.to_string(),
            reason: "must be a string".to_string(),
        }),
    }
}

/// Timing fields; a missing or zero value takes the API server's default (as defaulting
/// does on create), except `initialDelaySeconds` whose default is 0.
fn parse_timing(probe: &Value) -> Result<Timing, ProbeError> {
    let d = Timing::default();
    let secs = |key: &str, default: Duration| -> Result<Duration, ProbeError> {
        Ok(match int_field(probe, key)? {
            Some(0) | None => default,
            Some(n) => Duration::from_secs(n),
        })
    };
    let count = |key: &str, default: u32| -> Result<u32, ProbeError> {
        Ok(match int_field(probe, key)? {
            Some(0) | None => default,
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
        })
    };
    Ok(Timing {
        initial_delay: secs("initialDelaySeconds", d.initial_delay)?,
        period: secs("periodSeconds", d.period)?,
        timeout: secs("timeoutSeconds", d.timeout)?,
        success_threshold: count("successThreshold", d.success_threshold)?,
        failure_threshold: count("failureThreshold", d.failure_threshold)?,
    })
}

fn int_field(probe: &Value, key: &str) -> Result<Option<u64>, ProbeError> {
    match probe.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| ProbeError::BadField {
            field: key.to_string(),
            reason: format!("must be a non-negative integer, got {v}"),
        }),
    }
}
