//! Annotation analyzer: annotations in Istio's namespace that Istio does not know (IST0108).

use super::catalogue::{Arg, UNKNOWN_ANNOTATION};
use super::object::{of_kind, Object};
use super::Message;

/// Kinds whose own metadata annotations Istio checks (a Deployment's pod template is not).
const CHECKED_KINDS: &[&str] = &["Namespace", "Service", "Pod", "Deployment"];

/// A Kubernetes annotation Istio documents, so it is checked like Istio's own.
const INGRESS_CLASS: &str = "kubernetes.io/ingress.class";

/// Every annotation in Istio's resource annotation registry (`istio.io/api`,
/// `annotation.AllResourceAnnotations`), sorted. Where an annotation is placed is another
/// analyzer's concern (IST0107), so resource types are not kept.
pub const KNOWN: &[&str] = &[
    "alpha.istio.io/canonical-serviceaccounts",
    "alpha.istio.io/kubernetes-serviceaccounts",
    "ambient.istio.io/bypass-inbound-capture",
    "ambient.istio.io/dns-capture",
    "ambient.istio.io/redirection",
    "ambient.istio.io/waypoint-inbound-binding",
    "galley.istio.io/analyze-suppress",
    "gateway.istio.io/controller-version",
    "gateway.istio.io/name-override",
    "gateway.istio.io/service-account",
    "inject.istio.io/templates",
    "istio.io/autoRegistrationGroup",
    "istio.io/connectedAt",
    "istio.io/disconnectedAt",
    "istio.io/dry-run",
    "istio.io/reroute-virtual-interfaces",
    "istio.io/rev",
    "istio.io/workloadController",
    "kubernetes.io/ingress.class",
    "networking.istio.io/exportTo",
    "networking.istio.io/service-type",
    "networking.istio.io/traffic-distribution",
    "prometheus.istio.io/merge-metrics",
    "proxy.istio.io/config",
    "proxy.istio.io/overrides",
    "readiness.status.sidecar.istio.io/applicationPorts",
    "readiness.status.sidecar.istio.io/failureThreshold",
    "readiness.status.sidecar.istio.io/initialDelaySeconds",
    "readiness.status.sidecar.istio.io/periodSeconds",
    "sidecar.istio.io/agentLogLevel",
    "sidecar.istio.io/bootstrapOverride",
    "sidecar.istio.io/componentLogLevel",
    "sidecar.istio.io/discoveryAddress",
    "sidecar.istio.io/enableCoreDump",
    "sidecar.istio.io/extraStatTags",
    "sidecar.istio.io/inject",
    "sidecar.istio.io/interceptionMode",
    "sidecar.istio.io/logLevel",
    "sidecar.istio.io/nativeSidecar",
    "sidecar.istio.io/proxyCPU",
    "sidecar.istio.io/proxyCPULimit",
    "sidecar.istio.io/proxyImage",
    "sidecar.istio.io/proxyImageType",
    "sidecar.istio.io/proxyMemory",
    "sidecar.istio.io/proxyMemoryLimit",
    "sidecar.istio.io/rewriteAppHTTPProbers",
    "sidecar.istio.io/statsHistogramBuckets",
    "sidecar.istio.io/statsInclusionPrefixes",
    "sidecar.istio.io/statsInclusionRegexps",
    "sidecar.istio.io/statsInclusionSuffixes",
    "sidecar.istio.io/status",
    "sidecar.istio.io/userVolume",
    "sidecar.istio.io/userVolumeMount",
    "status.sidecar.istio.io/port",
    "topology.istio.io/controlPlaneClusters",
    "traffic.istio.io/nodeSelector",
    "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/excludeInterfaces",
    "traffic.sidecar.istio.io/excludeOutboundIPRanges",
    "traffic.sidecar.istio.io/excludeOutboundPorts",
    "traffic.sidecar.istio.io/includeInboundPorts",
    "traffic.sidecar.istio.io/includeOutboundIPRanges",
    "traffic.sidecar.istio.io/includeOutboundPorts",
    "traffic.sidecar.istio.io/kubevirtInterfaces",
];

/// Whether Istio considers `key` one of its annotations: the part before the first `/`
/// ends in `istio.io` (so `istio.io/x`, `sidecar.istio.io/x`, but not `prometheus.io/x`).
pub fn is_istio_annotation(key: &str) -> bool {
    if key == INGRESS_CLASS {
        return true;
    }
    key.split('/').next().unwrap_or("").ends_with("istio.io")
}

/// Whether `key` is in Istio's annotation registry.
pub fn is_known(key: &str) -> bool {
    KNOWN.binary_search(&key).is_ok()
}

/// IST0108 for every unknown Istio annotation on Namespaces, Services, Pods and Deployments.
pub fn unknown(objs: &[Object<'_>]) -> Vec<Message> {
    let mut out = Vec::new();
    for kind in CHECKED_KINDS {
        for obj in of_kind(objs, kind) {
            let Some(annotations) = obj.annotations() else {
                continue;
            };
            for key in annotations.keys() {
                if is_istio_annotation(key) && !is_known(key) {
                    out.push(Message::new(
                        UNKNOWN_ANNOTATION,
                        obj,
                        &[Arg::Str(key.clone())],
                    ));
                }
            }
        }
    }
    out
}
