//! Services and endpoints.

use serde_json::{json, Value};

use super::{ago, cells, column_names};

fn service(spec: Value, status: Value) -> Value {
    json!({
        "kind": "Service",
        "metadata": {"name": "httpbin", "namespace": "demo", "creationTimestamp": ago(86400 * 3)},
        "spec": spec,
        "status": status,
    })
}

#[test]
fn service_columns() {
    assert_eq!(
        column_names("services"),
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
}

#[test]
fn service_cells_by_type() {
    let cases: Vec<(&str, Value, [&str; 6])> = vec![
        (
            "cluster ip",
            service(
                json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
            "ports": [{"port": 8000, "targetPort": 80, "protocol": "TCP"}], "selector": {"app": "httpbin"}}),
                json!({}),
            ),
            [
                "ClusterIP",
                "10.96.0.10",
                "<none>",
                "8000/TCP",
                "3d",
                "app=httpbin",
            ],
        ),
        (
            "defaults: type, protocol, clusterIP fallback",
            service(
                json!({"clusterIP": "10.96.0.11",
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}],
            "selector": {"version": "v1", "app": "dns"}}),
                json!({}),
            ),
            [
                "ClusterIP",
                "10.96.0.11",
                "<none>",
                "53/UDP,53/TCP",
                "3d",
                "app=dns,version=v1",
            ],
        ),
        (
            "headless without ports or selector",
            service(
                json!({"type": "ClusterIP", "clusterIP": "None",
            "clusterIPs": ["None"]}),
                json!({}),
            ),
            ["ClusterIP", "None", "<none>", "<none>", "3d", "<none>"],
        ),
        (
            "cluster ip with external ips",
            service(
                json!({"type": "ClusterIP", "clusterIPs": ["10.96.0.12"],
            "externalIPs": ["192.0.2.1", "192.0.2.2"], "ports": [{"port": 80, "protocol": "TCP"}]}),
                json!({}),
            ),
            [
                "ClusterIP",
                "10.96.0.12",
                "192.0.2.1,192.0.2.2",
                "80/TCP",
                "3d",
                "<none>",
            ],
        ),
        (
            "node port",
            service(
                json!({"type": "NodePort", "clusterIPs": ["10.96.0.13"],
            "ports": [{"port": 8000, "nodePort": 30187, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]}),
                json!({}),
            ),
            [
                "NodePort",
                "10.96.0.13",
                "<none>",
                "8000:30187/TCP,443/TCP",
                "3d",
                "<none>",
            ],
        ),
        (
            "load balancer pending",
            service(
                json!({"type": "LoadBalancer", "clusterIPs": ["10.96.0.14"],
            "ports": [{"port": 80, "nodePort": 31380, "protocol": "TCP"}]}),
                json!({"loadBalancer": {}}),
            ),
            [
                "LoadBalancer",
                "10.96.0.14",
                "<pending>",
                "80:31380/TCP",
                "3d",
                "<none>",
            ],
        ),
        (
            "load balancer with ingress",
            service(
                json!({"type": "LoadBalancer", "clusterIPs": ["10.96.0.15"],
            "ports": [{"port": 80, "nodePort": 31380, "protocol": "TCP"}, {"port": 443, "nodePort": 31390, "protocol": "TCP"}]}),
                json!({"loadBalancer": {"ingress": [{"ip": "172.18.0.9"}, {"hostname": "lb.example.com"},
                                                {"ip": "172.18.0.10"}, {"ip": "172.18.0.9"}, {}]}}),
            ),
            [
                "LoadBalancer",
                "10.96.0.15",
                "172.18.0.10,172.18.0.9,lb.example.com",
                "80:31380/TCP,443:31390/TCP",
                "3d",
                "<none>",
            ],
        ),
        (
            "load balancer with external ips",
            service(
                json!({"type": "LoadBalancer", "clusterIPs": ["10.96.0.16"],
            "externalIPs": ["192.0.2.7"], "ports": [{"port": 80, "protocol": "TCP"}]}),
                json!({"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}),
            ),
            [
                "LoadBalancer",
                "10.96.0.16",
                "127.0.0.1,192.0.2.7",
                "80/TCP",
                "3d",
                "<none>",
            ],
        ),
        (
            "load balancer with only external ips",
            service(
                json!({"type": "LoadBalancer", "clusterIPs": ["10.96.0.17"],
            "externalIPs": ["192.0.2.8"], "ports": [{"port": 80, "protocol": "TCP"}]}),
                json!({}),
            ),
            [
                "LoadBalancer",
                "10.96.0.17",
                "192.0.2.8",
                "80/TCP",
                "3d",
                "<none>",
            ],
        ),
        (
            "external name",
            service(
                json!({"type": "ExternalName", "externalName": "httpbin.org"}),
                json!({}),
            ),
            [
                "ExternalName",
                "<none>",
                "httpbin.org",
                "<none>",
                "3d",
                "<none>",
            ],
        ),
        (
            "unknown type",
            service(
                json!({"type": "Weird", "clusterIPs": ["10.96.0.18"]}),
                json!({}),
            ),
            ["Weird", "10.96.0.18", "<unknown>", "<none>", "3d", "<none>"],
        ),
    ];
    for (name, svc, want) in cases {
        let row = cells("services", &svc);
        assert_eq!(row.first(), Some(&json!("httpbin")), "{name}");
        assert_eq!(&row[1..], &want.map(|s| json!(s))[..], "{name}");
    }
}

fn endpoints(subsets: Value) -> Value {
    json!({"kind": "Endpoints", "metadata": {"name": "httpbin", "creationTimestamp": ago(42)}, "subsets": subsets})
}

#[test]
fn endpoints_cells() {
    assert_eq!(column_names("endpoints"), ["Name", "Endpoints", "Age"]);
    let cases = vec![
        (json!(null), "<none>"),
        (json!([]), "<none>"),
        (
            json!([{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 8080, "protocol": "TCP"}]}]),
            "127.0.0.1:8080",
        ),
        (
            json!([{"addresses": [{"ip": "127.0.0.1"}, {"ip": "127.0.0.2"}], "ports": [{"port": 8080}]}]),
            "127.0.0.1:8080,127.0.0.2:8080",
        ),
        (
            json!([{"addresses": [{"ip": "127.0.0.1"}, {"ip": "127.0.0.2"}, {"ip": "127.0.0.3"}, {"ip": "127.0.0.4"}],
                 "ports": [{"port": 8080}]}]),
            "127.0.0.1:8080,127.0.0.2:8080,127.0.0.3:8080 + 1 more...",
        ),
        (
            json!([{"addresses": [{"ip": "127.0.0.1"}, {"ip": "127.0.0.2"}], "ports": [{"port": 8080}, {"port": 8081}]},
                {"addresses": [{"ip": "127.0.0.9"}], "ports": [{"port": 9090}]}]),
            "127.0.0.1:8080,127.0.0.2:8080,127.0.0.1:8081 + 2 more...",
        ),
        (
            json!([{"addresses": [{"ip": "127.0.0.1"}, {"ip": "127.0.0.2"}, {"ip": "127.0.0.3"}], "ports": [{"port": 80}]}]),
            "127.0.0.1:80,127.0.0.2:80,127.0.0.3:80",
        ),
        (
            json!([{"addresses": [{"ip": "10.1.0.1"}, {"ip": "10.1.0.2"}]}]),
            "10.1.0.1,10.1.0.2",
        ),
        (
            json!([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]),
            "[fd00::1]:80",
        ),
        (
            json!([{"notReadyAddresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 80}]}]),
            "",
        ),
    ];
    for (subsets, want) in cases {
        let row = cells("endpoints", &endpoints(subsets.clone()));
        assert_eq!(
            row,
            vec![json!("httpbin"), json!(want), json!("42s")],
            "{subsets}"
        );
    }
}
