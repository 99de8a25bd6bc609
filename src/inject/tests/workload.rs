//! Workload identity: owner URIs and the workload name derived from a pod's controller.

use serde_json::{json, Value};

use super::env;
use crate::inject::{inject, workload_of};

#[test]
fn workload_derivation() {
    let pod = |meta: Value| json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta});
    let rs_ref = |name: &str, controller: bool| json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name, "controller": controller}]);
    let cases = [
        (
            "pod of a deployment's replicaset",
            pod(
                json!({"name": "web-7d9f8c6b5-x2x4z", "generateName": "web-7d9f8c6b5-",
                "labels": {"pod-template-hash": "7d9f8c6b5"}, "ownerReferences": rs_ref("web-7d9f8c6b5", true)}),
            ),
            "shop",
            (
                "shop",
                "web",
                "kubernetes://apis/apps/v1/namespaces/shop/deployments/web",
            ),
        ),
        (
            "replicaset pod without hash label stays a replicaset",
            pod(
                json!({"name": "rs-abc12", "namespace": "shop", "ownerReferences": rs_ref("rs", true)}),
            ),
            "",
            (
                "shop",
                "rs",
                "kubernetes://apis/apps/v1/namespaces/shop/replicasets/rs",
            ),
        ),
        (
            "owner that is not the controller is ignored",
            pod(json!({"name": "lonely", "ownerReferences": rs_ref("web-1", false)})),
            "shop",
            (
                "shop",
                "lonely",
                "kubernetes://apis/v1/namespaces/shop/pods/lonely",
            ),
        ),
        (
            "bare pod, namespace from argument",
            pod(json!({"name": "solo", "namespace": "ignored"})),
            "shop",
            (
                "shop",
                "solo",
                "kubernetes://apis/v1/namespaces/shop/pods/solo",
            ),
        ),
        (
            "bare pod, no namespace anywhere",
            pod(json!({"name": "solo"})),
            "",
            (
                "default",
                "solo",
                "kubernetes://apis/v1/namespaces/default/pods/solo",
            ),
        ),
        (
            "pod of a cronjob's job",
            pod(json!({"name": "backup-29012345-abcde", "ownerReferences":
                [{"apiVersion": "batch/v1", "kind": "Job", "name": "backup-29012345", "controller": true}]})),
            "ops",
            (
                "ops",
                "backup",
                "kubernetes://apis/batch/v1/namespaces/ops/cronjobs/backup",
            ),
        ),
        (
            "pod of a plain job",
            pod(json!({"name": "migrate-abcde", "ownerReferences":
                [{"apiVersion": "batch/v1", "kind": "Job", "name": "migrate-1234567", "controller": true}]})),
            "ops",
            (
                "ops",
                "migrate-1234567",
                "kubernetes://apis/batch/v1/namespaces/ops/jobs/migrate-1234567",
            ),
        ),
        (
            "statefulset itself",
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "data"}}),
            "",
            (
                "data",
                "db",
                "kubernetes://apis/apps/v1/namespaces/data/statefulsets/db",
            ),
        ),
        (
            "deployment without apiVersion",
            json!({"kind": "Deployment", "metadata": {"name": "web"}}),
            "shop",
            (
                "shop",
                "web",
                "kubernetes://apis/apps/v1/namespaces/shop/deployments/web",
            ),
        ),
    ];
    for (desc, obj, ns, (want_ns, want_name, want_owner)) in cases {
        let w = workload_of(&obj, ns).unwrap();
        assert_eq!(
            (w.namespace.as_str(), w.name.as_str(), w.owner.as_str()),
            (want_ns, want_name, want_owner),
            "{desc}"
        );
    }
    // The derived deployment name feeds the canonical-name fallback of an unlabelled pod.
    let obj = json!({"kind": "Pod", "metadata": {"name": "web-abc-x", "labels": {"pod-template-hash": "abc"},
        "ownerReferences": rs_ref("web-abc", true)}, "spec": {"containers": [{"name": "c"}]}});
    let (out, _) = inject(&obj, "default").unwrap();
    assert_eq!(
        out["metadata"]["labels"]["service.istio.io/canonical-name"],
        "web"
    );
    assert_eq!(env(&out, "ISTIO_META_WORKLOAD_NAME"), Some(&json!("web")));
}
