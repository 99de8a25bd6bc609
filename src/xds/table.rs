//! `istioctl proxy-status` output for the proxies the hub knows.

use super::hub::ProxyStatus;

/// The column headers, as istioctl prints them.
const HEADERS: [&str; 9] = [
    "NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION",
];

/// Spaces between columns, like istioctl's tabwriter padding.
const PADDING: usize = 3;

/// Render `statuses` as `istioctl proxy-status` does, sorted by name, every row showing
/// `version` as the proxy version.
///
/// The xDS columns are all derived from the one config stream: `SYNCED` when the proxy acked
/// the latest version, `STALE` when it is behind (or rejected it), `NOT SENT` when nothing was
/// sent yet. ECDS is never used, so it is always `NOT SENT`.
pub fn status_table(statuses: &[ProxyStatus], version: &str) -> String {
    let mut sorted: Vec<&ProxyStatus> = statuses.iter().collect();
    sorted.sort_by(|a, b| a.proxy.cmp(&b.proxy));
    let mut rows: Vec<Vec<String>> = vec![HEADERS.iter().map(|h| h.to_string()).collect()];
    for s in sorted {
        let sync = sync_state(s).to_string();
        rows.push(vec![
            s.proxy.clone(),
            "Kubernetes".to_string(),
            sync.clone(),
            sync.clone(),
            sync.clone(),
            sync,
            "NOT SENT".to_string(),
            "meshlite".to_string(),
            version.to_string(),
        ]);
    }
    render(&rows)
}

/// One proxy's xDS state.
fn sync_state(s: &ProxyStatus) -> &'static str {
    if s.sent.is_none() {
        return "NOT SENT";
    }
    match &s.acked {
        // A rejection leaves `acked` behind `latest`, so it shows as STALE here too.
        Some(acked) if *acked == s.latest => "SYNCED",
        _ => "STALE",
    }
}

/// Align cells like Go's tabwriter: each column as wide as its widest cell plus padding; the
/// last cell of a line is not padded.
fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count()) + PADDING;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}
