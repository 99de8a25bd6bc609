//! The injection decision: Istio's mutating-webhook selectors plus the injector's `injectRequired`.

use std::collections::BTreeMap;

use super::{lookup, INJECT_KEY};

/// Namespace label that turns injection on (`enabled`) or off (`disabled`) for a whole namespace.
pub const NAMESPACE_INJECTION_LABEL: &str = "istio-injection";
/// Namespace or pod label selecting a control-plane revision.
pub const REVISION_LABEL: &str = "istio.io/rev";
/// The only revision this mesh runs.
pub const DEFAULT_REVISION: &str = "default";

/// Namespaces never injected: Kubernetes' system namespaces that Istio ignores, and the control plane's own.
const IGNORED_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
    "istio-system",
];

/// How the pod's own `sidecar.istio.io/inject` setting reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodChoice {
    /// Unset or empty: the namespace policy decides.
    Default,
    /// Explicitly injected.
    Yes,
    /// Any other value: explicitly not injected.
    No,
}

/// The pod's choice, from the label when present (the label is the newer API and wins), else the
/// annotation. Like Istio, YAML 1.1 truthy spellings mean yes and any other non-empty value means no.
fn pod_choice(label: Option<&str>, annotation: Option<&str>) -> PodChoice {
    let raw = label.or(annotation).unwrap_or("");
    match raw.to_ascii_lowercase().as_str() {
        "" => PodChoice::Default,
        "y" | "yes" | "true" | "on" => PodChoice::Yes,
        _ => PodChoice::No,
    }
}

/// Whether a pod's own settings allow injection under an enabled policy (as `istioctl kube-inject` uses).
pub(super) fn pod_allows(labels: &[(String, String)], annotations: &[(String, String)]) -> bool {
    pod_choice(lookup(labels, INJECT_KEY), lookup(annotations, INJECT_KEY)) != PodChoice::No
}

/// Whether any of the default revision's injection webhooks selects this namespace and pod. Selectors
/// see labels only, never annotations.
fn webhook_matches(
    namespace_labels: &BTreeMap<String, String>,
    pod_labels: &BTreeMap<String, String>,
) -> bool {
    let ns_injection = namespace_labels
        .get(NAMESPACE_INJECTION_LABEL)
        .map(String::as_str);
    let ns_rev = namespace_labels.get(REVISION_LABEL).map(String::as_str);
    let pod_inject = pod_labels.get(INJECT_KEY).map(String::as_str);
    let pod_rev = pod_labels.get(REVISION_LABEL).map(String::as_str);
    let not_opted_out = pod_inject != Some("false");
    let ns_unlabelled = ns_injection.is_none() && ns_rev.is_none();

    // rev.namespace.sidecar-injector.istio.io
    let rev_namespace = ns_rev == Some(DEFAULT_REVISION) && ns_injection.is_none() && not_opted_out;
    // rev.object.sidecar-injector.istio.io
    let rev_object = ns_unlabelled && not_opted_out && pod_rev == Some(DEFAULT_REVISION);
    // namespace.sidecar-injector.istio.io
    let namespace = ns_injection == Some("enabled") && not_opted_out;
    // object.sidecar-injector.istio.io
    let object = ns_unlabelled && pod_inject == Some("true") && pod_rev.is_none();
    rev_namespace || rev_object || namespace || object
}

/// The automatic-injection decision (the mutating webhook's selectors + injectRequired), for a Pod being
/// created in a namespace with `namespace_labels`.
pub fn wanted(
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    pod_labels: &BTreeMap<String, String>,
    pod_annotations: &BTreeMap<String, String>,
    host_network: bool,
) -> bool {
    if IGNORED_NAMESPACES.contains(&namespace) || !webhook_matches(namespace_labels, pod_labels) {
        return false;
    }
    // injectRequired with the policy enabled: only hostNetwork or an explicit "no" stops injection.
    if host_network {
        return false;
    }
    let choice = pod_choice(
        pod_labels.get(INJECT_KEY).map(String::as_str),
        pod_annotations.get(INJECT_KEY).map(String::as_str),
    );
    choice != PodChoice::No
}
