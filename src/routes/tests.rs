//! Table tests of the route compiler and matcher.

mod fixtures;
mod gateway;
mod matching;
mod sidecar;

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// Parses a multi-document YAML string into a snapshot by `kind`.
pub(super) fn snapshot(yaml: &str) -> Snapshot {
    let mut s = Snapshot::default();
    add_yaml(&mut s, yaml, None);
    s
}

/// Adds the documents of `yaml`, defaulting `metadata.namespace` to `ns` (or "default").
pub(super) fn add_yaml(s: &mut Snapshot, yaml: &str, ns: Option<&str>) {
    for doc in serde_yaml::Deserializer::from_str(yaml) {
        let value: Value = serde::Deserialize::deserialize(doc).expect("yaml document");
        if value.is_null() {
            continue;
        }
        let mut value = value;
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.entry("namespace")
                .or_insert_with(|| Value::String(ns.unwrap_or("default").into()));
        }
        match value.get("kind").and_then(Value::as_str) {
            Some("Gateway") => s.gateways.push(value),
            Some("VirtualService") => s.virtual_services.push(value),
            Some("DestinationRule") => s.destination_rules.push(value),
            Some("Service") => s.services.push(value),
            _ => {}
        }
    }
}

/// A Service `name` in `ns` with the given ports (named `http-<port>`).
pub(super) fn service(name: &str, ns: &str, ports: &[u16]) -> Value {
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| serde_json::json!({"name": format!("http-{p}"), "port": p}))
        .collect();
    serde_json::json!({
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"ports": ports},
    })
}

/// The standard ingress gateway workload: `istio: ingressgateway`, 80→8080, 443→8443.
pub(super) fn ingress() -> GatewayWorkload {
    GatewayWorkload {
        namespace: "istio-system".into(),
        labels: BTreeMap::from([
            ("istio".to_string(), "ingressgateway".to_string()),
            ("app".to_string(), "istio-ingressgateway".to_string()),
        ]),
        service_ports: vec![(15021, 15021), (80, 8080), (443, 8443)],
    }
}

/// A request builder with sensible defaults.
#[derive(Clone, Debug)]
pub(super) struct Req {
    pub method: String,
    pub scheme: String,
    pub authority: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub port: u16,
    pub source_labels: BTreeMap<String, String>,
    pub source_namespace: String,
    pub gateway: Option<String>,
}

impl Req {
    pub fn get(authority: &str, path: &str) -> Self {
        Self {
            method: "GET".into(),
            scheme: "http".into(),
            authority: authority.into(),
            path: path.into(),
            headers: Vec::new(),
            port: 80,
            source_labels: BTreeMap::new(),
            source_namespace: "default".into(),
            gateway: None,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn as_request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            scheme: &self.scheme,
            authority: &self.authority,
            path: &self.path,
            headers: &self.headers,
            port: self.port,
            source_labels: &self.source_labels,
            source_namespace: &self.source_namespace,
            gateway: self.gateway.as_deref(),
        }
    }
}

/// A compact description of a selection: `host:port` of the first cluster, `redirect`,
/// `direct:<status>`, `no-vhost` or `no-route`.
pub(super) fn describe(sel: Selection) -> String {
    match sel {
        Selection::NoVirtualHost => "no-vhost".into(),
        Selection::NoRoute => "no-route".into(),
        Selection::Route(route) => match &route.action {
            Action::Route(clusters) => clusters
                .iter()
                .map(|c| {
                    let mut s = c.host.clone();
                    if let Some(p) = c.port {
                        s.push_str(&format!(":{p}"));
                    }
                    if let Some(sub) = &c.subset {
                        s.push_str(&format!("/{sub}"));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join(","),
            Action::Redirect { .. } => "redirect".into(),
            Action::DirectResponse { status, .. } => format!("direct:{status}"),
        },
    }
}

fn cluster(host: &str, weight: u32) -> WeightedCluster {
    WeightedCluster {
        host: host.into(),
        weight,
        ..WeightedCluster::default()
    }
}

#[test]
fn pick_weighted_boundaries() {
    let clusters = [cluster("a", 80), cluster("b", 0), cluster("c", 20)];
    let cases: &[(u32, Option<&str>)] = &[
        (0, Some("a")),
        (79, Some("a")),
        (80, Some("c")),
        (99, Some("c")),
        (100, None),
        (u32::MAX, None),
    ];
    for (roll, want) in cases {
        let got = pick_weighted(&clusters, *roll).map(|c| c.host.as_str());
        assert_eq!(got, *want, "roll {roll}");
    }
    assert_eq!(total_weight(&clusters), 100);
    assert!(pick_weighted(&[], 0).is_none());
}

#[test]
fn short_names() {
    let cases = [
        ("reviews", "default", "reviews.default.svc.cluster.local"),
        ("reviews.default", "x", "reviews.default"),
        ("*", "x", "*"),
        ("*.example.com", "x", "*.example.com"),
        ("10.0.0.1", "x", "10.0.0.1"),
        ("::1", "x", "::1"),
    ];
    for (host, ns, want) in cases {
        assert_eq!(resolve_short_name(host, ns), want, "{host} in {ns}");
    }
}

#[test]
fn host_containment() {
    let cases = [
        ("a.b.com", "*", true),
        ("a.b.com", "*.b.com", true),
        ("b.com", "*.b.com", false),
        ("*.a.b.com", "*.b.com", true),
        ("*.b.com", "*.a.b.com", false),
        ("*", "*.b.com", false),
        ("A.B.com", "a.b.com", true),
        ("a.b.com", "c.b.com", false),
    ];
    for (host, pattern, want) in cases {
        assert_eq!(host_matches(host, pattern), want, "{host} within {pattern}");
    }
}

#[test]
fn base64_bodies() {
    let cases: &[(&str, Option<&[u8]>)] = &[
        ("aGVsbG8=", Some(b"hello")),
        ("aGVsbG8", Some(b"hello")),
        ("", Some(b"")),
        ("a", None),
        ("a*bc", None),
        ("/w==", Some(&[0xff])),
    ];
    for (text, want) in cases {
        assert_eq!(base64::decode(text).as_deref(), *want, "{text:?}");
    }
}

#[test]
fn redirect_locations() {
    let redirect =
        |scheme: Option<&str>, authority: Option<&str>, uri: Option<&str>, port| Action::Redirect {
            scheme: scheme.map(str::to_string),
            authority: authority.map(str::to_string),
            uri: uri.map(str::to_string),
            port,
            code: 301,
        };
    let req = Req {
        port: 8080,
        ..Req::get("shop.example.com:8080", "/old?q=1")
    };
    let cases = [
        (
            redirect(None, None, Some("/new"), None),
            "http://shop.example.com:8080/new?q=1",
        ),
        (
            redirect(None, None, Some("/new?x"), None),
            "http://shop.example.com:8080/new?x",
        ),
        (
            redirect(
                Some("https"),
                None,
                None,
                Some(RedirectPort::FromProtocolDefault),
            ),
            "https://shop.example.com/old?q=1",
        ),
        (
            redirect(None, Some("other.io"), None, None),
            "http://other.io/old?q=1",
        ),
        (
            redirect(
                None,
                Some("other.io"),
                None,
                Some(RedirectPort::FromRequestPort),
            ),
            "http://other.io:8080/old?q=1",
        ),
        (
            redirect(Some("https"), None, None, Some(RedirectPort::Fixed(443))),
            "https://shop.example.com/old?q=1",
        ),
        (
            redirect(None, None, None, Some(RedirectPort::Fixed(9000))),
            "http://shop.example.com:9000/old?q=1",
        ),
    ];
    for (action, want) in cases {
        assert_eq!(
            action.redirect_location(&req.as_request()).as_deref(),
            Some(want),
            "{action:?}"
        );
    }
    let direct = Action::DirectResponse {
        status: 200,
        body: None,
    };
    assert!(direct.redirect_location(&req.as_request()).is_none());
}
