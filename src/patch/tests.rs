//! Unit tests of the patch module, split by concern, and the helpers they share.

mod apply;
mod basic;
mod errors;
mod fields;
mod merge_keys;
mod server;
mod three_way;
mod three_way_merge;

use serde_json::{json, Value};

use crate::patch::strategic;

/// Whether any object inside `v` has a key starting with `$`.
pub(super) fn has_dollar_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.starts_with('$') || has_dollar_key(v)),
        Value::Array(a) => a.iter().any(has_dollar_key),
        _ => false,
    }
}

/// `leaf` nested under the keys of `path`.
pub(super) fn at(path: &[&str], leaf: Value) -> Value {
    path.iter().rev().fold(leaf, |acc, k| json!({ *k: acc }))
}

pub(super) struct Case {
    pub name: &'static str,
    pub kind: &'static str,
    pub target: Value,
    pub patch: Value,
    pub want: Value,
}

pub(super) fn run(cases: Vec<Case>) {
    for c in cases {
        let got = strategic(&c.target, &c.patch, c.kind)
            .unwrap_or_else(|e| panic!("{}: unexpected error {e}", c.name));
        assert_eq!(got, c.want, "{}", c.name);
        assert!(!has_dollar_key(&got), "{}: directive stored: {got}", c.name);
    }
}

pub(super) fn pod_spec(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
}
