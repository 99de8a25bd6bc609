//! istioctl `proxy-config` tables (routes, clusters, listeners, endpoints) over compiled
//! configs, laid out like istioctl's tabwriter: left-aligned columns, five spaces apart.

use super::describe::{config_ref, lb_text, matcher_parts, route_config_name};
use super::EndpointHealth;
use crate::routes::{Cluster, Endpoint, Match, RouterConfig, StringMatcher};

/// Gap between columns (istioctl's tabwriter padding).
const PADDING: usize = 5;

/// Lays out `rows` (the first is the header) in left-aligned columns. Every column but the
/// last is padded to its widest cell plus [`PADDING`]; trailing blanks are dropped.
fn tabulate(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let width = widths.get(i).copied().unwrap_or(0) + PADDING;
                let fill = width.saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', fill));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// istioctl's DOMAINS cell: names with a port are dropped, `x.svc.cluster.local` and `x.svc`
/// are folded into `x` when `x` is listed too, and past two names the rest is counted.
pub(super) fn domains_cell(domains: &[String]) -> String {
    match domains {
        [] => return String::new(),
        [only] => return only.clone(),
        _ => {}
    }
    let without_port: Vec<&str> = domains
        .iter()
        .map(String::as_str)
        .filter(|d| !d.contains(':') || (d.matches(':').count() > 2 && d.ends_with(']')))
        .collect();
    let folded: Vec<&str> = without_port
        .iter()
        .copied()
        .filter(|d| {
            let shorter = [d.strip_suffix(".svc.cluster.local"), d.strip_suffix(".svc")];
            !shorter.iter().flatten().any(|s| without_port.contains(s))
        })
        .collect();
    match folded.split_at_checked(2) {
        Some((shown, rest)) if !rest.is_empty() => {
            format!("{} + {} more...", shown.join(", "), rest.len())
        }
        _ => folded.join(", "),
    }
}

/// istioctl's MATCH cell of one match block: `/p*` for a prefix, the path for an exact
/// match, `regex R`; other conditions (headers, ...) are not shown, as in istioctl.
pub(super) fn match_cell(block: Option<&Match>) -> String {
    match block.and_then(|m| m.uri.as_ref()) {
        None | Some(StringMatcher::Present) => "/*".to_string(),
        Some(m @ StringMatcher::Prefix(_)) => format!("{}*", matcher_parts(m).1),
        Some(m @ StringMatcher::Exact(_)) => matcher_parts(m).1.to_string(),
        Some(m @ StringMatcher::Regex(_)) => format!("regex {}", matcher_parts(m).1),
    }
}

/// `istioctl proxy-config routes`: one row per match block of every rule, naming the
/// VirtualService behind it; a virtual host (or HTTP gateway listener) without rules shows
/// `/*` answered with `404`.
pub fn routes_table(config: &RouterConfig) -> String {
    let mut rows = vec![header(&[
        "NAME",
        "VHOST NAME",
        "DOMAINS",
        "MATCH",
        "VIRTUAL SERVICE",
    ])];
    for listener in &config.listeners {
        let Some(name) = route_config_name(listener) else {
            continue;
        };
        if listener.virtual_hosts.is_empty() {
            rows.push(vec![
                name.clone(),
                format!("blackhole:{}", listener.port),
                "*".to_string(),
                "/*".to_string(),
                "404".to_string(),
            ]);
        }
        for vhost in &listener.virtual_hosts {
            let domains = domains_cell(&vhost.domains);
            let row = |m: String, vs: String| {
                vec![name.clone(), vhost.name.clone(), domains.clone(), m, vs]
            };
            if vhost.routes.is_empty() {
                rows.push(row("/*".to_string(), "404".to_string()));
            }
            for route in &vhost.routes {
                let vs = config_ref(&route.source);
                if route.matches.is_empty() {
                    rows.push(row(match_cell(None), vs.clone()));
                }
                for block in &route.matches {
                    rows.push(row(match_cell(Some(block)), vs.clone()));
                }
            }
        }
    }
    tabulate(&rows)
}

/// The traffic direction of an Envoy cluster name (`outbound|80||host` → `outbound`).
fn direction(name: &str) -> &str {
    match name.split('|').collect::<Vec<_>>().as_slice() {
        [direction, _, _, _, ..] => direction,
        _ => "outbound",
    }
}

/// `istioctl proxy-config clusters`, sorted like istioctl (FQDN, subset, port, direction),
/// with the DestinationRule behind each cluster and its load balancer as a last LB column.
pub fn clusters_table(clusters: &[Cluster]) -> String {
    let mut sorted: Vec<&Cluster> = clusters.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |c: &&Cluster| {
            (
                c.host.clone(),
                c.subset.clone().unwrap_or_default(),
                c.port,
                direction(&c.name).to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    let mut rows = vec![header(&[
        "SERVICE FQDN",
        "PORT",
        "SUBSET",
        "DIRECTION",
        "TYPE",
        "DESTINATION RULE",
        "LB",
    ])];
    for c in sorted {
        rows.push(vec![
            c.host.clone(),
            c.port.to_string(),
            c.subset.clone().unwrap_or_else(|| "-".to_string()),
            direction(&c.name).to_string(),
            "EDS".to_string(),
            c.destination_rule
                .as_deref()
                .map(config_ref)
                .unwrap_or_default(),
            lb_text(&c.policy.lb),
        ]);
    }
    tabulate(&rows)
}

/// `istioctl proxy-config listeners`: every listener binds all addresses; HTTP ones point at
/// their route configuration, others carry no HTTP routes here.
pub fn listeners_table(config: &RouterConfig) -> String {
    let mut listeners: Vec<_> = config.listeners.iter().collect();
    listeners.sort_by_key(|l| l.port);
    let mut rows = vec![header(&["ADDRESSES", "PORT", "MATCH", "DESTINATION"])];
    for l in listeners {
        let destination = match route_config_name(l) {
            Some(name) => format!("Route: {name}"),
            None => "Non-HTTP/Non-TCP".to_string(),
        };
        rows.push(vec![
            "0.0.0.0".to_string(),
            l.port.to_string(),
            "ALL".to_string(),
            destination,
        ]);
    }
    tabulate(&rows)
}

/// `istioctl proxy-config endpoints`, sorted like istioctl (address, port, cluster).
pub fn endpoints_table(rows: &[(String, Endpoint, EndpointHealth)]) -> String {
    let mut sorted: Vec<&(String, Endpoint, EndpointHealth)> = rows.iter().collect();
    sorted.sort_by(|(ca, a, _), (cb, b, _)| {
        (a.address.ip().to_string(), a.address.port(), ca).cmp(&(
            b.address.ip().to_string(),
            b.address.port(),
            cb,
        ))
    });
    let mut out = vec![header(&["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"])];
    for (cluster, endpoint, health) in sorted {
        out.push(vec![
            endpoint.address.to_string(),
            if health.healthy {
                "HEALTHY"
            } else {
                "UNHEALTHY"
            }
            .to_string(),
            if health.ejected { "FAILED" } else { "OK" }.to_string(),
            cluster.clone(),
        ]);
    }
    tabulate(&out)
}
