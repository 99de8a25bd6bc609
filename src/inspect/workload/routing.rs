//! The DestinationRule and VirtualService parts of a description: which objects a proxy ties to
//! a Service port, which subsets hold the described pods, and what each route does for them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::objects::{name_of, namespace_of, selects};
use super::text::{fault_text, l4_match_text, policy_lines, render_match, render_matches};
use super::{Out, Scope, LEVEL1};
use crate::api::istio::{ClientTlsMode, DestinationRule, HttpRoute, TcpRoute, VirtualService};
use crate::routes::{
    cluster_policy, resolve_short_name, Action, ClusterPolicy, RouterConfig, CLUSTER_DOMAIN,
};

/// Indentation of istioctl's second nesting level.
const LEVEL2: usize = 6;

/// The subsets of a DestinationRule split by whether any described pod carries their labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Subsets {
    pub matching: Vec<String>,
    pub other: Vec<String>,
}

/// A DestinationRule as a description shows it.
pub(super) struct DestinationView {
    /// `name[.namespace]`.
    name: String,
    rule: DestinationRule,
}

/// A VirtualService as a description shows it.
pub(super) struct VirtualServiceView {
    /// `name[.namespace]`.
    name: String,
    namespace: String,
    spec: VirtualService,
}

/// The object of `list` whose `namespace/name` is `key`, with its spec as `T`.
fn find_spec<'a, T: serde::de::DeserializeOwned>(
    list: &'a [Value],
    key: &str,
) -> Option<(&'a Value, T)> {
    let obj = list
        .iter()
        .find(|o| format!("{}/{}", namespace_of(o), name_of(o)) == key)?;
    let spec = serde_json::from_value(obj.get("spec")?.clone()).ok()?;
    Some((obj, spec))
}

// === impl DestinationView ===

impl DestinationView {
    /// DestinationRule `ns/name` of the snapshot; `None` when missing or unreadable.
    pub fn find(scope: &Scope, key: &str) -> Option<Self> {
        let (obj, rule) = find_spec(&scope.s.destination_rules, key)?;
        Some(Self {
            name: scope.kname(&name_of(obj), &namespace_of(obj)),
            rule,
        })
    }

    /// The subsets, in order, split by whether they select any of `pods_labels`.
    pub fn subsets(&self, pods_labels: &[BTreeMap<String, String>]) -> Subsets {
        let mut out = Subsets::default();
        for subset in &self.rule.subsets {
            let name = subset.name.clone().unwrap_or_default();
            if pods_labels.iter().any(|l| selects(&subset.labels, l)) {
                out.matching.push(name);
            } else {
                out.other.push(name);
            }
        }
        out
    }

    /// istioctl's DestinationRule block, followed by the policy that meshlite's proxies apply
    /// to the described pods' clusters on `port`.
    pub fn print(&self, out: &mut Out, indent: usize, subsets: &Subsets, port: u16) {
        let host = self.rule.host.as_deref().unwrap_or_default();
        out.line(
            indent,
            &format!("DestinationRule: {} for \"{host}\"", self.name),
        );
        if !subsets.matching.is_empty() || !subsets.other.is_empty() {
            let other = subsets.other.join(",");
            if subsets.matching.is_empty() {
                out.line(
                    indent + LEVEL1,
                    &format!(
                        "WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets {other})"
                    ),
                );
            }
            out.line(
                indent + LEVEL1,
                &format!("Matching subsets: {}", subsets.matching.join(",")),
            );
            if !subsets.other.is_empty() {
                out.line(indent + LEVEL2, &format!("(Non-matching subsets {other})"));
            }
        }
        match &self.rule.traffic_policy {
            None => out.line(indent + LEVEL1, "No Traffic Policy"),
            Some(tp) => {
                if let Some(tls) = &tp.tls {
                    out.line(
                        indent + LEVEL1,
                        &format!("Traffic Policy TLS Mode: {}", tls_mode(tls.mode)),
                    );
                }
                let short = short_policies(
                    tp.load_balancer.is_some(),
                    tp.connection_pool.is_some(),
                    tp.outlier_detection.is_some(),
                );
                if let Some(short) = short {
                    out.line(indent + LEVEL1, &short);
                }
                let port_level = tp.port_level_settings.as_deref().unwrap_or_default();
                if !port_level.is_empty() {
                    out.line(indent + LEVEL1, "Port Level Settings:");
                    for ps in port_level {
                        let number = ps.port.as_ref().map_or(0, |p| p.number);
                        // istioctl indents the port heading by a fixed four spaces.
                        out.line(4, &format!("{number}:"));
                        if let Some(tls) = &ps.tls {
                            out.line(
                                indent + LEVEL2,
                                &format!("TLS Mode: {}", tls_mode(tls.mode)),
                            );
                        }
                        let short = short_policies(
                            ps.load_balancer.is_some(),
                            ps.connection_pool.is_some(),
                            ps.outlier_detection.is_some(),
                        );
                        if let Some(short) = short {
                            out.line(indent + LEVEL2, &short);
                        }
                    }
                }
            }
        }
        self.print_effective(out, indent, subsets, port);
    }

    /// The merged policy (top level, port level, subset) of each matching subset's cluster, or
    /// of the subset-less cluster when no subset matches; subsets with equal policies share a
    /// block and Envoy's defaults print nothing.
    fn print_effective(&self, out: &mut Out, indent: usize, subsets: &Subsets, port: u16) {
        let candidates: Vec<Option<&str>> = if subsets.matching.is_empty() {
            vec![None]
        } else {
            subsets.matching.iter().map(|s| Some(s.as_str())).collect()
        };
        let mut groups: Vec<(ClusterPolicy, Vec<&str>)> = Vec::new();
        for subset in candidates {
            let policy = cluster_policy(Some(&self.rule), port, subset);
            if policy == ClusterPolicy::default() {
                continue;
            }
            let names: Vec<&str> = subset.into_iter().collect();
            match groups.iter_mut().find(|(p, _)| *p == policy) {
                Some((_, group)) => group.extend(names),
                None => groups.push((policy, names)),
            }
        }
        for (policy, names) in groups {
            let heading = match names.as_slice() {
                [] => "Effective Traffic Policy:".to_string(),
                [one] => format!("Effective Traffic Policy (subset {one}):"),
                many => format!("Effective Traffic Policy (subsets {}):", many.join(",")),
            };
            out.line(indent + LEVEL1, &heading);
            for line in policy_lines(&policy) {
                out.line(indent + LEVEL2, &line);
            }
        }
    }
}

/// The TLS mode as written in the API (`ISTIO_MUTUAL`, ...).
fn tls_mode(mode: ClientTlsMode) -> String {
    serde_json::to_value(mode)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// istioctl's `Policies: load balancer/connection pool/outlier detection` for the parts set.
fn short_policies(lb: bool, pool: bool, outlier: bool) -> Option<String> {
    let parts: Vec<&str> = [
        (lb, "load balancer"),
        (pool, "connection pool"),
        (outlier, "outlier detection"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    (!parts.is_empty()).then(|| format!("Policies: {}", parts.join("/")))
}

// === impl VirtualServiceView ===

impl VirtualServiceView {
    /// VirtualService `ns/name` of the snapshot; `None` when missing or unreadable.
    pub fn find(scope: &Scope, key: &str) -> Option<Self> {
        let (obj, spec) = find_spec(&scope.s.virtual_services, key)?;
        let namespace = namespace_of(obj);
        Some(Self {
            name: scope.kname(&name_of(obj), &namespace),
            namespace,
            spec,
        })
    }

    /// The Gateways it binds to as `ns/name`, without `mesh`.
    pub fn gateways(&self) -> Vec<String> {
        self.spec
            .gateways
            .iter()
            .filter(|g| !g.is_empty() && *g != "mesh")
            .map(|g| {
                if g.contains('/') {
                    g.clone()
                } else {
                    format!("{}/{g}", self.namespace)
                }
            })
            .collect()
    }

    /// istioctl's VirtualService block: the routes that reach the described pods (with their
    /// weights and matches), or why none does.
    pub fn print(
        &self,
        out: &mut Out,
        indent: usize,
        fqdn: &str,
        subsets: &Subsets,
        dr: Option<&DestinationView>,
    ) {
        out.line(indent, &format!("VirtualService: {}", self.name));
        let mut matches = 0;
        let mut facts = 0;
        let mut mismatches = Vec::new();
        let http = self
            .spec
            .http
            .iter()
            .map(|r| self.http_facts(r, fqdn, subsets, dr));
        let tcp = self.spec.tcp.iter().map(|r| self.tcp_facts(r, fqdn));
        for (matched, lines) in http.chain(tcp) {
            if matched {
                matches += 1;
                for line in &lines {
                    out.line(indent + LEVEL1, line);
                    facts += 1;
                }
            } else {
                mismatches.extend(lines);
            }
        }
        let (http, tls, tcp) = (
            self.spec.http.len(),
            self.spec.tls.len(),
            self.spec.tcp.len(),
        );
        if matches == 0 {
            for (count, kind) in [(http, "HTTP"), (tcp, "TCP")] {
                if count > 0 {
                    out.line(
                        indent + LEVEL1,
                        &format!("WARNING: No destinations match pod subsets (checked {count} {kind} routes)"),
                    );
                }
            }
            for note in &mismatches {
                out.line(indent + LEVEL2, note);
            }
            return;
        }
        let possible = http + tls + tcp;
        if matches < possible {
            // An earlier rule may capture the traffic, so no promise is made for the rest.
            out.line(
                indent + LEVEL1,
                &format!(
                    "{} additional destination(s) that will not reach this pod",
                    possible - matches
                ),
            );
            if facts == 0 {
                for note in &mismatches {
                    out.line(indent + LEVEL2, note);
                }
            }
            return;
        }
        if facts == 0 {
            for (count, kind) in [(http, "HTTP"), (tcp, "TCP")] {
                if count > 0 {
                    out.line(indent + LEVEL1, &format!("{count} {kind} route(s)"));
                }
            }
        }
    }

    /// Whether an HTTP rule sends traffic to the described pods, and what to say about it.
    fn http_facts(
        &self,
        route: &HttpRoute,
        fqdn: &str,
        subsets: &Subsets,
        dr: Option<&DestinationView>,
    ) -> (bool, Vec<String>) {
        let mut facts = Vec::new();
        let mut mismatches = Vec::new();
        let mut matched = false;
        for dest in &route.route {
            let Some(d) = &dest.destination else {
                continue;
            };
            let host = d.host.as_deref().unwrap_or_default();
            let subset = d.subset.as_str();
            if self.names(host, fqdn) {
                if !subset.is_empty() {
                    if subsets.other.iter().any(|s| s == subset) {
                        mismatches.push(format!(
                            "Route to non-matching subset {subset} for ({})",
                            render_matches(&route.match_)
                        ));
                        continue;
                    }
                    if !subsets.matching.iter().any(|s| s == subset) {
                        mismatches.push(match dr {
                            None => format!("Warning: Route to subset {subset} but NO DESTINATION RULE defining subsets!"),
                            Some(dr) => format!("Warning: Route to UNKNOWN subset {subset}; check DestinationRule {}", dr.name),
                        });
                        continue;
                    }
                }
                matched = true;
                if dest.weight > 0 {
                    let mut fact = format!("Route to host \"{host}\"");
                    if !subset.is_empty() {
                        fact.push_str(&format!(" subset \"{subset}\""));
                    }
                    fact.push_str(&format!(" with weight {}%", dest.weight));
                    facts.push(fact);
                }
            } else if subset.is_empty() {
                facts.push(format!(
                    "Route to host \"{host}\" with weight {}%",
                    dest.weight
                ));
            } else {
                facts.push(format!("Route to {host} with invalid config"));
            }
        }
        if matched {
            let mut conditions = Vec::new();
            if let Some(fault) = &route.fault {
                conditions.push(format!("Fault injection {}", fault_text(fault)));
            }
            conditions.extend(route.match_.iter().map(render_match));
            if !conditions.is_empty() {
                facts.push(conditions.join(", "));
            }
        } else {
            facts.extend(mismatches);
        }
        (matched, facts)
    }

    /// Whether a TCP rule sends to the Service, with its match blocks as facts.
    fn tcp_facts(&self, route: &TcpRoute, fqdn: &str) -> (bool, Vec<String>) {
        let matched = route.route.iter().any(|dest| {
            dest.destination
                .as_ref()
                .is_some_and(|d| self.names(d.host.as_deref().unwrap_or_default(), fqdn))
        });
        let facts = if matched {
            route.match_.iter().map(l4_match_text).collect()
        } else {
            Vec::new()
        };
        (matched, facts)
    }

    /// Whether destination `host`, written in this VirtualService, is the Service `fqdn`:
    /// short names are expanded in the VirtualService's namespace and `.svc.cluster.local` is
    /// added when missing, as istioctl compares them.
    fn names(&self, host: &str, fqdn: &str) -> bool {
        if host.is_empty() {
            return false;
        }
        let resolved = resolve_short_name(host, &self.namespace);
        let suffix = format!(".svc.{CLUSTER_DOMAIN}");
        let extended = if resolved.starts_with('*') || resolved.ends_with(&suffix) {
            resolved
        } else {
            format!("{resolved}{suffix}")
        };
        extended == fqdn
    }
}

/// `ns/name` of the VirtualService behind the first route of `config` that concerns Service
/// `fqdn:port`: a route of the Service's own virtual host, or one whose first destination is
/// that Service port. `listener` limits the search to one listener port (sidecars use the
/// Service port's route table). `None` also when that route comes from no VirtualService.
pub(super) fn route_source(
    config: &RouterConfig,
    listener: Option<u16>,
    fqdn: &str,
    port: u16,
) -> Option<String> {
    let listeners = config
        .listeners
        .iter()
        .filter(|l| listener.is_none_or(|p| l.port == p));
    for vhost in listeners.flat_map(|l| &l.virtual_hosts) {
        let own_host = vhost.domains.iter().any(|d| d.eq_ignore_ascii_case(fqdn));
        for route in &vhost.routes {
            let to_service = match &route.action {
                Action::Route(clusters) => clusters
                    .first()
                    .is_some_and(|c| c.host.eq_ignore_ascii_case(fqdn) && c.port == Some(port)),
                _ => false,
            };
            if own_host || to_service {
                return (!route.source.is_empty()).then(|| route.source.clone());
            }
        }
    }
    None
}
