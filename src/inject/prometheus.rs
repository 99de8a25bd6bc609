//! Prometheus merge: point scrapers at pilot-agent's merged endpoint and hand the app's own settings to it.

use serde_json::{json, Map, Value};

use super::lookup;
use super::template::STATUS_PORT;

const SCRAPE: &str = "prometheus.io/scrape";
const PORT: &str = "prometheus.io/port";
const PATH: &str = "prometheus.io/path";
/// Per-pod switch for the merge (mesh-wide it is on by default).
const MERGE_METRICS: &str = "prometheus.istio.io/merge-metrics";
/// Where pilot-agent serves Envoy's, its own and the app's metrics together.
pub const MERGED_PATH: &str = "/stats/prometheus";

/// Go's `strconv.ParseBool`; `None` for anything it rejects.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Rewrites the pod's `prometheus.io/*` annotations (`out`) to scrape the merged endpoint, unless the
/// pod turned scraping or merging off. `original` holds the pod's annotations before injection.
/// Returns the value of `ISTIO_PROMETHEUS_ANNOTATIONS` when the app had its own settings, so
/// pilot-agent can still scrape the app.
pub(super) fn merge(out: &mut Map<String, Value>, original: &[(String, String)]) -> Option<String> {
    let get = |k| lookup(original, k);
    if get(SCRAPE).and_then(parse_bool) == Some(false)
        || get(MERGE_METRICS).and_then(parse_bool) == Some(false)
    {
        return None;
    }
    let target = STATUS_PORT.to_string();
    // Already pointing at the agent: the user (or an earlier injection) set it up; leave it alone.
    if get(PORT) == Some(target.as_str()) {
        return None;
    }
    let (scrape, path, port) = (get(SCRAPE), get(PATH), get(PORT));
    let app_settings = [scrape, path, port]
        .iter()
        .any(|v| v.is_some_and(|s| !s.is_empty()))
        .then(|| {
            json!({
                "scrape": scrape.unwrap_or(""),
                "path": path.unwrap_or(""),
                "port": port.unwrap_or(""),
            })
            .to_string()
        });
    out.insert(PATH.into(), MERGED_PATH.into());
    out.insert(PORT.into(), target.into());
    out.insert(SCRAPE.into(), "true".into());
    app_settings
}
