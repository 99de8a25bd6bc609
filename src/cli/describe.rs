//! `describe` output: kubectl's layout for Services and Namespaces, and its generic describer
//! (title-cased fields, nested by indentation) for every other kind.

use crate::api::meta;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Render one object (and the events about it).
pub fn render(obj: &Value, events: &[Value]) -> String {
    let mut top: Vec<(String, String)> = vec![("Name".into(), meta::name(obj).into())];
    if let Some(ns) = meta::namespace(obj) {
        top.push(("Namespace".into(), ns.into()));
    }
    top.push(("Labels".into(), pairs(&meta::labels(obj))));
    top.push(("Annotations".into(), pairs(&meta::annotations(obj))));
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut out = String::new();
    match kind {
        "Service" => {
            service(obj, &mut top);
            aligned(&mut out, &top);
        }
        "Namespace" => {
            top.push(("Status".into(), str_at(obj, "/status/phase")));
            aligned(&mut out, &top);
            out.push_str("\nNo resource quota.\n\nNo LimitRange resource.\n");
            return out;
        }
        _ => {
            top.push(("API Version".into(), str_at(obj, "/apiVersion")));
            top.push(("Kind".into(), kind.into()));
            aligned(&mut out, &top);
            let mut rest = obj.clone();
            if let Some(m) = rest.as_object_mut() {
                for k in ["apiVersion", "kind"] {
                    m.remove(k);
                }
                if let Some(md) = m.get_mut("metadata").and_then(Value::as_object_mut) {
                    for k in ["name", "namespace", "labels", "annotations"] {
                        md.remove(k);
                    }
                }
            }
            if let Some(m) = rest.as_object() {
                for (k, v) in m {
                    generic(&mut out, k, v, 0);
                }
            }
        }
    }
    events_section(&mut out, events);
    out
}

fn str_at(obj: &Value, ptr: &str) -> String {
    match obj.pointer(ptr) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// `k=v` pairs one per line, aligned under the first; `<none>` when empty.
fn pairs(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        return "<none>".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Print `Key:  value` lines with values aligned, continuation lines indented to the value column.
fn aligned(out: &mut String, rows: &[(String, String)]) {
    let width = rows.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0) + 2;
    for (k, v) in rows {
        let mut lines = v.lines();
        let first = lines.next().unwrap_or_default();
        let _ = writeln!(out, "{:<width$}{first}", format!("{k}:"));
        for l in lines {
            let _ = writeln!(out, "{:width$}{l}", "");
        }
    }
    // Empty values (`Endpoints:`) leave no trailing spaces, as kubectl's tabwriter output.
    let trimmed: String = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    *out = trimmed + "\n";
}

fn service(svc: &Value, top: &mut Vec<(String, String)>) {
    let selector: BTreeMap<String, String> = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let sel = if selector.is_empty() {
        "<none>".to_string()
    } else {
        selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    top.push(("Selector".into(), sel));
    top.push(("Type".into(), str_at(svc, "/spec/type")));
    top.push((
        "IP Family Policy".into(),
        str_at(svc, "/spec/ipFamilyPolicy"),
    ));
    let fams: Vec<String> = svc
        .pointer("/spec/ipFamilies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    top.push(("IP Families".into(), fams.join(",")));
    top.push(("IP".into(), str_at(svc, "/spec/clusterIP")));
    let ips: Vec<String> = svc
        .pointer("/spec/clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    top.push(("IPs".into(), ips.join(",")));
    let lb: Vec<String> = svc
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("ip").and_then(Value::as_str).map(str::to_string))
        .collect();
    if !lb.is_empty() {
        top.push(("LoadBalancer Ingress".into(), lb.join(", ")));
    }
    for p in svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("<unset>");
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        let port = p.get("port").map(Value::to_string).unwrap_or_default();
        top.push(("Port".into(), format!("{name}  {port}/{proto}")));
        let target = match p.get("targetPort") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => port.clone(),
        };
        top.push(("TargetPort".into(), format!("{target}/{proto}")));
        if let Some(np) = p.get("nodePort") {
            top.push(("NodePort".into(), format!("{name}  {np}/{proto}")));
        }
        top.push(("Endpoints".into(), String::new()));
    }
    top.push((
        "Session Affinity".into(),
        str_at(svc, "/spec/sessionAffinity"),
    ));
    if svc.pointer("/spec/externalTrafficPolicy").is_some() {
        top.push((
            "External Traffic Policy".into(),
            str_at(svc, "/spec/externalTrafficPolicy"),
        ));
    }
    top.push((
        "Internal Traffic Policy".into(),
        str_at(svc, "/spec/internalTrafficPolicy"),
    ));
}

/// `creationTimestamp` → `Creation Timestamp`, `uid` → `UID`, as kubectl's generic describer.
fn title(key: &str) -> String {
    match key {
        "uid" => return "UID".into(),
        "apiVersion" => return "API Version".into(),
        _ => {}
    }
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

fn generic(out: &mut String, key: &str, v: &Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(m) => {
            let _ = writeln!(out, "{pad}{}:", title(key));
            for (k, v) in m {
                generic(out, k, v, depth + 1);
            }
        }
        Value::Array(items) => {
            let _ = writeln!(out, "{pad}{}:", title(key));
            for item in items {
                match item {
                    Value::Object(m) => {
                        for (k, v) in m {
                            generic(out, k, v, depth + 1);
                        }
                    }
                    other => {
                        let _ = writeln!(out, "{pad}  {}", scalar(other));
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}:  {}", title(key), scalar(other));
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

fn events_section(out: &mut String, events: &[Value]) {
    if events.is_empty() {
        out.push_str("Events:  <none>\n");
        return;
    }
    out.push_str("Events:\n");
    let mut rows = vec![vec![
        "Type".to_string(),
        "Reason".into(),
        "Age".into(),
        "From".into(),
        "Message".into(),
    ]];
    rows.push(vec![
        "----".to_string(),
        "------".into(),
        "----".into(),
        "----".into(),
        "-------".into(),
    ]);
    let now = chrono::Utc::now();
    for e in events {
        let age = e
            .get("lastTimestamp")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| crate::api::table::human_duration(now - t.with_timezone(&chrono::Utc)))
            .unwrap_or_else(|| "<unknown>".into());
        rows.push(vec![
            str_at(e, "/type"),
            str_at(e, "/reason"),
            age,
            str_at(e, "/source/component"),
            str_at(e, "/message"),
        ]);
    }
    let text: String = rows
        .iter()
        .map(|r| format!("  {}\n", r.join("\t")))
        .collect();
    out.push_str(&super::printer::TabWriter::with_layout(0, 2).format(&text));
}
