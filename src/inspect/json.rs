//! `-o json` dumps of compiled routes and clusters, in Istio's camelCase vocabulary.
//!
//! The compiled types are not `Serialize` (regexes, durations), so the documents are built
//! field by field; empty and unset fields are left out to keep dumps readable.

use serde_json::{json, Map, Value};

use super::describe::{destination_cluster, duration, matcher_model};
use super::describe::{lb_name, route_config_name};
use crate::routes::{
    Action, Cluster, ClusterPolicy, Endpoint, HashKey, LbPolicy, Listener, Match, RedirectPort,
    Route, RouterConfig, StringMatcher, VirtualHost, WeightedCluster,
};

/// Inserts `value` under `key` unless it is null, an empty string, array or object.
fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        map.insert(key.to_string(), value);
    }
}

/// Serializes an API model without its empty fields (the models emit every list and map).
/// These models always serialize; a failure would yield null.
fn model<T: serde::Serialize>(value: &T) -> Value {
    prune(serde_json::to_value(value).unwrap_or(Value::Null))
}

/// Drops nulls, empty strings, arrays and objects, recursively.
fn prune(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                put(&mut out, &k, prune(v));
            }
            Value::Object(out)
        }
        Value::Array(list) => Value::Array(list.into_iter().map(prune).collect()),
        other => other,
    }
}

fn matcher_map(pairs: &[(String, StringMatcher)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, m)| (k.clone(), model(&matcher_model(m))))
            .collect(),
    )
}

fn match_json(m: &Match) -> Value {
    let mut out = Map::new();
    let opt =
        |m: &Option<StringMatcher>| m.as_ref().map_or(Value::Null, |m| model(&matcher_model(m)));
    put(&mut out, "name", json!(m.name));
    put(&mut out, "uri", opt(&m.uri));
    put(&mut out, "scheme", opt(&m.scheme));
    put(&mut out, "method", opt(&m.method));
    put(&mut out, "authority", opt(&m.authority));
    put(&mut out, "headers", matcher_map(&m.headers));
    put(&mut out, "withoutHeaders", matcher_map(&m.without_headers));
    put(&mut out, "queryParams", matcher_map(&m.query_params));
    put(&mut out, "port", json!(m.port));
    if m.ignore_uri_case {
        out.insert("ignoreUriCase".to_string(), json!(true));
    }
    put(&mut out, "sourceLabels", json!(m.source_labels));
    put(&mut out, "sourceNamespace", json!(m.source_namespace));
    put(&mut out, "gateways", json!(m.gateways));
    Value::Object(out)
}

fn destination_json(c: &WeightedCluster) -> Value {
    let mut out = Map::new();
    out.insert("cluster".to_string(), json!(destination_cluster(c)));
    out.insert("host".to_string(), json!(c.host));
    put(&mut out, "port", json!(c.port));
    put(&mut out, "subset", json!(c.subset));
    put(&mut out, "subsetLabels", json!(c.subset_labels));
    out.insert("weight".to_string(), json!(c.weight));
    put(
        &mut out,
        "headers",
        c.headers.as_ref().map_or(Value::Null, model),
    );
    Value::Object(out)
}

/// The action, under the HTTPRoute key it came from (`route`, `redirect`, `directResponse`).
fn action_json(action: &Action, out: &mut Map<String, Value>) {
    match action {
        Action::Route(clusters) => {
            let list: Vec<Value> = clusters.iter().map(destination_json).collect();
            out.insert("route".to_string(), Value::Array(list));
        }
        Action::Redirect {
            scheme,
            authority,
            uri,
            port,
            code,
        } => {
            let mut r = Map::new();
            put(&mut r, "scheme", json!(scheme));
            put(&mut r, "authority", json!(authority));
            put(&mut r, "uri", json!(uri));
            match port {
                Some(RedirectPort::Fixed(p)) => put(&mut r, "port", json!(p)),
                Some(RedirectPort::FromProtocolDefault) => {
                    put(&mut r, "derivePort", json!("FROM_PROTOCOL_DEFAULT"));
                }
                Some(RedirectPort::FromRequestPort) => {
                    put(&mut r, "derivePort", json!("FROM_REQUEST_PORT"));
                }
                None => {}
            }
            r.insert("redirectCode".to_string(), json!(code));
            out.insert("redirect".to_string(), Value::Object(r));
        }
        Action::DirectResponse { status, body } => {
            let mut d = Map::new();
            d.insert("status".to_string(), json!(status));
            if let Some(body) = body {
                let text = String::from_utf8_lossy(body);
                d.insert("body".to_string(), json!({ "string": text }));
            }
            out.insert("directResponse".to_string(), Value::Object(d));
        }
    }
}

fn route_json(route: &Route) -> Value {
    let mut out = Map::new();
    put(&mut out, "name", json!(route.name));
    put(&mut out, "virtualService", json!(route.source));
    let matches: Vec<Value> = route.matches.iter().map(match_json).collect();
    put(&mut out, "match", Value::Array(matches));
    action_json(&route.action, &mut out);
    if let Some(rw) = &route.rewrite {
        let mut r = Map::new();
        put(&mut r, "uri", json!(rw.uri));
        put(&mut r, "authority", json!(rw.authority));
        if let Some((re, replacement)) = &rw.uri_regex {
            r.insert(
                "uriRegexRewrite".to_string(),
                json!({ "match": re.as_str(), "rewrite": replacement }),
            );
        }
        put(&mut out, "rewrite", Value::Object(r));
    }
    let p = &route.policy;
    put(&mut out, "timeout", json!(p.timeout.map(duration)));
    if let Some(r) = &p.retries {
        let mut retries = Map::new();
        retries.insert("attempts".to_string(), json!(r.attempts));
        put(
            &mut retries,
            "perTryTimeout",
            json!(r.per_try_timeout.map(duration)),
        );
        put(&mut retries, "retryOn", json!(r.retry_on.join(",")));
        out.insert("retries".to_string(), Value::Object(retries));
    }
    if let Some(f) = &p.fault {
        let mut fault = Map::new();
        if let Some(d) = &f.delay {
            let delay = json!({ "fixedDelay": duration(d.duration), "percentage": d.percentage });
            fault.insert("delay".to_string(), delay);
        }
        if let Some(a) = &f.abort {
            let mut abort = Map::new();
            put(&mut abort, "httpStatus", json!(a.http_status));
            put(&mut abort, "grpcStatus", json!(a.grpc_status));
            abort.insert("percentage".to_string(), json!(a.percentage));
            fault.insert("abort".to_string(), Value::Object(abort));
        }
        put(&mut out, "fault", Value::Object(fault));
    }
    let mirrors: Vec<Value> = p
        .mirrors
        .iter()
        .map(|m| json!({ "cluster": destination_cluster(&m.cluster), "percentage": m.percentage }))
        .collect();
    put(&mut out, "mirrors", Value::Array(mirrors));
    put(
        &mut out,
        "headers",
        p.headers.as_ref().map_or(Value::Null, model),
    );
    put(
        &mut out,
        "corsPolicy",
        p.cors.as_ref().map_or(Value::Null, model),
    );
    Value::Object(out)
}

fn vhost_json(vhost: &VirtualHost) -> Value {
    let mut out = Map::new();
    out.insert("name".to_string(), json!(vhost.name));
    out.insert("domains".to_string(), json!(vhost.domains));
    if vhost.https_redirect {
        out.insert("httpsRedirect".to_string(), json!(true));
    }
    let routes: Vec<Value> = vhost.routes.iter().map(route_json).collect();
    out.insert("routes".to_string(), Value::Array(routes));
    Value::Object(out)
}

fn listener_json(l: &Listener) -> Value {
    let mut out = Map::new();
    out.insert("port".to_string(), json!(l.port));
    out.insert("protocol".to_string(), json!(l.protocol));
    put(&mut out, "routeConfig", json!(route_config_name(l)));
    put(&mut out, "gateways", json!(l.gateways));
    put(&mut out, "tls", l.tls.as_ref().map_or(Value::Null, model));
    let vhosts: Vec<Value> = l.virtual_hosts.iter().map(vhost_json).collect();
    out.insert("virtualHosts".to_string(), Value::Array(vhosts));
    Value::Object(out)
}

/// The whole routing table: listeners, their virtual hosts and rules (each naming its
/// VirtualService as `name.namespace`), plus the compiler's warnings.
pub fn routes_json(config: &RouterConfig) -> Value {
    let listeners: Vec<Value> = config.listeners.iter().map(listener_json).collect();
    json!({ "listeners": listeners, "warnings": config.warnings })
}

fn lb_json(lb: &LbPolicy) -> Value {
    let mut out = Map::new();
    out.insert("policy".to_string(), json!(lb_name(lb)));
    if let LbPolicy::ConsistentHash(key) = lb {
        let hash = match key {
            HashKey::Header(name) => json!({ "httpHeaderName": name }),
            HashKey::Cookie { name, path, ttl } => {
                let mut cookie = Map::new();
                cookie.insert("name".to_string(), json!(name));
                put(&mut cookie, "path", json!(path));
                put(&mut cookie, "ttl", json!(ttl.map(duration)));
                json!({ "httpCookie": cookie })
            }
            HashKey::Query(name) => json!({ "httpQueryParameterName": name }),
            HashKey::SourceIp => json!({ "useSourceIp": true }),
        };
        out.insert("consistentHash".to_string(), hash);
    }
    Value::Object(out)
}

fn policy_json(p: &ClusterPolicy, out: &mut Map<String, Value>) {
    out.insert("loadBalancer".to_string(), lb_json(&p.lb));
    let mut pool = Map::new();
    let limits = [
        ("maxConnections", p.pool.max_connections),
        ("http1MaxPendingRequests", p.pool.max_pending_requests),
        ("http2MaxRequests", p.pool.max_requests),
        (
            "maxRequestsPerConnection",
            p.pool.max_requests_per_connection,
        ),
        ("maxRetries", p.pool.max_retries),
    ];
    for (key, value) in limits {
        put(&mut pool, key, json!(value));
    }
    put(
        &mut pool,
        "connectTimeout",
        json!(p.pool.connect_timeout.map(duration)),
    );
    put(out, "connectionPool", Value::Object(pool));
    if let Some(o) = &p.outlier {
        let mut outlier = Map::new();
        put(
            &mut outlier,
            "consecutive5xxErrors",
            json!(o.consecutive_5xx),
        );
        put(
            &mut outlier,
            "consecutiveGatewayErrors",
            json!(o.consecutive_gateway_errors),
        );
        outlier.insert("interval".to_string(), json!(duration(o.interval)));
        outlier.insert(
            "baseEjectionTime".to_string(),
            json!(duration(o.base_ejection_time)),
        );
        outlier.insert(
            "maxEjectionPercent".to_string(),
            json!(o.max_ejection_percent),
        );
        outlier.insert("minHealthPercent".to_string(), json!(o.min_health_percent));
        out.insert("outlierDetection".to_string(), Value::Object(outlier));
    }
}

fn endpoint_json(e: &Endpoint) -> Value {
    let mut out = Map::new();
    out.insert("address".to_string(), json!(e.address.to_string()));
    put(&mut out, "sidecarInbound", json!(e.sidecar_inbound));
    let pod = e.pod.as_ref().map(|(ns, name)| format!("{ns}/{name}"));
    put(&mut out, "pod", json!(pod));
    put(&mut out, "labels", json!(e.labels));
    out.insert("ready".to_string(), json!(e.ready));
    Value::Object(out)
}

/// Every cluster with its DestinationRule, traffic policy and endpoints, in the given order.
pub fn clusters_json(clusters: &[Cluster]) -> Value {
    let list = clusters.iter().map(|c| {
        let mut out = Map::new();
        out.insert("name".to_string(), json!(c.name));
        out.insert("serviceFqdn".to_string(), json!(c.host));
        out.insert("port".to_string(), json!(c.port));
        put(&mut out, "subset", json!(c.subset));
        out.insert("type".to_string(), json!("EDS"));
        put(&mut out, "destinationRule", json!(c.destination_rule));
        policy_json(&c.policy, &mut out);
        let endpoints: Vec<Value> = c.endpoints.iter().map(endpoint_json).collect();
        out.insert("endpoints".to_string(), Value::Array(endpoints));
        Value::Object(out)
    });
    Value::Array(list.collect())
}
