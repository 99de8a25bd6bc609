//! `describe` output as kubectl lays it out: kubectl's Service and Namespace describers, and its
//! generic describer (every field, title-cased, keys sorted) for every other kind — all written
//! as tab-separated text through one tab writer (min width 0, padding 2), as kubectl does.

use crate::api::meta;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

mod containers;
mod endpoints;
mod fields;
mod pod;
mod volumes;
mod workloads;

#[cfg(test)]
mod tests;

/// kubectl never shows this annotation in `describe`.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Longer annotation values are cut, as kubectl's describer does.
const MAX_ANNOTATION_LEN: usize = 140;

/// Render one object (and the events about it).
pub fn render(obj: &Value, events: &[Value]) -> String {
    render_with(obj, events, &[], &chrono::Local::now())
}

/// Render one object with the objects its describer lists too: the namespace's ReplicaSets for
/// a Deployment (split into old and new), its pods for a ReplicaSet (counted by phase); other
/// kinds ignore `related`. Times print in `now`'s zone, as kubectl prints local times.
pub fn render_with<Tz: chrono::TimeZone>(
    obj: &Value,
    events: &[Value],
    related: &[Value],
    now: &chrono::DateTime<Tz>,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut w = String::new();
    // These kinds have describers of their own, each with its own order of the common fields.
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    if matches!(kind, "Pod" | "Deployment" | "ReplicaSet" | "Endpoints") {
        match kind {
            "Pod" => pod::pod(&mut w, obj, now),
            "Deployment" => workloads::deployment(&mut w, obj, related, now),
            "ReplicaSet" => workloads::replica_set(&mut w, obj, related, now),
            _ => endpoints::endpoints(&mut w, obj),
        }
        events_section(&mut w, events);
        return crate::cli::printer::TabWriter::with_layout(0, 2).format(&w);
    }
    line(&mut w, 0, &format!("Name:\t{}", meta::name(obj)));
    if obj.pointer("/metadata/namespace").is_some()
        || obj.get("kind").and_then(Value::as_str) != Some("Namespace")
    {
        line(
            &mut w,
            0,
            &format!("Namespace:\t{}", meta::namespace(obj).unwrap_or_default()),
        );
    }
    multiline(&mut w, "Labels", &meta::labels(obj), usize::MAX);
    fields::annotations(&mut w, "Annotations", &meta::annotations(obj));
    match obj.get("kind").and_then(Value::as_str).unwrap_or_default() {
        "Service" => service(&mut w, obj),
        "Namespace" => {
            line(
                &mut w,
                0,
                &format!("Status:\t{}", text(obj.pointer("/status/phase"))),
            );
            // Quotas and limit ranges are not served, so kubectl says nothing about them either.
            return crate::cli::printer::TabWriter::with_layout(0, 2).format(&w);
        }
        _ => {
            let skip = [
                ".metadata.managedFields",
                ".metadata.name",
                ".metadata.namespace",
                ".metadata.labels",
                ".metadata.annotations",
            ];
            if let Some(m) = obj.as_object() {
                content(&mut w, 0, m, "", &skip);
            }
        }
    }
    events_section(&mut w, events);
    crate::cli::printer::TabWriter::with_layout(0, 2).format(&w)
}

/// One line at an indentation level (two spaces a level).
fn line(w: &mut String, level: usize, s: &str) {
    let _ = writeln!(w, "{}{s}", "  ".repeat(level));
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// `Labels:\tk=v` with each further pair on its own line under the first; `<none>` when empty.
fn multiline(w: &mut String, title: &str, m: &BTreeMap<String, String>, max: usize) {
    if m.is_empty() {
        line(w, 0, &format!("{title}:\t<none>"));
        return;
    }
    for (i, (k, v)) in m.iter().enumerate() {
        let v: String = if v.chars().count() > max {
            v.chars().take(max).chain("...".chars()).collect()
        } else {
            v.clone()
        };
        let head = if i == 0 {
            format!("{title}:")
        } else {
            String::new()
        };
        line(w, 0, &format!("{head}\t{k}={v}"));
    }
}

fn service(w: &mut String, svc: &Value) {
    let spec = svc.get("spec").cloned().unwrap_or_default();
    let selector: Vec<String> = spec
        .get("selector")
        .and_then(Value::as_object)
        .map(|m| {
            let mut v: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    let joined = |v: &Value| -> String {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    let sel = if selector.is_empty() {
        "<none>".to_string()
    } else {
        selector.join(",")
    };
    line(w, 0, &format!("Selector:\t{sel}"));
    line(w, 0, &format!("Type:\t{}", text(spec.get("type"))));
    line(
        w,
        0,
        &format!("IP Family Policy:\t{}", text(spec.get("ipFamilyPolicy"))),
    );
    line(
        w,
        0,
        &format!("IP Families:\t{}", joined(&spec["ipFamilies"])),
    );
    line(w, 0, &format!("IP:\t{}", text(spec.get("clusterIP"))));
    line(w, 0, &format!("IPs:\t{}", joined(&spec["clusterIPs"])));
    let lb: Vec<&str> = svc
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("ip").and_then(Value::as_str))
        .collect();
    if !lb.is_empty() {
        line(w, 0, &format!("LoadBalancer Ingress:\t{}", lb.join(", ")));
    }
    for p in spec
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or("<unset>");
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        let port = text(p.get("port"));
        line(w, 0, &format!("Port:\t{name}\t{port}/{proto}"));
        let target = p
            .get("targetPort")
            .map(|t| text(Some(t)))
            .unwrap_or_else(|| port.clone());
        line(w, 0, &format!("TargetPort:\t{target}/{proto}"));
        if let Some(np) = p.get("nodePort") {
            line(w, 0, &format!("NodePort:\t{name}\t{np}/{proto}"));
        }
        line(w, 0, "Endpoints:\t<none>");
    }
    line(
        w,
        0,
        &format!("Session Affinity:\t{}", text(spec.get("sessionAffinity"))),
    );
    if spec.get("externalTrafficPolicy").is_some() {
        line(
            w,
            0,
            &format!(
                "External Traffic Policy:\t{}",
                text(spec.get("externalTrafficPolicy"))
            ),
        );
    }
    if spec.get("internalTrafficPolicy").is_some() {
        line(
            w,
            0,
            &format!(
                "Internal Traffic Policy:\t{}",
                text(spec.get("internalTrafficPolicy"))
            ),
        );
    }
}

/// kubectl's label for a field: camelCase split into title-cased words, common acronyms upper
/// case (`apiVersion` → `API Version`, `uid` → `UID`); names with other characters as they are.
fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = field.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase())
                    && chars[i - 1].is_uppercase());
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        if c == '-' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .into_iter()
        .map(|w| {
            let upper = w.to_uppercase();
            if ["API", "URL", "UID", "OSB", "GUID"].contains(&upper.as_str()) {
                upper
            } else {
                let mut cs = w.chars();
                cs.next()
                    .map(|f| f.to_uppercase().chain(cs).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every field, keys sorted, maps and lists nested by indentation.
fn content(w: &mut String, level: usize, m: &Map<String, Value>, prefix: &str, skip: &[&str]) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        let path = format!("{prefix}.{k}");
        if skip.contains(&path.as_str()) {
            continue;
        }
        match &m[k] {
            Value::Object(child) => {
                line(w, level, &format!("{}:", smart_label(k)));
                content(w, level + 1, child, &path, skip);
            }
            Value::Array(items) => {
                line(w, level, &format!("{}:", smart_label(k)));
                for item in items {
                    match item {
                        Value::Object(child) => content(w, level + 1, child, &path, skip),
                        other => line(w, level + 1, &go_value(other)),
                    }
                }
            }
            other => line(
                w,
                level,
                &format!("{}:\t{}", smart_label(k), go_value(other)),
            ),
        }
    }
}

/// A scalar as Go's `%v` prints it.
fn go_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        Value::Number(n) => crate::api::gojson::number::number_v(n),
        other => other.to_string(),
    }
}

fn events_section(w: &mut String, events: &[Value]) {
    if events.is_empty() {
        line(w, 0, "Events:\t<none>");
        return;
    }
    line(w, 0, "Events:");
    line(w, 1, "Type\tReason\tAge\tFrom\tMessage");
    line(w, 1, "----\t------\t----\t----\t-------");
    let now = chrono::Utc::now();
    for e in events {
        let since = |field: &str| {
            e.get(field)
                .and_then(Value::as_str)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| crate::api::table::human_duration(now - t.with_timezone(&chrono::Utc)))
                .unwrap_or_else(|| "<unknown>".into())
        };
        // Repeats read `3s (x2 over 99s)`, as kubectl shows aggregated events.
        let age = match e.get("count").and_then(Value::as_i64) {
            Some(n) if n > 1 => format!(
                "{} (x{n} over {})",
                since("lastTimestamp"),
                since("firstTimestamp")
            ),
            _ => since("firstTimestamp"),
        };
        let row = [
            text(e.get("type")),
            text(e.get("reason")),
            age,
            text(e.pointer("/source/component")),
            text(e.get("message")),
        ];
        line(w, 1, &row.join("\t"));
    }
}
