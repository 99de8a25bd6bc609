//! Automatic sidecar injection, the mutating admission step Istio's webhook performs: a Pod
//! being created in a namespace that asks for injection gets the sidecar before it is
//! defaulted, validated and stored.

use crate::api::meta;
use crate::api::resources;
use crate::api::status::ApiError;
use crate::inject;
use crate::store::Store;
use serde_json::Value;

/// `pod` as it should be stored: injected when its namespace and its own labels ask for it.
pub fn inject_if_wanted(store: &Store, ns: &str, pod: Value) -> Result<Value, ApiError> {
    let ns_labels = store
        .get(&resources::core("namespaces").key(None, ns))
        .map_err(ApiError::internal)?
        .map(|n| meta::labels(&n))
        .unwrap_or_default();
    let host_network = pod.pointer("/spec/hostNetwork") == Some(&Value::Bool(true));
    if !inject::wanted(
        ns,
        &ns_labels,
        &meta::labels(&pod),
        &meta::annotations(&pod),
        host_network,
    ) {
        return Ok(pod);
    }
    // The webhook's failurePolicy is Fail: a pod that cannot be injected is refused.
    inject::inject(&pod, ns).map(|(p, _)| p).map_err(|e| {
        ApiError::bad_request(format!(
            "admission webhook \"namespace.sidecar-injector.istio.io\" denied the request: {e}"
        ))
    })
}
