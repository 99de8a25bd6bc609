//! kubectl's Pod describer (`describePod`), up to but not including the events.

use super::containers::{self, Context};
use super::fields::{self, int, list, s, since, string_map};
use super::line;
use super::volumes::volumes;
use crate::api::meta;
use chrono::{DateTime, TimeZone};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Display;

pub(super) use crate::api::node::HOST_PORTS_ANNOTATION;

/// Writes a pod's description from `Name:` to `Tolerations:`; the caller adds the events.
/// Times print in `now`'s zone (kubectl uses the local zone).
pub(super) fn pod<Tz: TimeZone>(w: &mut String, pod: &Value, now: &DateTime<Tz>)
where
    Tz::Offset: Display,
{
    let null = Value::Null;
    let spec = pod.get("spec").unwrap_or(&null);
    let status = pod.get("status").unwrap_or(&null);
    line(w, 0, &format!("Name:\t{}", meta::name(pod)));
    line(
        w,
        0,
        &format!("Namespace:\t{}", meta::namespace(pod).unwrap_or_default()),
    );
    if let Some(p) = spec.get("priority").and_then(Value::as_i64) {
        line(w, 0, &format!("Priority:\t{p}"));
    }
    if !s(spec, "priorityClassName").is_empty() {
        line(
            w,
            0,
            &format!("Priority Class Name:\t{}", s(spec, "priorityClassName")),
        );
    }
    if !s(spec, "runtimeClassName").is_empty() {
        line(
            w,
            0,
            &format!("Runtime Class Name:\t{}", s(spec, "runtimeClassName")),
        );
    }
    if !s(spec, "serviceAccountName").is_empty() {
        line(
            w,
            0,
            &format!("Service Account:\t{}", s(spec, "serviceAccountName")),
        );
    }
    match s(spec, "nodeName") {
        "" => line(w, 0, "Node:\t<none>"),
        node => line(w, 0, &format!("Node:\t{node}/{}", s(status, "hostIP"))),
    }
    if !s(status, "startTime").is_empty() {
        line(
            w,
            0,
            &format!(
                "Start Time:\t{}",
                fields::rfc1123z(s(status, "startTime"), now)
            ),
        );
    }
    fields::labels(w, "Labels", &meta::labels(pod));
    fields::annotations(w, "Annotations", &meta::annotations(pod));
    let phase = s(status, "phase");
    let deleted = pod
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !deleted.is_empty() && phase != "Failed" && phase != "Succeeded" {
        line(
            w,
            0,
            &format!("Status:\tTerminating (lasts {})", since(deleted, now)),
        );
        let grace = pod
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        line(w, 0, &format!("Termination Grace Period:\t{grace}s"));
    } else {
        line(w, 0, &format!("Status:\t{phase}"));
    }
    for (title, key) in [("Reason", "reason"), ("Message", "message")] {
        if !s(status, key).is_empty() {
            line(w, 0, &format!("{title}:\t{}", s(status, key)));
        }
    }
    if let Some(profile) = spec.pointer("/securityContext/seccompProfile") {
        line(w, 0, &format!("SeccompProfile:\t{}", s(profile, "type")));
        if s(profile, "type") == "Localhost" {
            line(
                w,
                0,
                &format!("LocalhostProfile:\t{}", s(profile, "localhostProfile")),
            );
        }
    }
    line(w, 0, &format!("IP:\t{}", s(status, "podIP")));
    let ips = list(status, "podIPs");
    if ips.is_empty() {
        line(w, 0, "IPs:\t<none>");
    } else {
        line(w, 0, "IPs:");
        for ip in ips {
            line(w, 1, &format!("IP:\t{}", s(ip, "ip")));
        }
    }
    if let Some(owner) = fields::controlled_by(pod) {
        line(w, 0, &format!("Controlled By:\t{owner}"));
    }
    if !s(status, "nominatedNodeName").is_empty() {
        line(
            w,
            0,
            &format!("NominatedNodeName:\t{}", s(status, "nominatedNodeName")),
        );
    }
    let cx = Context {
        space: "",
        pod: Some(pod),
        host_ports: host_ports(pod),
        now,
    };
    if !list(spec, "initContainers").is_empty() {
        containers::containers(
            w,
            "Init Containers",
            list(spec, "initContainers"),
            list(status, "initContainerStatuses"),
            &cx,
        );
    }
    containers::containers(
        w,
        "Containers",
        list(spec, "containers"),
        list(status, "containerStatuses"),
        &cx,
    );
    let conditions = list(status, "conditions");
    let gates = list(spec, "readinessGates");
    if !gates.is_empty() {
        line(w, 0, "Readiness Gates:");
        line(w, 1, "Type\tStatus");
        for g in gates {
            let kind = s(g, "conditionType");
            let state = conditions
                .iter()
                .find(|c| s(c, "type") == kind)
                .map(|c| s(c, "status"))
                .unwrap_or("<none>");
            line(w, 1, &format!("{kind} \t{state} "));
        }
    }
    if !conditions.is_empty() {
        line(w, 0, "Conditions:");
        line(w, 1, "Type\tStatus");
        for c in conditions {
            line(w, 1, &format!("{} \t{} ", s(c, "type"), s(c, "status")));
        }
    }
    volumes(w, list(spec, "volumes"), "");
    line(w, 0, &format!("QoS Class:\t{}", qos_class(pod)));
    fields::labels(w, "Node-Selectors", &string_map(spec, "nodeSelector"));
    fields::tolerations(w, "Tolerations", list(spec, "tolerations"));
    topology_spread(w, list(spec, "topologySpreadConstraints"), "");
}

/// The host ports recorded in the pod's annotation (empty when absent or malformed).
fn host_ports(pod: &Value) -> BTreeMap<String, i64> {
    meta::annotations(pod)
        .get(HOST_PORTS_ANNOTATION)
        .and_then(|raw| serde_json::from_str::<serde_json::Map<String, Value>>(raw).ok())
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| Some((k, v.as_i64()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// `Topology Spread Constraints:` lines, sorted by topology key; nothing when there are none.
pub(super) fn topology_spread(w: &mut String, constraints: &[Value], space: &str) {
    let mut sorted: Vec<&Value> = constraints.iter().collect();
    sorted.sort_by(|a, b| s(a, "topologyKey").cmp(s(b, "topologyKey")));
    for (i, c) in sorted.into_iter().enumerate() {
        let head = if i == 0 {
            format!("{space}Topology Spread Constraints:")
        } else {
            space.to_string()
        };
        let mut text = format!(
            "{}:{} when max skew {} is exceeded",
            s(c, "topologyKey"),
            s(c, "whenUnsatisfiable"),
            int(c, "maxSkew")
        );
        if let Some(sel) = c.get("labelSelector").filter(|v| v.is_object()) {
            text.push_str(&format!(
                " for selector {}",
                fields::format_label_selector(Some(sel))
            ));
        }
        line(w, 0, &format!("{head}\t{text}"));
    }
}

/// The pod's QoS class: `status.qosClass` when set, else computed from its containers'
/// cpu and memory requests and limits as Kubernetes does.
pub(super) fn qos_class(pod: &Value) -> String {
    if let Some(q) = pod
        .pointer("/status/qosClass")
        .and_then(Value::as_str)
        .filter(|q| !q.is_empty())
    {
        return q.to_string();
    }
    let null = Value::Null;
    let spec = pod.get("spec").unwrap_or(&null);
    let all = list(spec, "containers")
        .iter()
        .chain(list(spec, "initContainers"));
    let mut any = false;
    let mut guaranteed = true;
    for c in all {
        let get = |section: &str, name: &str| {
            c.get("resources")
                .and_then(|r| r.get(section))
                .and_then(|m| m.get(name))
                .map(|q| q.to_string().trim_matches('"').to_string())
                .filter(|q| !fields::quantity_is_zero(q))
        };
        for name in ["cpu", "memory"] {
            let (req, lim) = (get("requests", name), get("limits", name));
            any |= req.is_some() || lim.is_some();
            // Only positive quantities count; requests default to limits, so a container is
            // guaranteed when it has a limit and any request equals it.
            match (&req, &lim) {
                (_, None) => guaranteed = false,
                (Some(r), Some(l)) if r != l => guaranteed = false,
                _ => {}
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
    .to_string()
}
