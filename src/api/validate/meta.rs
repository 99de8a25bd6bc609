//! `metadata` (ObjectMeta) validation shared by every kind, and label/selector helpers.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::field::{self, Bad, FieldPath};
use super::names::{self, NameRule};
use super::Cause;

/// Most bytes all annotations of one object may hold (keys plus values).
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;
/// `must be greater than or equal to 0`.
pub(crate) const NEGATIVE_MSG: &str = "must be greater than or equal to 0";

/// Validates `metadata` as kube's `ValidateObjectMeta` does on create.
///
/// A missing namespace is not an error: the server fills it in from the request. A
/// `generateName` without a name is accepted (the server generates the name).
pub(crate) fn object_meta(meta: &ObjectMeta, rule: NameRule, namespaced: bool) -> Vec<Cause> {
    let path = FieldPath::new("metadata");
    let mut errs = Vec::new();
    let generate_name = meta.generate_name.as_deref().unwrap_or_default();
    let name = meta.name.as_deref().unwrap_or_default();
    if !generate_name.is_empty() {
        for msg in rule.check(generate_name, true) {
            errs.push(field::invalid(
                &path.child("generateName"),
                Bad::str(generate_name),
                &msg,
            ));
        }
    }
    if name.is_empty() {
        if generate_name.is_empty() {
            errs.push(field::required(
                &path.child("name"),
                "name or generateName is required",
            ));
        }
    } else {
        for msg in rule.check(name, false) {
            errs.push(field::invalid(&path.child("name"), Bad::str(name), &msg));
        }
    }
    if namespaced {
        if let Some(ns) = meta.namespace.as_deref().filter(|ns| !ns.is_empty()) {
            for msg in names::dns1123_label(ns) {
                errs.push(field::invalid(&path.child("namespace"), Bad::str(ns), &msg));
            }
        }
    }
    if let Some(generation) = meta.generation.filter(|g| *g < 0) {
        errs.push(field::invalid(
            &path.child("generation"),
            Bad::Int(generation),
            NEGATIVE_MSG,
        ));
    }
    errs.extend(labels(meta.labels.as_ref(), &path.child("labels")));
    errs.extend(annotations(
        meta.annotations.as_ref(),
        &path.child("annotations"),
    ));
    for owner in meta.owner_references.iter().flatten() {
        let owners = path.child("ownerReferences");
        let version = owner.api_version.rsplit('/').next().unwrap_or_default();
        if version.is_empty() {
            errs.push(field::invalid(
                &owners.child("apiVersion"),
                Bad::str(&owner.api_version),
                "version must not be empty",
            ));
        }
        if owner.kind.is_empty() {
            errs.push(field::invalid(
                &owners.child("kind"),
                Bad::str(""),
                "must not be empty",
            ));
        }
        if owner.name.is_empty() {
            errs.push(field::invalid(
                &owners.child("name"),
                Bad::str(""),
                "must not be empty",
            ));
        }
        if owner.uid.is_empty() {
            errs.push(field::invalid(
                &owners.child("uid"),
                Bad::str(""),
                "must not be empty",
            ));
        }
    }
    for finalizer in meta.finalizers.iter().flatten() {
        for msg in names::qualified_name(finalizer) {
            errs.push(field::invalid(
                &path.child("finalizers"),
                Bad::str(finalizer),
                &msg,
            ));
        }
    }
    errs
}

/// Label keys must be qualified names and values valid label values; errors point at the
/// map itself, as in kube.
pub(crate) fn labels(labels: Option<&BTreeMap<String, String>>, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    for (key, value) in labels.into_iter().flatten() {
        for msg in names::qualified_name(key) {
            errs.push(field::invalid(path, Bad::str(key), &msg));
        }
        for msg in names::label_value(value) {
            errs.push(field::invalid(path, Bad::str(value), &msg));
        }
    }
    errs
}

/// Annotation keys are qualified names (case-insensitively); their total size is bounded.
pub(crate) fn annotations(
    annotations: Option<&BTreeMap<String, String>>,
    path: &FieldPath,
) -> Vec<Cause> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (key, value) in annotations.into_iter().flatten() {
        for msg in names::qualified_name(&key.to_lowercase()) {
            errs.push(field::invalid(path, Bad::str(key), &msg));
        }
        total += key.len() + value.len();
    }
    if total > ANNOTATIONS_MAX_BYTES {
        errs.push(field::too_long(path, ANNOTATIONS_MAX_BYTES));
    }
    errs
}

/// Validates a label selector's shape (`ValidateLabelSelector`, strict values).
pub(crate) fn label_selector(selector: &LabelSelector, path: &FieldPath) -> Vec<Cause> {
    let mut errs = labels(selector.match_labels.as_ref(), &path.child("matchLabels"));
    for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
        let at = path.child("matchExpressions").index(i);
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => errs.push(field::required(
                &at.child("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(field::forbidden(
                &at.child("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            op => errs.push(field::invalid(
                &at.child("operator"),
                Bad::str(op),
                "not a valid selector operator",
            )),
        }
        for msg in names::qualified_name(&req.key) {
            errs.push(field::invalid(&at.child("key"), Bad::str(&req.key), &msg));
        }
        for (j, value) in values.iter().enumerate() {
            for msg in names::label_value(value) {
                errs.push(field::invalid(
                    &at.child("values").index(j),
                    Bad::str(value),
                    &msg,
                ));
            }
        }
    }
    errs
}

/// How a label selector behaves once converted (`metav1.LabelSelectorAsSelector`).
pub(crate) enum Selector<'a> {
    /// No selector at all: matches nothing.
    Nothing,
    /// An empty selector: matches everything.
    Everything,
    /// Requirements to test.
    Some(&'a LabelSelector),
    /// The selector does not convert (bad operator, key or value).
    Invalid,
}

// === impl Selector ===

impl<'a> Selector<'a> {
    pub(crate) fn from(selector: Option<&'a LabelSelector>) -> Self {
        let Some(sel) = selector else {
            return Selector::Nothing;
        };
        let labels_len = sel.match_labels.as_ref().map_or(0, BTreeMap::len);
        let exprs = sel.match_expressions.as_deref().unwrap_or_default();
        if labels_len + exprs.len() == 0 {
            return Selector::Everything;
        }
        let keys_ok =
            sel.match_labels.iter().flatten().all(|(k, v)| {
                names::qualified_name(k).is_empty() && names::label_value(v).is_empty()
            }) && exprs.iter().all(|r| {
                let values = r.values.as_deref().unwrap_or_default();
                names::qualified_name(&r.key).is_empty()
                    && values.iter().all(|v| names::label_value(v).is_empty())
                    && match r.operator.as_str() {
                        "In" | "NotIn" => !values.is_empty(),
                        "Exists" | "DoesNotExist" => values.is_empty(),
                        _ => false,
                    }
            });
        if keys_ok {
            Selector::Some(sel)
        } else {
            Selector::Invalid
        }
    }

    /// Whether the selector matches these labels.
    pub(crate) fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k));
        match self {
            Selector::Nothing | Selector::Invalid => false,
            Selector::Everything => true,
            Selector::Some(sel) => {
                sel.match_labels
                    .iter()
                    .flatten()
                    .all(|(k, v)| get(k) == Some(v))
                    && sel.match_expressions.iter().flatten().all(|r| {
                        let values = r.values.as_deref().unwrap_or_default();
                        match (r.operator.as_str(), get(&r.key)) {
                            ("In", Some(v)) => values.contains(v),
                            ("In", None) => false,
                            ("NotIn", Some(v)) => !values.contains(v),
                            ("NotIn", None) => true,
                            ("Exists", found) => found.is_some(),
                            ("DoesNotExist", found) => found.is_none(),
                            _ => false,
                        }
                    })
            }
        }
    }
}

/// Renders a label selector like Go's `%#v` of `metav1.LabelSelector`.
pub(crate) fn go_label_selector(sel: &LabelSelector) -> String {
    let labels = field::go_string_map(sel.match_labels.as_ref());
    let exprs = match &sel.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(exprs) => {
            let items = exprs
                .iter()
                .map(|r| {
                    let values = match &r.values {
                        None => "[]string(nil)".to_string(),
                        Some(v) => format!(
                            "[]string{{{}}}",
                            v.iter()
                                .map(|s| field::go_quote(s))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        field::go_quote(&r.key),
                        field::go_quote(&r.operator)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("[]v1.LabelSelectorRequirement{{{items}}}")
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}")
}
