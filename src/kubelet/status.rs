//! Pod status as the kubelet reports it: container states in, `status` (phase, conditions,
//! containerStatuses, IPs) out. Pure, so every phase and condition is table-tested.

use serde_json::{json, Value};

/// One container's state (`state` / `lastState` in the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started_at: String,
    },
    Terminated {
        exit_code: i32,
        signal: Option<i32>,
        reason: String,
        message: Option<String>,
        started_at: String,
        finished_at: String,
    },
}

/// What the kubelet knows about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub state: State,
    pub last_state: Option<State>,
    pub ready: bool,
    /// The startup probe passed (or there is none) while running.
    pub started: bool,
    pub restart_count: u32,
    /// The process id, shown as the container id (`meshlite://<pid>`).
    pub pid: Option<u32>,
}

/// What the pod as a whole is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Not placed yet (e.g. no free host ports): PodScheduled=False.
    Unschedulable,
    /// Init containers are running.
    Initializing,
    /// Init containers are done; the app containers run.
    Running,
}

/// A pod's full status.
pub struct Snapshot<'a> {
    pub stage: Stage,
    /// Why the pod is unschedulable (PodScheduled condition message).
    pub unschedulable: Option<&'a str>,
    pub init: &'a [Container],
    pub containers: &'a [Container],
    pub restart_policy: &'a str,
    pub start_time: &'a str,
}

// === impl State ===

impl State {
    pub fn waiting(reason: &str, message: Option<String>) -> State {
        State::Waiting {
            reason: reason.into(),
            message,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            State::Waiting { reason, message } => {
                let mut w = json!({"reason": reason});
                if let Some(m) = message {
                    w["message"] = json!(m);
                }
                json!({"waiting": w})
            }
            State::Running { started_at } => json!({"running": {"startedAt": started_at}}),
            State::Terminated {
                exit_code,
                signal,
                reason,
                message,
                started_at,
                finished_at,
            } => {
                let mut t = json!({
                    "exitCode": exit_code, "reason": reason,
                    "startedAt": started_at, "finishedAt": finished_at,
                });
                if let Some(s) = signal {
                    t["signal"] = json!(s);
                }
                if let Some(m) = message {
                    t["message"] = json!(m);
                }
                json!({"terminated": t})
            }
        }
    }

    pub fn is_terminated(&self) -> bool {
        matches!(self, State::Terminated { .. })
    }

    fn exit_code(&self) -> Option<i32> {
        match self {
            State::Terminated { exit_code, .. } => Some(*exit_code),
            _ => None,
        }
    }
}

// === impl Container ===

impl Container {
    fn to_json(&self) -> Value {
        let mut c = json!({
            "name": self.name,
            "state": self.state.to_json(),
            "lastState": self.last_state.as_ref().map(State::to_json).unwrap_or_else(|| json!({})),
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": "",
            "started": self.started && matches!(self.state, State::Running { .. }),
        });
        if let Some(pid) = self.pid {
            c["containerID"] = json!(format!("meshlite://{pid}"));
        }
        c
    }
}

/// The pod's `status`, keeping condition transition times from `previous` where a condition
/// did not change.
pub fn pod_status(s: &Snapshot<'_>, previous: &Value, now: &str) -> Value {
    let all_ready = !s.containers.is_empty() && s.containers.iter().all(|c| c.ready);
    let initialized = s.stage == Stage::Running;
    let scheduled = s.stage != Stage::Unschedulable;
    let phase = phase(s);
    let mut conditions = Vec::new();
    let done = matches!(phase, "Succeeded" | "Failed");
    let mut cond = |kind: &str, ok: bool, reason: Option<&str>, message: Option<&str>| {
        let status = if ok { "True" } else { "False" };
        let since = previous
            .get("conditions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter().find(|c| {
                    c.get("type").and_then(Value::as_str) == Some(kind)
                        && c.get("status").and_then(Value::as_str) == Some(status)
                })
            })
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(now));
        let mut c = json!({"type": kind, "status": status, "lastProbeTime": null,
                           "lastTransitionTime": since});
        if let Some(r) = reason {
            c["reason"] = json!(r);
        }
        if let Some(m) = message {
            c["message"] = json!(m);
        }
        conditions.push(c);
    };
    if !scheduled {
        cond(
            "PodScheduled",
            false,
            Some("Unschedulable"),
            s.unschedulable,
        );
        return json!({"phase": "Pending", "conditions": conditions, "qosClass": "BestEffort"});
    }
    let not_ready: Vec<&str> = s
        .containers
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let unready_msg = format!("containers with unready status: [{}]", not_ready.join(" "));
    let incomplete: Vec<&str> = s
        .init
        .iter()
        .filter(|c| c.state.exit_code() != Some(0))
        .map(|c| c.name.as_str())
        .collect();
    let init_msg = format!(
        "containers with incomplete status: [{}]",
        incomplete.join(" ")
    );
    cond("PodReadyToStartContainers", !done, None, None);
    if initialized {
        cond("Initialized", true, None, None);
    } else {
        cond(
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(&init_msg),
        );
    }
    let (reason, message) = if done {
        (Some("PodCompleted"), None)
    } else if !initialized {
        (Some("ContainersNotInitialized"), Some(init_msg.as_str()))
    } else if all_ready {
        (None, None)
    } else {
        (Some("ContainersNotReady"), Some(unready_msg.as_str()))
    };
    cond("Ready", all_ready && !done, reason, message);
    cond("ContainersReady", all_ready && !done, reason, message);
    cond("PodScheduled", true, None, None);
    let mut st = json!({
        "phase": phase,
        "conditions": conditions,
        "hostIP": "127.0.0.1",
        "hostIPs": [{"ip": "127.0.0.1"}],
        "podIP": "127.0.0.1",
        "podIPs": [{"ip": "127.0.0.1"}],
        "startTime": s.start_time,
        "containerStatuses": s.containers.iter().map(Container::to_json).collect::<Vec<_>>(),
        "qosClass": "BestEffort",
    });
    if !s.init.is_empty() {
        st["initContainerStatuses"] = s.init.iter().map(Container::to_json).collect();
    }
    st
}

/// The pod phase from its containers and restart policy (the kubelet's getPhase).
fn phase(s: &Snapshot<'_>) -> &'static str {
    let failed_init = s
        .init
        .iter()
        .any(|c| c.state.exit_code().is_some_and(|code| code != 0) && s.restart_policy == "Never");
    if failed_init {
        return "Failed";
    }
    if s.stage != Stage::Running {
        return "Pending";
    }
    let running = s
        .containers
        .iter()
        .filter(|c| matches!(c.state, State::Running { .. }))
        .count();
    let terminated: Vec<i32> = s
        .containers
        .iter()
        .filter_map(|c| c.state.exit_code())
        .collect();
    // Waiting after having run before = restarting: the pod still counts as running.
    let restarting = s
        .containers
        .iter()
        .filter(|c| matches!(c.state, State::Waiting { .. }) && c.last_state.is_some())
        .count();
    let waiting_fresh = s
        .containers
        .iter()
        .filter(|c| matches!(c.state, State::Waiting { .. }) && c.last_state.is_none())
        .count();
    if waiting_fresh > 0 {
        return "Pending";
    }
    if running > 0 || restarting > 0 {
        return "Running";
    }
    if terminated.len() == s.containers.len() && !s.containers.is_empty() {
        if terminated.iter().all(|c| *c == 0) {
            return "Succeeded";
        }
        return match s.restart_policy {
            "Always" => "Running",
            "OnFailure" => "Running",
            _ => "Failed",
        };
    }
    "Pending"
}

#[cfg(test)]
mod tests;
