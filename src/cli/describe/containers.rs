//! kubectl's `describeContainers`: each container's image, ports, command, state, resources,
//! probes, environment and mounts, for pods and pod templates alike.

use super::fields::{flag, int, int_or_string, list, rfc1123z, s};
use super::line;
use chrono::{DateTime, TimeZone};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Display;

/// What a container section needs beyond the containers themselves.
pub(super) struct Context<'a, Tz: TimeZone> {
    /// `""` for a pod, `"  "` inside a pod template (kubectl's `space`).
    pub space: &'a str,
    /// The pod, when describing a pod: fieldRef values resolve against it and its statuses show.
    pub pod: Option<&'a Value>,
    /// Container port (as text) → host port it is published on.
    pub host_ports: BTreeMap<String, i64>,
    /// Zone and clock for timestamps.
    pub now: &'a DateTime<Tz>,
}

/// `Containers:` (or `Init Containers:`) and one block per container.
pub(super) fn containers<Tz: TimeZone>(
    w: &mut String,
    label: &str,
    containers: &[Value],
    statuses: &[Value],
    cx: &Context<'_, Tz>,
) where
    Tz::Offset: Display,
{
    let none = if containers.is_empty() { " <none>" } else { "" };
    line(w, 0, &format!("{}{label}:{none}", cx.space));
    let name_indent = if cx.space.is_empty() { "" } else { " " };
    for c in containers {
        let name = s(c, "name");
        // kubectl keys statuses by name; a later duplicate wins, as in its map.
        let status = statuses.iter().rev().find(|st| s(st, "name") == name);
        line(w, 1, &format!("{name_indent}{name}:"));
        if let Some(st) = status {
            line(w, 2, &format!("Container ID:\t{}", s(st, "containerID")));
        }
        line(w, 2, &format!("Image:\t{}", s(c, "image")));
        if let Some(st) = status {
            line(w, 2, &format!("Image ID:\t{}", s(st, "imageID")));
        }
        ports(w, c, cx);
        command(w, c);
        if let Some(st) = status {
            state(w, "State", st.get("state"), cx.now);
            if st.pointer("/lastState/terminated").is_some() {
                state(w, "Last State", st.get("lastState"), cx.now);
            }
            let ready = if flag(st, "ready") { "True" } else { "False" };
            line(w, 2, &format!("Ready:\t{ready}"));
            line(
                w,
                2,
                &format!("Restart Count:\t{}", int(st, "restartCount")),
            );
        }
        resources(w, c.get("resources"), 2);
        for (title, key) in [
            ("Liveness", "livenessProbe"),
            ("Readiness", "readinessProbe"),
            ("Startup", "startupProbe"),
        ] {
            if let Some(p) = c.get(key).filter(|p| p.is_object()) {
                line(w, 2, &format!("{title}:\t{}", probe(p)));
            }
        }
        if !list(c, "envFrom").is_empty() {
            env_from(w, c);
        }
        env(w, c, cx.pod);
        mounts(w, c);
    }
}

/// `Port:`/`Host Port:` lines (plural with several ports).
fn ports<Tz: TimeZone>(w: &mut String, c: &Value, cx: &Context<'_, Tz>) {
    let ports = list(c, "ports");
    let describe = |number: i64, p: &Value| {
        let proto = Some(s(p, "protocol"))
            .filter(|p| !p.is_empty())
            .unwrap_or("TCP");
        match s(p, "name") {
            "" => format!("{number}/{proto}"),
            name => format!("{number}/{proto} ({name})"),
        }
    };
    let container: Vec<String> = ports
        .iter()
        .map(|p| describe(int(p, "containerPort"), p))
        .collect();
    // meshlite publishes every container port on a host port of its own, so unlike kubectl
    // (which prints `hostPort`, usually 0) the Host Port line shows where the port is reachable.
    let host: Vec<String> = ports
        .iter()
        .map(|p| {
            let mapped = cx
                .host_ports
                .get(&int(p, "containerPort").to_string())
                .copied()
                .unwrap_or_else(|| int(p, "hostPort"));
            describe(mapped, p)
        })
        .collect();
    for (one, many, items) in [
        ("Port", "Ports", container),
        ("Host Port", "Host Ports", host),
    ] {
        let joined = items.join(", ");
        if joined.contains(',') {
            line(w, 2, &format!("{many}:\t{joined}"));
        } else if joined.is_empty() {
            line(w, 2, &format!("{one}:\t<none>"));
        } else {
            line(w, 2, &format!("{one}:\t{joined}"));
        }
    }
}

/// `Command:` and `Args:`, one line per line of each element.
fn command(w: &mut String, c: &Value) {
    for (title, key) in [("Command", "command"), ("Args", "args")] {
        let items = list(c, key);
        if items.is_empty() {
            continue;
        }
        line(w, 2, &format!("{title}:"));
        for item in items {
            for part in item.as_str().unwrap_or_default().split('\n') {
                line(w, 3, part);
            }
        }
    }
}

/// `describeStatus`: Running, Waiting or Terminated with their details.
fn state<Tz: TimeZone>(w: &mut String, title: &str, st: Option<&Value>, now: &DateTime<Tz>)
where
    Tz::Offset: Display,
{
    let st = st.cloned().unwrap_or_default();
    let time = |v: &Value, key: &str| rfc1123z(s(v, key), now);
    if let Some(r) = st.get("running").filter(|v| v.is_object()) {
        line(w, 2, &format!("{title}:\tRunning"));
        line(w, 3, &format!("Started:\t{}", time(r, "startedAt")));
    } else if let Some(wt) = st.get("waiting").filter(|v| v.is_object()) {
        line(w, 2, &format!("{title}:\tWaiting"));
        if !s(wt, "reason").is_empty() {
            line(w, 3, &format!("Reason:\t{}", s(wt, "reason")));
        }
    } else if let Some(t) = st.get("terminated").filter(|v| v.is_object()) {
        line(w, 2, &format!("{title}:\tTerminated"));
        if !s(t, "reason").is_empty() {
            line(w, 3, &format!("Reason:\t{}", s(t, "reason")));
        }
        if !s(t, "message").is_empty() {
            line(w, 3, &format!("Message:\t{}", s(t, "message")));
        }
        line(w, 3, &format!("Exit Code:\t{}", int(t, "exitCode")));
        if int(t, "signal") > 0 {
            line(w, 3, &format!("Signal:\t{}", int(t, "signal")));
        }
        line(w, 3, &format!("Started:\t{}", time(t, "startedAt")));
        line(w, 3, &format!("Finished:\t{}", time(t, "finishedAt")));
    } else {
        line(w, 2, &format!("{title}:\tWaiting"));
    }
}

/// `Limits:` and `Requests:`, resource names sorted.
fn resources(w: &mut String, res: Option<&Value>, level: usize) {
    let Some(res) = res else { return };
    for (title, key) in [("Limits", "limits"), ("Requests", "requests")] {
        let Some(m) = res
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        else {
            continue;
        };
        line(w, level, &format!("{title}:"));
        let sorted: BTreeMap<&String, &Value> = m.iter().collect();
        for (name, q) in sorted {
            line(w, level + 1, &format!("{name}:\t{}", quantity(q)));
        }
    }
}

/// A quantity as stored (the API server keeps them in canonical form).
fn quantity(q: &Value) -> String {
    match q {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// kubectl's `DescribeProbe`: the action and its timing.
pub(super) fn probe(p: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        int(p, "initialDelaySeconds"),
        int(p, "timeoutSeconds"),
        int(p, "periodSeconds"),
        int(p, "successThreshold"),
        int(p, "failureThreshold"),
    );
    if let Some(e) = p.get("exec").filter(|v| v.is_object()) {
        let cmd: Vec<&str> = list(e, "command")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = p.get("httpGet").filter(|v| v.is_object()) {
        let port = h
            .get("port")
            .map(|v| int_or_string(Some(v)))
            .unwrap_or_default();
        let host = s(h, "host");
        let authority = if port.is_empty() {
            host.to_string()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut path = s(h, "path").to_string();
        // Go's url.URL.String puts a slash between a host and a relative path.
        if !path.is_empty() && !path.starts_with('/') && !authority.is_empty() {
            path.insert(0, '/');
        }
        let scheme = s(h, "scheme").to_lowercase();
        let url = if scheme.is_empty() {
            format!("//{authority}{path}")
        } else {
            format!("{scheme}://{authority}{path}")
        };
        return format!("http-get {url} {attrs}");
    }
    if let Some(t) = p.get("tcpSocket").filter(|v| v.is_object()) {
        let port = t
            .get("port")
            .map(|v| int_or_string(Some(v)))
            .unwrap_or_default();
        return format!("tcp-socket {}:{port} {attrs}", s(t, "host"));
    }
    if let Some(g) = p.get("grpc").filter(|v| v.is_object()) {
        return format!("grpc <pod>:{} {} {attrs}", int(g, "port"), s(g, "service"));
    }
    format!("unknown {attrs}")
}

/// `Environment Variables from:` for `envFrom` sources.
fn env_from(w: &mut String, c: &Value) {
    line(w, 2, "Environment Variables from:");
    for e in list(c, "envFrom") {
        let (from, reference) = if let Some(r) = e.get("configMapRef").filter(|v| v.is_object()) {
            ("ConfigMap", r)
        } else if let Some(r) = e.get("secretRef").filter(|v| v.is_object()) {
            ("Secret", r)
        } else {
            ("", &Value::Null)
        };
        let (name, optional) = (s(reference, "name"), flag(reference, "optional"));
        match s(e, "prefix") {
            "" => line(w, 3, &format!("{name}\t{from}\tOptional: {optional}")),
            prefix => line(
                w,
                3,
                &format!("{name}\t{from} with prefix '{prefix}'\tOptional: {optional}"),
            ),
        }
    }
}

/// `Environment:` with literal values, field references and key references.
fn env(w: &mut String, c: &Value, pod: Option<&Value>) {
    let vars = list(c, "env");
    if vars.is_empty() {
        line(w, 2, "Environment:\t<none>");
        return;
    }
    line(w, 2, "Environment:");
    for e in vars {
        let name = s(e, "name");
        let Some(from) = e.get("valueFrom").filter(|v| v.is_object()) else {
            for (i, part) in s(e, "value").split('\n').enumerate() {
                if i == 0 {
                    line(w, 3, &format!("{name}:\t{part}"));
                } else {
                    line(w, 3, &format!("\t{part}"));
                }
            }
            continue;
        };
        if let Some(f) = from.get("fieldRef").filter(|v| v.is_object()) {
            let path = s(f, "fieldPath");
            let value = pod.map(|p| field_value(p, path)).unwrap_or_default();
            line(
                w,
                3,
                &format!("{name}:\t{value} ({}:{path})", s(f, "apiVersion")),
            );
        } else if let Some(r) = from.get("resourceFieldRef").filter(|v| v.is_object()) {
            let resource = s(r, "resource");
            let value = resource_value(c, resource);
            line(w, 3, &format!("{name}:\t{value} ({resource})"));
        } else if let Some(k) = from.get("secretKeyRef").filter(|v| v.is_object()) {
            line(
                w,
                3,
                &format!(
                    "{name}:\t<set to the key '{}' in secret '{}'>\tOptional: {}",
                    s(k, "key"),
                    s(k, "name"),
                    flag(k, "optional")
                ),
            );
        } else if let Some(k) = from.get("configMapKeyRef").filter(|v| v.is_object()) {
            line(
                w,
                3,
                &format!(
                    "{name}:\t<set to the key '{}' of config map '{}'>\tOptional: {}",
                    s(k, "key"),
                    s(k, "name"),
                    flag(k, "optional")
                ),
            );
        }
    }
}

/// The value kubectl shows for a fieldRef: its scheme converts only `metadata.name` and
/// `metadata.namespace` field labels, so every other path resolves to nothing.
fn field_value(pod: &Value, path: &str) -> String {
    match path {
        "metadata.name" => crate::api::meta::name(pod).to_string(),
        "metadata.namespace" => crate::api::meta::namespace(pod)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// A resourceFieldRef's value: the container's own setting, `0` when unset (which kubectl
/// shows as `node allocatable` for limits).
fn resource_value(c: &Value, resource: &str) -> String {
    let (section, name) = resource.split_once('.').unwrap_or(("", resource));
    let key = match section {
        "limits" => "limits",
        "requests" => "requests",
        _ => return String::new(),
    };
    let value = c
        .get("resources")
        .and_then(|r| r.get(key))
        .and_then(|m| m.get(name))
        .map(quantity)
        .unwrap_or_else(|| "0".to_string());
    if value == "0" && (resource == "limits.cpu" || resource == "limits.memory") {
        "node allocatable".to_string()
    } else {
        value
    }
}

/// `Mounts:` sorted by mount path, and `Devices:` when there are any.
fn mounts(w: &mut String, c: &Value) {
    let mut mounts: Vec<&Value> = list(c, "volumeMounts").iter().collect();
    // kubectl reuses the mounts' `<none>` for the devices heading too.
    let none = if mounts.is_empty() { "\t<none>" } else { "" };
    line(w, 2, &format!("Mounts:{none}"));
    mounts.sort_by(|a, b| s(a, "mountPath").cmp(s(b, "mountPath")));
    for m in mounts {
        let mut flags = vec![if flag(m, "readOnly") { "ro" } else { "rw" }.to_string()];
        if !s(m, "subPath").is_empty() {
            flags.push(format!("path={:?}", s(m, "subPath")));
        }
        line(
            w,
            3,
            &format!(
                "{} from {} ({})",
                s(m, "mountPath"),
                s(m, "name"),
                flags.join(",")
            ),
        );
    }
    let mut devices: Vec<&Value> = list(c, "volumeDevices").iter().collect();
    if !devices.is_empty() {
        line(w, 2, &format!("Devices:{none}"));
        devices.sort_by(|a, b| s(a, "devicePath").cmp(s(b, "devicePath")));
        for d in devices {
            line(
                w,
                3,
                &format!("{} from {}", s(d, "devicePath"), s(d, "name")),
            );
        }
    }
}
