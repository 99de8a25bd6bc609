//! Tables for planning and name resolution; socket tests live in `tests/net.rs`.

mod net;

use super::*;
use serde_json::{json, Value};
use std::net::SocketAddr;

fn svc(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

fn eps(ns: &str, name: &str, subsets: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Endpoints",
           "metadata": {"name": name, "namespace": ns}, "subsets": subsets})
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn fe(service: &str, port: u16, port_name: Option<&str>, bind: Bind, backends: &[u16]) -> Frontend {
    Frontend {
        namespace: "default".into(),
        service: service.into(),
        port,
        port_name: port_name.map(str::to_string),
        bind,
        backends: backends.iter().map(|p| addr(*p)).collect(),
    }
}

const CLUSTER: Bind = Bind::ClusterPort { preferred: None };

#[test]
fn plan_table() {
    let ready = |ports: Value| json!([{"addresses": [{"ip": "127.0.0.1"}], "ports": ports}]);
    type Case = (&'static str, Vec<Value>, Vec<Value>, Vec<Frontend>);
    let cases: Vec<Case> = vec![
        ("no services", vec![], vec![], vec![]),
        (
            "cluster IP service without endpoints",
            vec![svc(
                "default",
                "a",
                json!({"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}),
            )],
            vec![],
            vec![fe("a", 80, None, CLUSTER, &[])],
        ),
        (
            "headless and ExternalName services get nothing",
            vec![
                svc(
                    "default",
                    "h",
                    json!({"clusterIP": "None", "ports": [{"port": 80}]}),
                ),
                svc(
                    "default",
                    "x",
                    json!({"type": "ExternalName", "externalName": "example.com"}),
                ),
            ],
            vec![],
            vec![],
        ),
        (
            "UDP and SCTP ports are skipped",
            vec![svc(
                "default",
                "dns",
                json!({"clusterIP": "10.0.0.2", "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
            {"name": "s", "port": 99, "protocol": "SCTP"}]}),
            )],
            vec![eps(
                "default",
                "dns",
                ready(json!([{"name": "dns", "port": 1000, "protocol": "UDP"},
                                                  {"name": "dns-tcp", "port": 1001, "protocol": "TCP"}])),
            )],
            vec![fe("dns", 53, Some("dns-tcp"), CLUSTER, &[1001])],
        ),
        (
            "NodePort adds a node frontend per port",
            vec![svc(
                "default",
                "n",
                json!({"clusterIP": "10.0.0.3", "type": "NodePort",
            "ports": [{"name": "http", "port": 80, "nodePort": 30080}, {"name": "grpc", "port": 90, "nodePort": 30090}]}),
            )],
            vec![eps(
                "default",
                "n",
                ready(json!([{"name": "grpc", "port": 2002}, {"name": "http", "port": 2001}])),
            )],
            vec![
                fe("n", 80, Some("http"), CLUSTER, &[2001]),
                fe("n", 80, Some("http"), Bind::NodePort(30080), &[2001]),
                fe("n", 90, Some("grpc"), CLUSTER, &[2002]),
                fe("n", 90, Some("grpc"), Bind::NodePort(30090), &[2002]),
            ],
        ),
        (
            "LoadBalancer too, ClusterIP type ignores stray nodePort",
            vec![
                svc(
                    "default",
                    "lb",
                    json!({"clusterIP": "10.0.0.4", "type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 31000}]}),
                ),
                svc(
                    "default",
                    "c",
                    json!({"clusterIP": "10.0.0.5", "type": "ClusterIP", "ports": [{"port": 80, "nodePort": 31001}]}),
                ),
            ],
            vec![],
            vec![
                fe("lb", 80, None, CLUSTER, &[]),
                fe("lb", 80, None, Bind::NodePort(31000), &[]),
                fe("c", 80, None, CLUSTER, &[]),
            ],
        ),
        (
            "preferred cluster ports from the annotation",
            vec![{
                let mut s = svc(
                    "default",
                    "p",
                    json!({"clusterIP": "10.0.0.6", "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 81}]}),
                );
                s["metadata"]["annotations"] =
                    json!({"meshlite.io/cluster-ports": r#"{"80/TCP":40080}"#});
                s
            }],
            vec![],
            vec![
                fe(
                    "p",
                    80,
                    Some("a"),
                    Bind::ClusterPort {
                        preferred: Some(40080),
                    },
                    &[],
                ),
                fe("p", 81, Some("b"), CLUSTER, &[]),
            ],
        ),
        (
            "backends: ready addresses only, across subsets, matching port names",
            vec![svc(
                "default",
                "m",
                json!({"clusterIP": "10.0.0.7",
            "ports": [{"name": "http", "port": 80}]}),
            )],
            vec![eps(
                "default",
                "m",
                json!([
            {"addresses": [{"ip": "127.0.0.1"}], "notReadyAddresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 3001}]},
            {"notReadyAddresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 3002}]},
            {"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "other", "port": 3003}]},
            {"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 3004}]}]),
            )],
            vec![fe("m", 80, Some("http"), CLUSTER, &[3001, 3004])],
        ),
        (
            "endpoints of another namespace are not used",
            vec![svc(
                "default",
                "a",
                json!({"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}),
            )],
            vec![eps("other", "a", ready(json!([{"port": 5}])))],
            vec![fe("a", 80, None, CLUSTER, &[])],
        ),
    ];
    for (name, services, endpoints, want) in cases {
        assert_eq!(plan(&services, &endpoints), want, "case: {name}");
    }
}

fn registry() -> Registry {
    let services = vec![
        svc(
            "default",
            "web",
            json!({"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "ports": [{"name": "http", "port": 80}, {"name": "admin", "port": 9000}]}),
        ),
        svc(
            "default",
            "ratings",
            json!({"clusterIP": "10.96.0.11", "ports": [{"port": 9080}]}),
        ),
        svc(
            "shop",
            "web",
            json!({"clusterIP": "10.96.0.12", "ports": [{"port": 8080}]}),
        ),
        svc(
            "default",
            "empty",
            json!({"clusterIP": "10.96.0.13", "ports": [{"port": 80}]}),
        ),
        svc(
            "default",
            "udp",
            json!({"clusterIP": "10.96.0.14", "ports": [{"port": 53, "protocol": "UDP"}]}),
        ),
    ];
    let endpoints = vec![
        eps(
            "default",
            "web",
            json!([{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 1080}, {"name": "admin", "port": 1090}]}]),
        ),
        eps(
            "default",
            "ratings",
            json!([{"addresses": [{"ip": "127.0.0.1"}, {"ip": "127.0.0.1"}], "ports": [{"port": 2000}]}]),
        ),
        eps(
            "shop",
            "web",
            json!([{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 3000}]}]),
        ),
        eps(
            "default",
            "empty",
            json!([{"notReadyAddresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 4000}]}]),
        ),
    ];
    Registry::new(&services, &endpoints)
}

#[test]
fn resolve_table() {
    let r = registry();
    let ok = |ports: &[u16]| Ok(ports.iter().map(|p| addr(*p)).collect::<Vec<_>>());
    type Case = (
        &'static str,
        Option<u16>,
        &'static str,
        Result<Vec<SocketAddr>, String>,
    );
    let cases: Vec<Case> = vec![
        ("web", None, "default", ok(&[1080])),
        ("web", Some(80), "default", ok(&[1080])),
        ("web", Some(9000), "default", ok(&[1090])),
        ("WEB.Default", Some(80), "shop", ok(&[1080])),
        ("web.default.svc", None, "shop", ok(&[1080])),
        ("web.default.svc.cluster.local.", None, "shop", ok(&[1080])),
        ("web", None, "shop", ok(&[3000])),
        ("web.shop", Some(8080), "default", ok(&[3000])),
        ("ratings", None, "default", ok(&[2000, 2000])),
        ("10.96.0.11", Some(9080), "anything", ok(&[2000, 2000])),
        ("10.96.0.10", None, "x", ok(&[1080])),
        ("reviews", None, "default", Err(r#"no Service "reviews" in namespace "default""#.into())),
        ("ratings.shop", None, "default", Err(r#"no Service "ratings" in namespace "shop""#.into())),
        ("10.96.9.9", Some(80), "default", Err("no Service has cluster IP 10.96.9.9".into())),
        ("web.default.svc.other", None, "default", Err(r#"cannot resolve host "web.default.svc.other": expected <service>[.<namespace>[.svc[.cluster.local]]]"#.into())),
        ("web", Some(81), "default", Err(r#"Service "web" in namespace "default" has no port 81 (its ports: 80, 9000)"#.into())),
        ("empty", None, "default", Err(r#"Service "empty" in namespace "default" port 80 has no ready endpoints"#.into())),
        ("udp", None, "default", Err(r#"Service "udp" in namespace "default" has no TCP ports"#.into())),
        ("", None, "default", Err(r#"cannot resolve host "": expected <service>[.<namespace>[.svc[.cluster.local]]]"#.into())),
    ];
    for (host, port, ns, want) in cases {
        let got = r.resolve(host, port, ns).map_err(|e| e.to_string());
        assert_eq!(got, want, "resolve({host:?}, {port:?}, {ns:?})");
    }
}

#[test]
fn empty_registry_resolves_nothing() {
    let r = Registry::default();
    assert!(matches!(
        r.resolve("web", None, "default"),
        Err(ResolveError::UnknownService { .. })
    ));
}
