//! Field sets of server-side apply: what an object sets, in `fieldsV1` form and back, what an
//! update changed, and removing owned paths.

use serde_json::json;

use crate::patch::fields::{display, is_element_key, remove_at, value_at, FieldSet, Step};

fn f(name: &str) -> Step {
    Step::Field(name.into())
}

fn k(key: &str) -> Step {
    Step::Key(key.into())
}

fn deployment() -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "uid": "u", "resourceVersion": "7", "labels": {"app": "web"},
                     "finalizers": ["a"]},
        "spec": {"replicas": 1, "strategy": {},
            "template": {"spec": {
                "containers": [{"name": "app", "image": "i", "args": ["-v"],
                                "env": [{"name": "A", "value": "1"}]}]}}},
        "status": {"replicas": 1}})
}

#[test]
fn fields_of_an_object_follow_merge_keys() {
    let set = FieldSet::of(&deployment(), "Deployment");
    let c = [
        f("spec"),
        f("template"),
        f("spec"),
        f("containers"),
        k(r#"{"name":"app"}"#),
    ];
    let with = |tail: &[Step]| [&c[..], tail].concat();
    let want: Vec<Vec<Step>> = vec![
        vec![f("metadata"), f("finalizers"), Step::Value(r#""a""#.into())],
        vec![f("metadata"), f("labels"), f("app")],
        vec![f("spec"), f("replicas")],
        // An empty struct is a field of its own.
        vec![f("spec"), f("strategy")],
        c.to_vec(),
        // A list without a merge key is one leaf.
        with(&[f("args")]),
        with(&[f("env"), k(r#"{"name":"A"}"#)]),
        with(&[f("env"), k(r#"{"name":"A"}"#), f("name")]),
        with(&[f("env"), k(r#"{"name":"A"}"#), f("value")]),
        with(&[f("image")]),
        with(&[f("name")]),
    ];
    assert_eq!(set.0.into_iter().collect::<Vec<_>>(), want);
    // Custom resources: every list is atomic.
    let vs = json!({"spec": {"hosts": ["a"], "http": [{"route": []}]}});
    assert_eq!(
        FieldSet::of(&vs, "VirtualService")
            .0
            .into_iter()
            .collect::<Vec<_>>(),
        vec![vec![f("spec"), f("hosts")], vec![f("spec"), f("http")]]
    );
}

#[test]
fn fields_v1_round_trip_with_dot_on_owned_elements() {
    let set = FieldSet::of(&deployment(), "Deployment");
    let v1 = set.to_fields_v1();
    let container = &v1["f:spec"]["f:template"]["f:spec"]["f:containers"][r#"k:{"name":"app"}"#];
    assert_eq!(container["."], json!({}));
    assert_eq!(container["f:image"], json!({}));
    assert_eq!(v1["f:metadata"]["f:finalizers"][r#"v:"a""#], json!({}));
    assert!(v1["f:spec"].get(".").is_none(), "{v1}");
    assert_eq!(FieldSet::from_fields_v1(&v1), set);
}

#[test]
fn changes_name_what_an_update_set_and_dropped() {
    let old = deployment();
    let mut new = deployment();
    new["spec"]["replicas"] = json!(3);
    new["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("env");
    let (changed, removed) = FieldSet::changes(&old, &new, "Deployment");
    assert_eq!(
        changed.0.into_iter().collect::<Vec<_>>(),
        vec![vec![f("spec"), f("replicas")]]
    );
    assert_eq!(removed.0.len(), 3, "{removed:?}");
    // Server metadata and status are nobody's.
    let mut moved = deployment();
    moved["metadata"]["resourceVersion"] = json!("8");
    moved["status"]["replicas"] = json!(2);
    let (changed, removed) = FieldSet::changes(&old, &moved, "Deployment");
    assert!(changed.is_empty() && removed.is_empty());
}

#[test]
fn paths_display_read_and_remove() {
    let mut obj = deployment();
    let env = vec![
        f("spec"),
        f("template"),
        f("spec"),
        f("containers"),
        k(r#"{"name":"app"}"#),
        f("env"),
        k(r#"{"name":"A"}"#),
    ];
    assert_eq!(
        display(&env),
        r#".spec.template.spec.containers[name="app"].env[name="A"]"#
    );
    assert_eq!(
        display(&[f("metadata"), f("finalizers"), Step::Value(r#""a""#.into())]),
        r#".metadata.finalizers[="a"]"#
    );
    assert_eq!(
        value_at(&obj, &env),
        Some(&json!({"name": "A", "value": "1"}))
    );
    assert!(is_element_key(&[env.clone(), vec![f("name")]].concat()));
    assert!(!is_element_key(&[env.clone(), vec![f("value")]].concat()));
    let set = FieldSet::of(&obj, "Deployment");
    assert!(set.covers(&env[..5]) && !set.covers(&[f("spec"), f("paused")]));
    remove_at(&mut obj, &env);
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([])
    );
    remove_at(&mut obj, &[f("spec"), f("replicas")]);
    assert!(obj["spec"].get("replicas").is_none());
    remove_at(
        &mut obj,
        &[f("metadata"), f("finalizers"), Step::Value(r#""a""#.into())],
    );
    assert_eq!(obj["metadata"]["finalizers"], json!([]));
}
