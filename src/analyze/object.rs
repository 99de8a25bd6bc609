//! A typed view of one raw API object (kind, namespace, name, labels, origin) plus JSON access helpers.

use serde_json::{Map, Value};

/// Annotation carrying the `file:line` an object was read from.
pub const ORIGIN_ANNOTATION: &str = "meshlite.io/origin";

/// API group of Istio's traffic-management kinds.
const ISTIO_NETWORKING_GROUP: &str = "networking.istio.io";

/// Kinds without a namespace; everything else gets the default namespace when it has none.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "APIService",
];

/// One object as the analyzers see it.
#[derive(Debug, Clone)]
pub struct Object<'a> {
    pub kind: &'a str,
    /// Empty for cluster-scoped kinds.
    pub namespace: String,
    pub name: &'a str,
    pub origin: Option<&'a str>,
    pub value: &'a Value,
}

// === impl Object ===

impl<'a> Object<'a> {
    /// `None` for values that are not objects with a kind and a name.
    pub fn from_value(value: &'a Value, default_ns: &str) -> Option<Object<'a>> {
        let kind = value.get("kind")?.as_str()?;
        let meta = value.get("metadata")?;
        let name = meta.get("name")?.as_str()?;
        let namespace = if CLUSTER_SCOPED.contains(&kind) {
            String::new()
        } else {
            match meta.get("namespace").and_then(Value::as_str) {
                Some(ns) if !ns.is_empty() => ns.to_string(),
                _ => default_ns.to_string(),
            }
        };
        let origin = meta
            .get("annotations")
            .and_then(|a| a.get(ORIGIN_ANNOTATION))
            .and_then(Value::as_str);
        Some(Object {
            kind,
            namespace,
            name,
            origin,
            value,
        })
    }

    /// `ns/name` (or `name` when cluster-scoped), as Istio's `FullName.String()`.
    pub fn full_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.to_string()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    pub fn spec(&self) -> &'a Value {
        self.value.get("spec").unwrap_or(&Value::Null)
    }

    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.labels()
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
    }

    pub fn labels(&self) -> Option<&'a Map<String, Value>> {
        self.value
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
    }

    /// All annotations (empty when absent).
    pub fn annotations(&self) -> Option<&'a Map<String, Value>> {
        self.value
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(Value::as_object)
    }

    /// True for objects of Istio's `networking.istio.io` group. Objects without `apiVersion`
    /// are taken as Istio's, so that `kind: Gateway` only means a Kubernetes Gateway API
    /// Gateway when the object says so.
    pub fn is_istio_networking(&self) -> bool {
        match self.value.get("apiVersion").and_then(Value::as_str) {
            None | Some("") => true,
            Some(api) => api.split('/').next() == Some(ISTIO_NETWORKING_GROUP),
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.value
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }
}

/// Objects of one Istio networking kind (`VirtualService`, `Gateway`, …), in input order.
pub fn of_istio_kind<'o, 'a>(
    objs: &'o [Object<'a>],
    kind: &'o str,
) -> impl Iterator<Item = &'o Object<'a>> {
    of_kind(objs, kind).filter(|o| o.is_istio_networking())
}

/// True when `key` holds a value other than `null` (a set protobuf message field).
pub fn present(v: &Value, key: &str) -> bool {
    v.get(key).is_some_and(|x| !x.is_null())
}

/// Objects of one kind, in input order.
pub fn of_kind<'o, 'a>(
    objs: &'o [Object<'a>],
    kind: &'o str,
) -> impl Iterator<Item = &'o Object<'a>> {
    objs.iter().filter(move |o| o.kind == kind)
}

/// The array at `key` (empty when absent or not an array).
pub fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The string at `key` ("" when absent or not a string), as protobuf getters return.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The strings of the array at `key`, skipping non-strings.
pub fn strs<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    arr(v, key).iter().filter_map(Value::as_str).collect()
}

/// An integer at `key`, accepting numbers and numeric strings.
pub fn int_of(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// True when every `key: value` of `selector` is among `labels` (Kubernetes equality selector).
pub fn selector_matches(
    selector: &Map<String, Value>,
    labels: Option<&Map<String, Value>>,
) -> bool {
    selector.iter().all(|(k, want)| {
        let got = labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        match (got, want.as_str()) {
            (Some(g), Some(w)) => g == w,
            _ => false,
        }
    })
}

/// Kubernetes' rendering of an equality selector (`labels.SelectorFromSet(..).String()`):
/// `k=v` pairs sorted by key, comma-joined.
pub fn selector_string(selector: &Map<String, Value>) -> String {
    let mut pairs: Vec<(&str, &str)> = selector
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}
