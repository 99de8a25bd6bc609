use super::*;
use serde_json::json;

fn service(ns: &str, name: &str, ip: &str, ports: &[u16]) -> Value {
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| json!({"name": format!("p{p}"), "port": p, "protocol": "TCP"}))
        .collect();
    json!({
        "metadata": {"namespace": ns, "name": name},
        "spec": {"clusterIP": ip, "ports": ports}
    })
}

/// Endpoints with a subset per pod: `pods` are (pod name, host port) and every port is named
/// `p<svc port>`.
fn endpoints(ns: &str, name: &str, svc_port: u16, pods: &[(&str, u16)]) -> Vec<Value> {
    let subsets: Vec<Value> = pods
        .iter()
        .map(|(pod, port)| {
            json!({
                "addresses": [{"ip": "127.0.0.1", "targetRef": {"kind": "Pod", "name": pod, "namespace": ns}}],
                "ports": [{"name": format!("p{svc_port}"), "port": port, "protocol": "TCP"}]
            })
        })
        .collect();
    vec![json!({"metadata": {"namespace": ns, "name": name}, "subsets": subsets})]
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

fn sample() -> MeshConfig {
    let mut eps = endpoints(
        "default",
        "hello",
        5000,
        &[("hello-a", 20001), ("hello-b", 20002)],
    );
    eps.extend(endpoints("other", "web", 80, &[("web-1", 20003)]));
    eps.extend(endpoints("default", "empty", 80, &[]));
    let config = json!({
        "services": [
            service("default", "hello", "10.96.0.10", &[5000]),
            service("other", "web", "10.96.0.11", &[8080, 80]),
            service("default", "empty", "10.96.0.12", &[80]),
            service("default", "multi", "10.96.0.13", &[9000, 9001]),
        ],
        "endpoints": eps,
        "sidecars": {"default/hello-a": {"inbound": 21000}}
    });
    MeshConfig::parse(&config).expect("valid config")
}

#[test]
fn invalid_configs_are_rejected() {
    let cases = [
        (json!([]), "config must be a JSON object"),
        (
            json!({"services": {}}),
            "config field \"services\" must be an array of objects",
        ),
        (
            json!({"endpoints": [1]}),
            "config field \"endpoints\" must be an array of objects",
        ),
        (
            json!({"sidecars": []}),
            "config field \"sidecars\" must be an object",
        ),
        (
            json!({"sidecars": {"nopod": {"inbound": 1}}}),
            "config sidecars[\"nopod\"]: key must be NAMESPACE/POD",
        ),
        (
            json!({"sidecars": {"ns/p": {"inbound": 70000}}}),
            "config sidecars[\"ns/p\"]: \"inbound\" must be a port number (1-65535)",
        ),
        (
            json!({"sidecars": {"ns/p": {}}}),
            "config sidecars[\"ns/p\"]: \"inbound\" must be a port number (1-65535)",
        ),
    ];
    for (config, want) in cases {
        let got = MeshConfig::parse(&config)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(got, Err(want.to_string()), "{config}");
    }
    for ok in [
        json!({}),
        json!({"services": null, "sidecars": null}),
        json!({"services": [], "endpoints": [], "sidecars": {}}),
    ] {
        assert!(MeshConfig::parse(&ok).is_ok(), "{ok}");
    }
}

#[test]
fn endpoint_lookups() {
    let cfg = sample();
    assert_eq!(
        cfg.service_at(addr(20002)),
        Some("hello.default.svc.cluster.local")
    );
    assert_eq!(cfg.service_at(addr(9)), None);
    assert_eq!(MeshConfig::default().service_at(addr(20002)), None);
}
