//! DestinationRule analyzers: hosts that resolve to nothing (IST0174) and subsets that select no pod (IST0173).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::catalogue::{
    Arg, DESTINATION_RULE_SUBSET_NOT_SELECT_PODS, UNKNOWN_DESTINATION_RULE_HOST,
};
use super::hosts::Registry;
use super::object::{arr, of_istio_kind, of_kind, str_of, strs, Object};
use super::Message;

/// Node labels Istio copies onto the endpoints of the pods scheduled there.
const NODE_TOPOLOGY_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
];

/// Label Istio sets on every endpoint to the name of its node.
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

type Labels = BTreeMap<String, String>;

/// The string-valued entries of a label map.
fn string_labels(map: Option<&serde_json::Map<String, Value>>) -> Labels {
    map.into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

/// A pod's labels as Istio's service registry sees its endpoint: its own labels plus the
/// topology labels of the node it runs on (only when that Node is among the objects).
fn endpoint_labels(pod: &Object<'_>, nodes: &HashMap<&str, &Object<'_>>) -> Labels {
    let mut labels = string_labels(pod.labels());
    let node_name = str_of(pod.spec(), "nodeName");
    let Some(node) = nodes.get(node_name).filter(|_| !node_name.is_empty()) else {
        return labels;
    };
    for key in NODE_TOPOLOGY_LABELS {
        if let Some(v) = node.label(key) {
            labels.insert((*key).to_string(), v.to_string());
        }
    }
    labels.insert(HOSTNAME_LABEL.to_string(), node_name.to_string());
    labels
}

/// Equality selector matching; an empty selector matches every pod.
fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// IST0174 for DestinationRules whose host resolves to no Service or ServiceEntry visible
/// from the rule's namespace; otherwise IST0173 for each subset whose labels (merged over the
/// ServiceEntry's workload selector) select no pod. Pods of every namespace count, as in Istio.
pub fn subsets(objs: &[Object<'_>]) -> Vec<Message> {
    let registry = Registry::build(objs);
    let nodes: HashMap<&str, &Object<'_>> = of_kind(objs, "Node").map(|n| (n.name, n)).collect();
    let endpoints: Vec<Labels> = of_kind(objs, "Pod")
        .map(|p| endpoint_labels(p, &nodes))
        .collect();
    let mut out = Vec::new();
    for dr in of_istio_kind(objs, "DestinationRule") {
        let spec = dr.spec();
        let host = str_of(spec, "host");
        let Some(entry) = registry.lookup(&dr.namespace, &strs(spec, "exportTo"), host) else {
            out.push(Message::new(
                UNKNOWN_DESTINATION_RULE_HOST,
                dr,
                &[Arg::Str(host.to_string())],
            ));
            continue;
        };
        // Subsets are keyed by name: a later subset of the same name replaces an earlier one.
        let mut selectors: BTreeMap<&str, Labels> = BTreeMap::new();
        for subset in arr(spec, "subsets") {
            let mut selector = entry.selector.clone();
            selector.extend(string_labels(
                subset.get("labels").and_then(Value::as_object),
            ));
            selectors.insert(str_of(subset, "name"), selector);
        }
        for (name, selector) in selectors {
            if !endpoints.iter().any(|labels| selects(&selector, labels)) {
                out.push(Message::new(
                    DESTINATION_RULE_SUBSET_NOT_SELECT_PODS,
                    dr,
                    &[Arg::Str(name.to_string())],
                ));
            }
        }
    }
    out
}
