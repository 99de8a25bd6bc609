//! Whole-output tests of the typed describers against kubectl's layout.

mod fixtures;

use super::{containers, fields, pod, render_with, smart_label};
use fixtures::*;
use serde_json::{json, Value};

fn replica_sets() -> [serde_json::Value; 3] {
    [
        replica_set(
            "web-6b7f9d4c8",
            "example/web:2.0",
            "6b7f9d4c8",
            "dep-uid-1",
            "2024-05-01T09:30:00Z",
            (2, 2),
        ),
        replica_set(
            "web-7d4b9c8f5",
            "example/web:1.0",
            "7d4b9c8f5",
            "dep-uid-1",
            "2024-05-01T09:00:00Z",
            (1, 1),
        ),
        replica_set(
            "api-5f6d7c8b9",
            "example/web:2.0",
            "5f6d7c8b9",
            "other-uid",
            "2024-05-01T09:00:00Z",
            (1, 1),
        ),
    ]
}

/// A Running container and a crash-looping one with its last termination, probes, fieldRef
/// environment, the conditions table, BestEffort QoS and the default tolerations; the
/// container port shows on the host port meshlite published it on.
#[test]
fn pod_like_kubectl() {
    let want = r#"Name:             web-7d4b9c8f5-abcde
Namespace:        default
Priority:         0
Service Account:  default
Node:             meshlite/127.0.0.1
Start Time:       Wed, 01 May 2024 10:00:00 +0000
Labels:           app=web
                  pod-template-hash=7d4b9c8f5
Annotations:      meshlite.io/host-ports: {"8080":34567}
Status:           Running
IP:               127.0.0.1
IPs:
  IP:           127.0.0.1
Controlled By:  ReplicaSet/web-7d4b9c8f5
Containers:
  app:
    Container ID:   meshlite://app-1
    Image:          example/web:1.0
    Image ID:       docker.io/example/web@sha256:abc
    Port:           8080/TCP
    Host Port:      34567/TCP
    State:          Running
      Started:      Wed, 01 May 2024 10:00:02 +0000
    Ready:          True
    Restart Count:  0
    Liveness:       tcp-socket :8080 delay=5s timeout=1s period=10s #success=1 #failure=3
    Readiness:      http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:
      POD_NAME:   web-7d4b9c8f5-abcde (v1:metadata.name)
      NODE_NAME:   (v1:spec.nodeName)
      GREETING:   hello
    Mounts:       <none>
  worker:
    Container ID:  meshlite://worker-5
    Image:         example/worker:1.0
    Image ID:      
    Port:          <none>
    Host Port:     <none>
    Command:
      /bin/worker
    Args:
      --queue
      jobs
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Wed, 01 May 2024 10:04:00 +0000
      Finished:     Wed, 01 May 2024 10:04:01 +0000
    Ready:          False
    Restart Count:  4
    Environment:    <none>
    Mounts:         <none>
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       False 
  ContainersReady             False 
  PodScheduled                True 
Volumes:                      <none>
QoS Class:                    BestEffort
Node-Selectors:               <none>
Tolerations:                  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                              node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:                       <none>
"#;
    assert_eq!(render_with(&pod(), &[], &[], &now()), want);
}

/// The pod template of a Deployment, its conditions and its old and new ReplicaSets (one
/// ReplicaSet of another owner is ignored).
#[test]
fn deployment_like_kubectl() {
    let want = r#"Name:                   web
Namespace:              default
CreationTimestamp:      Wed, 01 May 2024 09:00:00 +0000
Labels:                 app=web
Annotations:            deployment.kubernetes.io/revision: 2
Selector:               app=web
Replicas:               2 desired | 2 updated | 3 total | 2 available | 1 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=web
  Containers:
   app:
    Image:       example/web:2.0
    Ports:       8080/TCP (http), 9090/TCP (metrics)
    Host Ports:  0/TCP (http), 0/TCP (metrics)
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:      100m
    Readiness:  http-get http://:http/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:
      POD_NAME:      (v1:metadata.name)
      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false
    Mounts:
      /cache from cache (rw)
      /etc/web from config (ro)
  Volumes:
   config:
    Type:      ConfigMap (a volume populated by a ConfigMap)
    Name:      web-config
    Optional:  false
   cache:
    Type:          EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:        
    SizeLimit:     <unset>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  web-7d4b9c8f5 (1/1 replicas created)
NewReplicaSet:   web-6b7f9d4c8 (2/2 replicas created)
Events:          <none>
"#;
    assert_eq!(
        render_with(&deployment(), &[], &replica_sets(), &now()),
        want
    );
}

/// Pods of the ReplicaSet are counted by phase; another controller's pod is not.
#[test]
fn replica_set_like_kubectl() {
    let pods = [
        pod_on("web-6b7f9d4c8-uid", "Running"),
        pod_on("web-6b7f9d4c8-uid", "Running"),
        pod_on("web-6b7f9d4c8-uid", "Pending"),
        pod_on("other", "Running"),
    ];
    let want = r#"Name:           web-6b7f9d4c8
Namespace:      default
Selector:       app=web,pod-template-hash=6b7f9d4c8
Labels:         app=web
                pod-template-hash=6b7f9d4c8
Annotations:    deployment.kubernetes.io/revision: 2
Controlled By:  Deployment/web
Replicas:       2 current / 2 desired
Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=web
           pod-template-hash=6b7f9d4c8
  Containers:
   app:
    Image:       example/web:2.0
    Ports:       8080/TCP (http), 9090/TCP (metrics)
    Host Ports:  0/TCP (http), 0/TCP (metrics)
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:      100m
    Readiness:  http-get http://:http/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:
      POD_NAME:      (v1:metadata.name)
      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false
    Mounts:
      /cache from cache (rw)
      /etc/web from config (ro)
  Volumes:
   config:
    Type:      ConfigMap (a volume populated by a ConfigMap)
    Name:      web-config
    Optional:  false
   cache:
    Type:          EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:        
    SizeLimit:     <unset>
  Node-Selectors:  <none>
  Tolerations:     <none>
Events:            <none>
"#;
    assert_eq!(render_with(&replica_sets()[0], &[], &pods, &now()), want);
}

#[test]
fn endpoints_like_kubectl() {
    let want = r#"Name:         web
Namespace:    default
Labels:       app=web
Annotations:  <none>
Subsets:
  Addresses:          127.0.0.1,127.0.0.2
  NotReadyAddresses:  127.0.0.3
  Ports:
    Name     Port   Protocol
    ----     ----   --------
    http     34567  TCP
    <unset>  34568  UDP

Events:  <none>
"#;
    assert_eq!(render_with(&endpoints(), &[], &[], &now()), want);
}

#[test]
fn labels_like_kubectl() {
    for (field, want) in [
        ("apiVersion", "API Version"),
        ("uid", "UID"),
        ("creationTimestamp", "Creation Timestamp"),
        ("resourceVersion", "Resource Version"),
        ("hosts", "Hosts"),
        ("http", "Http"),
        ("x-y", "X Y"),
        ("app.kubernetes.io/name", "app.kubernetes.io/name"),
    ] {
        assert_eq!(smart_label(field), want, "{field}");
    }
}

#[test]
fn probes_like_kubectl() {
    let timing = json!({"initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3});
    let with = |action: Value| {
        let mut p = timing.clone();
        if let (Some(p), Some(a)) = (p.as_object_mut(), action.as_object()) {
            p.extend(a.clone());
        }
        p
    };
    let t = "delay=5s timeout=1s period=10s #success=1 #failure=3";
    for (probe, want) in [
        (
            with(json!({"exec": {"command": ["cat", "/tmp/healthy"]}})),
            format!("exec [cat /tmp/healthy] {t}"),
        ),
        (
            with(
                json!({"httpGet": {"host": "::1", "port": 8443, "path": "ready", "scheme": "HTTPS"}}),
            ),
            format!("http-get https://[::1]:8443/ready {t}"),
        ),
        (
            with(json!({"httpGet": {"port": 80, "scheme": "HTTP"}})),
            format!("http-get http://:80 {t}"),
        ),
        (
            with(json!({"httpGet": {"port": "web", "path": "/", "scheme": "HTTP"}})),
            format!("http-get http://:web/ {t}"),
        ),
        (
            with(json!({"tcpSocket": {"host": "db", "port": 5432}})),
            format!("tcp-socket db:5432 {t}"),
        ),
        (
            with(json!({"grpc": {"port": 9090, "service": ""}})),
            format!("grpc <pod>:9090  {t}"),
        ),
        (
            json!({}),
            "unknown delay=0s timeout=0s period=0s #success=0 #failure=0".to_string(),
        ),
    ] {
        assert_eq!(containers::probe(&probe), want, "{probe}");
    }
}

#[test]
fn tolerations_like_kubectl() {
    for (tolerations, want) in [
        (json!([]), "Tolerations:\t<none>\n"),
        (json!([{"operator": "Exists"}]), "Tolerations:\top=Exists\n"),
        (
            json!([{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}]),
            "Tolerations:\tk=v:NoSchedule\n",
        ),
        (
            json!([{"key": "b", "operator": "Exists"}, {"key": "a", "operator": "Exists", "tolerationSeconds": 60}]),
            "Tolerations:\ta op=Exists for 60s\n\tb op=Exists\n",
        ),
    ] {
        let mut w = String::new();
        fields::tolerations(&mut w, "Tolerations", tolerations.as_array().unwrap());
        assert_eq!(w, want, "{tolerations}");
    }
}

#[test]
fn annotations_like_kubectl() {
    let long = "x".repeat(150);
    for (pairs, want) in [
        (vec![], "Annotations:\t<none>\n".to_string()),
        (
            vec![("kubectl.kubernetes.io/last-applied-configuration", "{}")],
            "Annotations:\t<none>\n".to_string(),
        ),
        (
            vec![("a", "1"), ("b", "two\nlines\n")],
            "Annotations:\ta: 1\n\tb:\n\t  two\n\t  lines\n".to_string(),
        ),
        (
            vec![("long", long.as_str())],
            format!("Annotations:\tlong:\n\t  {}...\n", &long[..138]),
        ),
    ] {
        let m = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut w = String::new();
        fields::annotations(&mut w, "Annotations", &m);
        assert_eq!(w, want, "{pairs:?}");
    }
}

#[test]
fn selectors_like_kubectl() {
    let full = json!({
        "matchLabels": {"tier": "web"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "Exists"},
            {"key": "team", "operator": "NotIn", "values": ["b", "a"]}
        ]
    });
    for (sel, string, formatted) in [
        (
            Some(full),
            "!canary,env in (dev,prod),team notin (a,b),tier=web,zone",
            "!canary,env in (dev,prod),team notin (a,b),tier=web,zone",
        ),
        (
            Some(json!({"matchLabels": {"b": "2", "a": "1"}})),
            "a=1,b=2",
            "a=1,b=2",
        ),
        (Some(json!({})), "", "<none>"),
        (None, "", "<none>"),
    ] {
        assert_eq!(fields::selector_string(sel.as_ref()), string, "{sel:?}");
        assert_eq!(
            fields::format_label_selector(sel.as_ref()),
            formatted,
            "{sel:?}"
        );
    }
}

#[test]
fn qos_class_like_kubernetes() {
    let with =
        |resources: Value| json!({"spec": {"containers": [{"name": "a", "resources": resources}]}});
    for (p, want) in [
        (with(json!({})), "BestEffort"),
        (with(json!({"requests": {"cpu": "100m"}})), "Burstable"),
        (
            with(json!({"limits": {"cpu": "1", "memory": "1Gi"}})),
            "Guaranteed",
        ),
        (
            with(
                json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}),
            ),
            "Guaranteed",
        ),
        (
            with(json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}})),
            "Burstable",
        ),
        (with(json!({"limits": {"cpu": "1"}})), "Burstable"),
        (
            json!({"spec": {}, "status": {"qosClass": "Guaranteed"}}),
            "Guaranteed",
        ),
        (json!({}), "BestEffort"),
        (
            with(json!({"requests": {"cpu": "0", "memory": "0Mi"}})),
            "BestEffort",
        ),
    ] {
        assert_eq!(pod::qos_class(&p), want, "{p}");
    }
}

/// A pending pod being deleted: Terminating status, no container statuses, an init
/// container, envFrom, a multi-line value, a subPath mount, kubectl 1.31's projected-volume
/// lines, an unsupported volume source and a declared hostPort with no published one.
#[test]
fn terminating_pod_like_kubectl() {
    let want = r#"Name:                      job-x
Namespace:                 batch
Node:                      <none>
Labels:                    <none>
Annotations:               <none>
Status:                    Terminating (lasts 30s)
Termination Grace Period:  30s
Reason:                    Evicted
Message:                   The node was low on resource.
IP:                        
IPs:                       <none>
Init Containers:
  init:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Command:
      sh
      -c
      echo a
      echo b
    Environment:  <none>
    Mounts:       <none>
Containers:
  main:
    Image:      busybox
    Port:       53/UDP
    Host Port:  5353/UDP
    Environment Variables from:
      settings  ConfigMap                Optional: false
      creds     Secret with prefix 'S_'  Optional: true
    Environment:
      MOTD:  hello
             world
      MEM:   node allocatable (limits.memory)
      MODE:  <set to the key 'mode' of config map 'settings'>  Optional: true
    Mounts:
      /data from data (rw,path="x")
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-abcde (ro)
Volumes:
  data:
    Type:       PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)
    ClaimName:  data-claim
    ReadOnly:   false
  host:
    Type:          HostPath (bare host directory volume)
    Path:          /var/log
    HostPathType:  Directory
  tls:
    Type:        Secret (a volume populated by a Secret)
    SecretName:  tls-cert
    Optional:    false
  info:
    Type:  DownwardAPI (a volume populated by information about the pod)
    Items:
      metadata.labels -> labels
  kube-api-access-abcde:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    ConfigMapOptional:       <nil>
    DownwardAPI:             true
  odd:
  <unknown>
QoS Class:       BestEffort
Node-Selectors:  disk=ssd
Tolerations:     <none>
Events:          <none>
"#;
    assert_eq!(render_with(&terminating_pod(), &[], &[], &now()), want);
}

/// The events table follows the describer's own lines.
#[test]
fn events_follow_the_body() {
    let event = json!({"type": "Normal", "reason": "Created", "message": "made", "source": {"component": "meshlite"}});
    let out = render_with(&endpoints(), &[event], &[], &now());
    let want = "\nEvents:\n  Type    Reason   Age        From      Message\n  ----    ------   ----       ----      -------\n  Normal  Created  <unknown>  meshlite  made\n";
    assert!(out.ends_with(want), "{out}");
}
