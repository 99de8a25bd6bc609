//! Tracing one request through a compiled config: listener, virtual host, each rule tried
//! with the conditions that failed or held, and the resulting action with its policies.

use super::describe::{destination_cluster, matcher_parts, percent, policy_lines};
use super::{Outcome, RuleStep, Trace};
use crate::routes::{
    header_value, query_value, total_weight, virtual_host, Action, Match, RedirectPort, Request,
    Route, RouterConfig, StringMatcher,
};

/// Explains where `req`, arriving on listener `port`, goes, without sending it.
///
/// The virtual host and whether a rule matches are decided by the router itself
/// ([`virtual_host`], [`Route::matches_request`]); the reasons are re-derived condition by
/// condition so they can name what failed.
pub fn trace(config: &RouterConfig, port: u16, req: &Request) -> Trace {
    let mut out = Trace {
        request: format!(
            "{} {}://{}{}",
            req.method, req.scheme, req.authority, req.path
        ),
        listener: None,
        gateways: Vec::new(),
        virtual_host: None,
        steps: Vec::new(),
        outcome: Outcome::NoListener,
        notes: Vec::new(),
    };
    let Some(listener) = config.listeners.iter().find(|l| l.port == port) else {
        let ports: Vec<String> = config
            .listeners
            .iter()
            .map(|l| l.port.to_string())
            .collect();
        out.notes.push(if ports.is_empty() {
            format!("no listener on port {port}; the proxy has no listeners")
        } else {
            format!(
                "no listener on port {port}; listeners: {}",
                ports.join(", ")
            )
        });
        return out;
    };
    out.listener = Some(port);
    out.gateways = listener.gateways.clone();
    let Some(vhost) = virtual_host(config, port, req.authority) else {
        out.outcome = Outcome::NoVirtualHost {
            authority: req.authority.to_string(),
            domains: listener
                .virtual_hosts
                .iter()
                .flat_map(|v| v.domains.iter().cloned())
                .collect(),
        };
        return out;
    };
    out.virtual_host = Some(vhost.name.clone());
    if vhost.https_redirect && !req.scheme.eq_ignore_ascii_case("https") {
        out.notes.push(
            concat!(
                "the Gateway server sets tls.httpsRedirect: plain HTTP is redirected to https ",
                "before any rule is tried"
            )
            .to_string(),
        );
        let upgrade = Action::Redirect {
            scheme: Some("https".to_string()),
            authority: None,
            uri: None,
            port: Some(RedirectPort::FromProtocolDefault),
            code: 301,
        };
        out.outcome = Outcome::Redirect {
            location: upgrade.redirect_location(req).unwrap_or_default(),
            code: 301,
        };
        return out;
    }
    let names_gateways = vhost
        .routes
        .iter()
        .flat_map(|r| &r.matches)
        .any(|m| !m.gateways.is_empty());
    if names_gateways && req.gateway.is_none() && !listener.gateways.is_empty() {
        out.notes.push(
            "the request names no gateway, so match blocks listing gateways compare against mesh"
                .to_string(),
        );
    }
    for (index, route) in vhost.routes.iter().enumerate() {
        let matched = route.matches_request(req);
        out.steps.push(RuleStep {
            index,
            name: route.name.clone(),
            source: route.source.clone(),
            matched,
            reasons: route_reasons(route, req),
        });
        if matched {
            out.outcome = outcome_of(route, index, req);
            return out;
        }
    }
    out.outcome = Outcome::NoRoute;
    out
}

/// What a matched route does with `req`.
fn outcome_of(route: &Route, index: usize, req: &Request) -> Outcome {
    match &route.action {
        Action::Route(clusters) => {
            let total = total_weight(clusters);
            Outcome::Route {
                rule: index,
                clusters: clusters
                    .iter()
                    .map(|c| {
                        let share = if total == 0 {
                            0.0
                        } else {
                            f64::from(c.weight) * 100.0 / f64::from(total)
                        };
                        (destination_cluster(c), c.weight, share)
                    })
                    .collect(),
                rewrite: route.rewritten_path(req),
                policies: policy_lines(route),
            }
        }
        Action::Redirect { code, .. } => Outcome::Redirect {
            location: route.action.redirect_location(req).unwrap_or_default(),
            code: *code,
        },
        Action::DirectResponse { status, body } => Outcome::DirectResponse {
            status: *status,
            body: body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        },
    }
}

/// Why a route did or did not match: for each match block tried, in order, the conditions
/// that failed; for the block that matched, the conditions that held.
fn route_reasons(route: &Route, req: &Request) -> Vec<String> {
    if route.matches.is_empty() {
        return vec!["no match conditions: every request matches".to_string()];
    }
    let labelled = route.matches.len() > 1;
    let mut out = Vec::new();
    for (i, block) in route.matches.iter().enumerate() {
        let label = match (&block.name, labelled) {
            (Some(name), _) => format!("match[{i}] {name:?}: "),
            (None, true) => format!("match[{i}]: "),
            (None, false) => String::new(),
        };
        let matched = block.matches(req);
        let checks = block_checks(block, req);
        let relevant: Vec<&String> = checks
            .iter()
            .filter(|(held, _)| *held == matched)
            .map(|(_, text)| text)
            .collect();
        if relevant.is_empty() {
            // A block without conditions matches everything; a failing block with no failed
            // check would mean these checks and the router disagree.
            let text = if matched {
                "no conditions: every request matches"
            } else {
                "does not match"
            };
            out.push(format!("{label}{text}"));
        }
        out.extend(relevant.into_iter().map(|text| format!("{label}{text}")));
        if matched {
            break;
        }
    }
    out
}

/// Exact and prefix compare ASCII case-insensitively under `ignoreUriCase`; regex does not.
fn matches_ignoring_case(m: &StringMatcher, value: &str) -> bool {
    match m {
        StringMatcher::Exact(want) => value.eq_ignore_ascii_case(want),
        StringMatcher::Prefix(prefix) => value
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
        _ => m.matches(value),
    }
}

/// `"value" is [not] kind "pattern"`.
fn compare(value: &str, m: &StringMatcher, held: bool) -> String {
    let (kind, pattern) = matcher_parts(m);
    let not = if held { "" } else { "not " };
    format!("{value:?} is {not}{kind} {pattern:?}")
}

/// A condition on a value that must be present (`headers`, `queryParams`).
fn present_check(what: String, value: Option<&str>, m: &StringMatcher) -> (bool, String) {
    match (value, m) {
        (None, _) => (false, format!("{what}: absent")),
        (Some(_), StringMatcher::Present) => (true, format!("{what}: present")),
        (Some(v), m) => {
            let held = m.matches(v);
            (held, format!("{what}: {}", compare(v, m, held)))
        }
    }
}

/// Every condition of one match block with whether it holds for `req`.
fn block_checks(block: &Match, req: &Request) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let path = req.path.split(['?', '#']).next().unwrap_or(req.path);
    if let Some(m) = &block.uri {
        let (held, suffix) = if block.ignore_uri_case {
            (matches_ignoring_case(m, path), " (ignoring case)")
        } else {
            (m.matches(path), "")
        };
        out.push((held, format!("uri: {}{suffix}", compare(path, m, held))));
    }
    let plain = [
        ("scheme", &block.scheme, req.scheme),
        ("method", &block.method, req.method),
        ("authority", &block.authority, req.authority),
    ];
    for (what, m, value) in plain {
        if let Some(m) = m {
            let held = m.matches(value);
            out.push((held, format!("{what}: {}", compare(value, m, held))));
        }
    }
    for (name, m) in &block.headers {
        let value = header_value(req.headers, name);
        out.push(present_check(format!("header {name}"), value.as_deref(), m));
    }
    for (name, m) in &block.without_headers {
        let what = format!("withoutHeaders {name}");
        out.push(match (header_value(req.headers, name), m) {
            (None, StringMatcher::Present) => (true, format!("{what}: absent")),
            (None, _) => (
                false,
                format!("{what}: absent, but a value match needs the header"),
            ),
            (Some(_), StringMatcher::Present) => (false, format!("{what}: present")),
            (Some(v), m) => {
                let excluded = m.matches(&v);
                (!excluded, format!("{what}: {}", compare(&v, m, excluded)))
            }
        });
    }
    for (name, m) in &block.query_params {
        let value = query_value(req.path, name);
        out.push(present_check(format!("query param {name}"), value, m));
    }
    if let Some(want) = block.port {
        let held = want == req.port;
        let text = if held {
            format!("port: {want}")
        } else {
            format!("port: {} is not {want}", req.port)
        };
        out.push((held, text));
    }
    for (key, want) in &block.source_labels {
        out.push(match req.source_labels.get(key) {
            Some(v) if v == want => (true, format!("source label {key}={want}")),
            Some(v) => (false, format!("source label {key}: {v:?} is not {want:?}")),
            None => (false, format!("source label {key}: absent (want {want:?})")),
        });
    }
    if let Some(ns) = &block.source_namespace {
        let held = ns == req.source_namespace;
        let text = if held {
            format!("sourceNamespace: {ns}")
        } else {
            format!("sourceNamespace: {:?} is not {ns:?}", req.source_namespace)
        };
        out.push((held, text));
    }
    if !block.gateways.is_empty() {
        let via = req.gateway.unwrap_or("mesh");
        let held = block.gateways.iter().any(|g| g == via);
        let text = if held {
            format!("gateway: {via}")
        } else {
            format!(
                "gateway: came through {via}, not {}",
                block.gateways.join(" or ")
            )
        };
        out.push((held, text));
    }
    out
}

/// Readable multi-line text: the listener and virtual host, every rule tried in order with
/// why it failed (or matched), then what happens.
pub fn render_trace(t: &Trace) -> String {
    let mut out = format!("request: {}\n", t.request);
    match t.listener {
        Some(port) if t.gateways.is_empty() => {
            out.push_str(&format!("listener: {port} (sidecar)\n"));
        }
        Some(port) => out.push_str(&format!(
            "listener: {port} (gateway {})\n",
            t.gateways.join(", ")
        )),
        None => out.push_str("listener: none\n"),
    }
    if let Some(vhost) = &t.virtual_host {
        out.push_str(&format!("virtual host: {vhost}\n"));
    }
    for note in &t.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for step in &t.steps {
        out.push_str(&format!("rule {}", step.index));
        if let Some(name) = &step.name {
            out.push_str(&format!(" {name:?}"));
        }
        if !step.source.is_empty() {
            out.push_str(&format!(" ({})", step.source));
        }
        out.push_str(if step.matched {
            ": matched\n"
        } else {
            ": no match\n"
        });
        for reason in &step.reasons {
            out.push_str(&format!("    {reason}\n"));
        }
    }
    out.push_str(&render_outcome(&t.outcome));
    out
}

fn render_outcome(outcome: &Outcome) -> String {
    match outcome {
        Outcome::NoListener => "result: connection refused: nothing listens on this port\n".into(),
        Outcome::NoVirtualHost { authority, domains } => {
            let known = if domains.is_empty() {
                "(none)".to_string()
            } else {
                domains.join(", ")
            };
            format!(
                "result: 404 NR: no virtual host for authority {authority:?}\n    domains: {known}\n"
            )
        }
        Outcome::NoRoute => "result: 404 NR: no rule matched\n".into(),
        Outcome::Route {
            rule,
            clusters,
            rewrite,
            policies,
        } => {
            let mut out = format!("result: rule {rule} forwards to\n");
            let width = clusters
                .iter()
                .map(|(c, _, _)| c.chars().count())
                .max()
                .unwrap_or(0);
            for (cluster, weight, share) in clusters {
                out.push_str(&format!(
                    "    {cluster:<width$}  weight {weight} ({}%)\n",
                    percent(*share)
                ));
            }
            if let Some(path) = rewrite {
                out.push_str(&format!("    path rewritten to {path}\n"));
            }
            for line in policies {
                out.push_str(&format!("    {line}\n"));
            }
            out
        }
        Outcome::Redirect { location, code } => {
            format!("result: redirect {code} to {location}\n")
        }
        Outcome::DirectResponse { status, body } => {
            let mut out = format!("result: direct response {status}\n");
            if let Some(body) = body {
                out.push_str(&format!("    body: {body:?}\n"));
            }
            out
        }
    }
}
