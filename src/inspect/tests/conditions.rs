//! Why a rule failed: one reason per condition, for every kind of match condition.

use super::trace::summary;
use super::*;

/// A VirtualService with one block using every kind of condition, then a catch-all.
const CONDITIONS_YAML: &str = r#"
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - name: strict
    match:
    - name: everything
      scheme: {exact: http}
      method: {regex: "GET|HEAD"}
      authority: {prefix: ratings}
      headers: {x-user: {regex: "u-[0-9]+"}, x-present: {}}
      withoutHeaders: {x-debug: {}, x-env: {exact: prod}}
      queryParams: {page: {exact: "1"}}
      port: 9080
      sourceLabels: {app: productpage}
      sourceNamespace: default
    route:
    - destination: {host: ratings, subset: v1}
  - route:
    - destination: {host: ratings}
"#;

pub(super) fn conditions_config() -> RouterConfig {
    let mut s = snapshot(CONDITIONS_YAML);
    s.services.push(service("ratings", "default", &[9080]));
    compile_sidecar(&s, "default")
}

/// A request that satisfies every condition of [`CONDITIONS_YAML`]'s first block.
pub(super) fn strict_request() -> TraceRequest {
    let headers = [
        "x-user: u-42".to_string(),
        "x-present: 1".to_string(),
        "x-env: dev".to_string(),
    ];
    let mut req =
        TraceRequest::parse("GET", "http://ratings:9080/r?page=1", &headers).expect("request");
    req.source_labels.insert("app".into(), "productpage".into());
    req.source_namespace = "default".into();
    req
}

#[test]
fn reasons_name_each_condition() {
    let config = conditions_config();
    let base = strict_request;
    let with = |f: &dyn Fn(&mut TraceRequest)| {
        let mut r = base();
        f(&mut r);
        r
    };
    let label = "match[0] \"everything\": ";
    let cases: Vec<(TraceRequest, Vec<&str>)> = vec![
        (base(), vec![]),
        (
            with(&|r| r.scheme = "https".into()),
            vec!["scheme: \"https\" is not exact \"http\""],
        ),
        (
            with(&|r| r.method = "POST".into()),
            vec!["method: \"POST\" is not regex \"GET|HEAD\""],
        ),
        (
            with(&|r| r.authority = "RATINGS:9080".into()),
            vec!["authority: \"RATINGS:9080\" is not prefix \"ratings\""],
        ),
        (
            with(&|r| r.headers.retain(|(k, _)| k != "x-user")),
            vec!["header x-user: absent"],
        ),
        (
            with(&|r| r.headers.push(("X-User".into(), "u-7".into()))),
            vec!["header x-user: \"u-42,u-7\" is not regex \"u-[0-9]+\""],
        ),
        (
            with(&|r| r.headers.retain(|(k, _)| k != "x-present")),
            vec!["header x-present: absent"],
        ),
        (
            with(&|r| r.headers.push(("x-debug".into(), String::new()))),
            vec!["withoutHeaders x-debug: present"],
        ),
        (
            with(&|r| r.headers.retain(|(k, _)| k != "x-env")),
            vec!["withoutHeaders x-env: absent, but a value match needs the header"],
        ),
        (
            with(&|r| {
                r.headers.retain(|(k, _)| k != "x-env");
                r.headers.push(("X-Env".into(), "prod".into()));
            }),
            vec!["withoutHeaders x-env: \"prod\" is exact \"prod\""],
        ),
        (
            with(&|r| r.path = "/r?page=2".into()),
            vec!["query param page: \"2\" is not exact \"1\""],
        ),
        (
            with(&|r| r.path = "/r".into()),
            vec!["query param page: absent"],
        ),
        (with(&|r| r.port = 80), vec!["port: 80 is not 9080"]),
        (
            with(&|r| {
                r.source_labels.insert("app".into(), "web".into());
            }),
            vec!["source label app: \"web\" is not \"productpage\""],
        ),
        (
            with(&|r| r.source_labels.clear()),
            vec!["source label app: absent (want \"productpage\")"],
        ),
        (
            with(&|r| r.source_namespace = "other".into()),
            vec!["sourceNamespace: \"other\" is not \"default\""],
        ),
        (
            with(&|r| {
                r.method = "PUT".into();
                r.source_namespace = "other".into();
            }),
            vec![
                "method: \"PUT\" is not regex \"GET|HEAD\"",
                "sourceNamespace: \"other\" is not \"default\"",
            ],
        ),
    ];
    for (req, failed) in cases {
        let t = trace(&config, 9080, &req.as_request());
        let first = t.steps.first().expect("a rule was tried");
        let want: Vec<String> = failed.iter().map(|f| format!("{label}{f}")).collect();
        if failed.is_empty() {
            assert!(first.matched, "{req:?}");
            assert_eq!(t.steps.len(), 1);
        } else {
            assert!(!first.matched, "{req:?}");
            assert_eq!(first.reasons, want, "{req:?}");
            let second = t.steps.get(1).expect("the catch-all was tried");
            assert!(second.matched);
            assert_eq!(
                second.reasons,
                vec!["no match conditions: every request matches".to_string()]
            );
        }
    }
    // The matching block lists every condition that held.
    let t = trace(&config, 9080, &strict_request().as_request());
    let first = t.steps.first().expect("rule 0");
    assert!(first.matched, "{:?}", first.reasons);
    let held: Vec<String> = [
        "scheme: \"http\" is exact \"http\"",
        "method: \"GET\" is regex \"GET|HEAD\"",
        "authority: \"ratings:9080\" is prefix \"ratings\"",
        "header x-present: present",
        "header x-user: \"u-42\" is regex \"u-[0-9]+\"",
        "withoutHeaders x-debug: absent",
        "withoutHeaders x-env: \"dev\" is not exact \"prod\"",
        "query param page: \"1\" is exact \"1\"",
        "port: 9080",
        "source label app=productpage",
        "sourceNamespace: default",
    ]
    .iter()
    .map(|s| format!("{label}{s}"))
    .collect();
    assert_eq!(first.reasons, held);
}

#[test]
fn gateway_conditions() {
    let yaml = r#"
kind: Gateway
metadata: {name: a, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
kind: Gateway
metadata: {name: b, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
kind: VirtualService
metadata: {name: split, namespace: default}
spec:
  hosts: ["*"]
  gateways: [a, b]
  http:
  - match: [{gateways: [a]}]
    directResponse: {status: 200}
  - directResponse: {status: 404}
"#;
    let gw = GatewayWorkload {
        namespace: "istio-system".into(),
        labels: BTreeMap::from([("istio".to_string(), "ingressgateway".to_string())]),
        service_ports: vec![],
    };
    let config = compile_gateway(&snapshot(yaml), &gw);
    let cases = [
        (Some("default/a"), "direct 200 -", "gateway: default/a"),
        (
            Some("default/b"),
            "direct 404 -",
            "gateway: came through default/b, not default/a",
        ),
        (
            None,
            "direct 404 -",
            "gateway: came through mesh, not default/a",
        ),
    ];
    for (via, want, reason) in cases {
        let mut req = get("http://x/", &[]);
        req.gateway = via.map(str::to_string);
        let t = trace(&config, 80, &req.as_request());
        assert_eq!(summary(&t.outcome), want, "{via:?}");
        assert_eq!(
            t.steps.first().map(|s| s.reasons.clone()),
            Some(vec![reason.to_string()]),
            "{via:?}"
        );
        let warned = t.notes.iter().any(|n| n.contains("names no gateway"));
        assert_eq!(warned, via.is_none(), "{via:?}");
    }
}
