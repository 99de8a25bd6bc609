//! Rules of the Istio policy kinds: DestinationRule, ServiceEntry, Sidecar and the
//! security kinds.

use serde_json::{json, Value};

use super::{remove, run, set, Case, Want};
use crate::api::validate::Reason::{Invalid, NotSupported, Required, TypeInvalid};

const NET: &str = "networking.istio.io";
const SEC: &str = "security.istio.io";

fn net(name: &'static str, kind: &'static str, obj: Value, want: Vec<Want>) -> Case {
    Case {
        name,
        group: NET,
        kind,
        obj,
        want,
    }
}

pub(super) fn destination_rule() -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "reviews"},
        "spec": {
            "host": "reviews",
            "trafficPolicy": {
                "tls": {"mode": "ISTIO_MUTUAL"},
                "loadBalancer": {"simple": "LEAST_REQUEST"},
                "connectionPool": {"tcp": {"maxConnections": 100, "connectTimeout": "30ms"}, "http": {"http2MaxRequests": 1000}},
                "outlierDetection": {"consecutive5xxErrors": 7, "interval": "5m", "baseEjectionTime": "15m"}
            },
            "subsets": [
                {"name": "v1", "labels": {"version": "v1"}},
                {"name": "v2", "labels": {"version": "v2"}, "trafficPolicy": {"loadBalancer": {"consistentHash": {"httpCookie": {"name": "user", "ttl": "0.5s"}}}}}
            ]
        }
    })
}

#[test]
fn destination_rules() {
    let d = destination_rule;
    run(vec![
        net("valid", "DestinationRule", d(), vec![]),
        net("host required", "DestinationRule", remove(d(), "/spec/host"), vec![("spec.host", Required, "Required value")]),
        net(
            "lb enum",
            "DestinationRule",
            set(d(), "/spec/trafficPolicy/loadBalancer/simple", json!("FASTEST")),
            vec![(
                "spec.trafficPolicy.loadBalancer.simple",
                NotSupported,
                "Unsupported value: \"FASTEST\": supported values: \"UNSPECIFIED\", \"LEAST_CONN\", \"RANDOM\", \"PASSTHROUGH\", \"ROUND_ROBIN\", \"LEAST_REQUEST\"",
            )],
        ),
        net(
            "subset names",
            "DestinationRule",
            set(d(), "/spec/subsets", json!([{"name": "v1"}, {"name": "v1"}, {"name": "V_2", "labels": {"version": "bad value!"}}, {"labels": {}}])),
            vec![("spec.subsets[3].name", Required, "Required value")],
        ),
        net(
            "subset checks",
            "DestinationRule",
            set(d(), "/spec/subsets", json!([{"name": "v1"}, {"name": "v1"}, {"name": "V_2", "labels": {"version": "bad value!"}, "trafficPolicy": {}}])),
            vec![
                ("spec.subsets[1].name", Invalid, "duplicate subset names: v1"),
                ("spec.subsets[2].name", Invalid, "subset name is invalid: V_2"),
                ("spec.subsets[2].labels", Invalid, "invalid tag value: \"bad value!\""),
                ("spec.subsets[2].trafficPolicy", Invalid, "traffic policy must have at least one field"),
            ],
        ),
        net(
            "traffic policy values",
            "DestinationRule",
            set(
                d(),
                "/spec/trafficPolicy",
                json!({
                    "connectionPool": {"http": {"http1MaxPendingRequests": -1, "maxRetries": -2}, "tcp": {"idleTimeout": "1h"}},
                    "outlierDetection": {"maxEjectionPercent": 150},
                    "loadBalancer": {"consistentHash": {"maglev": {"tableSize": 1000}}},
                    "tls": {"mode": "MUTUAL"}
                }),
            ),
            vec![
                ("spec.trafficPolicy.outlierDetection.maxEjectionPercent", Invalid, "percentage 150 is not in range 0..100"),
                ("spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests", Invalid, "http1 max pending requests must be non-negative"),
                ("spec.trafficPolicy.connectionPool.http.maxRetries", Invalid, "max retries must be non-negative"),
                ("spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", Invalid, "tableSize must be a prime number for maglev"),
                ("spec.trafficPolicy.tls", Invalid, "client certificate required for mutual tls"),
                ("spec.trafficPolicy.tls", Invalid, "private key required for mutual tls"),
            ],
        ),
        net(
            "simple and consistent hash",
            "DestinationRule",
            set(d(), "/spec/trafficPolicy/loadBalancer/consistentHash", json!({"useSourceIp": true})),
            vec![(
                "spec.trafficPolicy.loadBalancer",
                Invalid,
                "Invalid value: \"object\": \"spec.trafficPolicy.loadBalancer\" must validate one and only one schema (oneOf). Found 2 valid alternatives",
            )],
        ),
        net(
            "outlier detection types",
            "DestinationRule",
            set(d(), "/spec/trafficPolicy/outlierDetection/interval", json!(5)),
            vec![(
                "spec.trafficPolicy.outlierDetection.interval",
                TypeInvalid,
                "Invalid value: \"integer\": spec.trafficPolicy.outlierDetection.interval in body must be of type string: \"integer\"",
            )],
        ),
    ]);
}

#[test]
fn service_entries_and_sidecars() {
    let se = || {
        json!({
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": {"name": "external-api"},
            "spec": {
                "hosts": ["api.example.com"],
                "location": "MESH_EXTERNAL",
                "resolution": "DNS",
                "ports": [{"number": 443, "name": "https", "protocol": "TLS"}]
            }
        })
    };
    let sc = || {
        json!({
            "apiVersion": "networking.istio.io/v1",
            "kind": "Sidecar",
            "metadata": {"name": "default", "namespace": "bookinfo"},
            "spec": {"egress": [{"hosts": ["./*", "istio-system/*"]}], "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}
        })
    };
    run(vec![
        net("valid service entry", "ServiceEntry", se(), vec![]),
        net("hosts required", "ServiceEntry", remove(se(), "/spec/hosts"), vec![("spec.hosts", Required, "Required value")]),
        net(
            "resolution enum",
            "ServiceEntry",
            set(se(), "/spec/resolution", json!("LOOKUP")),
            vec![(
                "spec.resolution",
                NotSupported,
                "Unsupported value: \"LOOKUP\": supported values: \"NONE\", \"STATIC\", \"DNS\", \"DNS_ROUND_ROBIN\"",
            )],
        ),
        net(
            "location enum",
            "ServiceEntry",
            set(se(), "/spec/location", json!("OUTSIDE")),
            vec![("spec.location", NotSupported, "Unsupported value: \"OUTSIDE\": supported values: \"MESH_EXTERNAL\", \"MESH_INTERNAL\"")],
        ),
        net(
            "ports and hosts",
            "ServiceEntry",
            set(
                set(se(), "/spec/hosts", json!(["*", "api.example.com", "b.example.com"])),
                "/spec/ports",
                json!([{"number": 443, "name": "https", "protocol": "TLS"}, {"number": 443, "name": "https", "protocol": "BOGUS"}]),
            ),
            vec![
                ("spec.hosts[0]", Invalid, "invalid host *"),
                ("spec.ports[1].name", Invalid, "service entry port name \"https\" already defined"),
                ("spec.ports[1].number", Invalid, "service entry port 443 already defined"),
                ("spec.ports[1].protocol", Invalid, "unsupported protocol: BOGUS"),
                ("spec", Invalid, "multiple hosts provided with non-HTTP, non-TLS ports"),
            ],
        ),
        net(
            "static endpoints",
            "ServiceEntry",
            set(set(se(), "/spec/resolution", json!("STATIC")), "/spec/endpoints", json!([{"address": "db.local", "ports": {"mysql": 3306}}])),
            vec![
                ("spec.endpoints[0].address", Invalid, "endpoint address \"db.local\" is not a valid IP address"),
                ("spec.endpoints[0].ports.mysql", Invalid, "endpoint port 3306 is not defined by the service entry"),
            ],
        ),
        net("valid sidecar", "Sidecar", sc(), vec![]),
        net(
            "sidecar egress hosts",
            "Sidecar",
            set(sc(), "/spec/egress/0/hosts", json!(["reviews", "Bad_NS/x.com", "*/short"])),
            vec![
                ("spec.egress[0].hosts[0]", Invalid, "host must be of form namespace/dnsName"),
                ("spec.egress[0].hosts[1]", Invalid, "invalid namespace value \"Bad_NS\" in sidecar"),
                ("spec.egress[0].hosts[2]", Invalid, "short names (non FQDN) are not allowed"),
            ],
        ),
        net(
            "sidecar egress listeners",
            "Sidecar",
            set(sc(), "/spec/egress", json!([{"hosts": ["./*"]}, {"port": {"number": 80, "protocol": "HTTP", "name": "http"}, "hosts": []}])),
            vec![
                ("spec.egress[0]", Invalid, "sidecar: the egress listener with empty port should be the last listener in the list"),
                ("spec.egress[1].hosts", Invalid, "sidecar: egress listener must contain at least one host"),
            ],
        ),
        net(
            "empty sidecar",
            "Sidecar",
            set(sc(), "/spec", json!({})),
            vec![("spec", Invalid, "sidecar: empty configuration provided")],
        ),
    ]);
}

#[test]
fn security_policies() {
    let pa = |spec: Value| json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "foo"}, "spec": spec});
    let ap = |spec: Value| json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "deny", "namespace": "foo"}, "spec": spec});
    let sec = |name, kind, obj, want| Case {
        name,
        group: SEC,
        kind,
        obj,
        want,
    };
    run(vec![
        sec("strict mtls", "PeerAuthentication", pa(json!({"mtls": {"mode": "STRICT"}})), vec![]),
        sec(
            "port level mtls",
            "PeerAuthentication",
            pa(json!({"selector": {"matchLabels": {"app": "reviews"}}, "portLevelMtls": {"9080": {"mode": "DISABLE"}}})),
            vec![],
        ),
        sec(
            "mtls mode enum",
            "PeerAuthentication",
            pa(json!({"mtls": {"mode": "STRICTER"}})),
            vec![(
                "spec.mtls.mode",
                NotSupported,
                "Unsupported value: \"STRICTER\": supported values: \"UNSET\", \"DISABLE\", \"PERMISSIVE\", \"STRICT\"",
            )],
        ),
        sec(
            "namespace-wide port level mtls",
            "PeerAuthentication",
            pa(json!({"portLevelMtls": {"0": {"mode": "DISABLE"}}})),
            vec![
                ("spec.portLevelMtls", Invalid, "mesh/namespace peer authentication cannot have port level mTLS"),
                ("spec.portLevelMtls.0", Invalid, "port must be in range 1..65535"),
            ],
        ),
        sec(
            "allow policy",
            "AuthorizationPolicy",
            ap(json!({
                "selector": {"matchLabels": {"app": "reviews"}},
                "action": "ALLOW",
                "rules": [{
                    "from": [{"source": {"principals": ["cluster.local/ns/default/sa/productpage"]}}],
                    "to": [{"operation": {"methods": ["GET"], "ports": ["9080"]}}],
                    "when": [{"key": "request.headers[version]", "values": ["v1"]}]
                }]
            })),
            vec![],
        ),
        sec(
            "action enum",
            "AuthorizationPolicy",
            ap(json!({"action": "REJECT"})),
            vec![("spec.action", NotSupported, "Unsupported value: \"REJECT\": supported values: \"ALLOW\", \"DENY\", \"AUDIT\", \"CUSTOM\"")],
        ),
        sec(
            "deny without rules",
            "AuthorizationPolicy",
            ap(json!({"action": "DENY"})),
            vec![(
                "spec.rules",
                Invalid,
                "invalid policy deny.foo: DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request",
            )],
        ),
        sec(
            "rule contents",
            "AuthorizationPolicy",
            ap(json!({
                "action": "DENY",
                "rules": [{
                    "from": [{"source": {}}],
                    "to": [{"operation": {"ports": ["http"]}}],
                    "when": [{"key": "source.ip", "values": ["10.0.0.0/40"]}, {"key": "foo"}]
                }]
            })),
            vec![
                ("spec.rules[0].from[0].source", Invalid, "invalid policy deny.foo: `from.source` must not be empty, found at rule 0"),
                (
                    "spec.rules[0].to[0].operation.ports",
                    Invalid,
                    "invalid policy deny.foo: bad port (http): strconv.ParseUint: parsing \"http\": invalid syntax",
                ),
                (
                    "spec.rules[0].when[0].values",
                    Invalid,
                    "invalid policy deny.foo: invalid `value` for `key` source.ip: bad CIDR range (10.0.0.0/40): netip.ParsePrefix(\"10.0.0.0/40\"): invalid prefix",
                ),
                ("spec.rules[0].when[1]", Invalid, "invalid policy deny.foo: at least one of `values` or `notValues` must be set for key foo"),
            ],
        ),
        sec(
            "condition key required",
            "AuthorizationPolicy",
            ap(json!({"rules": [{"when": [{"values": ["a"]}]}]})),
            vec![("spec.rules[0].when[0].key", Required, "Required value")],
        ),
    ]);
}
