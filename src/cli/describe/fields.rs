//! Pieces shared by kubectl's typed describers: label, annotation and toleration lists, label
//! selectors, timestamps, owner references and Go's zero-value reads of raw JSON.

use super::{line, LAST_APPLIED, MAX_ANNOTATION_LEN};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Display;

/// The string at `key`, or "" (Go's zero value) when absent or not a string.
pub(super) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The integer at `key`, or 0 when absent.
pub(super) fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or_default()
}

/// The boolean at `key`, or false when absent.
pub(super) fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or_default()
}

/// The array at `key`, or an empty slice.
pub(super) fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A string map (labels, node selectors) at `key`, sorted; non-string values are skipped.
pub(super) fn string_map(v: &Value, key: &str) -> BTreeMap<String, String> {
    crate::api::meta::string_map(v.get(key))
}

/// An int-or-string (ports, surge) as Go's `IntOrString.String()` prints it.
pub(super) fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) | None => "<nil>".to_string(),
        Some(other) => other.to_string(),
    }
}

/// A `metav1.Time` in Go's `time.RFC1123Z` layout, in the zone of `zone` (kubectl prints
/// times in the local zone); empty input is Go's zero time.
pub(super) fn rfc1123z<Tz: TimeZone>(ts: &str, zone: &DateTime<Tz>) -> String
where
    Tz::Offset: Display,
{
    match DateTime::parse_from_rfc3339(ts) {
        Ok(t) => t
            .with_timezone(&zone.timezone())
            .format("%a, %d %b %Y %H:%M:%S %z")
            .to_string(),
        Err(_) => "Mon, 01 Jan 0001 00:00:00 +0000".to_string(),
    }
}

/// kubectl's `translateTimestampSince`: the human age of a timestamp, `<unknown>` when unset.
pub(super) fn since<Tz: TimeZone>(ts: &str, now: &DateTime<Tz>) -> String {
    match DateTime::parse_from_rfc3339(ts) {
        Ok(t) => crate::api::table::human_duration(now.with_timezone(&Utc) - t.with_timezone(&Utc)),
        Err(_) => "<unknown>".to_string(),
    }
}

/// `Kind/name` of the controlling owner reference, if any (`printController`).
pub(super) fn controlled_by(obj: &Value) -> Option<String> {
    controller_ref(obj).map(|r| format!("{}/{}", s(r, "kind"), s(r, "name")))
}

/// The owner reference with `controller: true`.
pub(super) fn controller_ref(obj: &Value) -> Option<&Value> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| flag(r, "controller"))
}

/// `printLabelsMultiline`: `Title:\tk=v`, further pairs under the first; `<none>` when empty.
/// `title` carries any leading indentation (`"  Labels"` inside a pod template).
pub(super) fn labels(w: &mut String, title: &str, m: &BTreeMap<String, String>) {
    if m.is_empty() {
        line(w, 0, &format!("{title}:\t<none>"));
        return;
    }
    for (i, (k, v)) in m.iter().enumerate() {
        let head = if i == 0 {
            format!("{title}:")
        } else {
            String::new()
        };
        line(w, 0, &format!("{head}\t{k}={v}"));
    }
}

/// `printAnnotationsMultiline`: `key: value` pairs, the last-applied configuration left out;
/// values that are long or span lines go below their key, each line indented and shortened.
pub(super) fn annotations(w: &mut String, title: &str, m: &BTreeMap<String, String>) {
    let shown: Vec<(&String, &String)> = m.iter().filter(|(k, _)| *k != LAST_APPLIED).collect();
    if shown.is_empty() {
        line(w, 0, &format!("{title}:\t<none>"));
        return;
    }
    let mut head = format!("{title}:");
    for (k, v) in shown {
        let value = v.strip_suffix('\n').unwrap_or(v);
        // kubectl measures bytes here.
        if value.len() + k.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            line(w, 0, &format!("{head}\t{k}:"));
            for part in value.split('\n') {
                line(
                    w,
                    0,
                    &format!("\t  {}", shorten(part, MAX_ANNOTATION_LEN - 2)),
                );
            }
        } else {
            line(w, 0, &format!("{head}\t{k}: {value}"));
        }
        head.clear();
    }
}

/// The first `max` bytes of `s` (kept on a character boundary) and `...`, if it is longer.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `printPodTolerationsMultiline`: `key=value:Effect op=Exists for 300s`, sorted by key.
pub(super) fn tolerations(w: &mut String, title: &str, tolerations: &[Value]) {
    if tolerations.is_empty() {
        line(w, 0, &format!("{title}:\t<none>"));
        return;
    }
    let mut sorted: Vec<&Value> = tolerations.iter().collect();
    // Go's sort.Slice is not stable; a stable sort gives the same order for distinct keys.
    sorted.sort_by(|a, b| s(a, "key").cmp(s(b, "key")));
    for (i, t) in sorted.into_iter().enumerate() {
        let mut text = s(t, "key").to_string();
        if !s(t, "value").is_empty() {
            text.push('=');
            text.push_str(s(t, "value"));
        }
        if !s(t, "effect").is_empty() {
            text.push(':');
            text.push_str(s(t, "effect"));
        }
        // `operator: Exists` with nothing else tolerates everything.
        if s(t, "operator") == "Exists" && s(t, "value").is_empty() {
            if text.is_empty() {
                text.push_str("op=Exists");
            } else {
                text.push_str(" op=Exists");
            }
        }
        if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
            text.push_str(&format!(" for {secs}s"));
        }
        let head = if i == 0 {
            format!("{title}:")
        } else {
            String::new()
        };
        line(w, 0, &format!("{head}\t{text}"));
    }
}

/// A `LabelSelector` as `labels.Selector.String()` prints it: requirements sorted by key,
/// `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas. Empty for a missing or
/// empty selector.
pub(super) fn selector_string(sel: Option<&Value>) -> String {
    let Some(sel) = sel.filter(|v| v.is_object()) else {
        return String::new();
    };
    let mut reqs: Vec<(String, String)> = string_map(sel, "matchLabels")
        .into_iter()
        .map(|(k, v)| (k.clone(), format!("{k}={v}")))
        .collect();
    for e in list(sel, "matchExpressions") {
        let key = s(e, "key");
        let mut values: Vec<&str> = list(e, "values").iter().filter_map(Value::as_str).collect();
        values.sort_unstable();
        values.dedup();
        let text = match s(e, "operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        reqs.push((key.to_string(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector`: the selector string, `<none>` when it selects by nothing.
pub(super) fn format_label_selector(sel: Option<&Value>) -> String {
    let text = selector_string(sel);
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text
    }
}

/// Whether a quantity is zero (`0`, `0Mi`, `0.0`…).
pub(super) fn quantity_is_zero(q: &str) -> bool {
    let digits: String = q
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '+' || *c == '-')
        .collect();
    digits.parse::<f64>().map(|f| f == 0.0).unwrap_or(false)
}
