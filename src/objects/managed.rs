//! `metadata.managedFields`: which manager set which fields, kept up to date by every write
//! through the API, and server-side apply on top of it (merge, conflicts, and removal of the
//! fields a manager stopped applying).
//!
//! Ownership is kept per (manager, operation, apiVersion), as the API server keeps it. An
//! update takes over every field it changed; an apply owns exactly the fields of its
//! configuration and conflicts with other owners of a field whose value it would change.

#[cfg(test)]
mod tests;

use crate::api::meta;
use crate::patch::fields::FieldSet;
use crate::patch::{self, fields};
use serde_json::{json, Map, Value};

/// `operation` of an entry written by server-side apply.
const APPLY: &str = "Apply";
/// `operation` of an entry written by create, update and the other patches.
const UPDATE: &str = "Update";
/// The manager of `kubectl apply --server-side`, which may take over client-side apply fields.
const KUBECTL: &str = "kubectl";

/// One element of `metadata.managedFields`.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    /// The subresource written through (`scale`), if not the object itself.
    subresource: Option<String>,
    time: String,
    fields: FieldSet,
}

/// A field another manager owns with a different value than the apply would give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The owner, as the API server names it: `"kubectl-client-side-apply" using apps/v1`.
    pub manager: String,
    /// The field, e.g. `.spec.replicas`.
    pub field: String,
}

/// Why a server-side apply was refused.
#[derive(Debug)]
pub enum ApplyError {
    /// Fields owned by other managers would change (retry with `force=true` to take them).
    Conflicts(Vec<Conflict>),
    /// The configuration could not be merged into the live object.
    Patch(patch::Error),
}

/// The manager of a write: `?fieldManager=`, else the client's name from its User-Agent
/// (`kubectl/v1.31.0 (linux/amd64) …` → `kubectl`), as the API server derives it.
pub fn manager_of(field_manager: Option<&str>, user_agent: Option<&str>) -> String {
    match field_manager {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => user_agent
            .and_then(|ua| ua.split('/').next())
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_string(),
    }
}

/// Record an update (create, replace or a non-apply patch) by `manager` of `old` into `new`,
/// through `subresource` if any (`scale`): the manager takes over every field it changed.
/// Managed fields the client sent itself (kubectl does so to hand client-side-apply fields
/// over to server-side apply) are kept as the starting point.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    (api_version, kind): (&str, &str),
    subresource: Option<&str>,
) {
    let empty = json!({});
    let old = old.unwrap_or(&empty);
    let sent = new.pointer("/metadata/managedFields").cloned();
    let before = old.pointer("/metadata/managedFields").cloned();
    let mut entries = match sent {
        Some(v) if Some(&v) != before.as_ref() => read(&v),
        _ => before.as_ref().map(read).unwrap_or_default(),
    };
    let (changed, removed) = FieldSet::changes(old, new, kind);
    let taken = changed.union(&removed);
    for e in &mut entries {
        e.fields = e.fields.difference(&taken);
    }
    if !changed.is_empty() {
        match entries.iter_mut().find(|e| {
            e.manager == manager
                && e.operation == UPDATE
                && e.api_version == api_version
                && e.subresource.as_deref() == subresource
        }) {
            Some(e) => {
                e.fields = e.fields.union(&changed);
                e.time = meta::now_rfc3339();
            }
            None => entries.push(Entry {
                manager: manager.into(),
                operation: UPDATE.into(),
                api_version: api_version.into(),
                subresource: subresource.map(str::to_string),
                time: meta::now_rfc3339(),
                fields: changed,
            }),
        }
    }
    write(new, entries);
}

/// Server-side apply of `config` by `manager` onto `live` (`None`: the object is created).
/// Returns the object to store, `managedFields` included.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    api_version: &str,
    kind: &str,
    builtin: bool,
    force: bool,
) -> Result<Value, ApplyError> {
    let mut config = config.clone();
    if let Some(m) = config.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    let applied = FieldSet::of(&config, kind);
    let Some(live) = live else {
        let mut created = config;
        write(
            &mut created,
            vec![apply_entry(manager, api_version, applied)],
        );
        return Ok(created);
    };
    let mut merged = if builtin {
        patch::strategic(live, &config, kind).map_err(ApplyError::Patch)?
    } else {
        let mut m = live.clone();
        patch::merge(&mut m, &config);
        m
    };
    let original = live
        .pointer("/metadata/managedFields")
        .map(read)
        .unwrap_or_default();
    let mut entries = original.clone();
    let mine = |e: &Entry| e.manager == manager && e.operation == APPLY;

    // Fields of other owners whose value would change.
    let lost: Vec<FieldSet> = entries
        .iter()
        .map(|e| match mine(e) {
            true => FieldSet::default(),
            false => FieldSet(
                e.fields
                    .intersection(&applied)
                    .0
                    .into_iter()
                    .filter(|p| fields::value_at(live, p) != fields::value_at(&merged, p))
                    .collect(),
            ),
        })
        .collect();
    let conflicts: Vec<Conflict> = entries
        .iter()
        .zip(&lost)
        .flat_map(|(e, l)| {
            l.0.iter().map(|p| Conflict {
                manager: describe(e),
                field: fields::display(p),
            })
        })
        .collect();
    let taken_over = manager == KUBECTL && {
        let all = lost.iter().fold(FieldSet::default(), |a, l| a.union(l));
        all.difference(&unchanged_since_last_applied(live, kind))
            .is_empty()
    };
    if !conflicts.is_empty() && !force && !taken_over {
        return Err(ApplyError::Conflicts(conflicts));
    }
    for (e, l) in entries.iter_mut().zip(&lost) {
        e.fields = e.fields.difference(l);
    }
    if manager == KUBECTL {
        keep_last_applied_current(&mut merged, &config);
    }

    // Fields this manager applied before and no longer does go, unless someone else owns them.
    let before = entries
        .iter()
        .find(|e| mine(e))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    // In path order, so a list element goes before (and instead of) its fields.
    for p in before.difference(&applied).0.iter() {
        if !fields::is_element_key(p)
            && !entries
                .iter()
                .filter(|e| !mine(e))
                .any(|e| e.fields.covers(p))
        {
            fields::remove_at(&mut merged, p);
        }
    }
    entries.retain(|e| !mine(e));
    entries.push(apply_entry(manager, api_version, applied));
    // An apply that changes nothing, ownership included, leaves the object as it is.
    let mut unchanged = merged.clone();
    write(&mut unchanged, original.clone());
    if unchanged == *live && same_owners(&entries, &original) {
        return Ok(live.clone());
    }
    write(&mut merged, entries);
    Ok(merged)
}

/// Whether two lists of entries give the same managers the same fields, times aside.
fn same_owners(a: &[Entry], b: &[Entry]) -> bool {
    let owners = |es: &[Entry]| {
        let mut v: Vec<Entry> = es
            .iter()
            .filter(|e| !e.fields.is_empty())
            .map(|e| Entry {
                time: String::new(),
                ..e.clone()
            })
            .collect();
        v.sort_by(|x, y| {
            (&x.manager, &x.operation, &x.api_version, &x.subresource).cmp(&(
                &y.manager,
                &y.operation,
                &y.api_version,
                &y.subresource,
            ))
        });
        v
    };
    owners(a) == owners(b)
}

/// The fields of the live object's last-applied configuration (client-side apply) that still
/// hold the values it applied: `kubectl apply --server-side` may take these over from
/// `kubectl-client-side-apply` without a conflict, as the API server lets it.
fn unchanged_since_last_applied(live: &Value, kind: &str) -> FieldSet {
    let Some(last) = live
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(patch::LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    else {
        return FieldSet::default();
    };
    FieldSet(
        FieldSet::of(&last, kind)
            .0
            .into_iter()
            .filter(|p| fields::value_at(&last, p) == fields::value_at(live, p))
            .collect(),
    )
}

/// After a server-side apply by kubectl, an existing last-applied annotation is rewritten to
/// the applied configuration, so a later client-side apply computes from it.
fn keep_last_applied_current(obj: &mut Value, config: &Value) {
    let Some(annotations) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if !annotations.contains_key(patch::LAST_APPLIED_ANNOTATION) {
        return;
    }
    let mut applied = config.clone();
    if let Some(a) = applied
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove(patch::LAST_APPLIED_ANNOTATION);
    }
    annotations.insert(
        patch::LAST_APPLIED_ANNOTATION.into(),
        Value::String(applied.to_string()),
    );
}

/// The Status message of a refused apply, worded as the API server words it.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [one] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            one.manager, one.field
        );
    }
    let mut lines = Vec::new();
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort();
    managers.dedup();
    for m in managers {
        lines.push(format!("conflicts with {m}:"));
        lines.extend(
            conflicts
                .iter()
                .filter(|c| c.manager == m)
                .map(|c| format!("- {}", c.field)),
        );
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

fn apply_entry(manager: &str, api_version: &str, fields: FieldSet) -> Entry {
    Entry {
        manager: manager.into(),
        operation: APPLY.into(),
        api_version: api_version.into(),
        subresource: None,
        time: meta::now_rfc3339(),
        fields,
    }
}

/// `"kubectl-client-side-apply" using apps/v1` for updates, `"kubectl"` for applies, with
/// `with subresource "scale"` after the name when written through one.
fn describe(e: &Entry) -> String {
    let mut who = format!("{:?}", e.manager);
    if let Some(sub) = &e.subresource {
        who.push_str(&format!(" with subresource {sub:?}"));
    }
    if e.operation == UPDATE {
        who.push_str(&format!(" using {}", e.api_version));
    }
    who
}

fn read(v: &Value) -> Vec<Entry> {
    let text = |e: &Value, k: &str| {
        e.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    v.as_array()
        .into_iter()
        .flatten()
        .map(|e| Entry {
            manager: text(e, "manager"),
            operation: text(e, "operation"),
            api_version: text(e, "apiVersion"),
            subresource: e
                .get("subresource")
                .and_then(Value::as_str)
                .map(str::to_string),
            time: text(e, "time"),
            fields: FieldSet::from_fields_v1(e.get("fieldsV1").unwrap_or(&Value::Null)),
        })
        .collect()
}

fn write(obj: &mut Value, entries: Vec<Entry>) {
    let list: Vec<Value> = entries
        .into_iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": e.fields.to_fields_v1(),
            });
            if let Some(sub) = e.subresource {
                v["subresource"] = Value::String(sub);
            }
            v
        })
        .collect();
    let Some(obj) = obj.as_object_mut() else {
        return;
    };
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}
