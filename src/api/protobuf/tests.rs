//! Bodies captured from kubectl 1.33's typed `create` subcommands, decoded against the JSON the
//! same command prints with `--dry-run=client -o json` (minus the null creation timestamps).

use serde_json::{json, Value};

use super::{decode, DecodeError};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `kubectl create ns sidecar-test`
const NAMESPACE: &str = "6b3873000a0f0a02763112094e616d65737061636512240a1c0a0c736964656361722d7465737412001a0022002a0032003800420012001a020a001a002200";
/// `kubectl create deploy nginx-1 --image=nginx:1.15 --replicas=1 -n sidecar-test`
const DEPLOYMENT: &str = "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412cd010a330a076e67696e782d3112001a0c736964656361722d7465737422002a003200380042005a0e0a0361707012076e67696e782d31128701080112100a0e0a0361707012076e67696e782d311a690a200a0012001a0022002a003200380042005a0e0a0361707012076e67696e782d31124512270a056e67696e78120a6e67696e783a312e31352a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200";
/// `kubectl create deploy zero --image=b:2 --port=8080 --replicas=0 -n zz -- sleep 10`
const DEPLOYMENT_ZERO: &str = "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c4010a230a047a65726f12001a027a7a22002a003200380042005a0b0a0361707012047a65726f128e010800120d0a0b0a0361707012047a65726f1a730a1d0a0012001a0022002a003200380042005a0b0a0361707012047a65726f125212340a01621203623a321a05736c6565701a0231302a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200";
/// `kubectl create svc nodeport web --tcp=80:8080`
const SERVICE: &str = "6b3873000a0d0a02763112075365727669636512680a1f0a0377656212001a0022002a003200380042005a0a0a03617070120377656212410a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037765621a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200";
/// `kubectl create secret generic s --from-literal=a=b --type=Opaque`
const SECRET: &str = "6b3873000a0c0a027631120653656372657412230a110a017312001a0022002a0032003800420012060a01611201621a064f70617175651a002200";
/// `kubectl create cm c --from-literal=x=y`
const CONFIG_MAP: &str = "6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a016312001a0022002a0032003800420012060a01781201791a002200";
/// `kubectl create sa sa1`
const SERVICE_ACCOUNT: &str = "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200";

#[test]
fn kubectl_create_bodies_decode_to_the_json_kubectl_would_send() {
    let cases: Vec<(&str, Value)> = vec![
        (
            NAMESPACE,
            json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "sidecar-test"}, "spec": {}, "status": {}}),
        ),
        (
            DEPLOYMENT,
            json!({"kind": "Deployment", "apiVersion": "apps/v1",
                "metadata": {"name": "nginx-1", "namespace": "sidecar-test", "labels": {"app": "nginx-1"}},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "nginx-1"}},
                    "template": {"metadata": {"labels": {"app": "nginx-1"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.15", "resources": {}}]}},
                    "strategy": {}},
                "status": {}}),
        ),
        (
            // A pointer field keeps its zero: replicas 0 is not "unset".
            DEPLOYMENT_ZERO,
            json!({"kind": "Deployment", "apiVersion": "apps/v1",
                "metadata": {"name": "zero", "namespace": "zz", "labels": {"app": "zero"}},
                "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "zero"}},
                    "template": {"metadata": {"labels": {"app": "zero"}},
                        "spec": {"containers": [{"name": "b", "image": "b:2", "command": ["sleep", "10"],
                            "ports": [{"containerPort": 8080}], "resources": {}}]}},
                    "strategy": {}},
                "status": {}}),
        ),
        (
            SERVICE,
            json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                    "selector": {"app": "web"}, "type": "NodePort"},
                "status": {"loadBalancer": {}}}),
        ),
        (
            SECRET,
            json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"}, "data": {"a": "Yg=="}, "type": "Opaque"}),
        ),
        (
            CONFIG_MAP,
            json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}, "data": {"x": "y"}}),
        ),
        (
            SERVICE_ACCOUNT,
            json!({"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "sa1"}}),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(decode(&hex(body)).unwrap(), want);
    }
}

#[test]
fn bad_bodies_are_refused_with_a_reason() {
    assert_eq!(decode(b"{}"), Err(DecodeError::NoMagic));
    // A kind outside the table.
    let mut body = b"k8s\0".to_vec();
    body.extend([0x0a, 0x0c, 0x0a, 0x02, b'v', b'1', 0x12, 0x06]);
    body.extend(b"Widget");
    assert_eq!(decode(&body), Err(DecodeError::Kind("Widget".into())));
    // A field outside the table is named, not dropped: ObjectMeta field 17 (managedFields).
    let meta = [0x0a, 0x04, 0x8a, 0x01, 0x01, 0x00]; // metadata { 17: "\0" }
    let mut env = b"k8s\0".to_vec();
    env.extend([0x0a, 0x0f, 0x0a, 0x02, b'v', b'1', 0x12, 0x09]);
    env.extend(b"Namespace");
    env.push(0x12);
    env.push(meta.len() as u8);
    env.extend(meta);
    let err = decode(&env).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Field {
            message: "ObjectMeta",
            path: ".metadata".into(),
            tag: 17
        }
    );
    assert!(err.to_string().contains("kubectl create -f FILE"), "{err}");
    // A length running past the end.
    let truncated = &hex(NAMESPACE)[..20];
    assert!(matches!(decode(truncated), Err(DecodeError::Wire { .. })));
}
