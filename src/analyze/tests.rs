//! Table tests for the analyzers, message rendering and trailer, plus Istio's own analyzer test inputs.

use serde_json::{json, Value};

use super::catalogue::{self, Arg};
use super::object::Object;
use super::*;

pub(super) fn objects(values: &[Value]) -> Vec<Object<'_>> {
    values
        .iter()
        .filter_map(|v| Object::from_value(v, "default"))
        .collect()
}

/// `(code, "Kind ns/name", text)` of each message, sorted like `analyze` output.
pub(super) fn summarize(msgs: Vec<Message>) -> Vec<(String, String, String)> {
    sort_dedup(msgs)
        .into_iter()
        .map(|m| (m.code.to_string(), m.friendly_name(), m.text.clone()))
        .collect()
}

pub(super) fn svc(ns: &str, name: &str, ports: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": {"ports": ports}})
}

pub(super) fn vs(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

pub(super) fn route_to(dest: Value) -> Value {
    json!({"http": [{"route": [{"destination": dest}]}]})
}

mod annotations;
mod destinationrule;
mod gateway;
mod mesh_hosts;
mod rules;
mod schema;
mod virtualservice;
mod wiring;
mod workloads;

/// `---`-separated YAML documents as JSON values; empty documents are skipped.
pub(super) fn parse_yaml(text: &str) -> Vec<Value> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    docs.iter()
        .map(|doc| serde_yaml::from_str::<serde_yaml::Value>(doc).expect("yaml document"))
        .map(|y| serde_json::to_value(y).expect("yaml to json"))
        .filter(|v| !v.is_null())
        .collect()
}

/// One table row: a name, input YAML and the message lines expected from it.
pub(super) type Case = (&'static str, &'static str, &'static [&'static str]);

/// Runs `check` over each case's objects; see `run_case`.
pub(super) fn run_table(check: fn(&[Object<'_>]) -> Vec<Message>, cases: &[Case]) {
    for (name, yaml, want) in cases {
        run_case(check, name, yaml, want);
    }
}

/// Compares the lines `check` reports for the objects in `yaml`, sorted and deduplicated
/// like `analyze` output, with `want`.
pub(super) fn run_case<S: AsRef<str>>(
    check: fn(&[Object<'_>]) -> Vec<Message>,
    name: &str,
    yaml: &str,
    want: &[S],
) {
    let values = parse_yaml(yaml);
    let got: Vec<String> = sort_dedup(check(&objects(&values)))
        .iter()
        .map(Message::line)
        .collect();
    let want: Vec<&str> = want.iter().map(AsRef::as_ref).collect();
    assert_eq!(got, want, "case {name:?}");
}

pub(super) fn namespace(name: &str, labels: Value) -> Value {
    json!({"kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

pub(super) fn pod(ns: &str, name: &str, labels: Value, containers: &[&str]) -> Value {
    let cs: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": "x"}))
        .collect();
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels}, "spec": {"containers": cs}})
}

// ---------------------------------------------------------------- rendering

#[test]
fn render_follows_go_verbs() {
    let cases: &[(&str, Vec<Arg>, &str)] = &[
        (
            "Referenced %s not found: %q",
            vec![Arg::Str("host".into()), Arg::Str("productpage".into())],
            "Referenced host not found: \"productpage\"",
        ),
        (
            "%q",
            vec![Arg::Str("a\"b\\c\n".into())],
            "\"a\\\"b\\\\c\\n\"",
        ),
        ("%q", vec![Arg::Str(String::new())], "\"\""),
        (
            "ports %v.",
            vec![Arg::Ints(vec![80, 443])],
            "ports [80 443].",
        ),
        (
            "hosts %v",
            vec![Arg::Strs(vec!["*".into(), "a.com".into()])],
            "hosts [* a.com]",
        ),
        ("hosts %v", vec![Arg::Strs(vec![])], "hosts []"),
        ("%d%%", vec![Arg::Int(7)], "7%"),
        (
            "%s and %s",
            vec![Arg::Str("x".into())],
            "x and %!s(MISSING)",
        ),
        ("tail %", vec![], "tail %!(NOVERB)"),
    ];
    for (template, args, want) in cases {
        assert_eq!(
            catalogue::render(template, args),
            *want,
            "template {template:?}"
        );
    }
}

fn msg(level: Level, kind: &str, ns: &str, name: &str, origin: Option<&str>) -> Message {
    Message {
        level,
        code: "IST0101",
        name: "ReferencedResourceNotFound",
        kind: kind.into(),
        namespace: ns.into(),
        name_of: name.into(),
        origin: origin.map(str::to_string),
        text: "Referenced host not found: \"productpage\"".into(),
    }
}

#[test]
fn message_line_format() {
    let cases = [
        (
            msg(
                Level::Error,
                "VirtualService",
                "default",
                "bookinfo",
                Some("samples/bookinfo/networking/bookinfo-gateway.yaml:41"),
            ),
            "Error [IST0101] (VirtualService default/bookinfo samples/bookinfo/networking/bookinfo-gateway.yaml:41) Referenced host not found: \"productpage\"",
        ),
        (
            msg(Level::Error, "VirtualService", "default", "bookinfo", None),
            "Error [IST0101] (VirtualService default/bookinfo) Referenced host not found: \"productpage\"",
        ),
        (
            msg(Level::Info, "Namespace", "", "default", None),
            "Info [IST0101] (Namespace default) Referenced host not found: \"productpage\"",
        ),
        (
            msg(Level::Warning, "Pod", "ns", "p", None),
            "Warning [IST0101] (Pod ns/p) Referenced host not found: \"productpage\"",
        ),
    ];
    for (m, want) in cases {
        assert_eq!(m.line(), want);
        assert_eq!(m.to_string(), want);
    }
}

#[test]
fn level_parsing_and_order() {
    let cases = [
        ("Error", Ok(Level::Error)),
        ("warning", Ok(Level::Warning)),
        ("INFO", Ok(Level::Info)),
        ("fatal", Err(AnalyzeError::UnknownLevel("fatal".into()))),
    ];
    for (s, want) in cases {
        assert_eq!(s.parse::<Level>(), want, "{s}");
    }
    assert!(Level::Error.is_worse_than_or_equal_to(Level::Error));
    assert!(Level::Error.is_worse_than_or_equal_to(Level::Info));
    assert!(!Level::Info.is_worse_than_or_equal_to(Level::Warning));
}

#[test]
fn summary_trailers() {
    let err = msg(Level::Error, "VirtualService", "default", "a", None);
    let warn = msg(Level::Warning, "VirtualService", "default", "a", None);
    let fail_default = "Error: Analyzers found issues when analyzing namespace: default.\nSee https://istio.io/v1.28/docs/reference/config/analysis for more information about causes and resolutions.";
    let fail_all = "Error: Analyzers found issues when analyzing all namespaces.\nSee https://istio.io/v1.28/docs/reference/config/analysis for more information about causes and resolutions.";
    let cases: Vec<(Vec<Message>, Option<&str>, &str, i32)> = vec![
        (
            vec![],
            Some("default"),
            "\u{2714} No validation issues found when analyzing namespace: default.",
            0,
        ),
        (
            vec![],
            None,
            "\u{2714} No validation issues found when analyzing all namespaces.",
            0,
        ),
        (vec![warn.clone()], Some("default"), "", 0),
        (vec![warn, err.clone()], Some("default"), fail_default, 79),
        (vec![err], None, fail_all, 79),
    ];
    for (msgs, ns, text, code) in cases {
        assert_eq!(summary(&msgs, ns), (text.to_string(), code), "{ns:?}");
    }
}

#[test]
fn sorting_and_dedup() {
    let mut info = msg(Level::Info, "Namespace", "", "b", None);
    info.code = "IST0102";
    let e_b = msg(Level::Error, "VirtualService", "default", "b", None);
    let e_a = msg(Level::Error, "VirtualService", "default", "a", None);
    let mut e_code = msg(Level::Error, "VirtualService", "default", "0", None);
    e_code.code = "IST0112";
    let warn = msg(Level::Warning, "Gateway", "x", "y", None);
    let sorted = sort_dedup(vec![
        info.clone(),
        e_b.clone(),
        warn.clone(),
        e_code.clone(),
        e_a.clone(),
        e_b.clone(),
    ]);
    assert_eq!(sorted, vec![e_a, e_b, e_code, warn, info]);
}

// ---------------------------------------------------------------- whole pipeline

/// The ingress gateway's Service, forwarding port 80 to the gateway pods' 8080.
fn ingress_service() -> Value {
    svc(
        "istio-system",
        "istio-ingressgateway",
        json!([{"name": "http2", "port": 80, "targetPort": 8080}]),
    )
}

#[test]
fn analyze_bookinfo_like_cluster() {
    let mut gw = json!({"kind": "Gateway", "metadata": {"name": "bookinfo-gateway", "namespace": "default"}, "spec": {"selector": {"istio": "ingressgateway"}, "servers": [{"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}});
    let mut bookinfo = vs(
        "default",
        "bookinfo",
        json!({"hosts": ["*"], "gateways": ["bookinfo-gateway"], "http": [{"route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}]}]}),
    );
    bookinfo["metadata"]["annotations"] = json!({"meshlite.io/origin": "bookinfo-gateway.yaml:41"});
    let values = vec![
        namespace("default", json!({"istio-injection": "enabled"})),
        namespace("other", json!({})),
        pod(
            "istio-system",
            "ingress",
            json!({"istio": "ingressgateway"}),
            &["istio-proxy"],
        ),
        ingress_service(),
        gw.clone(),
        bookinfo.clone(),
        svc("other", "web", json!([{"name": "web", "port": 80}])),
    ];
    let lines: Vec<String> = analyze(&values, Some("default"))
        .iter()
        .map(Message::line)
        .collect();
    assert_eq!(lines, vec!["Error [IST0101] (VirtualService default/bookinfo bookinfo-gateway.yaml:41) Referenced host not found: \"productpage\"".to_string()]);
    assert_eq!(
        summary(&analyze(&values, Some("default")), Some("default")).1,
        79
    );

    let all: Vec<String> = analyze(&values, None).iter().map(Message::line).collect();
    assert_eq!(all, vec![
        "Error [IST0101] (VirtualService default/bookinfo bookinfo-gateway.yaml:41) Referenced host not found: \"productpage\"".to_string(),
        "Info [IST0102] (Namespace other) The namespace is not enabled for Istio injection. Run 'kubectl label namespace other istio-injection=enabled' to enable it, or 'kubectl label namespace other istio-injection=disabled' to explicitly mark it as not needing injection.".to_string(),
        "Info [IST0118] (Service other/web) Port name web (port: 80, targetPort: 0) doesn't follow the naming convention of Istio port.".to_string(),
    ]);

    // Fixing the destination leaves a clean namespace.
    let mut values2 = values.clone();
    values2.push(svc(
        "default",
        "productpage",
        json!([{"name": "http", "port": 9080}]),
    ));
    let msgs = analyze(&values2, Some("default"));
    assert_eq!(msgs, vec![]);
    assert_eq!(
        summary(&msgs, Some("default")),
        (
            "\u{2714} No validation issues found when analyzing namespace: default.".to_string(),
            0
        )
    );

    // Objects without namespace take the analyzed namespace.
    gw["metadata"]
        .as_object_mut()
        .map(|m| m.remove("namespace"));
    bookinfo["metadata"]
        .as_object_mut()
        .map(|m| m.remove("namespace"));
    let values3 = vec![
        gw,
        bookinfo,
        ingress_service(),
        pod(
            "istio-system",
            "ingress",
            json!({"istio": "ingressgateway"}),
            &["istio-proxy"],
        ),
    ];
    let names: Vec<String> = analyze(&values3, Some("team"))
        .iter()
        .map(Message::friendly_name)
        .collect();
    assert_eq!(names, vec!["VirtualService team/bookinfo".to_string()]);
}

#[test]
fn garbage_input_is_ignored() {
    let values = vec![
        json!(null),
        json!(42),
        json!({"kind": "VirtualService"}),
        json!({"kind": "VirtualService", "metadata": {"name": "x"}, "spec": {"http": "nope", "gateways": [1, "mesh"]}}),
    ];
    assert_eq!(analyze(&values, None), vec![]);
}

// ---------------------------------------------------------------- Istio's analyzer test inputs

fn fixture_dir() -> Option<std::path::PathBuf> {
    match std::env::var("MESHLITE_ISTIO_FIXTURES") {
        Ok(dir) => Some(std::path::Path::new(&dir).join("analysis")),
        Err(_) => {
            eprintln!(
                "SKIPPED: MESHLITE_ISTIO_FIXTURES is not set; Istio analyzer fixtures not checked"
            );
            None
        }
    }
}

fn load_yaml(file: &str) -> Option<Vec<Value>> {
    let path = fixture_dir()?.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Some(parse_yaml(&text))
}

/// Compares `(code, friendly name)` multisets: Istio's test grid is order-insensitive.
fn assert_fixture(got: Vec<Message>, want: &[(&str, &str)]) {
    let mut got: Vec<(String, String)> = got
        .iter()
        .map(|m| (m.code.to_string(), m.friendly_name()))
        .collect();
    let mut want: Vec<(String, String)> = want
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn istio_virtualservice_destinationhosts() {
    let Some(values) = load_yaml("virtualservice_destinationhosts.yaml") else {
        return;
    };
    let got = super::virtualservice::destination_hosts(&objects(&values));
    assert_fixture(
        got.clone(),
        &[
            ("IST0101", "VirtualService default/reviews-bogushost"),
            ("IST0101", "VirtualService default/reviews-bogushost"),
            ("IST0101", "VirtualService default/reviews-bookinfo-other"),
            ("IST0101", "VirtualService default/reviews-mirror-bogushost"),
            ("IST0101", "VirtualService default/reviews-bogusport"),
            ("IST0112", "VirtualService default/reviews-2port-missing"),
            (
                "IST0101",
                "VirtualService istio-system/cross-namespace-details",
            ),
            ("IST0101", "VirtualService hello/hello-export-to-bogus"),
        ],
    );
    let texts: Vec<String> = got.iter().map(|m| m.text.clone()).collect();
    for want in [
        "Referenced host:port not found: \"reviews:999\"",
        "Referenced host not found: \"reviews-bogus\"",
        "Referenced host not found: \"\"",
        "Referenced mirror host not found: \"reviews-bogus\"",
        "This VirtualService routes to a service \"reviews-2port\" that exposes multiple ports [80 443]. Specifying a port in the destination is required to disambiguate.",
    ] {
        assert!(
            texts.iter().any(|t| t == want),
            "missing {want:?} in {texts:?}"
        );
    }
}

#[test]
fn istio_virtualservice_destinationrules() {
    let Some(values) = load_yaml("virtualservice_destinationrules.yaml") else {
        return;
    };
    let got = super::virtualservice::destination_rules(&objects(&values));
    assert_fixture(
        got.clone(),
        &[
            ("IST0101", "VirtualService default/reviews-bogussubset"),
            (
                "IST0101",
                "VirtualService default/reviews-mirror-bogussubset",
            ),
        ],
    );
    let texts: Vec<String> = sort_dedup(got).into_iter().map(|m| m.text).collect();
    assert_eq!(
        texts,
        vec![
            "Referenced host+subset in destinationrule not found: \"reviews+bogus\"".to_string(),
            "Referenced mirror+subset in destinationrule not found: \"reviews+bogus\"".to_string(),
        ]
    );
}

#[test]
fn istio_virtualservice_gateways() {
    let Some(values) = load_yaml("virtualservice_gateways.yaml") else {
        return;
    };
    // Istio's test leaves namespace-less objects without namespace; istioctl (and we) put
    // them in the analyzed namespace, here `default`.
    assert_fixture(
        super::virtualservice::gateways(&objects(&values)),
        &[
            ("IST0101", "VirtualService default/httpbin-bogus"),
            ("IST0132", "VirtualService default/cross-test"),
            ("IST0132", "VirtualService default/httpbin-bogus"),
            ("IST0132", "VirtualService default/httpbin"),
        ],
    );
}

#[test]
fn catalogue_matches_istio_messages_yaml() {
    let Some(values) = load_yaml("messages.yaml") else {
        return;
    };
    let entries = values
        .first()
        .map(|v| super::object::arr(v, "messages"))
        .unwrap_or(&[]);
    for ty in catalogue::ALL {
        let entry = entries
            .iter()
            .find(|e| e.get("code").and_then(Value::as_str) == Some(ty.code))
            .unwrap_or_else(|| panic!("{} not in messages.yaml", ty.code));
        assert_eq!(entry["name"].as_str(), Some(ty.name), "{}", ty.code);
        assert_eq!(
            entry["level"].as_str(),
            Some(ty.level.as_str()),
            "{}",
            ty.code
        );
        assert_eq!(entry["template"].as_str(), Some(ty.template), "{}", ty.code);
    }
}
