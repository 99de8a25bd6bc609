//! Gateway port analyzer: server ports that no Service of the gateway's workload forwards to (IST0162).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::catalogue::{Arg, GATEWAY_PORT_NOT_DEFINED_ON_SERVICE};
use super::object::{
    arr, int_of, of_istio_kind, of_kind, present, selector_matches, selector_string, Object,
};
use super::Message;

/// The protocol Kubernetes gives a Service port that names none.
const DEFAULT_SERVICE_PROTOCOL: &str = "TCP";

/// The equality selector at `key` of `spec`; absent means "select everything", as an empty
/// Kubernetes selector does.
fn selector_at<'a>(
    spec: &'a Value,
    key: &str,
    empty: &'a Map<String, Value>,
) -> &'a Map<String, Value> {
    spec.get(key).and_then(Value::as_object).unwrap_or(empty)
}

/// The port a Service port delivers to on its pods: a numeric `targetPort` (a number, or a
/// string holding one), else the Service port itself — a named target port counts as the
/// Service port, as `IntOrString.IntValue()` yields 0 for it.
fn delivered_port(port: &Value) -> i64 {
    let target = match port.get("targetPort") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    };
    if target != 0 {
        target
    } else {
        int_of(port, "port").unwrap_or(0)
    }
}

/// The TCP ports that Services select the pods matched by `selector` with; `None` when the
/// selector matches no pod at all (IST0101 `selector`, reported elsewhere, covers that).
fn workload_ports(objs: &[Object<'_>], selector: &Map<String, Value>) -> Option<BTreeSet<i64>> {
    let empty = Map::new();
    let mut matched = false;
    let mut ports = BTreeSet::new();
    for pod in of_kind(objs, "Pod").filter(|p| selector_matches(selector, p.labels())) {
        matched = true;
        // Services only select pods of their own namespace.
        let services = of_kind(objs, "Service").filter(|s| {
            s.namespace == pod.namespace
                && selector_matches(selector_at(s.spec(), "selector", &empty), pod.labels())
        });
        for svc in services {
            for port in arr(svc.spec(), "ports") {
                let protocol = port
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or(DEFAULT_SERVICE_PROTOCOL);
                if protocol == DEFAULT_SERVICE_PROTOCOL {
                    // Istio resolves a server port equal to a Service port to its targetPort
                    // (httpbin's 80 → 8080), so both name a port the gateway listens on; the
                    // analyzer stopped flagging the former after istio/istio#51257.
                    ports.insert(delivered_port(port));
                    if let Some(p) = port.get("port").and_then(Value::as_i64) {
                        ports.insert(p);
                    }
                }
            }
        }
    }
    matched.then_some(ports)
}

/// IST0162 for each Gateway server port that none of the Services in front of the gateway's
/// pods forwards to. If several Services select those pods, any of them exposing the port is
/// enough.
pub fn ports_on_services(objs: &[Object<'_>]) -> Vec<Message> {
    let empty = Map::new();
    let mut out = Vec::new();
    for gw in of_istio_kind(objs, "Gateway") {
        let spec = gw.spec();
        let selector = selector_at(spec, "selector", &empty);
        let Some(ports) = workload_ports(objs, selector) else {
            continue;
        };
        for server in arr(spec, "servers") {
            if !present(server, "port") {
                continue;
            }
            let number = server
                .get("port")
                .and_then(|p| int_of(p, "number"))
                .unwrap_or(0);
            if !ports.contains(&number) {
                out.push(Message::new(
                    GATEWAY_PORT_NOT_DEFINED_ON_SERVICE,
                    gw,
                    &[Arg::Int(number), Arg::Str(selector_string(selector))],
                ));
            }
        }
    }
    out
}
