//! One container's life inside a pod worker: start its program, probe it, restart it by the
//! pod's restartPolicy with the kubelet's back-off, stop it with TERM → grace → KILL — reporting
//! every state change to the pod worker, which writes the pod's status.

use super::process::{Exit, Spec};
use super::status::{Container, State};
use super::{env, probe, program, Shared};
use crate::api::meta;
use crate::objects::EventType;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// The kubelet's crash back-off: 10 s doubling to 5 min, forgotten after 10 min of running.
const BACKOFF_BASE: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
const BACKOFF_RESET: Duration = Duration::from_secs(600);

/// Everything a container needs from its pod.
pub(super) struct PodContext {
    pub pod: Value,
    pub host_ports: BTreeMap<u16, u16>,
    pub workdir: PathBuf,
    pub logdir: PathBuf,
    pub restart_policy: String,
    /// Stop request: `Some(grace)` once the pod is being stopped.
    pub stop: watch::Receiver<Option<Duration>>,
}

/// How a container's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Ended and will not be restarted (exit code).
    Done(i32),
    /// Stopped because the pod is stopping.
    Stopped,
}

/// What the probe task tells the container loop.
enum ProbeEvent {
    Ready(bool),
    Started,
    /// Liveness or startup failed: restart the container with this message.
    Kill(String),
}

/// Run `spec` (a container object) until it is done for good or the pod stops. Every state
/// change goes to `updates` as (index, state).
pub(super) async fn run(
    shared: Arc<Shared>,
    pod: Arc<PodContext>,
    spec: Value,
    index: usize,
    init: bool,
    updates: mpsc::UnboundedSender<(bool, usize, Container)>,
) -> Outcome {
    let name = str_at(&spec, "name");
    let image = str_at(&spec, "image");
    let field_path = format!(
        "spec.{}{{{name}}}",
        if init { "initContainers" } else { "containers" }
    );
    let mut stop = pod.stop.clone();
    let mut status = Container {
        name: name.clone(),
        image: image.clone(),
        state: State::waiting(
            if init {
                "PodInitializing"
            } else {
                "ContainerCreating"
            },
            None,
        ),
        last_state: None,
        ready: false,
        started: false,
        restart_count: 0,
        pid: None,
    };
    let send = |s: &Container| {
        let _ = updates.send((init, index, s.clone()));
    };
    send(&status);
    let event = |kind: EventType, reason: &'static str, message: String| {
        let shared = shared.clone();
        let pod = pod.pod.clone();
        let fp = field_path.clone();
        async move { shared.record(&pod, kind, reason, &message, Some(&fp)).await }
    };
    let mut backoff: Option<Duration> = None;
    let mut first = true;
    loop {
        if stop.borrow().is_some() {
            return Outcome::Stopped;
        }
        let ctx = shared.env_context(&pod, &spec);
        let mut environment = env::build(&pod.pod, &spec, &ctx);
        // Marks the container's processes, and what `exec` starts in it, for its `ps`.
        environment.push((
            super::ps::CONTAINER_ENV.into(),
            format!(
                "{}/{}/{}/{name}",
                shared.marker,
                meta::namespace(&pod.pod).unwrap_or_default(),
                meta::name(&pod.pod)
            ),
        ));
        let program = match program::resolve(&spec, &shared.exe, &environment) {
            Ok(p) => p,
            Err(nr) => {
                status.state = State::waiting(nr.reason, Some(nr.message.clone()));
                send(&status);
                event(
                    EventType::Warning,
                    "Failed",
                    format!("Error: {}", nr.reason),
                )
                .await;
                let _ = stop.changed().await;
                return Outcome::Stopped;
            }
        };
        let log = pod.logdir.join(format!("{name}.log"));
        rotate_log(&log);
        if first {
            event(
                EventType::Normal,
                "Pulled",
                format!("Container image {image:?} already present on machine"),
            )
            .await;
        }
        let mut full_env = environment.clone();
        full_env.push((super::MARKER_ENV.into(), shared.marker.clone()));
        let started = Instant::now();
        let started_at = crate::api::meta::now_rfc3339();
        let spawned = shared
            .spawner
            .spawn(Spec {
                program: program.path.clone(),
                args: program.args.clone(),
                env: full_env,
                cwd: pod.workdir.clone(),
                log: log.clone(),
                writes_records: program.writes_records(&shared.exe),
            })
            .await;
        if !first {
            status.restart_count += 1;
        }
        first = false;
        let exit = match spawned {
            Err(e) => {
                status.pid = None;
                let msg = e.to_string();
                event(
                    EventType::Warning,
                    "Failed",
                    format!("Error: failed to start container {name:?}: {msg}"),
                )
                .await;
                let exit = Exit {
                    code: Some(e.exit_code()),
                    signal: None,
                    finished_at: chrono::Utc::now(),
                };
                terminated(exit, &started_at, "StartError", Some(msg))
            }
            Ok(mut running) => {
                event(
                    EventType::Normal,
                    "Created",
                    format!("Created container {name}"),
                )
                .await;
                event(
                    EventType::Normal,
                    "Started",
                    format!("Started container {name}"),
                )
                .await;
                shared.set_exec_target(&pod.pod, &name, environment.clone(), pod.workdir.clone());
                status.pid = Some(running.pid());
                status.state = State::Running {
                    started_at: started_at.clone(),
                };
                let (ptx, mut prx) = mpsc::unbounded_channel();
                let probes = tokio::spawn(probe_loop(
                    spec.clone(),
                    program.sample.is_some() && !init,
                    pod.host_ports.clone(),
                    ctx.listen_port,
                    environment.clone(),
                    pod.workdir.clone(),
                    ptx,
                ));
                let has_startup = spec.get("startupProbe").is_some_and(|p| !p.is_null());
                let has_readiness = spec.get("readinessProbe").is_some_and(|p| !p.is_null());
                let implicit_wait = program.sample.is_some() && !init && ctx.listen_port.is_some();
                status.started = !has_startup;
                status.ready = !init && !has_readiness && !has_startup && !implicit_wait;
                send(&status);
                let grace = |g: Option<Duration>| g.unwrap_or(Duration::from_secs(30));
                // A container without probes closes its probe channel at once; once closed the
                // branch must be left out, or `recv` answers `None` in a busy loop.
                let mut probes_open = true;
                let exit = loop {
                    tokio::select! {
                        exit = running.wait() => break exit,
                        ev = prx.recv(), if probes_open => match ev {
                            Some(ProbeEvent::Ready(r)) if status.ready != r => {
                                status.ready = r;
                                send(&status);
                            }
                            Some(ProbeEvent::Started) => {
                                status.started = true;
                                if !has_readiness && !init {
                                    status.ready = true;
                                }
                                send(&status);
                            }
                            Some(ProbeEvent::Kill(msg)) => {
                                event(EventType::Warning, "Unhealthy", msg.clone()).await;
                                event(
                                    EventType::Normal,
                                    "Killing",
                                    format!("Container {name} failed liveness probe, will be restarted"),
                                )
                                .await;
                                let g = grace(termination_grace(&pod.pod));
                                break running.stop(g).await;
                            }
                            Some(ProbeEvent::Ready(_)) => {}
                            None => probes_open = false,
                        },
                        _ = stop.changed() => {
                            let g = grace(*stop.borrow());
                            status.ready = false;
                            send(&status);
                            event(EventType::Normal, "Killing", format!("Stopping container {name}")).await;
                            let exit = running.stop(g).await;
                            probes.abort();
                            status.state = terminated(exit, &started_at, "", None);
                            status.started = false;
                            send(&status);
                            return Outcome::Stopped;
                        }
                    }
                };
                probes.abort();
                terminated(exit, &started_at, "", None)
            }
        };
        let code = match &exit {
            State::Terminated { exit_code, .. } => *exit_code,
            _ => 1,
        };
        status.ready = false;
        status.started = false;
        status.state = exit;
        let restart = match (init, pod.restart_policy.as_str()) {
            (_, "Never") => false,
            (true, _) => code != 0,
            (false, "OnFailure") => code != 0,
            (false, _) => true,
        };
        if !restart {
            send(&status);
            return Outcome::Done(code);
        }
        // Back-off: the first restart is immediate, then 10 s doubling; a long run forgives.
        if started.elapsed() >= BACKOFF_RESET {
            backoff = None;
        }
        let delay = backoff.unwrap_or(Duration::ZERO);
        backoff = Some(match backoff {
            None => BACKOFF_BASE,
            Some(d) => (d * 2).min(BACKOFF_MAX),
        });
        status.last_state = Some(status.state.clone());
        if delay.is_zero() {
            send(&status);
            continue;
        }
        let pod_id = format!(
            "{}_{}({})",
            meta::name(&pod.pod),
            meta::namespace(&pod.pod).unwrap_or_default(),
            pod.pod
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default()
        );
        status.state = State::waiting(
            "CrashLoopBackOff",
            Some(format!(
                "back-off {} restarting failed container={name} pod={pod_id}",
                go_duration(delay)
            )),
        );
        send(&status);
        event(
            EventType::Warning,
            "BackOff",
            format!("Back-off restarting failed container {name} in pod {pod_id}"),
        )
        .await;
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return Outcome::Stopped,
        }
    }
}

/// Probe a running container. Without probes, a built-in sample counts as started once its
/// port accepts connections — the image's program is "up" only then, and the Service should
/// not send it traffic earlier.
async fn probe_loop(
    spec: Value,
    implicit: bool,
    host_ports: BTreeMap<u16, u16>,
    listen_port: Option<u16>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
    tx: mpsc::UnboundedSender<ProbeEvent>,
) {
    let resolve = |p: u16| host_ports.get(&p).copied();
    let parse = |field: &str| -> Option<probe::Probe> {
        let p = spec.get(field).filter(|p| !p.is_null())?;
        match probe::parse(p, &spec, &resolve) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "{field} cannot be used; ignoring it");
                None
            }
        }
    };
    let startup = parse("startupProbe");
    let liveness = parse("livenessProbe");
    let readiness = parse("readinessProbe");
    if startup.is_none() && readiness.is_none() && implicit {
        if let Some(port) = listen_port {
            let action = probe::Action::TcpSocket { port };
            loop {
                let o = probe::check(&action, Duration::from_secs(1), &env, &cwd).await;
                if o.is_success() {
                    let _ = tx.send(ProbeEvent::Started);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    if let Some(p) = &startup {
        tokio::time::sleep(p.timing.initial_delay).await;
        let mut failures = 0;
        loop {
            let o = probe::check(&p.action, p.timing.timeout, &env, &cwd).await;
            if o.is_success() {
                let _ = tx.send(ProbeEvent::Started);
                break;
            }
            failures += 1;
            if failures >= p.timing.failure_threshold.max(1) {
                let _ = tx.send(ProbeEvent::Kill(format!(
                    "Startup probe failed: {}",
                    message(&o)
                )));
                return;
            }
            if early_checks(&p.action, p.timing.period, &env, &cwd).await {
                let _ = tx.send(ProbeEvent::Started);
                break;
            }
        }
    }
    let live = liveness.map(|p| {
        let (env, cwd, tx) = (env.clone(), cwd.clone(), tx.clone());
        tokio::spawn(async move {
            tokio::time::sleep(p.timing.initial_delay).await;
            let mut tracker = probe::Tracker::new(&p.timing, true);
            loop {
                let o = probe::check(&p.action, p.timing.timeout, &env, &cwd).await;
                if !tracker.record(&o) {
                    let _ = tx.send(ProbeEvent::Kill(format!(
                        "Liveness probe failed: {}",
                        message(&o)
                    )));
                    return;
                }
                tokio::time::sleep(p.timing.period).await;
            }
        })
    });
    if let Some(p) = readiness {
        tokio::time::sleep(p.timing.initial_delay).await;
        let mut tracker = probe::Tracker::new(&p.timing, false);
        let mut last = None;
        loop {
            let o = probe::check(&p.action, p.timing.timeout, &env, &cwd).await;
            let ready = tracker.record(&o);
            if last != Some(ready) {
                last = Some(ready);
                let _ = tx.send(ProbeEvent::Ready(ready));
            }
            tokio::time::sleep(p.timing.period).await;
        }
    }
    if let Some(l) = live {
        let _ = l.await;
    }
}

/// Between two counted startup checks, checks again every [`EARLY_CHECK`] whether the
/// container has started; true once it has.
///
/// The kubelet itself checks only once per `periodSeconds`, so a sidecar whose first check
/// comes a moment before it listens waits a whole period (1 s for Istio's) to be started. A
/// local process starts in milliseconds, so the extra checks let a pod serve as soon as it
/// can. They never count as failures: `failureThreshold × periodSeconds` keeps its meaning.
async fn early_checks(
    action: &probe::Action,
    period: Duration,
    env: &[(String, String)],
    cwd: &std::path::Path,
) -> bool {
    let next = tokio::time::Instant::now() + period;
    loop {
        let left = next.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        tokio::time::sleep(left.min(EARLY_CHECK)).await;
        if tokio::time::Instant::now() >= next {
            return false;
        }
        if probe::check(action, EARLY_CHECK, env, cwd)
            .await
            .is_success()
        {
            return true;
        }
    }
}

/// How often [`early_checks`] looks.
const EARLY_CHECK: Duration = Duration::from_millis(20);

fn message(o: &probe::Outcome) -> String {
    match o {
        probe::Outcome::Success => String::new(),
        probe::Outcome::Failure(m) => m.clone(),
    }
}

/// Keep the last run's log as `NAME.previous.log` (what `logs --previous` shows).
fn rotate_log(log: &std::path::Path) {
    if log.exists() {
        let _ = std::fs::rename(log, log.with_extension("previous.log"));
    }
}

fn termination_grace(pod: &Value) -> Option<Duration> {
    pod.pointer("/spec/terminationGracePeriodSeconds")
        .and_then(Value::as_u64)
        .map(Duration::from_secs)
}

/// Go's `time.Duration` text for whole seconds and minutes (`10s`, `2m40s`, `5m0s`).
fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{}s", s / 60, s % 60)
    }
}

fn str_at(v: &Value, field: &str) -> String {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The terminated state for an exit (reason `Completed`/`Error` unless given).
fn terminated(exit: Exit, started_at: &str, reason: &str, message: Option<String>) -> State {
    let code = exit.exit_code();
    let reason = if !reason.is_empty() {
        reason.to_string()
    } else if code == 0 {
        "Completed".into()
    } else {
        "Error".into()
    };
    State::Terminated {
        exit_code: code,
        signal: exit.signal,
        reason,
        message,
        started_at: started_at.to_string(),
        finished_at: exit
            .finished_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}
