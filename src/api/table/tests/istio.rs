//! Istio's custom resources, printed from their CRD printer columns.

use serde_json::{json, Value};

use super::{ago, cells, column_names, table};

fn resource(spec: Value) -> Value {
    json!({"metadata": {"name": "r", "namespace": "demo", "creationTimestamp": ago(1500)}, "spec": spec})
}

#[test]
fn columns_per_kind() {
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("gateways", vec!["Name", "Age"]),
        ("sidecars", vec!["Name", "Age"]),
        ("virtualservices", vec!["Name", "Gateways", "Hosts", "Age"]),
        (
            "virtualservices.networking.istio.io",
            vec!["Name", "Gateways", "Hosts", "Age"],
        ),
        ("destinationrules", vec!["Name", "Host", "Age"]),
        (
            "serviceentries",
            vec!["Name", "Hosts", "Location", "Resolution", "Age"],
        ),
        ("peerauthentications", vec!["Name", "Mode", "Age"]),
        ("authorizationpolicies", vec!["Name", "Action", "Age"]),
    ];
    for (plural, want) in cases {
        assert_eq!(column_names(plural), want, "{plural}");
        let t = table(plural, &json!({}));
        let cols = t["columnDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            cols.first()
                .map(|c| (c["type"].clone(), c["format"].clone())),
            Some((json!("string"), json!("name"))),
            "{plural}"
        );
        assert_eq!(
            cols.last().map(|c| c["type"].clone()),
            Some(json!("date")),
            "{plural}: Age is a date column"
        );
        assert!(cols.iter().all(|c| c["priority"] == json!(0)), "{plural}");
    }
}

#[test]
fn cells_per_kind() {
    let cases: Vec<(&str, Value, Vec<Value>)> = vec![
        (
            "virtualservices",
            resource(json!({"hosts": ["*"], "gateways": ["httpbin-gateway"]})),
            vec![
                json!("r"),
                json!("[\"httpbin-gateway\"]"),
                json!("[\"*\"]"),
                json!("25m"),
            ],
        ),
        (
            "virtualservices",
            resource(json!({"hosts": ["reviews", "ratings.demo.svc.cluster.local"]})),
            vec![
                json!("r"),
                Value::Null,
                json!("[\"reviews\",\"ratings.demo.svc.cluster.local\"]"),
                json!("25m"),
            ],
        ),
        (
            "virtualservices",
            resource(json!({"hosts": [], "gateways": null})),
            vec![json!("r"), Value::Null, json!("[]"), json!("25m")],
        ),
        (
            "destinationrules",
            resource(json!({"host": "reviews.demo.svc.cluster.local"})),
            vec![
                json!("r"),
                json!("reviews.demo.svc.cluster.local"),
                json!("25m"),
            ],
        ),
        (
            "serviceentries",
            resource(
                json!({"hosts": ["api.example.com"], "location": "MESH_EXTERNAL", "resolution": "DNS"}),
            ),
            vec![
                json!("r"),
                json!("[\"api.example.com\"]"),
                json!("MESH_EXTERNAL"),
                json!("DNS"),
                json!("25m"),
            ],
        ),
        (
            "serviceentries",
            resource(json!({"hosts": ["a.example.com"]})),
            vec![
                json!("r"),
                json!("[\"a.example.com\"]"),
                Value::Null,
                Value::Null,
                json!("25m"),
            ],
        ),
        (
            "peerauthentications",
            resource(json!({"mtls": {"mode": "STRICT"}})),
            vec![json!("r"), json!("STRICT"), json!("25m")],
        ),
        (
            "peerauthentications",
            resource(json!({})),
            vec![json!("r"), Value::Null, json!("25m")],
        ),
        (
            "authorizationpolicies",
            resource(json!({"action": "DENY"})),
            vec![json!("r"), json!("DENY"), json!("25m")],
        ),
        (
            "authorizationpolicies",
            resource(json!({"rules": [{}]})),
            vec![json!("r"), Value::Null, json!("25m")],
        ),
        (
            "gateways",
            resource(json!({"selector": {"istio": "ingressgateway"}})),
            vec![json!("r"), json!("25m")],
        ),
        (
            "gateways",
            json!({"metadata": {"name": "g"}}),
            vec![json!("g"), Value::Null],
        ),
        (
            "gateways",
            json!({"metadata": {"name": "g", "creationTimestamp": "soon"}}),
            vec![json!("g"), json!("<invalid>")],
        ),
    ];
    for (plural, obj, want) in cases {
        assert_eq!(cells(plural, &obj), want, "{plural} {obj}");
    }
}

#[test]
fn string_columns_render_like_go_jsonpath() {
    let cases: Vec<(Value, &str)> = vec![
        (json!("plain <text> & more"), "plain <text> & more"),
        (json!(3), "3"),
        (json!(3.0), "3"),
        (json!(2.5), "2.5"),
        (json!(true), "true"),
        (
            json!(["a<b", "c&d", "e>f"]),
            "[\"a\\u003cb\",\"c\\u0026d\",\"e\\u003ef\"]",
        ),
        (
            json!({"z": 1, "a": {"y": [true, null], "b": "q\"\n"}}),
            "{\"a\":{\"b\":\"q\\\"\\n\",\"y\":[true,null]},\"z\":1}",
        ),
        (
            json!(["tab\there", "\u{1}", "\u{2028}"]),
            "[\"tab\\there\",\"\\u0001\",\"\\u2028\"]",
        ),
    ];
    for (host, want) in cases {
        let obj = resource(json!({"host": host}));
        assert_eq!(
            cells("destinationrules", &obj).get(1),
            Some(&json!(want)),
            "{host}"
        );
    }
}
