//! Table tests for the VirtualService analyzers and host matching.

use serde_json::{json, Value};

use super::super::{hosts, virtualservice};
use super::{objects, route_to, svc, vs};

#[test]
fn destination_host_table() {
    let base = vec![
        svc(
            "default",
            "reviews",
            json!([{"name": "http", "port": 9080}]),
        ),
        svc(
            "default",
            "multi",
            json!([{"name": "http", "port": 80}, {"name": "https", "port": 443}]),
        ),
        json!({"kind": "ServiceEntry", "metadata": {"name": "ext", "namespace": "default"}, "spec": {"hosts": ["api.example.com"], "ports": [{"number": 443, "name": "https"}]}}),
        json!({"kind": "ServiceEntry", "metadata": {"name": "wild", "namespace": "other"}, "spec": {"hosts": ["*.wild.com"]}}),
    ];
    type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);
    let cases: Vec<Case> = vec![
        (
            "short name resolves in the VS namespace",
            route_to(json!({"host": "reviews"})),
            vec![],
        ),
        (
            "fqdn",
            route_to(json!({"host": "reviews.default.svc.cluster.local"})),
            vec![],
        ),
        (
            "missing host",
            route_to(json!({"host": "productpage"})),
            vec![("IST0101", "Referenced host not found: \"productpage\"")],
        ),
        (
            "short name from another namespace",
            json!({"http": [{"route": [{"destination": {"host": "reviews"}}]}]}),
            vec![],
        ),
        (
            "valid port",
            route_to(json!({"host": "reviews", "port": {"number": 9080}})),
            vec![],
        ),
        (
            "bogus port",
            route_to(json!({"host": "reviews", "port": {"number": 999}})),
            vec![("IST0101", "Referenced host:port not found: \"reviews:999\"")],
        ),
        (
            "multi-port needs a port",
            route_to(json!({"host": "multi"})),
            vec![(
                "IST0112",
                "This VirtualService routes to a service \"multi\" that exposes multiple ports [80 443]. Specifying a port in the destination is required to disambiguate.",
            )],
        ),
        (
            "multi-port with port",
            route_to(json!({"host": "multi", "port": {"number": 443}})),
            vec![],
        ),
        (
            "service entry host",
            route_to(json!({"host": "api.example.com"})),
            vec![],
        ),
        (
            "service entry bad port",
            route_to(json!({"host": "api.example.com", "port": {"number": 80}})),
            vec![(
                "IST0101",
                "Referenced host:port not found: \"api.example.com:80\"",
            )],
        ),
        (
            "wildcard service entry",
            route_to(json!({"host": "a.wild.com"})),
            vec![],
        ),
        (
            "tcp route",
            json!({"tcp": [{"route": [{"destination": {"host": "nope"}}]}]}),
            vec![("IST0101", "Referenced host not found: \"nope\"")],
        ),
        (
            "tls route",
            json!({"tls": [{"route": [{"destination": {"host": "nope"}}]}]}),
            vec![("IST0101", "Referenced host not found: \"nope\"")],
        ),
        (
            "route without destination",
            json!({"http": [{"route": [{}]}]}),
            vec![("IST0101", "Referenced host not found: \"\"")],
        ),
        (
            "mirror missing",
            json!({"http": [{"route": [{"destination": {"host": "reviews"}}], "mirror": {"host": "gone"}}]}),
            vec![("IST0101", "Referenced mirror host not found: \"gone\"")],
        ),
        (
            "mirrors list missing",
            json!({"http": [{"route": [{"destination": {"host": "reviews"}}], "mirrors": [{"destination": {"host": "gone2"}}]}]}),
            vec![("IST0101", "Referenced mirror host not found: \"gone2\"")],
        ),
        (
            "mirror bad port",
            json!({"http": [{"route": [{"destination": {"host": "reviews"}}], "mirror": {"host": "reviews", "port": {"number": 1}}}]}),
            vec![("IST0101", "Referenced host:port not found: \"reviews:1\"")],
        ),
        (
            "mirror multi-port",
            json!({"http": [{"route": [{"destination": {"host": "reviews"}}], "mirror": {"host": "multi"}}]}),
            vec![(
                "IST0112",
                "This VirtualService routes to a service \"multi\" that exposes multiple ports [80 443]. Specifying a port in the destination is required to disambiguate.",
            )],
        ),
    ];
    for (name, spec, want) in cases {
        let mut values = base.clone();
        let ns = if name == "short name from another namespace" {
            "elsewhere"
        } else {
            "default"
        };
        values.push(vs(ns, "v", spec));
        let got = virtualservice::destination_hosts(&objects(&values));
        let got: Vec<(&str, String)> = got.iter().map(|m| (m.code, m.text.clone())).collect();
        let want: Vec<(&str, String)> = if ns == "elsewhere" {
            vec![(
                "IST0101",
                "Referenced host not found: \"reviews\"".to_string(),
            )]
        } else {
            want.into_iter().map(|(c, t)| (c, t.to_string())).collect()
        };
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn service_export_to_annotation() {
    let exported = |anno: &str| json!({"kind": "Service", "metadata": {"name": "s", "namespace": "a", "annotations": {"networking.istio.io/exportTo": anno}}, "spec": {"ports": [{"name": "http", "port": 80}]}});
    let cases = [
        (".", "a", true),
        (".", "b", false),
        ("b,c", "b", true),
        ("b,c", "a", false),
        ("*", "z", true),
    ];
    for (anno, vs_ns, visible) in cases {
        let values = vec![
            exported(anno),
            vs(
                vs_ns,
                "v",
                route_to(json!({"host": "s.a.svc.cluster.local"})),
            ),
        ];
        let got = virtualservice::destination_hosts(&objects(&values));
        assert_eq!(got.is_empty(), visible, "exportTo {anno} seen from {vs_ns}");
    }
}

#[test]
fn destination_rule_subsets_table() {
    let dr = |ns: &str, host: &str| json!({"kind": "DestinationRule", "metadata": {"name": "dr", "namespace": ns}, "spec": {"host": host, "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}});
    type Case = (&'static str, Value, Value, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "known subset",
            dr("default", "reviews"),
            route_to(json!({"host": "reviews", "subset": "v1"})),
            vec![],
        ),
        (
            "no subset",
            dr("default", "reviews"),
            route_to(json!({"host": "reviews"})),
            vec![],
        ),
        (
            "unknown subset",
            dr("default", "reviews"),
            route_to(json!({"host": "reviews", "subset": "v9"})),
            vec!["Referenced host+subset in destinationrule not found: \"reviews+v9\""],
        ),
        (
            "fqdn dr, short vs",
            dr("default", "reviews.default.svc.cluster.local"),
            route_to(json!({"host": "reviews", "subset": "v1"})),
            vec![],
        ),
        (
            "dr in other namespace with fqdn",
            dr("other", "reviews.default.svc.cluster.local"),
            route_to(json!({"host": "reviews", "subset": "v1"})),
            vec![],
        ),
        (
            "dr short name in other namespace",
            dr("other", "reviews"),
            route_to(json!({"host": "reviews", "subset": "v1"})),
            vec!["Referenced host+subset in destinationrule not found: \"reviews+v1\""],
        ),
        (
            "mirror subset",
            dr("default", "reviews"),
            json!({"http": [{"route": [{"destination": {"host": "reviews", "subset": "v1"}}], "mirror": {"host": "reviews", "subset": "v2"}}]}),
            vec!["Referenced mirror+subset in destinationrule not found: \"reviews+v2\""],
        ),
    ];
    for (name, rule, spec, want) in cases {
        let values = vec![rule, vs("default", "v", spec)];
        let got: Vec<String> = virtualservice::destination_rules(&objects(&values))
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn gateway_reference_table() {
    let gw = |ns: &str, name: &str, hosts: Value| json!({"kind": "Gateway", "metadata": {"name": name, "namespace": ns}, "spec": {"selector": {"istio": "ingressgateway"}, "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": hosts}]}});
    type Case = (
        &'static str,
        Value,
        Value,
        Vec<(&'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "same namespace, wildcard server",
            gw("default", "g", json!(["*"])),
            json!({"hosts": ["*"], "gateways": ["g"]}),
            vec![],
        ),
        (
            "mesh is special",
            gw("default", "g", json!(["*"])),
            json!({"hosts": ["a"], "gateways": ["mesh"]}),
            vec![],
        ),
        (
            "ns/name reference",
            gw("istio-system", "g", json!(["*"])),
            json!({"hosts": ["a.com"], "gateways": ["istio-system/g"]}),
            vec![],
        ),
        (
            "short name is looked up in the VS namespace",
            gw("istio-system", "g", json!(["*"])),
            json!({"hosts": ["a.com"], "gateways": ["g"]}),
            vec![
                ("IST0101", "Referenced gateway not found: \"g\""),
                (
                    "IST0132",
                    "one or more host [a.com] defined in VirtualService default/v not found in Gateway default/g.",
                ),
            ],
        ),
        (
            "host not served",
            gw("default", "g", json!(["b.com"])),
            json!({"hosts": ["a.com", "c.com"], "gateways": ["g"]}),
            vec![(
                "IST0132",
                "one or more host [a.com c.com] defined in VirtualService default/v not found in Gateway default/g.",
            )],
        ),
        (
            "wildcard server suffix",
            gw("default", "g", json!(["*.example.com"])),
            json!({"hosts": ["shop.example.com"], "gateways": ["g"]}),
            vec![],
        ),
        (
            "wildcard vs host",
            gw("default", "g", json!(["shop.example.com"])),
            json!({"hosts": ["*.example.com"], "gateways": ["g"]}),
            vec![],
        ),
        (
            "namespaced server host for other ns",
            gw("default", "g", json!(["other/*"])),
            json!({"hosts": ["a.com"], "gateways": ["g"]}),
            vec![(
                "IST0132",
                "one or more host [a.com] defined in VirtualService default/v not found in Gateway default/g.",
            )],
        ),
        (
            "dot server host",
            gw("default", "g", json!(["./a.com"])),
            json!({"hosts": ["a.com"], "gateways": ["g"]}),
            vec![],
        ),
        (
            "star slash host",
            gw("default", "g", json!(["*/a.com"])),
            json!({"hosts": ["a.com"], "gateways": ["g"]}),
            vec![],
        ),
    ];
    for (name, gateway, spec, want) in cases {
        let values = vec![gateway, vs("default", "v", spec)];
        let got: Vec<(&str, String)> = virtualservice::gateways(&objects(&values))
            .iter()
            .map(|m| (m.code, m.text.clone()))
            .collect();
        let want: Vec<(&str, String)> = want.into_iter().map(|(c, t)| (c, t.to_string())).collect();
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn host_matching() {
    let cases = [
        ("*", "anything", true),
        ("*.a.com", "b.a.com", true),
        ("*.a.com", "a.com", false),
        ("b.a.com", "*.a.com", true),
        ("*.a.com", "*.b.a.com", true),
        ("*.b.a.com", "*.a.com", true),
        ("a.com", "a.com", true),
        ("a.com", "b.com", false),
    ];
    for (a, b, want) in cases {
        assert_eq!(hosts::host_matches(a, b), want, "{a} vs {b}");
    }
}
