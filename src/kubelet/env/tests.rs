use super::*;
use serde_json::json;

fn pod() -> Value {
    json!({
        "metadata": {"name": "httpbin-1", "namespace": "default", "uid": "u1",
                     "labels": {"app": "httpbin"}},
        "spec": {"serviceAccountName": "httpbin", "containers": []}
    })
}

fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
}

#[test]
fn ports_proxy_and_field_refs() {
    let container = json!({"name": "c", "env": [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "GREETING", "value": "hi $(POD_NAME) $$(POD_NAME) $(NOPE)"},
        {"name": "PORT", "value": "9999"},
    ]});
    let ctx = Context {
        host_ports: [(8080, 20001), (9090, 20002)].into_iter().collect(),
        listen_port: Some(20001),
        proxy_port: Some(20500),
        path: "/bin".into(),
        ..Context::default()
    };
    let env = build(&pod(), &container, &ctx);
    assert_eq!(get(&env, "POD_NAME"), Some("httpbin-1"));
    assert_eq!(get(&env, "NS"), Some("default"));
    assert_eq!(get(&env, "IP"), Some("127.0.0.1"));
    assert_eq!(get(&env, "SA"), Some("httpbin"));
    assert_eq!(get(&env, "APP"), Some("httpbin"));
    assert_eq!(
        get(&env, "GREETING"),
        Some("hi httpbin-1 $(POD_NAME) $(NOPE)")
    );
    // The container's own env wins over meshlite's.
    assert_eq!(get(&env, "PORT"), Some("9999"));
    assert_eq!(env.iter().filter(|(k, _)| k == "PORT").count(), 1);
    assert_eq!(get(&env, "PORT_8080"), Some("20001"));
    assert_eq!(get(&env, "PORT_9090"), Some("20002"));
    assert_eq!(
        get(&env, "HTTP_PROXY"),
        Some("http://default:pod@127.0.0.1:20500")
    );
    assert_eq!(get(&env, "NO_PROXY"), Some("localhost,127.0.0.1,::1"));
    assert_eq!(get(&env, "HOSTNAME"), Some("httpbin-1"));
    assert_eq!(get(&env, "PATH"), Some("/bin"));
}

#[test]
fn service_variables() {
    let svc = json!({
        "metadata": {"name": "details-v1", "namespace": "default",
                     "annotations": {"meshlite.io/cluster-ports": "{\"9080/TCP\":41000}"}},
        "spec": {"clusterIP": "10.96.3.4", "ports": [
            {"name": "http", "port": 9080, "protocol": "TCP"},
            {"port": 9443, "protocol": "TCP"}
        ]}
    });
    let kube = json!({"metadata": {"name": "kubernetes", "namespace": "default"},
                      "spec": {"clusterIP": "10.96.0.1", "ports": [{"port": 443}]}});
    let headless = json!({"metadata": {"name": "h", "namespace": "default"},
                          "spec": {"clusterIP": "None", "ports": [{"port": 1}]}});
    let ctx = Context {
        services: vec![svc, kube, headless],
        ..Context::default()
    };
    let env = build(&pod(), &json!({"name": "c"}), &ctx);
    assert_eq!(get(&env, "DETAILS_V1_SERVICE_HOST"), Some("127.0.0.1"));
    assert_eq!(get(&env, "DETAILS_V1_SERVICE_PORT"), Some("41000"));
    assert_eq!(get(&env, "DETAILS_V1_SERVICE_PORT_HTTP"), Some("41000"));
    assert_eq!(get(&env, "DETAILS_V1_PORT"), Some("tcp://127.0.0.1:41000"));
    assert_eq!(
        get(&env, "DETAILS_V1_PORT_9443_TCP"),
        Some("tcp://10.96.3.4:9443")
    );
    assert_eq!(
        get(&env, "DETAILS_V1_PORT_9443_TCP_ADDR"),
        Some("10.96.3.4")
    );
    assert_eq!(get(&env, "KUBERNETES_SERVICE_HOST"), None);
    assert_eq!(get(&env, "H_SERVICE_HOST"), None);

    let mut no_links = pod();
    no_links["spec"]["enableServiceLinks"] = json!(false);
    let env = build(&no_links, &json!({"name": "c"}), &ctx);
    assert_eq!(get(&env, "DETAILS_V1_SERVICE_HOST"), None);
}

#[test]
fn expansion_edge_cases() {
    let env = vec![("A".to_string(), "1".to_string())];
    for (input, want) in [
        ("$(A)", "1"),
        ("$(A)$(A)", "11"),
        ("$$(A)", "$(A)"),
        ("$(B)", "$(B)"),
        ("$(A", "$(A"),
        ("$", "$"),
        ("a$b", "a$b"),
        ("", ""),
    ] {
        assert_eq!(expand(input, &env), want, "{input}");
    }
}
