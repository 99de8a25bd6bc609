//! One VirtualService's HTTP rules as [`Route`]s: matches, actions, destinations, subsets.

use std::collections::BTreeMap;

use serde_json::Value;

use super::hosts::{fqdn_namespace, host_matches, resolve_short_name};
use super::policy::build_policy;
use super::{Action, Match, RedirectPort, Rewrite, Route, RouteError, WeightedCluster};
use crate::api::istio::{
    Destination, DestinationRule, HttpRoute, RedirectPortSelection, VirtualService,
};

/// Namespace Istio treats as the root of the mesh config.
const ROOT_NAMESPACE: &str = "istio-system";

/// `metadata` fields the compiler needs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meta {
    pub name: String,
    pub namespace: String,
    pub created: String,
}

// === impl Meta ===

impl Meta {
    pub fn of(obj: &Value) -> Self {
        let text = |key: &str| {
            obj.pointer(&format!("/metadata/{key}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let namespace = text("namespace");
        Self {
            name: text("name"),
            namespace: if namespace.is_empty() {
                "default".to_string()
            } else {
                namespace
            },
            created: text("creationTimestamp"),
        }
    }

    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Deserializes the `spec` of `obj`; a missing spec is the default model.
pub(crate) fn spec_of<T: serde::de::DeserializeOwned + Default>(
    kind: &'static str,
    obj: &Value,
) -> Result<T, RouteError> {
    match obj.get("spec") {
        None | Some(Value::Null) => Ok(T::default()),
        Some(spec) => serde_json::from_value(spec.clone()).map_err(|e| RouteError::InvalidSpec {
            kind,
            name: Meta::of(obj).key(),
            message: e.to_string(),
        }),
    }
}

/// A Service as far as routing cares: its FQDN and ports.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServiceInfo {
    pub meta: Meta,
    pub fqdn: String,
    /// (port, name, appProtocol)
    pub ports: Vec<(u16, String, String)>,
}

// === impl ServiceInfo ===

impl ServiceInfo {
    pub fn of(obj: &Value) -> Self {
        let meta = Meta::of(obj);
        let fqdn = resolve_short_name(&meta.name, &meta.namespace);
        let ports = obj
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(|ports| {
                ports
                    .iter()
                    .filter_map(|p| {
                        let number = u16::try_from(p.get("port")?.as_u64()?).ok()?;
                        let text = |k: &str| {
                            p.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        Some((number, text("name"), text("appProtocol")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { meta, fqdn, ports }
    }
}

/// The parsed objects of a snapshot plus the warnings collected while compiling.
pub(crate) struct Context {
    pub virtual_services: Vec<(Meta, VirtualService)>,
    pub destination_rules: Vec<(Meta, String, DestinationRule)>,
    pub services: Vec<ServiceInfo>,
    pub warnings: Vec<String>,
}

// === impl Context ===

impl Context {
    pub fn new(s: &super::Snapshot) -> Self {
        let mut warnings = Vec::new();
        let mut virtual_services: Vec<(Meta, VirtualService)> = s
            .virtual_services
            .iter()
            .filter_map(|obj| match spec_of("VirtualService", obj) {
                Ok(spec) => Some((Meta::of(obj), spec)),
                Err(e) => {
                    warnings.push(e.to_string());
                    None
                }
            })
            .collect();
        // Merged rules follow creation order, ties broken by name then namespace.
        virtual_services.sort_by(|(a, _), (b, _)| {
            (&a.created, &a.name, &a.namespace).cmp(&(&b.created, &b.name, &b.namespace))
        });
        let destination_rules = s
            .destination_rules
            .iter()
            .filter_map(
                |obj| match spec_of::<DestinationRule>("DestinationRule", obj) {
                    Ok(spec) => {
                        let meta = Meta::of(obj);
                        let host = resolve_short_name(
                            spec.host.as_deref().unwrap_or_default(),
                            &meta.namespace,
                        );
                        Some((meta, host, spec))
                    }
                    Err(e) => {
                        warnings.push(e.to_string());
                        None
                    }
                },
            )
            .collect();
        let services = s.services.iter().map(ServiceInfo::of).collect();
        Self {
            virtual_services,
            destination_rules,
            services,
            warnings,
        }
    }

    pub fn service(&self, fqdn: &str) -> Option<&ServiceInfo> {
        self.services
            .iter()
            .find(|s| s.fqdn.eq_ignore_ascii_case(fqdn))
    }

    /// The DestinationRule that applies to `host` for a client in `client_ns`: the client's
    /// namespace first, then the host's, then the root namespace; exact host before wildcard.
    pub(crate) fn destination_rule(
        &self,
        host: &str,
        client_ns: &str,
    ) -> Option<&(Meta, String, DestinationRule)> {
        let host_ns = fqdn_namespace(host).unwrap_or(client_ns);
        [client_ns, host_ns, ROOT_NAMESPACE].iter().find_map(|ns| {
            self.destination_rules
                .iter()
                .filter(|(m, h, dr)| {
                    m.namespace == *ns && dr.workload_selector.is_none() && host_matches(host, h)
                })
                .max_by_key(|(_, h, _)| (!h.starts_with('*'), h.len()))
        })
    }

    /// Resolves a destination written in a VirtualService of `vs_ns`.
    pub fn cluster(
        &mut self,
        dest: &Destination,
        vs_ns: &str,
        client_ns: &str,
        source: &str,
    ) -> WeightedCluster {
        let host = resolve_short_name(dest.host.as_deref().unwrap_or_default(), vs_ns);
        let mut port = dest
            .port
            .as_ref()
            .and_then(|p| u16::try_from(p.number).ok());
        match self.service(&host) {
            Some(svc) if port.is_none() && svc.ports.len() == 1 => {
                port = svc.ports.first().map(|p| p.0);
            }
            Some(_) => {}
            None if host.ends_with(&format!(".svc.{}", super::CLUSTER_DOMAIN)) => {
                self.warnings.push(format!(
                    "VirtualService {source}: destination host {host} not found"
                ));
            }
            None => {}
        }
        let subset = (!dest.subset.is_empty()).then(|| dest.subset.clone());
        let mut subset_labels = BTreeMap::new();
        if let Some(name) = &subset {
            let found = self
                .destination_rule(&host, client_ns)
                .and_then(|(_, _, dr)| {
                    dr.subsets
                        .iter()
                        .find(|s| s.name.as_deref() == Some(name.as_str()))
                });
            match found {
                Some(s) => subset_labels = s.labels.clone(),
                None => self.warnings.push(format!(
                    "VirtualService {source}: subset {name} of host {host} not found in any DestinationRule"
                )),
            }
        }
        WeightedCluster {
            host,
            port,
            subset,
            subset_labels,
            weight: 0,
            headers: None,
        }
    }
}

/// Qualifies a gateway reference of a VirtualService in `ns` (`mesh` stays as is).
pub(crate) fn qualify_gateway(name: &str, ns: &str) -> String {
    if name == "mesh" || name.contains('/') {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// Builds the routes of `vs` that apply where the gateways in `here` are in effect
/// (`["mesh"]` for sidecars). `port` (sidecars) drops match blocks for other ports.
pub(crate) fn build_routes(
    ctx: &mut Context,
    meta: &Meta,
    vs: &VirtualService,
    here: &[String],
    port: Option<u16>,
    client_ns: &str,
) -> Vec<Route> {
    let source = meta.key();
    let mut routes = Vec::new();
    for (index, rule) in vs.http.iter().enumerate() {
        match build_route(ctx, meta, rule, here, port, client_ns) {
            Ok(Some(route)) => routes.push(route),
            Ok(None) => {}
            Err(e) => ctx
                .warnings
                .push(format!("VirtualService {source}: http[{index}]: {e}")),
        }
    }
    routes
}

fn build_route(
    ctx: &mut Context,
    meta: &Meta,
    rule: &HttpRoute,
    here: &[String],
    port: Option<u16>,
    client_ns: &str,
) -> Result<Option<Route>, RouteError> {
    let source = meta.key();
    let mut matches = Vec::new();
    for m in &rule.match_ {
        let gateways: Vec<String> = m
            .gateways
            .iter()
            .map(|g| qualify_gateway(g, &meta.namespace))
            .collect();
        // Match-level gateways override the VirtualService's for this block.
        if !gateways.is_empty() && !gateways.iter().any(|g| here.contains(g)) {
            continue;
        }
        let compiled = Match::compile(m, gateways)?;
        if matches!((compiled.port, port), (Some(want), Some(have)) if want != have) {
            continue;
        }
        matches.push(compiled);
    }
    if !rule.match_.is_empty() && matches.is_empty() {
        return Ok(None);
    }
    let name = (!rule.name.is_empty()).then(|| rule.name.clone());
    let action = if let Some(r) = &rule.redirect {
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Action::Redirect {
            scheme: nonempty(&r.scheme),
            authority: nonempty(&r.authority),
            uri: nonempty(&r.uri),
            port: match (r.port, r.derive_port) {
                (Some(p), _) => u16::try_from(p).ok().map(RedirectPort::Fixed),
                (None, Some(RedirectPortSelection::FromProtocolDefault)) => {
                    Some(RedirectPort::FromProtocolDefault)
                }
                (None, Some(RedirectPortSelection::FromRequestPort)) => {
                    Some(RedirectPort::FromRequestPort)
                }
                (None, None) => None,
            },
            code: match r.redirect_code {
                0 => 301,
                c => u16::try_from(c).unwrap_or(301),
            },
        }
    } else if let Some(d) = &rule.direct_response {
        let body = d.body.as_ref().and_then(|b| match (&b.string, &b.bytes) {
            (Some(s), _) => Some(s.as_bytes().to_vec()),
            (None, Some(encoded)) => super::base64::decode(encoded),
            (None, None) => None,
        });
        Action::DirectResponse {
            status: d.status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
            body,
        }
    } else if !rule.route.is_empty() {
        let mut clusters = Vec::new();
        for dest in &rule.route {
            let Some(d) = &dest.destination else {
                ctx.warnings.push(format!(
                    "VirtualService {source}: route destination without host dropped"
                ));
                continue;
            };
            let mut cluster = ctx.cluster(d, &meta.namespace, client_ns, &source);
            cluster.weight = u32::try_from(dest.weight).unwrap_or(0);
            cluster.headers = dest.headers.clone();
            clusters.push(cluster);
        }
        if let [only] = clusters.as_mut_slice() {
            only.weight = 100;
        } else if !clusters.is_empty() && clusters.iter().all(|c| c.weight == 0) {
            ctx.warnings.push(format!(
                "VirtualService {source}: all destination weights are 0; splitting evenly"
            ));
            clusters.iter_mut().for_each(|c| c.weight = 1);
        }
        Action::Route(clusters)
    } else if rule.delegate.is_some() {
        ctx.warnings.push(format!(
            "VirtualService {source}: delegate is not supported; rule skipped"
        ));
        return Ok(None);
    } else {
        ctx.warnings.push(format!(
            "VirtualService {source}: HTTP route, redirect or direct_response is required"
        ));
        return Ok(None);
    };
    let rewrite = match (&rule.rewrite, &action) {
        (Some(rw), Action::Route(_)) => Some(Rewrite {
            uri: (!rw.uri.is_empty()).then(|| rw.uri.clone()),
            authority: (!rw.authority.is_empty()).then(|| rw.authority.clone()),
            uri_regex: rw
                .uri_regex_rewrite
                .as_ref()
                .map(|r| {
                    // Envoy's regex rewrite substitutes `\1`; the regex crate wants `${1}`.
                    let replacement = backrefs_to_regex_crate(&r.rewrite);
                    Ok::<_, RouteError>((unanchored_regex(&r.match_)?, replacement))
                })
                .transpose()?,
        }),
        _ => None,
    };
    let policy = {
        let mut pending = Vec::new();
        let ns = meta.namespace.clone();
        let policy = build_policy(
            rule,
            &mut |d| ctx.cluster(d, &ns, client_ns, &source),
            &mut |w| pending.push(w),
        );
        for w in pending {
            ctx.warnings.push(format!("VirtualService {source}: {w}"));
        }
        policy
    };
    Ok(Some(Route {
        name,
        matches,
        action,
        rewrite,
        policy,
        source,
    }))
}

/// `uriRegexRewrite.match` is a search pattern (Envoy `regex_rewrite`), not a full match.
fn unanchored_regex(pattern: &str) -> Result<regex::Regex, RouteError> {
    regex::Regex::new(pattern).map_err(|e| RouteError::InvalidRegex {
        pattern: pattern.to_string(),
        source: Box::new(e),
    })
}

/// Converts `\1`-style back-references to `${1}`; `$` is escaped so it stays literal.
fn backrefs_to_regex_crate(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            '$' => out.push_str("$$"),
            other => out.push(other),
        }
    }
    out
}
