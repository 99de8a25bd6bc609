//! istioctl's short forms of HTTP matches, and protobuf text of faults and TCP matches.

use super::super::text::{fault_text, l4_match_text, render_match, render_matches};
use crate::api::istio::{HttpFaultInjection, HttpMatchRequest, L4MatchAttributes};

#[test]
fn match_rendering() {
    let parse = |yaml: &str| -> HttpMatchRequest { serde_yaml::from_str(yaml).expect("match") };
    let cases = [
        ("uri: {exact: /login}", "Match: /login"),
        ("uri: {prefix: /api/}", "Match: /api/*"),
        (
            "{uri: {prefix: /API}, ignoreUriCase: true}",
            "Match: /API* uncased",
        ),
        (
            "uri: {regex: '/v[0-9]+/\"x\"'}",
            "Match: regex:\"/v[0-9]+/\\\"x\\\"\"",
        ),
        ("{ignoreUriCase: true}", "Match:"),
        (
            "headers: {x-b: {prefix: b}, x-a: {exact: a}}",
            "Match:  when headers are x-a=a; x-b=b*",
        ),
        (
            "{uri: {exact: /}, headers: {x-any: {}}}",
            "Match: / when headers are x-any=",
        ),
        ("method: {exact: GET}", "Match:"),
    ];
    for (yaml, want) in cases {
        assert_eq!(render_match(&parse(yaml)), want, "{yaml}");
    }
    assert_eq!(render_matches(&[]), "everything");
    let two = [parse("uri: {exact: /a}"), parse("uri: {prefix: /b}")];
    assert_eq!(render_matches(&two), "Match: /a, Match: /b*");
}

#[test]
fn fault_and_tcp_match_text() {
    let fault = |yaml: &str| -> HttpFaultInjection { serde_yaml::from_str(yaml).expect("fault") };
    let cases = [
        (
            "delay: {fixedDelay: 1.5s, percentage: {value: 12.5}}",
            "delay:{fixed_delay:{seconds:1 nanos:500000000} percentage:{value:12.5}}",
        ),
        (
            "delay: {percent: 10, fixedDelay: 100ms}",
            "delay:{percent:10 fixed_delay:{nanos:100000000}}",
        ),
        (
            "delay: {exponentialDelay: bogus}",
            "delay:{exponential_delay:{}}",
        ),
        (
            "abort: {httpStatus: 503, percentage: {value: 0}}",
            "abort:{http_status:503 percentage:{}}",
        ),
        (
            "abort: {grpcStatus: UNAVAILABLE}",
            "abort:{grpc_status:\"UNAVAILABLE\"}",
        ),
        (
            "{delay: {fixedDelay: 0s}, abort: {http2Error: REFUSED_STREAM}}",
            "delay:{fixed_delay:{}} abort:{http2_error:\"REFUSED_STREAM\"}",
        ),
        ("{}", ""),
    ];
    for (yaml, want) in cases {
        assert_eq!(fault_text(&fault(yaml)), want, "{yaml}");
    }
    let l4: L4MatchAttributes = serde_yaml::from_str(
        "{destinationSubnets: [10.0.0.0/8], port: 27017, sourceLabels: {b: '2', a: '1'}, gateways: [mesh], sourceNamespace: db}",
    )
    .expect("match");
    assert_eq!(
        l4_match_text(&l4),
        "destination_subnets:\"10.0.0.0/8\" port:27017 source_labels:{key:\"a\" value:\"1\"} source_labels:{key:\"b\" value:\"2\"} gateways:\"mesh\" source_namespace:\"db\""
    );
    assert_eq!(l4_match_text(&L4MatchAttributes::default()), "");
}
