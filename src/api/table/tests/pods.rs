//! The pod printer across the states a pod goes through.

use serde_json::{json, Value};

use super::{ago, cell, cells, column_names, table};

/// A pod named `web` created ten minutes ago with the given spec and status.
fn pod(spec: Value, status: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "demo", "creationTimestamp": ago(600)},
        "spec": spec,
        "status": status,
    })
}

fn one_container() -> Value {
    json!({"containers": [{"name": "app", "image": "nginx"}]})
}

fn two_containers() -> Value {
    json!({"containers": [{"name": "app", "image": "nginx"}, {"name": "side", "image": "busybox"}]})
}

fn with_sidecar() -> Value {
    json!({
        "initContainers": [{"name": "istio-proxy", "image": "proxy", "restartPolicy": "Always"}],
        "containers": [{"name": "app", "image": "nginx"}],
    })
}

fn running(name: &str, ready: bool, restarts: i64) -> Value {
    json!({"name": name, "ready": ready, "restartCount": restarts, "started": true,
           "state": {"running": {"startedAt": ago(300)}}})
}

fn waiting(name: &str, reason: &str) -> Value {
    json!({"name": name, "ready": false, "restartCount": 0, "state": {"waiting": {"reason": reason}}})
}

fn terminated(name: &str, reason: &str, exit_code: i64, signal: i64) -> Value {
    json!({"name": name, "ready": false, "restartCount": 0,
           "state": {"terminated": {"reason": reason, "exitCode": exit_code, "signal": signal}}})
}

fn ready_conditions(ready: bool) -> Value {
    let ready = if ready { "True" } else { "False" };
    json!([{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": ready},
           {"type": "PodScheduled", "status": "True"}])
}

#[test]
fn ready_status_and_restarts_follow_kube() {
    let crash = json!({"name": "app", "ready": false, "restartCount": 5,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}}});
    let restarted_no_date = json!({"name": "app", "ready": true, "restartCount": 3,
        "state": {"running": {}}});
    let restarted_twice = json!([
        {"name": "app", "ready": true, "restartCount": 1, "state": {"running": {}},
         "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(600)}}},
        {"name": "side", "ready": true, "restartCount": 2, "state": {"running": {}},
         "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(180)}}},
    ]);
    let sidecar_started = json!({"name": "istio-proxy", "ready": true, "started": true, "restartCount": 1,
        "state": {"running": {}},
        "lastState": {"terminated": {"exitCode": 137, "finishedAt": ago(1200)}}});
    let two_inits = json!({
        "initContainers": [{"name": "init1", "image": "x"}, {"name": "init2", "image": "x"}],
        "containers": [{"name": "app", "image": "nginx"}],
    });
    let one_init = json!({
        "initContainers": [{"name": "init1", "image": "x"}],
        "containers": [{"name": "app", "image": "nginx"}],
    });
    let init_done = json!({"name": "init1", "ready": true, "restartCount": 0,
        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});

    let cases: Vec<(&str, Value, [&str; 3])> = vec![
        (
            "no status yet",
            json!({"metadata": {"name": "web", "creationTimestamp": ago(600)},
            "spec": one_container()}),
            ["0/1", "Pending", "0"],
        ),
        (
            "empty status",
            pod(one_container(), json!({})),
            ["0/1", "Pending", "0"],
        ),
        (
            "pending without container statuses",
            pod(one_container(), json!({"phase": "Pending"})),
            ["0/1", "Pending", "0"],
        ),
        (
            "running and ready",
            pod(
                one_container(),
                json!({"phase": "Running",
            "conditions": ready_conditions(true), "containerStatuses": [running("app", true, 0)]}),
            ),
            ["1/1", "Running", "0"],
        ),
        (
            "running but not ready",
            pod(
                one_container(),
                json!({"phase": "Running",
            "conditions": ready_conditions(false), "containerStatuses": [running("app", false, 0)]}),
            ),
            ["0/1", "Running", "0"],
        ),
        (
            "container creating",
            pod(
                one_container(),
                json!({"phase": "Pending",
            "containerStatuses": [waiting("app", "ContainerCreating")]}),
            ),
            ["0/1", "ContainerCreating", "0"],
        ),
        (
            "crash loop with last restart",
            pod(
                one_container(),
                json!({"phase": "Running",
            "containerStatuses": [crash]}),
            ),
            ["0/1", "CrashLoopBackOff", "5 (5m ago)"],
        ),
        (
            "restarts without a finish time",
            pod(
                one_container(),
                json!({"phase": "Running",
            "containerStatuses": [restarted_no_date]}),
            ),
            ["1/1", "Running", "3"],
        ),
        (
            "latest restart over all containers",
            pod(
                two_containers(),
                json!({"phase": "Running",
            "containerStatuses": restarted_twice}),
            ),
            ["2/2", "Running", "3 (3m ago)"],
        ),
        (
            "image not runnable",
            pod(
                one_container(),
                json!({"phase": "Pending",
            "containerStatuses": [waiting("app", "ErrImageNotRunnable")]}),
            ),
            ["0/1", "ErrImageNotRunnable", "0"],
        ),
        (
            "first container's reason wins",
            pod(
                two_containers(),
                json!({"phase": "Pending",
            "containerStatuses": [waiting("app", "ErrImagePull"), running("side", true, 0)]}),
            ),
            ["1/2", "ErrImagePull", "0"],
        ),
        (
            "completed",
            pod(
                one_container(),
                json!({"phase": "Succeeded",
            "containerStatuses": [terminated("app", "Completed", 0, 0)]}),
            ),
            ["0/1", "Completed", "0"],
        ),
        (
            "error",
            pod(
                one_container(),
                json!({"phase": "Failed",
            "containerStatuses": [terminated("app", "Error", 1, 0)]}),
            ),
            ["0/1", "Error", "0"],
        ),
        (
            "exit code without reason",
            pod(
                one_container(),
                json!({"phase": "Failed",
            "containerStatuses": [terminated("app", "", 2, 0)]}),
            ),
            ["0/1", "ExitCode:2", "0"],
        ),
        (
            "signal without reason",
            pod(
                one_container(),
                json!({"phase": "Failed",
            "containerStatuses": [terminated("app", "", 137, 9)]}),
            ),
            ["0/1", "Signal:9", "0"],
        ),
        (
            "completed container beside a running one, pod ready",
            pod(
                two_containers(),
                json!({"phase": "Running",
            "conditions": ready_conditions(true),
            "containerStatuses": [running("app", true, 0), terminated("side", "Completed", 0, 0)]}),
            ),
            ["1/2", "Running", "0"],
        ),
        (
            "completed container beside a running one, pod not ready",
            pod(
                two_containers(),
                json!({"phase": "Running",
            "conditions": ready_conditions(false),
            "containerStatuses": [running("app", true, 0), terminated("side", "Completed", 0, 0)]}),
            ),
            ["1/2", "NotReady", "0"],
        ),
        (
            "evicted",
            pod(
                one_container(),
                json!({"phase": "Failed", "reason": "Evicted"}),
            ),
            ["0/1", "Evicted", "0"],
        ),
        (
            "scheduling gated",
            pod(
                one_container(),
                json!({"phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
            ),
            ["0/1", "SchedulingGated", "0"],
        ),
        (
            "first init container running",
            pod(
                two_inits.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init1", "restartCount": 0, "state": {"running": {}}},
                                      {"name": "init2", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
            "containerStatuses": [waiting("app", "PodInitializing")]}),
            ),
            ["0/1", "Init:0/2", "0"],
        ),
        (
            "second init container running",
            pod(
                two_inits.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [init_done.clone(), {"name": "init2", "restartCount": 0, "state": {"running": {}}}],
            "containerStatuses": [waiting("app", "PodInitializing")]}),
            ),
            ["0/1", "Init:1/2", "0"],
        ),
        (
            "init waiting on PodInitializing counts",
            pod(
                one_init.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [waiting("init1", "PodInitializing")]}),
            ),
            ["0/1", "Init:0/1", "0"],
        ),
        (
            "init crash loop",
            pod(
                one_init.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init1", "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(60)}}}]}),
            ),
            ["0/1", "Init:CrashLoopBackOff", "4 (60s ago)"],
        ),
        (
            "init error",
            pod(
                one_init.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [terminated("init1", "Error", 1, 0)]}),
            ),
            ["0/1", "Init:Error", "0"],
        ),
        (
            "init exit code",
            pod(
                one_init.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [terminated("init1", "", 3, 0)]}),
            ),
            ["0/1", "Init:ExitCode:3", "0"],
        ),
        (
            "init signal",
            pod(
                one_init.clone(),
                json!({"phase": "Pending",
            "initContainerStatuses": [terminated("init1", "", 143, 15)]}),
            ),
            ["0/1", "Init:Signal:15", "0"],
        ),
        (
            "init done, app running",
            pod(
                one_init,
                json!({"phase": "Running",
            "conditions": ready_conditions(true),
            "initContainerStatuses": [init_done],
            "containerStatuses": [running("app", true, 0)]}),
            ),
            ["1/1", "Running", "0"],
        ),
        (
            "native sidecar counted in ready",
            pod(
                with_sidecar(),
                json!({"phase": "Running",
            "conditions": ready_conditions(true),
            "initContainerStatuses": [sidecar_started.clone()],
            "containerStatuses": [running("app", true, 0)]}),
            ),
            ["2/2", "Running", "1 (20m ago)"],
        ),
        (
            "native sidecar not started",
            pod(
                with_sidecar(),
                json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "istio-proxy", "ready": false, "started": false,
                "restartCount": 0, "state": {"running": {}}}],
            "containerStatuses": [waiting("app", "PodInitializing")]}),
            ),
            ["0/2", "Init:0/1", "0"],
        ),
        (
            "native sidecar started, app creating",
            pod(
                with_sidecar(),
                json!({"phase": "Pending",
            "conditions": [{"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [sidecar_started],
            "containerStatuses": [waiting("app", "ContainerCreating")]}),
            ),
            ["1/2", "ContainerCreating", "1 (20m ago)"],
        ),
    ];
    for (name, obj, [ready, status, restarts]) in cases {
        let row = cells("pods", &obj);
        assert_eq!(row.get(1), Some(&json!(ready)), "{name}: ready");
        assert_eq!(row.get(2), Some(&json!(status)), "{name}: status");
        assert_eq!(row.get(3), Some(&json!(restarts)), "{name}: restarts");
        assert_eq!(row.get(4), Some(&json!("10m")), "{name}: age");
    }
}

#[test]
fn deletion_overrides_status() {
    let deleting = |phase: &str, reason: &str| {
        let mut p = pod(
            one_container(),
            json!({"phase": phase, "reason": reason,
            "containerStatuses": [running("app", true, 0)]}),
        );
        p["metadata"]["deletionTimestamp"] = json!(ago(5));
        p
    };
    let cases = vec![
        (deleting("Running", ""), "Terminating"),
        (deleting("Pending", ""), "Terminating"),
        (deleting("Running", "NodeLost"), "Unknown"),
        (deleting("Succeeded", ""), "Succeeded"),
        (deleting("Failed", ""), "Failed"),
    ];
    for (obj, want) in cases {
        assert_eq!(cell("pods", &obj, "Status"), json!(want), "{obj}");
    }
}

#[test]
fn wide_cells() {
    let gates = json!([{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]);
    let cases = vec![
        (
            pod(one_container(), json!({"phase": "Pending"})),
            ["<none>", "<none>", "<none>", "<none>", "<none>"],
        ),
        (
            pod(
                json!({"containers": [], "nodeName": "laptop"}),
                json!({"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}]}),
            ),
            ["10.0.0.5", "laptop", "<none>", "<none>", "<none>"],
        ),
        (
            pod(
                one_container(),
                json!({"phase": "Running", "podIP": "10.0.0.6", "nominatedNodeName": "n2"}),
            ),
            ["10.0.0.6", "<none>", "n2", "<none>", "<none>"],
        ),
        (
            pod(
                json!({"containers": [], "readinessGates": gates.clone()}),
                json!({"conditions": [{"type": "example.com/lb", "status": "True"},
                                   {"type": "example.com/dns", "status": "False"}]}),
            ),
            ["<none>", "<none>", "<none>", "1/2", "<none>"],
        ),
        (
            pod(
                json!({"containers": [], "readinessGates": gates}),
                json!({}),
            ),
            ["<none>", "<none>", "<none>", "0/2", "<none>"],
        ),
        (
            {
                let mut p = pod(
                    one_container(),
                    json!({"phase": "Running", "podIP": "127.0.0.1"}),
                );
                p["metadata"]["annotations"] =
                    json!({"meshlite.io/host-ports": "{\"8080\":20001,\"9090\":20002}"});
                p
            },
            [
                "127.0.0.1",
                "<none>",
                "<none>",
                "<none>",
                "8080:20001/TCP,9090:20002/TCP",
            ],
        ),
    ];
    for (obj, want) in cases {
        let row = cells("pods", &obj);
        assert_eq!(row.len(), 10);
        assert_eq!(&row[5..], &want.map(|s| json!(s))[..], "{obj}");
    }
}

#[test]
fn columns_and_row_conditions() {
    assert_eq!(
        column_names("pods"),
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates",
            "Ports"
        ]
    );
    let t = table("pods", &pod(one_container(), json!({"phase": "Running"})));
    let priorities: Vec<u64> = t["columnDefinitions"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["priority"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(priorities, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    assert!(t["rows"][0].get("conditions").is_none());

    let cases = vec![
        ("Succeeded", "The pod has completed successfully."),
        ("Failed", "The pod failed."),
    ];
    for (phase, message) in cases {
        let t = table("pods", &pod(one_container(), json!({"phase": phase})));
        assert_eq!(
            t["rows"][0]["conditions"],
            json!([{"type": "Completed", "status": "True", "reason": phase, "message": message}])
        );
    }
}
