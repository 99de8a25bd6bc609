//! Schema validation (IST0106): the part of Istio's VirtualService and Gateway validation that is decided from the object alone, with Istio's error texts.

use serde_json::Value;

use super::catalogue::{go_quote, Arg, SCHEMA_VALIDATION_ERROR};
use super::object::{arr, int_of, of_istio_kind, present, str_of, strs, Object};
use super::Message;

const MESH_GATEWAY: &str = "mesh";
const UNIX_ADDRESS_PREFIX: &str = "unix://";

/// Protocol names Istio parses (case-insensitively); anything else is unsupported. Port-name
/// prefixes (before the first `-`) name a protocol from this list too.
pub(super) const PROTOCOLS: &[&str] = &[
    "tcp",
    "udp",
    "grpc",
    "grpc-web",
    "http",
    "http_proxy",
    "http2",
    "https",
    "tls",
    "mongo",
    "redis",
    "mysql",
];
const TLS_PROTOCOLS: &[&str] = &["https", "tls"];
const HTTP_PROTOCOLS: &[&str] = &["http", "http2", "http_proxy", "grpc", "grpc-web"];

/// TLS modes under which a plain HTTP server may still carry `tls` (an HTTPS redirect);
/// an unset mode is PASSTHROUGH, the enum's zero value.
const PASSTHROUGH_MODES: &[&str] = &["", "PASSTHROUGH", "AUTO_PASSTHROUGH"];

/// How an HTTP route is validated: a delegate VirtualService's routes, a root route that
/// delegates, or an ordinary route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RouteType {
    Independent,
    Root,
    Delegate,
}

fn nonempty(v: &Value, key: &str) -> bool {
    !arr(v, key).is_empty()
}

/// True when `key` is absent, null, or a list whose items all satisfy `item`.
fn list_of(v: &Value, key: &str, item: fn(&Value) -> bool) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.iter().all(item),
        Some(_) => false,
    }
}

fn object_or_null(v: &Value) -> bool {
    v.is_object() || v.is_null()
}

/// Whether Istio could decode the fields these checks read. An object that does not decode
/// gets a different diagnosis from Istio, so it is left alone here rather than misjudged.
fn decodable_virtual_service(spec: &Value) -> bool {
    let routes_ok = |rules: &Value| {
        ["http", "tcp", "tls"].iter().all(|k| {
            list_of(rules, k, |r| {
                object_or_null(r)
                    && list_of(r, "route", Value::is_object)
                    && list_of(r, "match", object_or_null)
                    && list_of(r, "mirrors", Value::is_object)
            })
        })
    };
    object_or_null(spec)
        && ["hosts", "gateways", "exportTo"]
            .iter()
            .all(|k| list_of(spec, k, Value::is_string))
        && routes_ok(spec)
}

/// See `decodable_virtual_service`.
fn decodable_gateway(spec: &Value) -> bool {
    object_or_null(spec)
        && list_of(spec, "servers", |s| {
            s.is_null()
                || (s.is_object()
                    && list_of(s, "hosts", Value::is_string)
                    && s.get("port").is_none_or(object_or_null)
                    && s.get("tls").is_none_or(object_or_null))
        })
}

/// Istio's conflict rules between the actions of one HTTP route.
fn http_route_errors(http: &Value, route_type: RouteType, errs: &mut Vec<String>) {
    let name = str_of(http, "name");
    if route_type == RouteType::Root {
        if present(http, "redirect") {
            errs.push(format!("root HTTP route {name} must not specify redirect"));
        }
        if nonempty(http, "route") {
            errs.push(format!("root HTTP route {name} must not specify route"));
        }
        return;
    }
    if route_type == RouteType::Delegate && present(http, "delegate") {
        errs.push("delegate HTTP route cannot contain delegate".into());
    }
    let route = nonempty(http, "route");
    let fault = present(http, "fault");
    let rewrite = present(http, "rewrite");
    if present(http, "redirect") {
        if route {
            errs.push("HTTP route cannot contain both route and redirect".into());
        }
        if fault {
            errs.push("HTTP route cannot contain both fault and redirect".into());
        }
        if rewrite {
            errs.push("HTTP route rule cannot contain both rewrite and redirect".into());
        }
        if present(http, "directResponse") {
            errs.push("HTTP route rule cannot contain both direct_response and redirect".into());
        }
    } else if present(http, "directResponse") {
        if route {
            errs.push("HTTP route cannot contain both route and direct_response".into());
        }
        if fault {
            errs.push("HTTP route cannot contain both fault and direct_response".into());
        }
        if rewrite {
            errs.push("HTTP route rule cannot contain both rewrite and direct_response".into());
        }
    } else if !route {
        errs.push("HTTP route, redirect or direct_response is required".into());
    }
    if present(http, "mirror") && nonempty(http, "mirrors") {
        errs.push("HTTP route cannot contain both mirror and mirrors".into());
    }
}

/// Errors of one VirtualService, in Istio's order.
pub fn virtual_service_errors(spec: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let hosts = strs(spec, "hosts");
    // Without hosts a VirtualService can only be a delegate.
    let delegate = hosts.is_empty();
    if delegate {
        if nonempty(spec, "gateways") {
            errs.push("delegate virtual service must have no gateways specified".into());
        }
        if nonempty(spec, "tls") {
            errs.push("delegate virtual service must have no tls route specified".into());
        }
        if nonempty(spec, "tcp") {
            errs.push("delegate virtual service must have no tcp route specified".into());
        }
    }
    let gateways = strs(spec, "gateways");
    let applies_to_mesh = gateways.is_empty() || gateways.contains(&MESH_GATEWAY);
    if applies_to_mesh && hosts.contains(&"*") {
        errs.push(
            "wildcard host * is not allowed for virtual services bound to the mesh gateway".into(),
        );
    }
    let (http, tcp, tls) = (arr(spec, "http"), arr(spec, "tcp"), arr(spec, "tls"));
    if http.is_empty() && tcp.is_empty() && tls.is_empty() {
        errs.push("http, tcp or tls must be provided in virtual service".into());
    }
    for route in http {
        if route.is_null() {
            errs.push("http route may not be null".into());
            continue;
        }
        let route_type = if delegate {
            RouteType::Delegate
        } else if present(route, "delegate") {
            RouteType::Root
        } else {
            RouteType::Independent
        };
        http_route_errors(route, route_type, &mut errs);
    }
    for route in tls.iter().filter(|r| !r.is_null()) {
        let matches = arr(route, "match");
        if matches.is_empty() {
            errs.push("TLS route must have at least one match condition".into());
        }
        for m in matches {
            if m.is_null() {
                errs.push("TLS match may not be null".into());
            } else if !nonempty(m, "sniHosts") {
                errs.push("TLS match must have at least one SNI host".into());
            }
        }
        if !nonempty(route, "route") {
            errs.push("TLS route is required".into());
        }
    }
    for route in tcp.iter().filter(|r| !r.is_null()) {
        if arr(route, "match").iter().any(Value::is_null) {
            errs.push("tcp match may not be nil".into());
        }
        if !nonempty(route, "route") {
            errs.push("TCP route is required".into());
        }
    }
    errs
}

/// Kubernetes DNS-1123 label: at most 63 lowercase alphanumerics or `-`, alphanumeric at both ends.
fn is_dns1123_label(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum(c) || c == '-')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

/// Errors of one Gateway server's port; empty when Istio accepts the port. The error for a
/// port without name is counted but not rendered: Istio prints the whole port message in it.
fn server_port_errors(server: &Value, errs: &mut Vec<String>) -> bool {
    let Some(port) = server.get("port").filter(|p| !p.is_null()) else {
        errs.push("port is required".into());
        return false;
    };
    let before = errs.len();
    let protocol = str_of(port, "protocol");
    if !PROTOCOLS.contains(&protocol.to_ascii_lowercase().as_str()) {
        errs.push(format!(
            "invalid protocol {}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
            go_quote(protocol)
        ));
    }
    let number = int_of(port, "number").unwrap_or(0);
    let unix_bind = str_of(server, "bind").starts_with(UNIX_ADDRESS_PREFIX);
    if (number > 0 || !unix_bind) && !(1..=65535).contains(&number) {
        errs.push(format!(
            "port number {number} must be in the range 1..65535"
        ));
    }
    if int_of(port, "targetPort").unwrap_or(0) > 0 {
        errs.push("targetPort has no impact on Gateways".into());
    }
    errs.len() == before && !str_of(port, "name").is_empty()
}

/// Errors of one Gateway, in Istio's order.
pub fn gateway_errors(name: &str, spec: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    if !is_dns1123_label(name) {
        errs.push(format!("invalid gateway name: {}", go_quote(name)));
    }
    let servers = arr(spec, "servers");
    if servers.is_empty() {
        errs.push("gateway must have at least one server".into());
    }
    for server in servers {
        if server.is_null() {
            errs.push("cannot have nil server".into());
            continue;
        }
        if !nonempty(server, "hosts") {
            errs.push("server config must contain at least one host".into());
        }
        if !server_port_errors(server, &mut errs) {
            continue;
        }
        let port = server.get("port").unwrap_or(&Value::Null);
        let protocol = str_of(port, "protocol").to_ascii_lowercase();
        let tls = server.get("tls").filter(|t| !t.is_null());
        let is_tls = TLS_PROTOCOLS.contains(&protocol.as_str());
        match tls {
            None if is_tls => {
                errs.push("server must have TLS settings for HTTPS/TLS protocols".into());
            }
            Some(tls) if !is_tls => {
                if !HTTP_PROTOCOLS.contains(&protocol.as_str()) {
                    errs.push("server cannot have TLS settings for non HTTPS/TLS ports".into());
                } else if !PASSTHROUGH_MODES.contains(&str_of(tls, "mode"))
                    || ["caCertificates", "privateKey", "serverCertificate"]
                        .iter()
                        .any(|k| !str_of(tls, k).is_empty())
                {
                    errs.push("server cannot have TLS settings for plain text HTTP ports".into());
                }
            }
            _ => {}
        }
    }
    let mut port_names: Vec<&str> = Vec::new();
    for server in servers {
        if server.is_null() {
            errs.push("server may not be nil".into());
            continue;
        }
        let Some(port) = server.get("port").filter(|p| !p.is_null()) else {
            continue;
        };
        let port_name = str_of(port, "name");
        if port_names.contains(&port_name) {
            errs.push(format!(
                "port names in servers must be unique: duplicate name {port_name}"
            ));
        }
        port_names.push(port_name);
    }
    errs
}

/// IST0106, one message per validation error, for VirtualServices and Gateways.
pub fn validation(objs: &[Object<'_>]) -> Vec<Message> {
    let vs_errors = of_istio_kind(objs, "VirtualService")
        .filter(|o| decodable_virtual_service(o.spec()))
        .map(|o| (o, virtual_service_errors(o.spec())));
    let gw_errors = of_istio_kind(objs, "Gateway")
        .filter(|o| decodable_gateway(o.spec()))
        .map(|o| (o, gateway_errors(o.name, o.spec())));
    vs_errors
        .chain(gw_errors)
        .flat_map(|(obj, errs)| {
            errs.into_iter()
                .map(move |err| Message::new(SCHEMA_VALIDATION_ERROR, obj, &[Arg::Str(err)]))
        })
        .collect()
}
