//! `meshlite x describe pod|svc`, laid out as `istioctl x describe`: the Services of a workload,
//! the DestinationRule and VirtualServices that shape traffic to it, and whether the ingress
//! gateway exposes it.
//!
//! istioctl reads the proxies' config dumps; here the same answers come from compiling the
//! snapshot the way those proxies are configured (a sidecar in the workload's namespace, and the
//! ingress gateway workload), so the DestinationRule and VirtualService named for a Service port
//! are the ones its traffic really uses.

mod objects;
mod routing;
#[cfg(test)]
mod tests;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::routes::{
    compile_clusters, compile_gateway, compile_sidecar, resolve_short_name, Cluster,
    GatewayWorkload, RouterConfig, Snapshot,
};
use objects::{
    find_port, kname, labels_at, name_of, namespace_of, port_protocol, selects, service_ports,
};
use routing::{DestinationView, Subsets, VirtualServiceView};

/// How the ingress gateway is reached from the host (e.g. `http://localhost:8080`), and its pod
/// labels and namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingress {
    pub url: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
}

/// istioctl's section separator.
const SEPARATOR: &str = "--------------------";

/// The injected proxy's container name.
const SIDECAR_CONTAINER: &str = "istio-proxy";

/// The UID the proxy runs as; applications must not use it.
const PROXY_UID: i64 = 1337;

/// Indentation of istioctl's nested lines.
const LEVEL1: usize = 3;

/// Where istioctl sends users whose pods no Service selects.
const SERVICE_REQUIREMENTS_URL: &str =
    "https://istio.io/docs/setup/kubernetes/additional-setup/requirements/";

/// The text being built, line by line.
#[derive(Default)]
struct Out {
    text: String,
}

// === impl Out ===

impl Out {
    /// Appends `text` indented by `indent` spaces, plus a newline.
    fn line(&mut self, indent: usize, text: &str) {
        self.text.extend(std::iter::repeat_n(' ', indent));
        self.text.push_str(text);
        self.text.push('\n');
    }
}

/// What the description is about: the snapshot, the namespace names are shown relative to,
/// and the labels of every pod whose subsets count.
struct Scope<'a> {
    s: &'a Snapshot,
    namespace: String,
    pods_labels: Vec<BTreeMap<String, String>>,
}

// === impl Scope ===

impl Scope<'_> {
    /// `name`, or `name.namespace` outside the described namespace.
    fn kname(&self, name: &str, namespace: &str) -> String {
        kname(name, namespace, &self.namespace)
    }
}

/// `meshlite x describe pod NAME`: the pod's Services and ports, the DestinationRule and matching
/// subsets for each, the VirtualServices that route to those Services (mesh and gateway), and
/// whether/where it is exposed through the ingress gateway.
pub fn describe_pod(pod: &Value, s: &Snapshot, ingress: Option<&Ingress>) -> String {
    let namespace = namespace_of(pod);
    let labels = labels_at(pod, "/metadata/labels");
    let scope = Scope {
        s,
        namespace: namespace.clone(),
        pods_labels: vec![labels.clone()],
    };
    let mut out = Out::default();
    let proxied = pod_header(&mut out, pod, &scope);

    let mut services: Vec<&Value> = s
        .services
        .iter()
        .filter(|svc| namespace_of(svc) == namespace)
        .filter(|svc| {
            let selector = labels_at(svc, "/spec/selector");
            !selector.is_empty() && selects(&selector, &labels)
        })
        .collect();
    services.sort_by_key(|svc| name_of(svc));
    if services.is_empty() {
        let pod_name = scope.kname(&name_of(pod), &namespace);
        out.line(
            0,
            &format!(
                "Warning: No Kubernetes Services select pod {pod_name} (see {SERVICE_REQUIREMENTS_URL} )"
            ),
        );
    }
    // istioctl stops here with an error: without a running proxy there is no config to read.
    if !proxied {
        return out.text;
    }
    out.line(0, SEPARATOR);
    pod_services(&mut out, &scope, pod, &services);
    // meshlite has no mTLS, so every workload keeps Istio's default mode.
    out.line(0, SEPARATOR);
    out.line(0, "Effective PeerAuthentication:");
    out.line(LEVEL1, "Workload mTLS mode: PERMISSIVE");
    ingress_section(&mut out, &scope, &services, ingress);
    out.text
}

/// `meshlite x describe svc NAME`: the same, starting from a Service.
pub fn describe_service(svc: &Value, s: &Snapshot, ingress: Option<&Ingress>) -> String {
    let namespace = namespace_of(svc);
    let mut scope = Scope {
        s,
        namespace: namespace.clone(),
        pods_labels: Vec::new(),
    };
    let mut out = Out::default();
    let selector = labels_at(svc, "/spec/selector");
    let mut selected: Vec<&Value> = if selector.is_empty() {
        Vec::new()
    } else {
        s.pods
            .iter()
            .filter(|pod| namespace_of(pod) == namespace)
            .filter(|pod| selects(&selector, &labels_at(pod, "/metadata/labels")))
            .collect()
    };
    // The API lists pods by name, and the first ready one is described.
    selected.sort_by_key(|pod| name_of(pod));

    let mut proxied = Vec::new();
    for pod in &selected {
        let pod_name = scope.kname(&name_of(pod), &namespace);
        let phase = objects::str_at(pod, "/status/phase");
        if phase != "Running" {
            out.line(LEVEL1, &format!("Pod is not Running ({phase})"));
            continue;
        }
        match objects::container_ready(pod, SIDECAR_CONTAINER) {
            None => out.line(
                0,
                &format!("Pod {pod_name}: no container \"{SIDECAR_CONTAINER}\" in pod"),
            ),
            Some(false) => out.line(
                0,
                &format!("WARNING: Pod {pod_name} Container {SIDECAR_CONTAINER} NOT READY"),
            ),
            Some(true) => proxied.push(*pod),
        }
    }
    let svc_name = scope.kname(&name_of(svc), &namespace);
    let Some(first) = proxied.first() else {
        if selected.is_empty() {
            out.line(0, &format!("Service \"{svc_name}\" has no pods."));
        } else {
            out.line(
                0,
                &format!(
                    "Service \"{svc_name}\" has no Istio pods.  ({} pods in service).",
                    selected.len()
                ),
            );
            out.line(
                0,
                "Use `meshlite kube-inject` or redeploy with Istio automatic sidecar injection.",
            );
        }
        return out.text;
    };
    scope.pods_labels = proxied
        .iter()
        .map(|pod| labels_at(pod, "/metadata/labels"))
        .collect();
    pod_services(&mut out, &scope, first, &[svc]);
    ingress_section(&mut out, &scope, &[svc], ingress);
    out.text
}

/// The `Pod:` block with istioctl's warnings; whether the pod runs a proxy to describe further.
fn pod_header(out: &mut Out, pod: &Value, scope: &Scope) -> bool {
    let mut ports = Vec::new();
    let containers = objects::array_at(pod, "/spec/containers");
    for container in containers {
        let container_name = objects::str_at(container, "/name");
        for port in objects::array_at(container, "/ports") {
            let number = port.get("containerPort").and_then(Value::as_i64);
            let protocol = objects::protocol_of(port);
            let suffix = if protocol == "TCP" {
                String::new()
            } else {
                format!("/{protocol}")
            };
            ports.push(format!(
                "{}{suffix} ({container_name})",
                number.unwrap_or_default()
            ));
        }
        let app = !matches!(container_name, "istio-proxy" | "istio-operator");
        if app && objects::run_as_user(container) == Some(PROXY_UID) {
            out.line(
                0,
                "WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.",
            );
        }
    }

    let pod_name = scope.kname(&name_of(pod), &namespace_of(pod));
    out.line(0, &format!("Pod: {pod_name}"));
    out.line(LEVEL1, &format!("Pod Revision: {}", objects::revision(pod)));
    if ports.is_empty() {
        out.line(LEVEL1, "Pod does not expose ports");
    } else {
        out.line(LEVEL1, &format!("Pod Ports: {}", ports.join(", ")));
    }

    let phase = objects::str_at(pod, "/status/phase");
    if phase != "Running" {
        out.line(LEVEL1, &format!("Pod is not Running ({phase})"));
        return false;
    }
    for (list, what) in [
        ("/status/containerStatuses", "Container"),
        ("/status/initContainerStatuses", "Init Container"),
    ] {
        for status in objects::array_at(pod, list) {
            if status.get("ready").and_then(Value::as_bool) != Some(true) {
                let container = objects::str_at(status, "/name");
                out.line(
                    0,
                    &format!("WARNING: Pod {pod_name} {what} {container} NOT READY"),
                );
            }
        }
    }
    if !crate::routes::has_sidecar(pod) {
        out.line(
            0,
            &format!("WARNING: {pod_name} is not part of mesh; no Istio sidecar"),
        );
        return false;
    }
    if objects::int_at(pod, "/spec/securityContext/runAsUser") == Some(PROXY_UID) {
        out.line(
            LEVEL1,
            "WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.",
        );
    }
    let labels = labels_at(pod, "/metadata/labels");
    let has_any = |keys: &[&str]| keys.iter().any(|k| labels.contains_key(*k));
    let url = objects::deployment_requirements_url();
    if !has_any(&[
        "service.istio.io/canonical-name",
        "app.kubernetes.io/name",
        "app",
    ]) {
        out.line(
            0,
            &format!("Suggestion: add required service name label for Istio telemetry. See {url}."),
        );
    }
    if !has_any(&[
        "service.istio.io/canonical-revision",
        "app.kubernetes.io/version",
        "version",
    ]) {
        out.line(
            0,
            &format!(
                "Suggestion: add required service revision label for Istio telemetry. See {url}."
            ),
        );
    }
    true
}

/// Per Service: its ports as the pod serves them, then per Service port the DestinationRule and
/// VirtualService that the pod's own sidecar configuration ties to it.
fn pod_services(out: &mut Out, scope: &Scope, pod: &Value, services: &[&Value]) {
    let namespace = namespace_of(pod);
    let sidecar = compile_sidecar(scope.s, &namespace);
    let clusters = compile_clusters(scope.s, &namespace);
    for (row, svc) in services.iter().enumerate() {
        if row != 0 {
            out.line(0, SEPARATOR);
        }
        let svc_name = name_of(svc);
        let svc_ns = namespace_of(svc);
        out.line(0, &format!("Service: {}", scope.kname(&svc_name, &svc_ns)));
        let ports = service_ports(svc);
        for port in &ports {
            // Istio does not proxy UDP, so istioctl leaves those ports out.
            if port.protocol != "TCP" {
                continue;
            }
            match find_port(pod, port) {
                Ok(target) => out.line(
                    LEVEL1,
                    &format!(
                        "Port: {} {}/{} targets pod port {target}",
                        port.name,
                        port.port,
                        port_protocol(port)
                    ),
                ),
                Err(message) => out.line(LEVEL1, &message),
            }
        }

        let fqdn = resolve_short_name(&svc_name, &svc_ns);
        // With several ports each gets its own heading and the rest moves one level in.
        let indent = if ports.len() > 1 { LEVEL1 } else { 0 };
        for port in &ports {
            if ports.len() > 1 {
                out.line(0, &format!("{}:", port.port));
            }
            // Proxies build no clusters or routes for UDP ports.
            if port.protocol == "UDP" {
                continue;
            }
            let rule = destination_for(scope, &clusters, &fqdn, port.port);
            let subsets = rule
                .as_ref()
                .map(|dr| dr.subsets(&scope.pods_labels))
                .unwrap_or_default();
            if let Some(dr) = &rule {
                dr.print(out, indent, &subsets, port.port);
            }
            let vs = routing::route_source(&sidecar, Some(port.port), &fqdn, port.port)
                .and_then(|key| VirtualServiceView::find(scope, &key));
            if let Some(vs) = vs {
                vs.print(out, indent, &fqdn, &subsets, rule.as_ref());
            }
        }
    }
}

/// The DestinationRule behind the subset-less cluster of `fqdn:port` among `clusters`.
fn destination_for(
    scope: &Scope,
    clusters: &[Cluster],
    fqdn: &str,
    port: u16,
) -> Option<DestinationView> {
    let cluster = clusters
        .iter()
        .find(|c| c.subset.is_none() && c.port == port && c.host.eq_ignore_ascii_case(fqdn))?;
    let key = cluster.destination_rule.as_deref()?;
    DestinationView::find(scope, key)
}

/// The ingress gateway's view: for each Service port it routes, the Gateways of the
/// VirtualService doing so, and the VirtualService's rules as they concern the pods.
fn ingress_section(out: &mut Out, scope: &Scope, services: &[&Value], ingress: Option<&Ingress>) {
    let Some(ingress) = ingress else {
        out.line(0, "Skipping Gateway information (no ingress gateway pods)");
        return;
    };
    let ingress_services: Vec<&Value> = scope
        .s
        .services
        .iter()
        .filter(|svc| namespace_of(svc) == ingress.namespace)
        .filter(|svc| {
            let selector = labels_at(svc, "/spec/selector");
            !selector.is_empty() && selects(&selector, &ingress.labels)
        })
        .collect();
    if ingress_services.is_empty() {
        out.line(
            0,
            "Skipping Gateway information (no ingress gateway service)",
        );
        return;
    }
    let workload = GatewayWorkload {
        namespace: ingress.namespace.clone(),
        labels: ingress.labels.clone(),
        service_ports: ingress_services
            .iter()
            .flat_map(|svc| service_ports(svc))
            .map(|p| (p.port, p.target_number().unwrap_or(p.port)))
            .collect(),
    };
    let gateway: RouterConfig = compile_gateway(scope.s, &workload);
    let clusters = compile_clusters(scope.s, &ingress.namespace);
    // Each Gateway is reported once, however many Service ports it carries.
    let mut seen = BTreeSet::new();
    for svc in services {
        let fqdn = resolve_short_name(&name_of(svc), &namespace_of(svc));
        for port in service_ports(svc) {
            let rule = destination_for(scope, &clusters, &fqdn, port.port);
            let subsets: Subsets = rule
                .as_ref()
                .map(|dr| dr.subsets(&scope.pods_labels))
                .unwrap_or_default();
            let Some(vs) = routing::route_source(&gateway, None, &fqdn, port.port)
                .and_then(|key| VirtualServiceView::find(scope, &key))
            else {
                continue;
            };
            for gateway_name in vs.gateways() {
                if !seen.insert(gateway_name.clone()) {
                    continue;
                }
                let Some(selector) = gateway_selector(scope.s, &gateway_name) else {
                    out.line(
                        0,
                        &format!("WARNING: Proxy is stale; it references to non-existent gateway {gateway_name}"),
                    );
                    continue;
                };
                if selector.is_empty() {
                    out.line(
                        0,
                        &format!("Ingress Gateway {gateway_name} be applyed all workloads"),
                    );
                    continue;
                }
                if selects(&selector, &ingress.labels) {
                    out.line(0, SEPARATOR);
                    out.line(0, &format!("Exposed on Ingress Gateway {}", ingress.url));
                    vs.print(out, 0, &fqdn, &subsets, rule.as_ref());
                }
            }
        }
    }
}

/// The `spec.selector` of Gateway `ns/name`; `None` when there is no such Gateway.
fn gateway_selector(s: &Snapshot, key: &str) -> Option<BTreeMap<String, String>> {
    let gateway = s
        .gateways
        .iter()
        .find(|g| format!("{}/{}", namespace_of(g), name_of(g)) == key)?;
    Some(labels_at(gateway, "/spec/selector"))
}
