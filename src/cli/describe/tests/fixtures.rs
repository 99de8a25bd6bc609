//! Realistic objects as the API server stores them, for the describer tests.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, 10, 0).unwrap()
}

pub(super) fn pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-7d4b9c8f5-abcde",
            "namespace": "default",
            "uid": "pod-uid-1",
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": {"app": "web", "pod-template-hash": "7d4b9c8f5"},
            "annotations": {"meshlite.io/host-ports": "{\"8080\":34567}"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f5",
                "uid": "rs-uid-1", "controller": true, "blockOwnerDeletion": true
            }]
        },
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "example/web:1.0",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
                        {"name": "GREETING", "value": "hello"}
                    ],
                    "livenessProbe": {
                        "tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "timeoutSeconds": 1,
                        "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "timeoutSeconds": 1,
                        "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3
                    }
                },
                {
                    "name": "worker",
                    "image": "example/worker:1.0",
                    "command": ["/bin/worker"],
                    "args": ["--queue", "jobs"]
                }
            ],
            "nodeName": "meshlite",
            "serviceAccountName": "default",
            "priority": 0,
            "tolerations": [
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            ]
        },
        "status": {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "podIP": "127.0.0.1",
            "podIPs": [{"ip": "127.0.0.1"}],
            "startTime": "2024-05-01T10:00:00Z",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "False"},
                {"type": "ContainersReady", "status": "False"},
                {"type": "PodScheduled", "status": "True"}
            ],
            "containerStatuses": [
                {
                    "name": "app", "ready": true, "restartCount": 0, "image": "example/web:1.0",
                    "imageID": "docker.io/example/web@sha256:abc", "containerID": "meshlite://app-1",
                    "state": {"running": {"startedAt": "2024-05-01T10:00:02Z"}}
                },
                {
                    "name": "worker", "ready": false, "restartCount": 4, "image": "example/worker:1.0",
                    "imageID": "", "containerID": "meshlite://worker-5",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s"}},
                    "lastState": {"terminated": {
                        "exitCode": 1, "reason": "Error",
                        "startedAt": "2024-05-01T10:04:00Z", "finishedAt": "2024-05-01T10:04:01Z"
                    }}
                }
            ]
        }
    })
}

pub(super) fn template(image: &str, hash: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": "web", "pod-template-hash": hash}},
        "spec": {
            "containers": [{
                "name": "app",
                "image": image,
                "ports": [
                    {"containerPort": 8080, "name": "http", "protocol": "TCP"},
                    {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}
                ],
                "env": [
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
                ],
                "readinessProbe": {
                    "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "timeoutSeconds": 1,
                    "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3
                },
                "resources": {"limits": {"memory": "128Mi", "cpu": "500m"}, "requests": {"cpu": "100m"}},
                "volumeMounts": [
                    {"name": "config", "mountPath": "/etc/web", "readOnly": true},
                    {"name": "cache", "mountPath": "/cache"}
                ]
            }],
            "volumes": [
                {"name": "config", "configMap": {"name": "web-config"}},
                {"name": "cache", "emptyDir": {}}
            ]
        }
    })
}

pub(super) fn deployment() -> Value {
    let mut tpl = template("example/web:2.0", "");
    if let Some(labels) = tpl
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("pod-template-hash");
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "dep-uid-1",
            "creationTimestamp": "2024-05-01T09:00:00Z",
            "labels": {"app": "web"},
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\"}"
            }
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": tpl,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600
        },
        "status": {
            "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
            "unavailableReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
        }
    })
}

pub(super) fn replica_set(
    name: &str,
    image: &str,
    hash: &str,
    owner_uid: &str,
    created: &str,
    replicas: (i64, i64),
) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": format!("{name}-uid"),
            "creationTimestamp": created,
            "labels": {"app": "web", "pod-template-hash": hash},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                "uid": owner_uid, "controller": true, "blockOwnerDeletion": true
            }]
        },
        "spec": {
            "replicas": replicas.1,
            "selector": {"matchLabels": {"app": "web", "pod-template-hash": hash}},
            "template": template(image, hash)
        },
        "status": {"replicas": replicas.0, "readyReplicas": replicas.0, "availableReplicas": replicas.0}
    })
}

pub(super) fn endpoints() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "subsets": [{
            "addresses": [{"ip": "127.0.0.1"}, {"ip": "127.0.0.2"}],
            "notReadyAddresses": [{"ip": "127.0.0.3"}],
            "ports": [
                {"name": "http", "port": 34567, "protocol": "TCP"},
                {"port": 34568, "protocol": "UDP"}
            ]
        }]
    })
}

pub(super) fn pod_on(owner_uid: &str, phase: &str) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet", "name": "x", "uid": owner_uid, "controller": true}]},
        "status": {"phase": phase}
    })
}

/// A pending pod being deleted: init container, no statuses yet, several volume kinds, env
/// from a ConfigMap, a multi-line value and no host-port annotation.
pub(super) fn terminating_pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "job-x",
            "namespace": "batch",
            "deletionTimestamp": "2024-05-01T10:09:30Z",
            "deletionGracePeriodSeconds": 30
        },
        "spec": {
            "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", "echo a\necho b"]}],
            "containers": [{
                "name": "main",
                "image": "busybox",
                "ports": [{"containerPort": 53, "protocol": "UDP", "hostPort": 5353}],
                "envFrom": [
                    {"configMapRef": {"name": "settings"}},
                    {"prefix": "S_", "secretRef": {"name": "creds", "optional": true}}
                ],
                "env": [
                    {"name": "MOTD", "value": "hello\nworld"},
                    {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
                    {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode", "optional": true}}}
                ],
                "volumeMounts": [
                    {"name": "data", "mountPath": "/data", "subPath": "x"},
                    {"name": "kube-api-access-abcde", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}
                ]
            }],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-claim"}},
                {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
                {"name": "tls", "secret": {"secretName": "tls-cert", "optional": false}},
                {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                {"name": "kube-api-access-abcde", "projected": {"sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt"}},
                    {"downwardAPI": {}}
                ]}},
                {"name": "odd", "nfs": {"server": "nas", "path": "/x"}}
            ],
            "nodeSelector": {"disk": "ssd"}
        },
        "status": {"phase": "Pending", "reason": "Evicted", "message": "The node was low on resource."}
    })
}
