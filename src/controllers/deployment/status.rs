//! The Deployment's status: Pod counts and the `Available`/`Progressing` conditions.

use super::super::replicaset::pods::format_time;
use super::Rs;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";

/// Counts as the Deployment's status reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub replicas: i64,
    pub updated: i64,
    pub ready: i64,
    pub available: i64,
    pub unavailable: i64,
}

// === impl Counts ===

impl Counts {
    pub fn of(all: &[Rs], new: Option<usize>) -> Counts {
        let available: i64 = all.iter().map(|r| r.available).sum();
        let desired: i64 = all.iter().map(|r| r.replicas).sum();
        Counts {
            replicas: all.iter().map(|r| r.active).sum(),
            updated: new.and_then(|i| all.get(i)).map(|r| r.active).unwrap_or(0),
            ready: all.iter().map(|r| r.ready).sum(),
            available,
            unavailable: (desired - available).max(0),
        }
    }

    /// Read the counts back from a status object (missing fields are zero).
    pub fn from_status(st: Option<&Value>) -> Counts {
        let n = |k: &str| {
            st.and_then(|s| s.get(k))
                .and_then(Value::as_i64)
                .unwrap_or(0)
        };
        Counts {
            replicas: n("replicas"),
            updated: n("updatedReplicas"),
            ready: n("readyReplicas"),
            available: n("availableReplicas"),
            unavailable: n("unavailableReplicas"),
        }
    }

    /// Did the rollout move forward between `old` and `self`?
    pub fn progressed_since(&self, old: &Counts) -> bool {
        self.updated > old.updated
            || self.ready > old.ready
            || (self.replicas - self.updated) < (old.replicas - old.updated)
            || self.available > old.available
    }
}

/// The conditions list, edited in place with Kubernetes' rules.
#[derive(Debug, Clone, Default)]
pub struct Conditions(pub Vec<Value>);

// === impl Conditions ===

impl Conditions {
    pub fn from_status(st: Option<&Value>) -> Conditions {
        Conditions(
            st.and_then(|s| s.get("conditions"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        )
    }

    pub fn get(&self, kind: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    }

    pub fn reason(&self, kind: &str) -> Option<&str> {
        self.get(kind)
            .and_then(|c| c.get("reason"))
            .and_then(Value::as_str)
    }

    fn field<'a>(c: &'a Value, k: &str) -> &'a str {
        c.get(k).and_then(Value::as_str).unwrap_or("")
    }

    /// Set a condition unless one with the same status and reason is there already; a change
    /// of reason keeps the transition time when the status stays the same.
    pub fn set(
        &mut self,
        kind: &str,
        status: &str,
        reason: &str,
        message: &str,
        now: DateTime<Utc>,
    ) {
        let t = format_time(now);
        let mut transition = t.clone();
        if let Some(cur) = self.get(kind) {
            if Self::field(cur, "status") == status && Self::field(cur, "reason") == reason {
                return;
            }
            if Self::field(cur, "status") == status {
                transition = Self::field(cur, "lastTransitionTime").to_string();
            }
        }
        self.put(kind, status, reason, message, &t, &transition);
    }

    /// Set a condition even when the reason is unchanged (Progressing records each step of
    /// progress), keeping the transition time while the status stays True.
    pub fn refresh(
        &mut self,
        kind: &str,
        status: &str,
        reason: &str,
        message: &str,
        now: DateTime<Utc>,
    ) {
        let t = format_time(now);
        let transition = match self.get(kind) {
            Some(cur) if Self::field(cur, "status") == status => {
                Self::field(cur, "lastTransitionTime").to_string()
            }
            _ => t.clone(),
        };
        self.put(kind, status, reason, message, &t, &transition);
    }

    fn put(
        &mut self,
        kind: &str,
        status: &str,
        reason: &str,
        message: &str,
        update: &str,
        transition: &str,
    ) {
        let cond = json!({
            "type": kind,
            "status": status,
            "lastUpdateTime": update,
            "lastTransitionTime": transition,
            "reason": reason,
            "message": message,
        });
        // A changed condition moves to the end, as Kubernetes orders them.
        self.0
            .retain(|c| c.get("type").and_then(Value::as_str) != Some(kind));
        self.0.push(cond);
    }
}

/// The status object; zero counts are left out as the API leaves them out.
pub fn render(
    observed_generation: Option<i64>,
    counts: &Counts,
    collision_count: Option<i64>,
    conditions: &Conditions,
) -> Value {
    let mut st = Map::new();
    if let Some(g) = observed_generation {
        st.insert("observedGeneration".into(), json!(g));
    }
    for (k, v) in [
        ("replicas", counts.replicas),
        ("updatedReplicas", counts.updated),
        ("readyReplicas", counts.ready),
        ("availableReplicas", counts.available),
        ("unavailableReplicas", counts.unavailable),
    ] {
        if v != 0 {
            st.insert(k.into(), json!(v));
        }
    }
    if !conditions.0.is_empty() {
        st.insert("conditions".into(), Value::Array(conditions.0.clone()));
    }
    if let Some(c) = collision_count {
        st.insert("collisionCount".into(), json!(c));
    }
    Value::Object(st)
}
