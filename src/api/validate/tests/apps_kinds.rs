//! Rules of the apps kinds (Deployment, ReplicaSet) and the pod template they share.

use serde_json::json;

use super::{deployment, remove, run, set, Case};
use crate::api::validate::Reason::{
    Duplicate, Forbidden, Invalid, NotFound, NotSupported, Required, TooLong,
};

macro_rules! subdomain_msg {
    () => {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    };
}
macro_rules! label_msg {
    () => {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    };
}
const CTR: &str = "/spec/template/spec/containers/0";

fn deploy(name: &'static str, obj: serde_json::Value, want: Vec<super::Want>) -> Case {
    Case {
        name,
        group: "apps",
        kind: "Deployment",
        obj,
        want,
    }
}

#[test]
fn deployments() {
    let d = deployment;
    run(vec![
        deploy("valid", d(), vec![]),
        deploy("generateName instead of name", set(remove(d(), "/metadata/name"), "/metadata/generateName", json!("reviews-")), vec![]),
        deploy("no spec.replicas (defaulted)", remove(d(), "/spec/replicas"), vec![]),
        deploy(
            "bad name",
            set(d(), "/metadata/name", json!("Reviews_V1")),
            vec![("metadata.name", Invalid, concat!("Invalid value: \"Reviews_V1\": ", subdomain_msg!()))],
        ),
        deploy(
            "missing name",
            remove(d(), "/metadata/name"),
            vec![("metadata.name", Required, "Required value: name or generateName is required")],
        ),
        deploy(
            "negative replicas",
            set(d(), "/spec/replicas", json!(-1)),
            vec![("spec.replicas", Invalid, "Invalid value: -1: must be greater than or equal to 0")],
        ),
        deploy(
            "missing selector",
            remove(d(), "/spec/selector"),
            vec![
                ("spec.selector", Required, "Required value"),
                (
                    "spec.template.metadata.labels",
                    Invalid,
                    "Invalid value: map[string]string{\"app\":\"reviews\", \"version\":\"v1\"}: `selector` does not match template `labels`",
                ),
            ],
        ),
        deploy(
            "null selector",
            set(d(), "/spec/selector", serde_json::Value::Null),
            vec![("spec.selector", Required, "Required value")],
        ),
        deploy(
            "empty selector",
            set(d(), "/spec/selector", json!({})),
            vec![(
                "spec.selector",
                Invalid,
                "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            )],
        ),
        deploy(
            "selector does not match",
            set(d(), "/spec/selector/matchLabels/app", json!("ratings")),
            vec![(
                "spec.template.metadata.labels",
                Invalid,
                "Invalid value: map[string]string{\"app\":\"reviews\", \"version\":\"v1\"}: `selector` does not match template `labels`",
            )],
        ),
        deploy(
            "template without labels",
            remove(d(), "/spec/template/metadata/labels"),
            vec![(
                "spec.template.metadata.labels",
                Invalid,
                "Invalid value: map[string]string(nil): `selector` does not match template `labels`",
            )],
        ),
        deploy(
            "matchExpressions",
            set(
                d(),
                "/spec/selector",
                json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["reviews"]}, {"key": "tier", "operator": "DoesNotExist"}]}),
            ),
            vec![],
        ),
        deploy(
            "bad selector operator",
            set(d(), "/spec/selector/matchExpressions", json!([{"key": "app", "operator": "Matches", "values": ["x"]}])),
            vec![("spec.selector.matchExpressions[0].operator", Invalid, "Invalid value: \"Matches\": not a valid selector operator")],
        ),
        deploy(
            "In without values",
            set(d(), "/spec/selector/matchExpressions", json!([{"key": "app", "operator": "In"}])),
            vec![("spec.selector.matchExpressions[0].values", Required, "Required value: must be specified when `operator` is 'In' or 'NotIn'")],
        ),
        deploy(
            "unknown strategy",
            set(d(), "/spec/strategy", json!({"type": "BlueGreen"})),
            vec![(
                "spec.strategy",
                NotSupported,
                "Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"",
            )],
        ),
        deploy("Recreate strategy", set(d(), "/spec/strategy", json!({"type": "Recreate"})), vec![]),
        deploy(
            "Recreate with rollingUpdate",
            set(d(), "/spec/strategy", json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}})),
            vec![("spec.strategy.rollingUpdate", Forbidden, "Forbidden: may not be specified when strategy `type` is 'Recreate'")],
        ),
        deploy(
            "bad maxUnavailable",
            set(d(), "/spec/strategy", json!({"rollingUpdate": {"maxUnavailable": "10x"}})),
            vec![(
                "spec.strategy.rollingUpdate.maxUnavailable",
                Invalid,
                "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"10x\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            )],
        ),
        deploy(
            "maxSurge and maxUnavailable both zero",
            set(d(), "/spec/strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "0%"}})),
            vec![(
                "spec.strategy.rollingUpdate.maxUnavailable",
                Invalid,
                "Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
            )],
        ),
        deploy(
            "maxUnavailable over 100%",
            set(d(), "/spec/strategy/rollingUpdate/maxUnavailable", json!("150%")),
            vec![("spec.strategy.rollingUpdate.maxUnavailable", Invalid, "Invalid value: \"150%\": must not be greater than 100%")],
        ),
        deploy(
            "template restartPolicy",
            set(d(), "/spec/template/spec/restartPolicy", json!("Never")),
            vec![("spec.template.spec.restartPolicy", NotSupported, "Unsupported value: \"Never\": supported values: \"Always\"")],
        ),
        deploy(
            "progressDeadlineSeconds",
            set(set(d(), "/spec/progressDeadlineSeconds", json!(5)), "/spec/minReadySeconds", json!(10)),
            vec![("spec.progressDeadlineSeconds", Invalid, "Invalid value: 5: must be greater than minReadySeconds")],
        ),
        deploy(
            "no containers",
            set(d(), "/spec/template/spec/containers", json!([])),
            vec![("spec.template.spec.containers", Required, "Required value")],
        ),
        deploy(
            "container without name and image",
            set(d(), CTR, json!({"ports": [{"containerPort": 80}]})),
            vec![
                ("spec.template.spec.containers[0].name", Required, "Required value"),
                ("spec.template.spec.containers[0].image", Required, "Required value"),
            ],
        ),
        deploy(
            "bad container name",
            set(d(), &format!("{CTR}/name"), json!("Reviews")),
            vec![(
                "spec.template.spec.containers[0].name",
                Invalid,
                concat!("Invalid value: \"Reviews\": ", label_msg!()),
            )],
        ),
        deploy(
            "duplicate container names",
            set(d(), "/spec/template/spec/initContainers", json!([{"name": "reviews", "image": "busybox"}])),
            vec![("spec.template.spec.initContainers[0].name", Duplicate, "Duplicate value: \"reviews\"")],
        ),
        deploy(
            "container ports",
            set(
                d(),
                &format!("{CTR}/ports"),
                json!([
                    {"containerPort": 0},
                    {"containerPort": 70000, "protocol": "HTTP", "name": "http-metrics-port"},
                    {"containerPort": 80, "name": "Web_1"},
                    {"containerPort": 81, "name": "web", "hostPort": -1},
                    {"containerPort": 82, "name": "web"}
                ]),
            ),
            vec![
                ("spec.template.spec.containers[0].ports[0].containerPort", Required, "Required value"),
                ("spec.template.spec.containers[0].ports[1].containerPort", Invalid, "Invalid value: 70000: must be between 1 and 65535, inclusive"),
                ("spec.template.spec.containers[0].ports[1].protocol", NotSupported, "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
                ("spec.template.spec.containers[0].ports[1].name", Invalid, "Invalid value: \"http-metrics-port\": must be no more than 15 characters"),
                (
                    "spec.template.spec.containers[0].ports[2].name",
                    Invalid,
                    "Invalid value: \"Web_1\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                ),
                ("spec.template.spec.containers[0].ports[3].hostPort", Invalid, "Invalid value: -1: must be between 1 and 65535, inclusive"),
                ("spec.template.spec.containers[0].ports[4].name", Duplicate, "Duplicate value: \"web\""),
            ],
        ),
        deploy(
            "env",
            set(
                d(),
                &format!("{CTR}/env"),
                json!([
                    {"name": ""},
                    {"name": "A=B"},
                    {"name": "my.env-name"},
                    {"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}, "secretKeyRef": {"name": "s", "key": "k"}}},
                    {"name": "Y", "value": "v", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
                    {"name": "Z", "valueFrom": {"fieldRef": {"fieldPath": "spec.hostname"}}},
                    {"name": "L", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}
                ]),
            ),
            vec![
                ("spec.template.spec.containers[0].env[0].name", Required, "Required value"),
                (
                    "spec.template.spec.containers[0].env[1].name",
                    Invalid,
                    "Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                ),
                ("spec.template.spec.containers[0].env[3].valueFrom", Invalid, "Invalid value: \"\": may not have more than one field specified at a time"),
                ("spec.template.spec.containers[0].env[4].valueFrom", Invalid, "Invalid value: \"\": may not be specified when `value` is not empty"),
                (
                    "spec.template.spec.containers[0].env[5].valueFrom.fieldRef.fieldPath",
                    NotSupported,
                    "Unsupported value: \"spec.hostname\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
                ),
            ],
        ),
        deploy(
            "resources",
            set(d(), &format!("{CTR}/resources"), json!({"limits": {"cpu": "500m", "gpus": "1"}, "requests": {"cpu": "1", "memory": "-1Gi"}})),
            vec![
                ("spec.template.spec.containers[0].resources.limits[gpus]", Invalid, "Invalid value: \"gpus\": must be a standard resource for containers"),
                ("spec.template.spec.containers[0].resources.requests", Invalid, "Invalid value: \"1\": must be less than or equal to cpu limit of 500m"),
                ("spec.template.spec.containers[0].resources.requests[memory]", Invalid, "Invalid value: \"-1Gi\": must be greater than or equal to 0"),
            ],
        ),
        deploy(
            "probes",
            set(
                set(
                    set(d(), &format!("{CTR}/livenessProbe"), json!({"httpGet": {"port": 0}, "successThreshold": 3})),
                    &format!("{CTR}/readinessProbe"),
                    json!({"periodSeconds": -1}),
                ),
                &format!("{CTR}/startupProbe"),
                json!({"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}),
            ),
            vec![
                ("spec.template.spec.containers[0].livenessProbe.httpGet.port", Invalid, "Invalid value: 0: must be between 1 and 65535, inclusive"),
                ("spec.template.spec.containers[0].livenessProbe.successThreshold", Invalid, "Invalid value: 3: must be 1"),
                ("spec.template.spec.containers[0].readinessProbe", Required, "Required value: must specify a handler type"),
                ("spec.template.spec.containers[0].readinessProbe.periodSeconds", Invalid, "Invalid value: -1: must be greater than or equal to 0"),
                ("spec.template.spec.containers[0].startupProbe.tcpSocket", Forbidden, "Forbidden: may not specify more than 1 handler type"),
            ],
        ),
        deploy(
            "volumes and mounts",
            set(
                set(d(), "/spec/template/spec/volumes", json!([{"name": "tmp"}, {"name": "cfg", "configMap": {"name": "c"}, "secret": {"secretName": "s"}}])),
                &format!("{CTR}/volumeMounts"),
                json!([{"name": "data", "mountPath": "/data"}, {"name": "cfg", "mountPath": "/data"}]),
            ),
            vec![
                ("spec.template.spec.volumes[0]", Required, "Required value: must specify a volume type"),
                ("spec.template.spec.volumes[1].configMap", Forbidden, "Forbidden: may not specify more than 1 volume type"),
                ("spec.template.spec.containers[0].volumeMounts[0].name", NotFound, "Not found: \"data\""),
                ("spec.template.spec.containers[0].volumeMounts[1].name", NotFound, "Not found: \"cfg\""),
                ("spec.template.spec.containers[0].volumeMounts[1].mountPath", Invalid, "Invalid value: \"/data\": must be unique"),
            ],
        ),
        deploy(
            "pull policy",
            set(d(), &format!("{CTR}/imagePullPolicy"), json!("Sometimes")),
            vec![(
                "spec.template.spec.containers[0].imagePullPolicy",
                NotSupported,
                "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
            )],
        ),
        deploy(
            "labels and annotations",
            set(
                set(d(), "/metadata/labels", json!({"app": "reviews", "bad/key/x": "v", "k": "not ok!"})),
                "/metadata/annotations",
                json!({"big": "x".repeat(256 * 1024)}),
            ),
            vec![
                (
                    "metadata.labels",
                    Invalid,
                    "Invalid value: \"bad/key/x\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                ),
                (
                    "metadata.labels",
                    Invalid,
                    "Invalid value: \"not ok!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ),
                ("metadata.annotations", TooLong, "Too long: may not be more than 262144 bytes"),
            ],
        ),
        Case {
            name: "replicaset",
            group: "apps",
            kind: "ReplicaSet",
            obj: set(d(), "/kind", json!("ReplicaSet")),
            want: vec![],
        },
        Case {
            name: "replicaset without selector",
            group: "apps",
            kind: "ReplicaSet",
            obj: remove(set(d(), "/kind", json!("ReplicaSet")), "/spec/selector"),
            want: vec![("spec.selector", Required, "Required value")],
        },
    ]);
}
