//! HTTPMatchRequest semantics, one condition at a time.

use serde_json::json;

use super::super::*;
use super::Req;
use crate::api::istio::HttpMatchRequest;

fn compiled(m: serde_json::Value) -> Match {
    let spec: HttpMatchRequest = serde_json::from_value(m).expect("match spec");
    let gateways = spec.gateways.clone();
    Match::compile(&spec, gateways).expect("compiles")
}

#[test]
fn match_table() {
    let base = Req::get("svc.default", "/api/v1/items?id=7&flag");
    let cases: Vec<(&str, serde_json::Value, Req, bool)> = vec![
        ("empty matches all", json!({}), base.clone(), true),
        (
            "uri exact",
            json!({"uri": {"exact": "/api/v1/items"}}),
            base.clone(),
            true,
        ),
        (
            "uri exact ignores query",
            json!({"uri": {"exact": "/api/v1/items?id=7&flag"}}),
            base.clone(),
            false,
        ),
        (
            "uri exact miss",
            json!({"uri": {"exact": "/api/v1"}}),
            base.clone(),
            false,
        ),
        (
            "uri prefix",
            json!({"uri": {"prefix": "/api/"}}),
            base.clone(),
            true,
        ),
        (
            "uri prefix miss",
            json!({"uri": {"prefix": "/apx"}}),
            base.clone(),
            false,
        ),
        (
            "uri regex full",
            json!({"uri": {"regex": "/api/v[0-9]+/items"}}),
            base.clone(),
            true,
        ),
        (
            "uri regex is anchored",
            json!({"uri": {"regex": "v1"}}),
            base.clone(),
            false,
        ),
        (
            "uri case-sensitive",
            json!({"uri": {"exact": "/API/v1/items"}}),
            base.clone(),
            false,
        ),
        (
            "ignoreUriCase exact",
            json!({"uri": {"exact": "/API/V1/ITEMS"}, "ignoreUriCase": true}),
            base.clone(),
            true,
        ),
        (
            "ignoreUriCase prefix",
            json!({"uri": {"prefix": "/API"}, "ignoreUriCase": true}),
            base.clone(),
            true,
        ),
        (
            "ignoreUriCase not for regex",
            json!({"uri": {"regex": "/API.*"}, "ignoreUriCase": true}),
            base.clone(),
            false,
        ),
        (
            "method",
            json!({"method": {"exact": "GET"}}),
            base.clone(),
            true,
        ),
        (
            "method miss",
            json!({"method": {"exact": "POST"}}),
            base.clone(),
            false,
        ),
        (
            "scheme",
            json!({"scheme": {"exact": "http"}}),
            base.clone(),
            true,
        ),
        (
            "scheme miss",
            json!({"scheme": {"exact": "https"}}),
            base.clone(),
            false,
        ),
        (
            "authority prefix",
            json!({"authority": {"prefix": "svc."}}),
            base.clone(),
            true,
        ),
        (
            "authority regex",
            json!({"authority": {"regex": "svc\\.[a-z]+"}}),
            base.clone(),
            true,
        ),
        (
            "header exact",
            json!({"headers": {"end-user": {"exact": "jason"}}}),
            base.clone().header("end-user", "jason"),
            true,
        ),
        (
            "header name case-insensitive",
            json!({"headers": {"End-User": {"exact": "jason"}}}),
            base.clone().header("END-USER", "jason"),
            true,
        ),
        (
            "header value case-sensitive",
            json!({"headers": {"end-user": {"exact": "jason"}}}),
            base.clone().header("end-user", "Jason"),
            false,
        ),
        (
            "header missing",
            json!({"headers": {"end-user": {"exact": "jason"}}}),
            base.clone(),
            false,
        ),
        (
            "header presence",
            json!({"headers": {"x-test": {}}}),
            base.clone().header("x-test", ""),
            true,
        ),
        (
            "header presence missing",
            json!({"headers": {"x-test": {}}}),
            base.clone(),
            false,
        ),
        (
            "header regex",
            json!({"headers": {"cookie": {"regex": "^(.*?;)?(user=jason)(;.*)?$"}}}),
            base.clone().header("cookie", "a=b; user=jason"),
            false,
        ),
        (
            "header regex hit",
            json!({"headers": {"cookie": {"regex": "^(.*?;)?(user=jason)(;.*)?$"}}}),
            base.clone().header("cookie", "a=b;user=jason"),
            true,
        ),
        (
            "repeated header values joined",
            json!({"headers": {"x": {"exact": "1,2"}}}),
            base.clone().header("x", "1").header("x", "2"),
            true,
        ),
        (
            "pseudo keys ignored in headers",
            json!({"headers": {"uri": {"exact": "/nope"}}}),
            base.clone(),
            true,
        ),
        (
            "withoutHeaders value matcher needs the header (Envoy invert_match)",
            json!({"withoutHeaders": {"end-user": {"exact": "jason"}}}),
            base.clone(),
            false,
        ),
        (
            "withoutHeaders other value passes",
            json!({"withoutHeaders": {"end-user": {"exact": "jason"}}}),
            base.clone().header("end-user", "bob"),
            true,
        ),
        (
            "withoutHeaders same value fails",
            json!({"withoutHeaders": {"end-user": {"exact": "jason"}}}),
            base.clone().header("end-user", "jason"),
            false,
        ),
        (
            "withoutHeaders presence = absent",
            json!({"withoutHeaders": {"x-debug": {}}}),
            base.clone().header("x-debug", "1"),
            false,
        ),
        (
            "withoutHeaders presence passes when absent",
            json!({"withoutHeaders": {"x-debug": {}}}),
            base.clone(),
            true,
        ),
        (
            "header prefix \"\" is presence",
            json!({"headers": {"x-test": {"prefix": ""}}}),
            base.clone().header("x-test", "anything"),
            true,
        ),
        (
            "header regex \"*\" is presence",
            json!({"headers": {"x-test": {"regex": "*"}}}),
            base.clone(),
            false,
        ),
        (
            "header regex \"*\" present",
            json!({"headers": {"x-test": {"regex": "*"}}}),
            base.clone().header("x-test", "v"),
            true,
        ),
        (
            "queryParams exact",
            json!({"queryParams": {"id": {"exact": "7"}}}),
            base.clone(),
            true,
        ),
        (
            "queryParams miss",
            json!({"queryParams": {"id": {"exact": "8"}}}),
            base.clone(),
            false,
        ),
        (
            "queryParams bare key is empty",
            json!({"queryParams": {"flag": {"exact": ""}}}),
            base.clone(),
            true,
        ),
        (
            "queryParams regex",
            json!({"queryParams": {"id": {"regex": "[0-9]+"}}}),
            base.clone(),
            true,
        ),
        (
            "queryParams absent",
            json!({"queryParams": {"nope": {"exact": ""}}}),
            base.clone(),
            false,
        ),
        ("port", json!({"port": 80}), base.clone(), true),
        ("port miss", json!({"port": 9080}), base.clone(), false),
        (
            "sourceLabels subset",
            json!({"sourceLabels": {"app": "reviews"}}),
            Req {
                source_labels: [
                    ("app".to_string(), "reviews".to_string()),
                    ("version".to_string(), "v2".to_string()),
                ]
                .into(),
                ..base.clone()
            },
            true,
        ),
        (
            "sourceLabels miss",
            json!({"sourceLabels": {"app": "reviews", "version": "v1"}}),
            Req {
                source_labels: [("app".to_string(), "reviews".to_string())].into(),
                ..base.clone()
            },
            false,
        ),
        (
            "sourceNamespace",
            json!({"sourceNamespace": "default"}),
            base.clone(),
            true,
        ),
        (
            "sourceNamespace miss",
            json!({"sourceNamespace": "prod"}),
            base.clone(),
            false,
        ),
        (
            "gateways mesh for sidecar",
            json!({"gateways": ["mesh"]}),
            base.clone(),
            true,
        ),
        (
            "gateways other for sidecar",
            json!({"gateways": ["default/gw"]}),
            base.clone(),
            false,
        ),
        (
            "gateways via gateway",
            json!({"gateways": ["default/gw"]}),
            Req {
                gateway: Some("default/gw".into()),
                ..base.clone()
            },
            true,
        ),
        (
            "fields AND'ed",
            json!({"uri": {"prefix": "/api"}, "method": {"exact": "POST"}}),
            base.clone(),
            false,
        ),
    ];
    for (name, spec, req, want) in cases {
        let m = compiled(spec);
        assert_eq!(m.matches(&req.as_request()), want, "{name}");
    }
}

#[test]
fn bad_regex_is_an_error() {
    let spec: HttpMatchRequest =
        serde_json::from_value(json!({"uri": {"regex": "("}})).expect("spec");
    assert!(matches!(
        Match::compile(&spec, Vec::new()),
        Err(RouteError::InvalidRegex { .. })
    ));
}

#[test]
fn rewrite_table() {
    let prefix = compiled(json!({"uri": {"prefix": "/old"}}));
    let exact = compiled(json!({"uri": {"exact": "/old/x"}}));
    let rw = |uri: &str| Rewrite {
        uri: Some(uri.into()),
        ..Rewrite::default()
    };
    let regex_rw = Rewrite {
        uri_regex: Some((
            regex::Regex::new("^/service/([^/]+)(/.*)$").expect("re"),
            "${2}/instance/${1}".into(),
        )),
        ..Rewrite::default()
    };
    type Case<'a> = (
        &'a str,
        Rewrite,
        &'a str,
        Option<&'a Match>,
        Option<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            "prefix swapped",
            rw("/new"),
            "/old/x?q=1",
            Some(&prefix),
            Some("/new/x?q=1"),
        ),
        (
            "prefix to root",
            rw("/"),
            "/old/x",
            Some(&prefix),
            Some("//x"),
        ),
        (
            "exact replaces whole path",
            rw("/new"),
            "/old/x?q",
            Some(&exact),
            Some("/new?q"),
        ),
        (
            "no uri match acts like prefix /",
            rw("/v2/"),
            "/a/b",
            None,
            Some("/v2/a/b"),
        ),
        (
            "regex rewrite",
            regex_rw,
            "/service/foo/v1/api?x",
            None,
            Some("/v1/api/instance/foo?x"),
        ),
        (
            "authority only leaves path",
            Rewrite {
                authority: Some("h".into()),
                ..Rewrite::default()
            },
            "/a",
            None,
            None,
        ),
    ];
    for (name, rewrite, path, matched, want) in cases {
        assert_eq!(rewrite.apply_path(path, matched).as_deref(), want, "{name}");
    }
}
