//! Unknown fields and type errors, for built-in and Istio kinds.

use serde_json::{json, Value};

use super::{deployment, service, set};
use crate::api::validate::{validate, Reason};

#[test]
fn unknown_fields_are_exact() {
    let cases: Vec<(&str, &str, &str, Value, Vec<&str>)> = vec![
        (
            "clean deployment",
            "apps",
            "Deployment",
            deployment(),
            vec![],
        ),
        (
            "several depths",
            "apps",
            "Deployment",
            set(
                set(
                    set(
                        deployment(),
                        "/spec/template/spec/containers/0/imagePullPolice",
                        json!("Always"),
                    ),
                    "/spec/replica",
                    json!(2),
                ),
                "/metadata/labelz",
                json!({"a": "b"}),
            ),
            vec![
                "metadata.labelz",
                "spec.template.spec.containers[0].imagePullPolice",
                "spec.replica",
            ],
        ),
        (
            "inside nested known structs",
            "apps",
            "Deployment",
            set(
                set(
                    deployment(),
                    "/spec/template/spec/containers/0/readinessProbe/httpGet/paht",
                    json!("/"),
                ),
                "/spec/template/spec/volumes/0/emptyDir/size",
                json!("1Gi"),
            ),
            vec![
                "spec.template.spec.containers[0].readinessProbe.httpGet.paht",
                "spec.template.spec.volumes[0].emptyDir.size",
            ],
        ),
        (
            "free-form maps and special values are never unknown",
            "apps",
            "Deployment",
            set(
                set(
                    set(
                        deployment(),
                        "/metadata/annotations",
                        json!({"anything/goes": "x", "Z": ""}),
                    ),
                    "/spec/strategy",
                    json!({"rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 1}}),
                ),
                "/spec/template/spec/containers/0/resources",
                json!({"limits": {"cpu": 2, "memory": "1Gi", "example.com/gpu": "1"}}),
            ),
            vec![],
        ),
        (
            "metadata fields and status",
            "",
            "Service",
            set(
                set(
                    set(
                        service(),
                        "/metadata/creationTimestamp",
                        json!("2024-01-01T00:00:00Z"),
                    ),
                    "/metadata/managedFields",
                    json!([{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:ports": {}}}}]),
                ),
                "/status",
                json!({"loadBalancer": {}, "bogus": 1}),
            ),
            vec!["status.bogus"],
        ),
        (
            "nulls are not fields",
            "",
            "Service",
            set(service(), "/spec/bogus", Value::Null),
            vec![],
        ),
        (
            "secret data keys are free-form",
            "",
            "Secret",
            json!({"metadata": {"name": "s", "uid": "u"}, "data": {"any-key": "eA=="}, "stringData": {"x": "y"}, "typo": "Opaque"}),
            vec!["typo"],
        ),
        (
            "istio spec",
            "networking.istio.io",
            "VirtualService",
            json!({
                "metadata": {"name": "r", "labelz": {}},
                "spec": {
                    "hosts": ["r"],
                    "http": [{
                        "match": [{"headers": {"end-user": {"exact": "jason", "exaact": "x"}}}],
                        "route": [{"destination": {"host": "r", "subnet": "v1"}}],
                        "timeOut": "1s"
                    }]
                },
                "status": {"anything": {"goes": true}}
            }),
            vec![
                "metadata.labelz",
                "spec.http[0].match[0].headers.end-user.exaact",
                "spec.http[0].route[0].destination.subnet",
                "spec.http[0].timeOut",
            ],
        ),
        (
            "istio maps of scalars and empty lists",
            "networking.istio.io",
            "DestinationRule",
            json!({"metadata": {"name": "d"}, "spec": {"host": "r", "exportTo": [], "subsets": [{"name": "v1", "labels": {}}], "trafficPolicyy": {}}}),
            vec!["spec.trafficPolicyy"],
        ),
    ];
    for (name, group, kind, obj, want) in cases {
        let report = validate(group, kind, &obj);
        assert_eq!(report.unknown_fields, want, "{name}: {report:?}");
    }
}

#[test]
fn kube_type_errors_are_go_decode_errors() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "string for int32",
            set(deployment(), "/spec/replicas", json!("3")),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            "fraction for int32",
            set(deployment(), "/spec/replicas", json!(1.5)),
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            "deep field",
            set(deployment(), "/spec/template/spec/containers/0/ports/0/containerPort", json!("80")),
            "json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32",
        ),
        (
            "list expected",
            set(deployment(), "/spec/template/spec/containers", json!({"name": "x"})),
            "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container",
        ),
        (
            "label value",
            set(deployment(), "/metadata/labels/version", json!(1)),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            "int or string",
            set(deployment(), "/spec/strategy", json!({"rollingUpdate": {"maxSurge": true}})),
            "json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type intstr.IntOrString",
        ),
        (
            "struct expected",
            set(deployment(), "/spec", json!("x")),
            "json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec",
        ),
        (
            "bad quantity",
            set(deployment(), "/spec/template/spec/containers/0/resources/limits/memory", json!("1 GB")),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
        (
            "bad quantity suffix",
            set(deployment(), "/spec/template/spec/containers/0/resources/limits/memory", json!("1ki")),
            "unable to parse quantity's suffix",
        ),
    ];
    for (name, obj, want) in cases {
        let report = validate("apps", "Deployment", &obj);
        assert_eq!(report.decode_error.as_deref(), Some(want), "{name}");
        assert!(
            report.causes.is_empty(),
            "{name}: a decode error comes alone"
        );
    }
    let secret = json!({"metadata": {"name": "s"}, "data": {"k": "not base64!"}});
    let report = validate("", "Secret", &secret);
    assert_eq!(
        report.decode_error.as_deref(),
        Some("illegal base64 data at input byte 3")
    );
}

#[test]
fn istio_type_errors_are_all_reported() {
    let obj = json!({
        "metadata": {"name": "gw"},
        "spec": {
            "selector": {"istio": 1},
            "servers": [
                {"port": {"number": "80", "name": "http", "protocol": "HTTP"}, "hosts": "*"},
                {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["*"], "tls": {"mode": "SIMPLE", "httpsRedirect": "yes"}}
            ]
        }
    });
    let report = validate("networking.istio.io", "Gateway", &obj);
    let got: Vec<(&str, Reason, &str)> = report
        .causes
        .iter()
        .map(|c| (c.field.as_str(), c.reason, c.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "spec.selector.istio",
                Reason::TypeInvalid,
                "Invalid value: \"integer\": spec.selector.istio in body must be of type string: \"integer\""
            ),
            (
                "spec.servers[0].port.number",
                Reason::TypeInvalid,
                "Invalid value: \"string\": spec.servers[0].port.number in body must be of type integer: \"string\""
            ),
            (
                "spec.servers[0].hosts",
                Reason::TypeInvalid,
                "Invalid value: \"string\": spec.servers[0].hosts in body must be of type array: \"string\""
            ),
            (
                "spec.servers[1].tls.httpsRedirect",
                Reason::TypeInvalid,
                "Invalid value: \"string\": spec.servers[1].tls.httpsRedirect in body must be of type boolean: \"string\""
            ),
        ],
        "{report:?}"
    );
    assert_eq!(report.decode_error, None);
}

#[test]
fn unknown_kind_is_empty() {
    let report = validate("batch", "Job", &json!({"spec": 1}));
    assert_eq!(report, Default::default());
}
