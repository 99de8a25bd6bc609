//! Workload analyzers: sidecar injection (IST0102/IST0103), Gateway selectors (IST0101) and Service port names (IST0118/IST0150).

use std::collections::HashSet;

use serde_json::Value;

use super::catalogue::{
    Arg, EXTERNAL_NAME_SERVICE_TYPE_INVALID_PORT_NAME, NAMESPACE_NOT_INJECTED, POD_MISSING_PROXY,
    PORT_NAME_IS_NOT_UNDER_NAMING_CONVENTION, REFERENCED_RESOURCE_NOT_FOUND,
};
use super::object::{
    arr, int_of, of_istio_kind, of_kind, selector_matches, selector_string, str_of, Object,
};
use super::Message;

/// Namespaces the injector never touches (and the analyzers skip).
const IGNORED_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];
const ISTIO_SYSTEM: &str = "istio-system";
const INJECTION_LABEL: &str = "istio-injection";
const REVISION_LABEL: &str = "istio.io/rev";
const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";
const PROXY_CONTAINER: &str = "istio-proxy";

/// IST0102 for namespaces carrying no injection label, IST0103 for pods of injected namespaces
/// that run without the proxy.
pub fn injection(objs: &[Object<'_>]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut injected: HashSet<&str> = HashSet::new();
    for ns in of_kind(objs, "Namespace") {
        if ns.name == ISTIO_SYSTEM || IGNORED_NAMESPACES.contains(&ns.name) {
            continue;
        }
        let legacy = ns.label(INJECTION_LABEL).unwrap_or("");
        let revision = ns.label(REVISION_LABEL);
        match (legacy, revision) {
            ("", None) => out.push(Message::new(
                NAMESPACE_NOT_INJECTED,
                ns,
                &[Arg::Str(ns.name.into()), Arg::Str(ns.name.into())],
            )),
            // Both labels at once: behaviour is undefined, so pods are not judged.
            (l, Some(_)) if !l.is_empty() => {}
            ("", Some(_)) | ("enabled", None) => {
                injected.insert(ns.name);
            }
            // Any other legacy value deliberately opts out.
            _ => {}
        }
    }
    for pod in of_kind(objs, "Pod") {
        if !injected.contains(pod.namespace.as_str()) {
            continue;
        }
        // The label is the newer API and wins over the annotation.
        let inject = pod
            .label(SIDECAR_INJECT)
            .or(pod.annotation(SIDECAR_INJECT))
            .unwrap_or("");
        if inject.eq_ignore_ascii_case("false") {
            continue;
        }
        let spec = pod.spec();
        if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        // Native sidecars run the proxy as an init container.
        let has_proxy = ["containers", "initContainers"]
            .iter()
            .flat_map(|k| arr(spec, k))
            .any(|c| str_of(c, "name") == PROXY_CONTAINER);
        if !has_proxy {
            out.push(Message::new(
                POD_MISSING_PROXY,
                pod,
                &[Arg::Str(pod.full_name())],
            ));
        }
    }
    out
}

/// IST0101 `selector` for Gateways whose selector matches no pod in any namespace.
pub fn gateway_selectors(objs: &[Object<'_>]) -> Vec<Message> {
    let empty = serde_json::Map::new();
    let mut out = Vec::new();
    for gw in of_istio_kind(objs, "Gateway") {
        let selector = gw
            .spec()
            .get("selector")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let matched = of_kind(objs, "Pod").any(|p| selector_matches(selector, p.labels()));
        if !matched {
            out.push(Message::new(
                REFERENCED_RESOURCE_NOT_FOUND,
                gw,
                &[
                    Arg::Str("selector".into()),
                    Arg::Str(selector_string(selector)),
                ],
            ));
        }
    }
    out
}

/// Ports Istio treats as TCP even without a protocol prefix (SMTP, DNS, MySQL, MongoDB).
const WELL_KNOWN_PORTS: &[i64] = &[25, 53, 3306, 27017];

/// Whether Istio can tell the protocol of a Service port from its protocol, appProtocol or name.
pub fn port_protocol_known(
    port: i64,
    name: &str,
    protocol: &str,
    app_protocol: Option<&str>,
) -> bool {
    if protocol.eq_ignore_ascii_case("UDP") || protocol.eq_ignore_ascii_case("SCTP") {
        return true;
    }
    let label = match app_protocol {
        Some("kubernetes.io/h2c" | "kubernetes.io/ws" | "kubernetes.io/wss") => return true,
        Some(app) => app,
        None => name,
    };
    let lower = label.to_ascii_lowercase();
    if lower.starts_with("grpc-web") {
        return true;
    }
    let prefix = lower.split('-').next().unwrap_or("");
    super::schema::PROTOCOLS.contains(&prefix) || WELL_KNOWN_PORTS.contains(&port)
}

/// `targetPort` as Kubernetes prints an IntOrString; absent means 0.
fn target_port_string(port: &Value) -> String {
    match port.get("targetPort") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}

/// IST0118 for Service ports without a recognisable protocol; IST0150 instead for ExternalName
/// Services (where a plain `tcp` name is also a problem).
pub fn port_names(objs: &[Object<'_>]) -> Vec<Message> {
    let mut out = Vec::new();
    for svc in of_kind(objs, "Service") {
        if IGNORED_NAMESPACES.contains(&svc.namespace.as_str()) {
            continue;
        }
        // Istio's own control-plane Services are exempt.
        if svc.label("istio").is_some() || svc.label("release") == Some("istio") {
            continue;
        }
        let spec = svc.spec();
        let external_name = str_of(spec, "type") == "ExternalName";
        for port in arr(spec, "ports") {
            let number = int_of(port, "port").unwrap_or(0);
            let name = str_of(port, "name");
            let protocol = port
                .get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("TCP");
            let app = port.get("appProtocol").and_then(Value::as_str);
            let known = port_protocol_known(number, name, protocol, app);
            if known && !(name == "tcp" && external_name) {
                continue;
            }
            let msg = if external_name {
                Message::new(EXTERNAL_NAME_SERVICE_TYPE_INVALID_PORT_NAME, svc, &[])
            } else {
                Message::new(
                    PORT_NAME_IS_NOT_UNDER_NAMING_CONVENTION,
                    svc,
                    &[
                        Arg::Str(name.into()),
                        Arg::Int(number),
                        Arg::Str(target_port_string(port)),
                    ],
                )
            };
            out.push(msg);
        }
    }
    out
}
