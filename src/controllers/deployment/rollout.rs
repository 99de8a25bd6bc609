//! How far a rollout may move in one step: surge/unavailability budgets and scaling.

use super::Rs;
use serde_json::Value;

/// The largest size Kubernetes accepts (int32).
pub const LIMIT: i64 = i32::MAX as i64;

/// Resolve an int-or-percent against `total`; percentages round up or down as asked.
fn scaled(v: Option<&Value>, total: i64, round_up: bool) -> i64 {
    // Kubernetes sizes are int32: clamping keeps the arithmetic below from overflowing.
    let total = total.clamp(0, LIMIT);
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0).clamp(0, LIMIT),
        Some(Value::String(s)) => {
            let pct = s
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<i64>().ok())
                .or_else(|| {
                    s.trim()
                        .parse::<i64>()
                        .ok()
                        .map(|n| n.clamp(0, LIMIT) * 100 / total.max(1))
                })
                .unwrap_or(25)
                .clamp(0, LIMIT);
            let num = pct * total;
            if round_up {
                (num + 99).div_euclid(100)
            } else {
                num.div_euclid(100)
            }
        }
        _ => (25 * total + if round_up { 99 } else { 0 }).div_euclid(100),
    }
}

/// `(maxSurge, maxUnavailable)` for `replicas`; both 0 would deadlock, so unavailable becomes 1.
pub fn fenceposts(rolling: Option<&Value>, replicas: i64) -> (i64, i64) {
    let surge = scaled(rolling.and_then(|r| r.get("maxSurge")), replicas, true).max(0);
    let mut unavailable = scaled(
        rolling.and_then(|r| r.get("maxUnavailable")),
        replicas,
        false,
    )
    .max(0);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// The new ReplicaSet's size under RollingUpdate: grow towards `replicas` while all Pods stay
/// within `replicas + max_surge`.
pub fn new_rs_replicas(all: &[Rs], new_current: i64, replicas: i64, max_surge: i64) -> i64 {
    let current: i64 = all.iter().map(|r| r.replicas).sum();
    let max_total = replicas + max_surge;
    if current >= max_total {
        return new_current;
    }
    let up = (max_total - current).min(replicas - new_current).max(0);
    new_current + up
}

/// Scale old ReplicaSets down while keeping `replicas - max_unavailable` Pods available.
/// `olds` are indexes into `all`; `new` is the new ReplicaSet's index. Returns whether any
/// ReplicaSet was scaled.
pub fn scale_down_old(
    all: &mut [Rs],
    olds: &[usize],
    new: Option<usize>,
    replicas: i64,
    max_unavailable: i64,
) -> bool {
    let old_count: i64 = olds
        .iter()
        .filter_map(|i| all.get(*i))
        .map(|r| r.replicas)
        .sum();
    if old_count == 0 {
        return false;
    }
    let all_count: i64 = all.iter().map(|r| r.replicas).sum();
    let min_available = replicas - max_unavailable;
    let new_unavailable = new
        .and_then(|i| all.get(i))
        .map(|r| r.replicas - r.available)
        .unwrap_or(0);
    let max_scaled_down = all_count - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    let mut order: Vec<usize> = olds.to_vec();
    order.sort_by(|a, b| {
        let key = |i: &usize| all.get(*i).map(|r| (r.created.clone(), r.name.clone()));
        key(a).cmp(&key(b))
    });

    // First drop old Pods that are not available anyway: that costs no availability.
    let mut cleaned = 0;
    for i in &order {
        let Some(rs) = all.get_mut(*i) else { continue };
        if cleaned >= max_scaled_down {
            break;
        }
        if rs.replicas == 0 || rs.replicas <= rs.available {
            continue;
        }
        let unhealthy = rs.replicas - rs.available.max(0);
        let down = (max_scaled_down - cleaned).min(unhealthy);
        rs.replicas -= down;
        cleaned += down;
    }

    // Then available ones, as far as the availability floor allows.
    let available: i64 = all.iter().map(|r| r.available.min(r.replicas)).sum();
    let mut scaled = 0;
    if available > min_available {
        let budget = available - min_available;
        for i in &order {
            if scaled >= budget {
                break;
            }
            let Some(rs) = all.get_mut(*i) else { continue };
            if rs.replicas == 0 {
                continue;
            }
            let down = rs.replicas.min(budget - scaled);
            rs.replicas -= down;
            scaled += down;
        }
    }
    cleaned + scaled > 0
}
