//! Every refusal names the offending field path.

use serde_json::{json, Value};

use crate::inject::{inject, inject_template, InjectError, Workload};

#[test]
fn errors_name_the_field_path() {
    let dep = |spec: Value| json!({"kind": "Deployment", "metadata": {"name": "x"}, "spec": spec});
    let cases: Vec<(Value, InjectError, &str)> = vec![
        (
            json!([]),
            InjectError::NotAnObject("object".into()),
            "object: must be an object",
        ),
        (
            json!({"kind": 3}),
            InjectError::NotAString("kind".into()),
            "kind: must be a string",
        ),
        (
            dep(json!({})),
            InjectError::Required("spec.template".into()),
            "spec.template: Required value",
        ),
        (
            json!({"kind": "Deployment"}),
            InjectError::Required("spec".into()),
            "spec: Required value",
        ),
        (
            dep(json!({"template": []})),
            InjectError::NotAnObject("spec.template".into()),
            "spec.template: must be an object",
        ),
        (
            dep(json!({"template": {"spec": {"containers": {}}}})),
            InjectError::NotAList("spec.template.spec.containers".into()),
            "spec.template.spec.containers: must be a list",
        ),
        (
            dep(json!({"template": {"spec": {}}})),
            InjectError::Required("spec.template.spec.containers".into()),
            "spec.template.spec.containers: Required value",
        ),
        (
            dep(json!({"template": {}})),
            InjectError::Required("spec.template.spec".into()),
            "spec.template.spec: Required value",
        ),
        (
            dep(
                json!({"template": {"metadata": {"labels": {"a": 1}}, "spec": {"containers": []}}}),
            ),
            InjectError::NotAString("spec.template.metadata.labels.a".into()),
            "spec.template.metadata.labels.a: must be a string",
        ),
        (
            dep(json!({"template": {"metadata": "x", "spec": {"containers": []}}})),
            InjectError::NotAnObject("spec.template.metadata".into()),
            "spec.template.metadata: must be an object",
        ),
        (
            dep(json!({"template": {"metadata": {"annotations": []}, "spec": {"containers": []}}})),
            InjectError::NotAnObject("spec.template.metadata.annotations".into()),
            "spec.template.metadata.annotations: must be an object",
        ),
        (
            dep(json!({"template": {"spec": {"containers": [], "hostNetwork": "yes"}}})),
            InjectError::NotABoolean("spec.template.spec.hostNetwork".into()),
            "spec.template.spec.hostNetwork: must be a boolean",
        ),
        (
            dep(json!({"template": {"spec": {"containers": [], "volumes": {}}}})),
            InjectError::NotAList("spec.template.spec.volumes".into()),
            "spec.template.spec.volumes: must be a list",
        ),
        (
            dep(json!({"template": {"spec": {"containers": [], "initContainers": 1}}})),
            InjectError::NotAList("spec.template.spec.initContainers".into()),
            "spec.template.spec.initContainers: must be a list",
        ),
        (
            dep(json!({"template": {"spec": {"containers": ["x"]}}})),
            InjectError::NotAnObject("spec.template.spec.containers[0]".into()),
            "spec.template.spec.containers[0]: must be an object",
        ),
        (
            dep(json!({"template": {"spec": {"containers": [{"name": "a"}, {}]}}})),
            InjectError::Required("spec.template.spec.containers[1].name".into()),
            "spec.template.spec.containers[1].name: Required value",
        ),
        (
            dep(
                json!({"template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": "80"}]}]}}}),
            ),
            InjectError::NotAnInteger(
                "spec.template.spec.containers[0].ports[0].containerPort".into(),
            ),
            "spec.template.spec.containers[0].ports[0].containerPort: must be an integer",
        ),
        (
            dep(json!({"template": {"spec": {"containers": [{"name": "a", "ports": 80}]}}})),
            InjectError::NotAList("spec.template.spec.containers[0].ports".into()),
            "spec.template.spec.containers[0].ports: must be a list",
        ),
        (
            json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": 1}}}}}}),
            InjectError::NotAList("spec.jobTemplate.spec.template.spec.containers".into()),
            "spec.jobTemplate.spec.template.spec.containers: must be a list",
        ),
        (
            json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": 5}]}}),
            InjectError::NotAString("spec.containers[0].name".into()),
            "spec.containers[0].name: must be a string",
        ),
        (
            json!({"kind": "Pod", "metadata": {"name": "p", "ownerReferences": {}}, "spec": {"containers": []}}),
            InjectError::NotAList("metadata.ownerReferences".into()),
            "metadata.ownerReferences: must be a list",
        ),
        (
            json!({"kind": "Pod", "metadata": {"name": 1}, "spec": {"containers": []}}),
            InjectError::NotAString("metadata.name".into()),
            "metadata.name: must be a string",
        ),
    ];
    for (obj, want, text) in cases {
        let err = inject(&obj, "default").unwrap_err();
        assert_eq!(err, want, "{obj}");
        assert_eq!(err.to_string(), text);
    }
    // inject_template reports paths relative to the pod.
    let w = Workload {
        namespace: "d".into(),
        name: "p".into(),
        owner: "o".into(),
    };
    let err = inject_template(&mut json!({}), &mut json!({"containers": 1}), &w).unwrap_err();
    assert_eq!(err.to_string(), "spec.containers: must be a list");
}
