use super::*;

fn c(name: &str, state: State, last: Option<State>, ready: bool) -> Container {
    Container {
        name: name.into(),
        image: "img".into(),
        state,
        last_state: last,
        ready,
        started: true,
        restart_count: u32::from(false),
        pid: Some(42),
    }
}

fn running() -> State {
    State::Running {
        started_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn exited(code: i32) -> State {
    State::Terminated {
        exit_code: code,
        signal: None,
        reason: if code == 0 { "Completed" } else { "Error" }.into(),
        message: None,
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:01Z".into(),
    }
}

fn status(stage: Stage, init: &[Container], containers: &[Container], policy: &str) -> Value {
    pod_status(
        &Snapshot {
            stage,
            unschedulable: Some("0/1 nodes are available"),
            init,
            containers,
            restart_policy: policy,
            start_time: "2026-01-01T00:00:00Z",
        },
        &json!({}),
        "2026-01-01T00:00:05Z",
    )
}

fn condition(st: &Value, kind: &str) -> String {
    st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == kind)
        .map(|c| c["status"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// (stage, init containers, containers, restart policy, phase, Ready condition)
type Case = (
    Stage,
    Vec<Container>,
    Vec<Container>,
    &'static str,
    &'static str,
    &'static str,
);

#[test]
fn phases_and_conditions() {
    let crash = State::waiting("CrashLoopBackOff", Some("back-off 10s".into()));
    let cases: Vec<Case> = vec![
        (
            Stage::Running,
            vec![],
            vec![c("a", running(), None, true)],
            "Always",
            "Running",
            "True",
        ),
        (
            Stage::Running,
            vec![],
            vec![c("a", running(), None, false)],
            "Always",
            "Running",
            "False",
        ),
        (
            Stage::Running,
            vec![],
            vec![c(
                "a",
                State::waiting("ContainerCreating", None),
                None,
                false,
            )],
            "Always",
            "Pending",
            "False",
        ),
        (
            Stage::Running,
            vec![],
            vec![c("a", crash, Some(exited(1)), false)],
            "Always",
            "Running",
            "False",
        ),
        (
            Stage::Running,
            vec![],
            vec![c("a", exited(0), None, false)],
            "Never",
            "Succeeded",
            "False",
        ),
        (
            Stage::Running,
            vec![],
            vec![c("a", exited(2), None, false)],
            "Never",
            "Failed",
            "False",
        ),
        (
            Stage::Running,
            vec![],
            vec![
                c("a", exited(0), None, false),
                c("b", running(), None, true),
            ],
            "Never",
            "Running",
            "False",
        ),
        (
            Stage::Initializing,
            vec![c("init", running(), None, false)],
            vec![c("a", State::waiting("PodInitializing", None), None, false)],
            "Always",
            "Pending",
            "False",
        ),
        (
            Stage::Initializing,
            vec![c("init", exited(1), None, false)],
            vec![c("a", State::waiting("PodInitializing", None), None, false)],
            "Never",
            "Failed",
            "False",
        ),
    ];
    for (i, (stage, init, containers, policy, phase, ready)) in cases.into_iter().enumerate() {
        let st = status(stage, &init, &containers, policy);
        assert_eq!(st["phase"], phase, "case {i}: {st}");
        assert_eq!(condition(&st, "Ready"), ready, "case {i}");
        assert_eq!(condition(&st, "PodScheduled"), "True", "case {i}");
        assert_eq!(st["podIP"], "127.0.0.1");
    }
}

#[test]
fn unschedulable_and_transition_times() {
    let st = status(Stage::Unschedulable, &[], &[], "Always");
    assert_eq!(st["phase"], "Pending");
    assert_eq!(condition(&st, "PodScheduled"), "False");
    assert_eq!(st["conditions"][0]["reason"], "Unschedulable");

    let containers = [c("a", running(), None, true)];
    let snap = Snapshot {
        stage: Stage::Running,
        unschedulable: None,
        init: &[],
        containers: &containers,
        restart_policy: "Always",
        start_time: "t0",
    };
    let first = pod_status(&snap, &json!({}), "t1");
    let second = pod_status(&snap, &first, "t2");
    assert_eq!(
        first["conditions"], second["conditions"],
        "unchanged conditions keep their times"
    );
    let unready = [c("a", running(), None, false)];
    let snap = Snapshot {
        containers: &unready,
        ..snap
    };
    let third = pod_status(&snap, &second, "t3");
    let ready = third["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["lastTransitionTime"], "t3");
    assert_eq!(ready["message"], "containers with unready status: [a]");
    assert_eq!(
        third["containerStatuses"][0]["containerID"],
        "meshlite://42"
    );
}
