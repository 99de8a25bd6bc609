//! Rules of the core kinds.

use serde_json::json;

use super::{pod, remove, run, service, set, Case};
use crate::api::validate::Reason::{
    Duplicate, Forbidden, Invalid, NotSupported, Required, TooLong,
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
fn svc(name: &'static str, obj: serde_json::Value, want: Vec<super::Want>) -> Case {
    Case {
        name,
        group: "",
        kind: "Service",
        obj,
        want,
    }
}

#[test]
fn services() {
    let s = service;
    run(vec![
        svc("valid", s(), vec![]),
        svc("headless without ports", set(remove(s(), "/spec/ports"), "/spec/clusterIP", json!("None")), vec![]),
        svc(
            "external name",
            json!({"metadata": {"name": "ext"}, "spec": {"type": "ExternalName", "externalName": "api.example.com."}}),
            vec![],
        ),
        svc(
            "nodeport in range",
            set(set(s(), "/spec/type", json!("NodePort")), "/spec/ports/0/nodePort", json!(30080)),
            vec![],
        ),
        svc(
            "DNS-1035 name",
            set(s(), "/metadata/name", json!("1reviews")),
            vec![(
                "metadata.name",
                Invalid,
                "Invalid value: \"1reviews\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            )],
        ),
        svc(
            "unknown type",
            set(s(), "/spec/type", json!("Foo")),
            vec![("spec.type", NotSupported, "Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"")],
        ),
        svc("no ports", remove(s(), "/spec/ports"), vec![("spec.ports", Required, "Required value")]),
        svc(
            "external name missing",
            json!({"metadata": {"name": "ext"}, "spec": {"type": "ExternalName"}}),
            vec![("spec.externalName", Required, "Required value")],
        ),
        svc(
            "nodePort out of range",
            set(set(s(), "/spec/type", json!("NodePort")), "/spec/ports/0/nodePort", json!(80)),
            vec![(
                "spec.ports[0].nodePort",
                Invalid,
                "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
            )],
        ),
        svc(
            "nodePort on ClusterIP",
            set(s(), "/spec/ports/0/nodePort", json!(30080)),
            vec![("spec.ports[0].nodePort", Forbidden, "Forbidden: may not be used when `type` is 'ClusterIP'")],
        ),
        svc(
            "ports",
            set(
                s(),
                "/spec/ports",
                json!([
                    {"port": 80},
                    {"port": 80, "name": "b", "targetPort": "HTTP"},
                    {"port": 0, "name": "b", "protocol": "HTTP"},
                    {"port": 81, "name": "c", "targetPort": 70000}
                ]),
            ),
            vec![
                ("spec.ports[0].name", Required, "Required value"),
                ("spec.ports[1].targetPort", Invalid, "Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
                ("spec.ports[1].targetPort", Invalid, "Invalid value: \"HTTP\": must contain at least one letter (a-z)"),
                ("spec.ports[2].name", Duplicate, "Duplicate value: \"b\""),
                ("spec.ports[2].port", Invalid, "Invalid value: 0: must be between 1 and 65535, inclusive"),
                ("spec.ports[2].protocol", NotSupported, "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
                ("spec.ports[3].targetPort", Invalid, "Invalid value: 70000: must be between 1 and 65535, inclusive"),
                (
                    "spec.ports[1]",
                    Duplicate,
                    "Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
                ),
            ],
        ),
        svc(
            "session affinity",
            set(s(), "/spec/sessionAffinity", json!("Cookie")),
            vec![("spec.sessionAffinity", NotSupported, "Unsupported value: \"Cookie\": supported values: \"ClientIP\", \"None\"")],
        ),
        svc(
            "external traffic policy on ClusterIP",
            set(s(), "/spec/externalTrafficPolicy", json!("Local")),
            vec![("spec.externalTrafficPolicy", Invalid, "Invalid value: \"Local\": may only be set for externally-accessible services")],
        ),
        svc(
            "bad cluster IP",
            set(s(), "/spec/clusterIP", json!("10.0.0.256")),
            vec![("spec.clusterIPs[0]", Invalid, "Invalid value: \"10.0.0.256\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")],
        ),
    ]);
}

fn core(
    name: &'static str,
    kind: &'static str,
    obj: serde_json::Value,
    want: Vec<super::Want>,
) -> Case {
    Case {
        name,
        group: "",
        kind,
        obj,
        want,
    }
}

#[test]
fn other_core_kinds() {
    run(vec![
        core("namespace", "Namespace", json!({"metadata": {"name": "bookinfo", "labels": {"istio-injection": "enabled"}}}), vec![]),
        core(
            "namespace with dots",
            "Namespace",
            json!({"metadata": {"name": "my.ns"}}),
            vec![("metadata.name", Invalid, "Invalid value: \"my.ns\": must not contain dots")],
        ),
        core(
            "namespace upper case",
            "Namespace",
            json!({"metadata": {"name": "Bookinfo"}}),
            vec![("metadata.name", Invalid, concat!("Invalid value: \"Bookinfo\": ", label_msg!()))],
        ),
        core(
            "namespace finalizer",
            "Namespace",
            json!({"metadata": {"name": "ns"}, "spec": {"finalizers": ["kubernetes", "custom"]}}),
            vec![("spec.finalizers", Invalid, "Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified")],
        ),
        core("pod", "Pod", pod(), vec![]),
        core(
            "pod without containers",
            "Pod",
            set(pod(), "/spec/containers", json!([])),
            vec![("spec.containers", Required, "Required value")],
        ),
        core("pod without spec", "Pod", remove(pod(), "/spec"), vec![("spec.containers", Required, "Required value")]),
        core(
            "pod policies",
            "Pod",
            set(set(pod(), "/spec/restartPolicy", json!("Sometimes")), "/spec/dnsPolicy", json!("Google")),
            vec![
                ("spec.restartPolicy", NotSupported, "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""),
                (
                    "spec.dnsPolicy",
                    NotSupported,
                    "Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
                ),
            ],
        ),
        core(
            "pod ephemeral containers",
            "Pod",
            set(pod(), "/spec/ephemeralContainers", json!([{"name": "debug", "image": "busybox"}])),
            vec![("spec.ephemeralContainers", Forbidden, "Forbidden: cannot be set on create")],
        ),
        core(
            "pod init container probes",
            "Pod",
            set(pod(), "/spec/initContainers", json!([{"name": "init", "image": "busybox", "readinessProbe": {"exec": {"command": ["true"]}}}])),
            vec![("spec.initContainers[0].readinessProbe", Forbidden, "Forbidden: may not be set for init containers")],
        ),
        core("configmap", "ConfigMap", json!({"metadata": {"name": "cfg"}, "data": {"app.conf": "x", "KEY_1": "y"}}), vec![]),
        core(
            "configmap keys",
            "ConfigMap",
            json!({"metadata": {"name": "cfg"}, "data": {"a b": "x", "..x": "y", "dup": "z"}, "binaryData": {"dup": "eA=="}}),
            vec![
                (
                    "data[a b]",
                    Invalid,
                    "Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                ),
                ("data[..x]", Invalid, "Invalid value: \"..x\": must not start with '..'"),
                ("data[dup]", Invalid, "Invalid value: \"dup\": duplicate of key present in binaryData"),
            ],
        ),
        core(
            "configmap too big",
            "ConfigMap",
            json!({"metadata": {"name": "cfg"}, "data": {"a": "x".repeat(1024 * 1024 + 1)}}),
            vec![("", TooLong, "Too long: may not be more than 1048576 bytes")],
        ),
        core(
            "tls secret",
            "Secret",
            json!({"metadata": {"name": "tls"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA==", "tls.key": "eQ=="}}),
            vec![],
        ),
        core(
            "tls secret without key",
            "Secret",
            json!({"metadata": {"name": "tls"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}, "stringData": {"bad key": "x"}}),
            vec![
                ("data[tls.key]", Required, "Required value"),
                (
                    "data[bad key]",
                    Invalid,
                    "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                ),
            ],
        ),
        core(
            "basic-auth secret",
            "Secret",
            json!({"metadata": {"name": "auth"}, "type": "kubernetes.io/basic-auth", "stringData": {}}),
            vec![("data[username]", Required, "Required value"), ("data[password]", Required, "Required value")],
        ),
        core(
            "endpoints",
            "Endpoints",
            json!({"metadata": {"name": "reviews"}, "subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 9080, "name": "http"}]}]}),
            vec![],
        ),
        core(
            "bad endpoints",
            "Endpoints",
            json!({"metadata": {"name": "reviews"}, "subsets": [{"addresses": [{"ip": "10.1.2.300"}], "ports": [{"port": 9080}, {"port": 0, "name": "b"}]}, {}]}),
            vec![
                ("subsets[0].addresses[0].ip", Invalid, "Invalid value: \"10.1.2.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
                ("subsets[0].ports[0].name", Required, "Required value"),
                ("subsets[0].ports[1].port", Invalid, "Invalid value: 0: must be between 1 and 65535, inclusive"),
                ("subsets[1]", Required, "Required value: must specify `addresses` or `notReadyAddresses`"),
            ],
        ),
        core(
            "event",
            "Event",
            json!({"metadata": {"name": "reviews.17a", "namespace": "default"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}, "reason": "Started"}),
            vec![],
        ),
        core(
            "event namespace mismatch",
            "Event",
            json!({"metadata": {"name": "a/b", "namespace": "default"}, "involvedObject": {"namespace": "other"}}),
            vec![
                ("metadata.name", Invalid, "Invalid value: \"a/b\": may not contain '/'"),
                ("involvedObject.namespace", Invalid, "Invalid value: \"other\": does not match event.namespace"),
            ],
        ),
        core("service account", "ServiceAccount", json!({"metadata": {"name": "bookinfo-reviews"}}), vec![]),
        core(
            "service account name",
            "ServiceAccount",
            json!({"metadata": {"name": "Reviews"}}),
            vec![("metadata.name", Invalid, concat!("Invalid value: \"Reviews\": ", subdomain_msg!()))],
        ),
    ]);
}
