//! Ownership through updates and applies, conflicts and their wording.

use serde_json::{json, Value};

use super::{apply, conflict_message, record_update, ApplyError, Conflict};

fn cm(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
}

fn managers(obj: &Value) -> Vec<String> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}/{}",
                e["manager"].as_str().unwrap(),
                e["operation"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn updates_take_over_the_fields_they_change() {
    let mut created = cm(json!({"a": "1", "b": "2"}));
    record_update(
        None,
        &mut created,
        "kubectl-create",
        ("v1", "ConfigMap"),
        None,
    );
    assert_eq!(managers(&created), ["kubectl-create/Update"]);
    let mut edited = created.clone();
    edited["data"]["a"] = json!("9");
    record_update(
        Some(&created),
        &mut edited,
        "kubectl-edit",
        ("v1", "ConfigMap"),
        None,
    );
    assert_eq!(
        managers(&edited),
        ["kubectl-create/Update", "kubectl-edit/Update"]
    );
    let fields = &edited["metadata"]["managedFields"];
    assert_eq!(fields[0]["fieldsV1"], json!({"f:data": {"f:b": {}}}));
    assert_eq!(fields[1]["fieldsV1"], json!({"f:data": {"f:a": {}}}));
    // Taking the last field of a manager drops its entry.
    let mut again = edited.clone();
    again["data"]["b"] = json!("8");
    record_update(
        Some(&edited),
        &mut again,
        "kubectl-edit",
        ("v1", "ConfigMap"),
        None,
    );
    assert_eq!(managers(&again), ["kubectl-edit/Update"]);
}

#[test]
fn applies_conflict_unless_forced_and_remove_what_they_stop_applying() {
    let mut live = apply(
        None,
        &cm(json!({"a": "1", "b": "2"})),
        "mine",
        "v1",
        "ConfigMap",
        true,
        false,
    )
    .unwrap();
    assert_eq!(managers(&live), ["mine/Apply"]);
    let before = live.clone();
    live["data"]["a"] = json!("7");
    record_update(Some(&before), &mut live, "other", ("v1", "ConfigMap"), None);
    match apply(
        Some(&live),
        &cm(json!({"a": "1", "b": "2"})),
        "mine",
        "v1",
        "ConfigMap",
        true,
        false,
    ) {
        Err(ApplyError::Conflicts(c)) => assert_eq!(
            c,
            [Conflict {
                manager: r#""other" using v1"#.into(),
                field: ".data.a".into()
            }]
        ),
        other => panic!("{other:?}"),
    }
    // The same value is shared, not a conflict; `b` is no longer applied and goes.
    let shared = apply(
        Some(&live),
        &cm(json!({"a": "7"})),
        "mine",
        "v1",
        "ConfigMap",
        true,
        false,
    )
    .unwrap();
    assert_eq!(shared["data"], json!({"a": "7"}));
    let forced = apply(
        Some(&live),
        &cm(json!({"a": "1"})),
        "mine",
        "v1",
        "ConfigMap",
        true,
        true,
    )
    .unwrap();
    assert_eq!(forced["data"], json!({"a": "1"}));
    assert_eq!(managers(&forced), ["mine/Apply"]);
    // Nothing to change: the live object comes back as it was.
    assert_eq!(
        apply(
            Some(&forced),
            &cm(json!({"a": "1"})),
            "mine",
            "v1",
            "ConfigMap",
            true,
            false
        )
        .unwrap(),
        forced
    );
}

#[test]
fn conflict_messages_are_worded_as_the_api_server_words_them() {
    let c = |m: &str, f: &str| Conflict {
        manager: m.into(),
        field: f.into(),
    };
    assert_eq!(
        conflict_message(&[c(
            r#""kubectl-client-side-apply" using apps/v1"#,
            ".spec.replicas"
        )]),
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
    );
    assert_eq!(
        conflict_message(&[c(r#""a" using v1"#, ".x"), c(r#""a" using v1"#, ".y")]),
        "Apply failed with 2 conflicts: conflicts with \"a\" using v1:\n- .x\n- .y"
    );
}
