//! The pod printer: READY, STATUS and RESTARTS exactly as kube-apiserver computes them.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::duration::{parse_time, since};
use super::{array_at, at, int_at, name_cell, str_at, Column, Printer, Row, AGE, NAME};

/// Columns of `kubectl get pods` (the last five only with `-o wide`; the last, PORTS, is
/// meshlite's: every pod shares 127.0.0.1, so where each containerPort landed matters).
fn columns() -> Vec<Column> {
    vec![
        NAME,
        Column::text("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        Column::text("Status", "The aggregate status of the containers in this pod."),
        Column::text(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        ),
        AGE,
        Column::text("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.").wide(),
        Column::text("Node", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename").wide(),
        Column::text("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.").wide(),
        Column::text("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates").wide(),
        Column::text("Ports", "meshlite: each containerPort and the host port on 127.0.0.1 it is reachable at (containerPort:hostPort).").wide(),
    ]
}

/// The pod printer.
pub(crate) fn printer() -> Printer {
    Printer {
        columns: columns(),
        row: Box::new(row),
    }
}

/// The latest of the restart times seen so far (Go compares against the zero time).
#[derive(Default, Clone, Copy)]
struct Latest(Option<DateTime<Utc>>);

// === impl Latest ===

impl Latest {
    /// Records the `finishedAt` of a container's previous termination, if any.
    fn observe(&mut self, status: &Value) {
        let finished = str_at(status, &["lastState", "terminated", "finishedAt"]);
        if let Some(t) = parse_time(finished) {
            if self.0.is_none_or(|cur| cur < t) {
                self.0 = Some(t);
            }
        }
    }
}

/// A sidecar-style init container (`restartPolicy: Always`), which keeps running with the pod.
fn is_restartable(container: Option<&Value>) -> bool {
    container.is_some_and(|c| str_at(c, &["restartPolicy"]) == "Always")
}

/// Whether a condition of the given type has status True.
fn condition_true(pod: &Value, ty: &str) -> bool {
    array_at(pod, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == ty && str_at(c, &["status"]) == "True")
}

/// The reason text for a terminated container without a reason: its signal, else its exit code.
fn termination_text(terminated: &Value) -> String {
    let signal = int_at(terminated, &["signal"]);
    if signal != 0 {
        format!("Signal:{signal}")
    } else {
        format!("ExitCode:{}", int_at(terminated, &["exitCode"]))
    }
}

/// The state object of a container status (`waiting`, `running`, `terminated`), if set.
fn state<'a>(status: &'a Value, which: &str) -> Option<&'a Value> {
    at(status, &["state", which]).filter(|v| v.is_object())
}

fn row(pod: &Value, now: DateTime<Utc>) -> Row {
    let init_specs = array_at(pod, &["spec", "initContainers"]);
    let find_init = |name: &str| init_specs.iter().find(|c| str_at(c, &["name"]) == name);

    let mut total = array_at(pod, &["spec", "containers"]).len();
    total += init_specs
        .iter()
        .filter(|c| is_restartable(Some(c)))
        .count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart = Latest::default();
    let mut last_sidecar_restart = Latest::default();

    // The apiserver defaults a new pod's phase to Pending; a stored object may not carry it yet.
    let phase = match str_at(pod, &["status", "phase"]) {
        "" => "Pending",
        p => p,
    };
    let mut reason = match str_at(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let gated = array_at(pod, &["status", "conditions"]).iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    });
    if gated {
        reason = "SchedulingGated".to_string();
    }

    let mut initializing = false;
    let init_statuses = array_at(pod, &["status", "initContainerStatuses"]);
    for (i, status) in init_statuses.iter().enumerate() {
        restarts += int_at(status, &["restartCount"]);
        last_restart.observe(status);
        let restartable = is_restartable(find_init(str_at(status, &["name"])));
        if restartable {
            sidecar_restarts += int_at(status, &["restartCount"]);
            last_sidecar_restart.observe(status);
        }
        let terminated = state(status, "terminated");
        let waiting = state(status, "waiting");
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if restartable && at(status, &["started"]).and_then(Value::as_bool) == Some(true) {
            if at(status, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = match str_at(t, &["reason"]) {
                "" => format!("Init:{}", termination_text(t)),
                r => format!("Init:{r}"),
            };
        } else if let Some(w) = waiting.filter(|w| {
            let r = str_at(w, &["reason"]);
            !r.is_empty() && r != "PodInitializing"
        }) {
            reason = format!("Init:{}", str_at(w, &["reason"]));
        } else {
            reason = format!("Init:{}/{}", i, init_specs.len());
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(pod, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        // Walked backwards so the first container with a notable state sets the reason.
        for status in array_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(status, &["restartCount"]);
            last_restart.observe(status);
            let waiting_reason = state(status, "waiting").map(|w| str_at(w, &["reason"]));
            let terminated = state(status, "terminated");
            if let Some(r) = waiting_reason.filter(|r| !r.is_empty()) {
                reason = r.to_string();
            } else if let Some(t) = terminated {
                reason = match str_at(t, &["reason"]) {
                    "" => termination_text(t),
                    r => r.to_string(),
                };
            } else if at(status, &["ready"]).and_then(Value::as_bool) == Some(true)
                && state(status, "running").is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose finished containers say Completed still runs while any container does.
        if reason == "Completed" && has_running {
            reason = if condition_true(pod, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    let deleting = at(pod, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    if deleting && str_at(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart.0 {
        Some(t) if restarts != 0 => {
            format!(
                "{restarts} ({} ago)",
                super::duration::human_duration(now.signed_duration_since(t))
            )
        }
        _ => restarts.to_string(),
    };

    let cells = vec![
        name_cell(pod),
        Value::String(format!("{ready}/{total}")),
        Value::String(reason),
        Value::String(restarts_cell),
        Value::String(since(str_at(pod, &["metadata", "creationTimestamp"]), now)),
        Value::String(or_none(pod_ip(pod))),
        Value::String(or_none(str_at(pod, &["spec", "nodeName"]))),
        Value::String(or_none(str_at(pod, &["status", "nominatedNodeName"]))),
        Value::String(readiness_gates(pod)),
        Value::String(host_ports(pod)),
    ];
    let conditions = match str_at(pod, &["status", "phase"]) {
        "Succeeded" => Some(completed(
            "Succeeded",
            "The pod has completed successfully.",
        )),
        "Failed" => Some(completed("Failed", "The pod failed.")),
        _ => None,
    };
    Row { cells, conditions }
}

/// The row condition kube attaches to pods that have finished.
fn completed(reason: &str, message: &str) -> Value {
    json!([{ "type": "Completed", "status": "True", "reason": reason, "message": message }])
}

/// The pod's first IP (`podIPs[0]`, else the older single `podIP`).
fn pod_ip(pod: &Value) -> &str {
    match array_at(pod, &["status", "podIPs"]).first() {
        Some(first) => str_at(first, &["ip"]),
        None => str_at(pod, &["status", "podIP"]),
    }
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

/// `8080:20000/TCP,…` from the kubelet's host port annotation, or `<none>`.
fn host_ports(pod: &Value) -> String {
    let map: std::collections::BTreeMap<u16, u16> = at(
        pod,
        &[
            "metadata",
            "annotations",
            crate::api::node::HOST_PORTS_ANNOTATION,
        ],
    )
    .and_then(Value::as_str)
    .and_then(|s| serde_json::from_str(s).ok())
    .unwrap_or_default();
    let cells: Vec<String> = map.iter().map(|(c, h)| format!("{c}:{h}/TCP")).collect();
    or_none(&cells.join(","))
}

/// `<true>/<total>` readiness gates, or `<none>` when the pod declares none.
fn readiness_gates(pod: &Value) -> String {
    let gates = array_at(pod, &["spec", "readinessGates"]);
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let conditions = array_at(pod, &["status", "conditions"]);
    let passing = gates
        .iter()
        .filter(|gate| {
            let ty = str_at(gate, &["conditionType"]);
            conditions
                .iter()
                .find(|c| str_at(c, &["type"]) == ty)
                .is_some_and(|c| str_at(c, &["status"]) == "True")
        })
        .count();
    format!("{passing}/{}", gates.len())
}
