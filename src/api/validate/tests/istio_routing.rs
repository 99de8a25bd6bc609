//! Rules of the Istio routing kinds (VirtualService, Gateway): CRD schema causes first,
//! istiod's checks once those pass.

use serde_json::{json, Value};

use super::{remove, run, set, Case, Want};
use crate::api::validate::Reason::{Invalid, NotSupported, Required, TypeInvalid};

const NET: &str = "networking.istio.io";

pub(super) fn vs() -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": "default"},
        "spec": {
            "hosts": ["reviews"],
            "http": [
                {
                    "name": "jason",
                    "match": [{"headers": {"end-user": {"exact": "jason"}}, "uri": {"prefix": "/"}}],
                    "fault": {"delay": {"percentage": {"value": 100.0}, "fixedDelay": "7s"}},
                    "route": [{"destination": {"host": "reviews", "subset": "v2"}}],
                    "timeout": "0.5s",
                    "retries": {"attempts": 3, "perTryTimeout": "100ms", "retryOn": "5xx,connect-failure,503"}
                },
                {
                    "route": [
                        {"destination": {"host": "reviews", "subset": "v1", "port": {"number": 9080}}, "weight": 80},
                        {"destination": {"host": "reviews", "subset": "v3"}, "weight": 20, "headers": {"request": {"set": {"x-canary": "1"}}}}
                    ],
                    "corsPolicy": {"allowOrigins": [{"exact": "https://example.com"}], "allowMethods": ["GET"], "maxAge": "24h"},
                    "mirror": {"host": "reviews-shadow"},
                    "mirrorPercentage": {"value": 10}
                }
            ]
        }
    })
}

fn net(name: &'static str, kind: &'static str, obj: Value, want: Vec<Want>) -> Case {
    Case {
        name,
        group: NET,
        kind,
        obj,
        want,
    }
}

fn vs_case(name: &'static str, obj: Value, want: Vec<Want>) -> Case {
    net(name, "VirtualService", obj, want)
}

const H0: &str = "/spec/http/0";

#[test]
fn virtual_services() {
    run(vec![
        vs_case("valid", vs(), vec![]),
        vs_case("v1alpha3 spelling", set(vs(), "/apiVersion", json!("networking.istio.io/v1alpha3")), vec![]),
        vs_case(
            "redirect and direct response rules",
            set(
                vs(),
                "/spec/http",
                json!([
                    {"match": [{"uri": {"exact": "/old"}}], "redirect": {"uri": "/new", "redirectCode": 308}},
                    {"directResponse": {"status": 503, "body": {"string": "unavailable"}}}
                ]),
            ),
            vec![],
        ),
        vs_case(
            "delegate virtual service",
            json!({"metadata": {"name": "d"}, "spec": {"http": [{"route": [{"destination": {"host": "a.b.svc.cluster.local"}}]}]}}),
            vec![],
        ),
        vs_case(
            "gateway bound",
            set(set(vs(), "/spec/hosts", json!(["*"])), "/spec/gateways", json!(["bookinfo-gateway", "istio-system/gw"])),
            vec![],
        ),
        vs_case(
            "mesh wildcard host",
            set(vs(), "/spec/hosts", json!(["*"])),
            vec![("spec.hosts[0]", Invalid, "wildcard host * is not allowed for virtual services bound to the mesh gateway")],
        ),
        vs_case(
            "bad and duplicate hosts",
            set(vs(), "/spec/hosts", json!(["reviews", "bad_host"])),
            vec![("spec.hosts[1]", Invalid, "domain name \"bad_host\" invalid (label \"bad_host\" invalid)")],
        ),
        vs_case(
            "duplicate hosts",
            set(vs(), "/spec/hosts", json!(["*.example.com", "api.example.com"])),
            vec![("spec.hosts[1]", Invalid, "duplicate hosts in virtual service: *.example.com & api.example.com")],
        ),
        vs_case(
            "no routes at all",
            remove(vs(), "/spec/http"),
            vec![("spec", Invalid, "http, tcp or tls must be provided in virtual service")],
        ),
        vs_case(
            "rule without action",
            set(vs(), H0, json!({"match": [{"uri": {"prefix": "/"}}]})),
            vec![("spec.http[0]", Invalid, "HTTP route, redirect or direct_response is required")],
        ),
        vs_case(
            "route and redirect",
            set(vs(), &format!("{H0}/redirect"), json!({"uri": "/x"})),
            vec![
                ("spec.http[0]", Invalid, "HTTP route cannot contain both route and redirect"),
                ("spec.http[0]", Invalid, "HTTP route cannot contain both fault and redirect"),
            ],
        ),
        vs_case(
            "direct response conflicts",
            set(set(vs(), &format!("{H0}/directResponse"), json!({"status": 200})), &format!("{H0}/rewrite"), json!({"uri": "/"})),
            vec![
                ("spec.http[0]", Invalid, "HTTP route cannot contain both route and direct_response"),
                ("spec.http[0]", Invalid, "HTTP route cannot contain both fault and direct_response"),
                ("spec.http[0]", Invalid, "HTTP route rule cannot contain both rewrite and direct_response"),
            ],
        ),
        vs_case(
            "mirror and mirrors",
            set(vs(), "/spec/http/1/mirrors", json!([{"destination": {"host": "b"}}])),
            vec![("spec.http[1]", Invalid, "HTTP route cannot contain both mirror and mirrors")],
        ),
        vs_case(
            "destination host required",
            set(vs(), &format!("{H0}/route/0/destination"), json!({"subset": "v1"})),
            vec![("spec.http[0].route[0].destination.host", Required, "Required value")],
        ),
        vs_case(
            "destination checks",
            set(
                vs(),
                &format!("{H0}/route"),
                json!([
                    {"destination": {"host": "*"}, "weight": -1},
                    {"destination": {"host": "reviews", "subset": "V_2", "port": {"number": 70000}}, "weight": 1}
                ]),
            ),
            vec![
                ("spec.http[0].route[0].destination.host", Invalid, "invalid destination host *"),
                ("spec.http[0].route[0].weight", Invalid, "weight -1 < 0"),
                ("spec.http[0].route[1].destination.subset", Invalid, "subset name is invalid: V_2"),
                ("spec.http[0].route[1].destination.port.number", Invalid, "port number 70000 must be in the range 1..65535"),
            ],
        ),
        vs_case(
            "zero total weight",
            set(set(vs(), "/spec/http/1/route/0/weight", json!(0)), "/spec/http/1/route/1/weight", json!(0)),
            vec![("spec.http[1].route", Invalid, "total destination weight = 0")],
        ),
        vs_case(
            "string match with two kinds",
            set(vs(), &format!("{H0}/match/0/uri"), json!({"exact": "/a", "prefix": "/b"})),
            vec![(
                "spec.http[0].match[0].uri",
                Invalid,
                "Invalid value: \"object\": \"spec.http[0].match[0].uri\" must validate one and only one schema (oneOf). Found 2 valid alternatives",
            )],
        ),
        vs_case(
            "match values",
            set(
                vs(),
                &format!("{H0}/match/0"),
                json!({
                    "headers": {"end-user": {"regex": "(jason"}, "bad header!": {"exact": "x"}},
                    "method": {"prefix": ""},
                    "uri": {"prefix": ""},
                    "port": 70000,
                    "sourceNamespace": "Bad_NS"
                }),
            ),
            vec![
                ("spec.http[0].match[0].headers", Invalid, "header name bad header! is not a valid header name"),
                (
                    "spec.http[0].match[0].headers.end-user",
                    Invalid,
                    "\"headers\": error parsing regexp: missing closing ): `(jason`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)",
                ),
                ("spec.http[0].match[0].method", Invalid, "\"method\": prefix string match should not be empty"),
                ("spec.http[0].match[0].port", Invalid, "port number 70000 must be in the range 1..65535"),
                ("spec.http[0].match[0].sourceNamespace", Invalid, "sourceNamespace match Bad_NS is invalid"),
            ],
        ),
        vs_case(
            "bad durations (schema)",
            set(set(vs(), &format!("{H0}/timeout"), json!("7")), &format!("{H0}/fault/delay/fixedDelay"), json!("0s")),
            vec![
                ("spec.http[0].timeout", Invalid, "Invalid value: \"string\": must be a valid duration greater than 1ms"),
                ("spec.http[0].fault.delay.fixedDelay", Invalid, "Invalid value: \"string\": must be a valid duration greater than 1ms"),
            ],
        ),
        vs_case(
            "duration precision",
            set(vs(), &format!("{H0}/timeout"), json!("1500us")),
            vec![("spec.http[0].timeout", Invalid, "only durations to ms precision are supported")],
        ),
        vs_case("durations in minutes", set(vs(), &format!("{H0}/timeout"), json!("1m")), vec![]),
        vs_case(
            "percentages",
            set(set(vs(), &format!("{H0}/fault/delay/percentage/value"), json!(150)), "/spec/http/1/mirrorPercentage/value", json!(101)),
            vec![
                ("spec.http[0].fault.delay.percentage", Invalid, "percentage 150 is neither 0.0, nor in range [0.0001, 100.0]"),
                ("spec.http[1].mirrorPercentage", Invalid, "mirror_percentage must have a max value of 100 (it has 101.000000)"),
            ],
        ),
        vs_case(
            "fault abort",
            set(vs(), &format!("{H0}/fault"), json!({"abort": {"httpStatus": 700}})),
            vec![("spec.http[0].fault.abort.httpStatus", Invalid, "HTTP status 700 is not in range 200-599")],
        ),
        vs_case(
            "empty fault",
            set(vs(), &format!("{H0}/fault"), json!({})),
            vec![("spec.http[0].fault", Invalid, "HTTP fault injection must have an abort and/or a delay")],
        ),
        vs_case(
            "retries",
            set(vs(), &format!("{H0}/retries"), json!({"attempts": -1, "retryOn": "5xx,bogus"})),
            vec![
                ("spec.http[0].retries.attempts", Invalid, "attempts cannot be negative"),
                ("spec.http[0].retries.retryOn", Invalid, "\"bogus\" is not a valid retryOn policy"),
            ],
        ),
        vs_case(
            "retries disabled but configured",
            set(vs(), &format!("{H0}/retries"), json!({"attempts": 0, "retryOn": "5xx"})),
            vec![("spec.http[0].retries", Invalid, "http retry policy configured when attempts are set to 0 (disabled)")],
        ),
        vs_case(
            "redirect",
            set(vs(), H0, json!({"redirect": {"redirectCode": 200, "uri": "/x"}})),
            vec![("spec.http[0].redirect", Invalid, "200 is not a valid redirect code, must be 3xx")],
        ),
        vs_case(
            "empty redirect",
            set(vs(), H0, json!({"redirect": {}})),
            vec![("spec.http[0].redirect", Invalid, "redirect must specify URI, authority, scheme, or port")],
        ),
        vs_case(
            "rewrite",
            set(vs(), &format!("{H0}/rewrite"), json!({"uri": "/a", "uriRegexRewrite": {"match": "^/a", "rewrite": "/b"}})),
            vec![("spec.http[0].rewrite", Invalid, "rewrite may only contain one of URI or UriRegexRewrite")],
        ),
        vs_case(
            "cors",
            set(vs(), "/spec/http/1/corsPolicy", json!({"allowMethods": ["FETCH"], "allowHeaders": ["x-ok", "bad header"], "maxAge": "1.5s"})),
            vec![
                ("spec.http[1].corsPolicy.allowMethods[0]", Invalid, "\"FETCH\" is not a supported HTTP method"),
                ("spec.http[1].corsPolicy.allowHeaders[1]", Invalid, "header name bad header is not a valid header name"),
                ("spec.http[1].corsPolicy.maxAge", Invalid, "max_age duration is accurate only to seconds precision"),
            ],
        ),
        vs_case(
            "header operations",
            set(vs(), "/spec/http/1/headers", json!({"request": {"set": {":path": "/x"}}, "response": {"remove": ["Host"]}})),
            vec![
                ("spec.http[1].headers.request", Invalid, "invalid header \":path\": header cannot have \":\" prefix"),
                ("spec.http[1].headers.response.remove", Invalid, "invalid header \"Host\": cannot set Host header"),
            ],
        ),
        vs_case(
            "gateway names",
            set(vs(), "/spec/gateways", json!(["ns/Bad_Gw", "bad_gw"])),
            vec![
                ("spec.gateways[0]", Invalid, "invalid value for gateway name: \"Bad_Gw\""),
                ("spec.gateways[1]", Invalid, "domain name \"bad_gw\" invalid (label \"bad_gw\" invalid)"),
            ],
        ),
        vs_case(
            "tls and tcp rules",
            set(
                set(vs(), "/spec/tls", json!([{"match": [{"sniHosts": ["other.com"]}], "route": [{"destination": {"host": "reviews"}}]}, {}])),
                "/spec/tcp",
                json!([{"match": [{"port": 0, "destinationSubnets": ["10.0.0.0/33"]}]}]),
            ),
            vec![
                (
                    "spec.tls[0].match[0].sniHosts[0]",
                    Invalid,
                    "SNI host \"other.com\" is not a compatible subset of any of the virtual service hosts: [reviews]",
                ),
                ("spec.tls[1]", Invalid, "TLS route must have at least one match condition"),
                ("spec.tls[1]", Invalid, "TLS route is required"),
                ("spec.tcp[0].match[0].destinationSubnets[0]", Invalid, "10.0.0.0/33 is not a valid CIDR block"),
                ("spec.tcp[0]", Invalid, "TCP route is required"),
            ],
        ),
        vs_case(
            "export to",
            set(vs(), "/spec/exportTo", json!(["default", ".", "~", "Bad_NS"])),
            vec![
                ("spec.exportTo[1]", Invalid, "duplicate entries in exportTo: . and current namespace default"),
                ("spec.exportTo[2]", Invalid, "exportTo ~ (none) is not allowed for Istio configuration objects"),
                ("spec.exportTo[3]", Invalid, "only .,*, or a valid DNS 1123 label is allowed as exportTo entry"),
            ],
        ),
        vs_case(
            "schema errors hide webhook errors",
            set(set(vs(), "/spec/hosts", json!(["*"])), &format!("{H0}/route/0/weight"), json!("heavy")),
            vec![(
                "spec.http[0].route[0].weight",
                TypeInvalid,
                "Invalid value: \"string\": spec.http[0].route[0].weight in body must be of type integer: \"string\"",
            )],
        ),
    ]);
}

pub(super) fn gateway() -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "bookinfo-gateway"},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["*"], "tls": {"httpsRedirect": true}},
                {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["default/bookinfo.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "bookinfo-cert"}},
                {"port": {"number": 15443, "name": "tls", "protocol": "tls"}, "hosts": ["*/*.local"], "tls": {"mode": "AUTO_PASSTHROUGH"}}
            ]
        }
    })
}

#[test]
fn gateways() {
    let g = gateway;
    run(vec![
        net("valid", "Gateway", g(), vec![]),
        net(
            "no servers",
            "Gateway",
            set(g(), "/spec/servers", json!([])),
            vec![("spec.servers", Invalid, "gateway must have at least one server")],
        ),
        net(
            "required port fields",
            "Gateway",
            set(g(), "/spec/servers/0", json!({"port": {"number": 80}, "hosts": ["*"]})),
            vec![
                ("spec.servers[0].port.protocol", Required, "Required value"),
                ("spec.servers[0].port.name", Required, "Required value"),
            ],
        ),
        net(
            "missing hosts",
            "Gateway",
            remove(g(), "/spec/servers/0/hosts"),
            vec![("spec.servers[0].hosts", Required, "Required value")],
        ),
        net(
            "port and protocol",
            "Gateway",
            set(g(), "/spec/servers/0/port", json!({"number": 70000, "name": "http", "protocol": "QUIC"})),
            vec![
                (
                    "spec.servers[0].port.protocol",
                    Invalid,
                    "invalid protocol \"QUIC\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
                ),
                ("spec.servers[0].port.number", Invalid, "port number 70000 must be in the range 1..65535"),
            ],
        ),
        net(
            "hosts",
            "Gateway",
            set(g(), "/spec/servers/0/hosts", json!(["bookinfo", "Bad_NS/x.com", "ns/"])),
            vec![
                ("spec.servers[0].hosts[0]", Invalid, "short names (non FQDN) are not allowed"),
                ("spec.servers[0].hosts[1]", Invalid, "invalid namespace value \"Bad_NS\" in gateway"),
                ("spec.servers[0].hosts[2]", Invalid, "config namespace and dnsName in host entry cannot be empty"),
            ],
        ),
        net(
            "https without tls",
            "Gateway",
            remove(g(), "/spec/servers/1/tls"),
            vec![("spec.servers[1]", Invalid, "server must have TLS settings for HTTPS/TLS protocols")],
        ),
        net(
            "tls on plain http",
            "Gateway",
            set(g(), "/spec/servers/0/tls", json!({"mode": "SIMPLE", "credentialName": "c"})),
            vec![("spec.servers[0]", Invalid, "server cannot have TLS settings for plain text HTTP ports")],
        ),
        net(
            "simple tls without certificates",
            "Gateway",
            set(g(), "/spec/servers/1/tls", json!({"mode": "SIMPLE"})),
            vec![
                ("spec.servers[1].tls", Invalid, "SIMPLE TLS requires a server certificate"),
                ("spec.servers[1].tls", Invalid, "SIMPLE TLS requires a private key"),
            ],
        ),
        net(
            "tls mode enum",
            "Gateway",
            set(g(), "/spec/servers/1/tls/mode", json!("STRICT")),
            vec![(
                "spec.servers[1].tls.mode",
                NotSupported,
                "Unsupported value: \"STRICT\": supported values: \"PASSTHROUGH\", \"SIMPLE\", \"MUTUAL\", \"AUTO_PASSTHROUGH\", \"ISTIO_MUTUAL\", \"OPTIONAL_MUTUAL\"",
            )],
        ),
        net(
            "duplicate port names",
            "Gateway",
            set(g(), "/spec/servers/1/port/name", json!("http")),
            vec![("spec.servers[1].port.name", Invalid, "port names in servers must be unique: duplicate name http")],
        ),
        net(
            "port number type",
            "Gateway",
            set(g(), "/spec/servers/0/port/number", json!(-80)),
            vec![(
                "spec.servers[0].port.number",
                Invalid,
                "Invalid value: -80: spec.servers[0].port.number in body should be greater than or equal to 0",
            )],
        ),
    ]);
}
