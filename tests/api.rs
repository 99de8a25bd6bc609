//! The API's edges: authentication, discovery, errors as Status objects, bad input from the CLI,
//! and `up`'s own failures (a second `up`, a dead server).

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::Meshlite;

#[tokio::test]
async fn requests_without_the_right_token_are_refused() {
    let m = Meshlite::start();
    let http = m.http();
    let r = http.get(m.url("/api/v1/namespaces")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["reason"].as_str()),
        (Some("Status"), Some("Unauthorized"))
    );
    let r = http
        .get(m.url("/api/v1/namespaces"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .get(m.url("/api/v1/namespaces"))
        .bearer_auth(&m.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Health is public, as on a real API server.
    assert_eq!(
        http.get(m.url("/readyz")).send().await.unwrap().status(),
        200
    );

    // Plain HTTP to the HTTPS port gets no HTTP answer at all.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/api/v1/namespaces", m.port))
        .send()
        .await;
    match plain {
        Err(_) => {}
        Ok(r) => panic!("plain HTTP was answered with {}", r.status()),
    }
    // And a client that does not trust meshlite's CA cannot connect either.
    assert!(reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .unwrap()
        .get(m.url("/readyz"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn discovery_version_and_openapi_answer_as_kubectl_needs() {
    let m = Meshlite::start();
    let (code, v) = m.get("/version").await;
    assert_eq!(code, 200);
    assert_eq!(v["major"], "1");
    assert!(v["minor"].as_str().unwrap().parse::<u32>().unwrap() >= 27);
    let (_, api) = m.get("/api").await;
    assert_eq!(api["versions"], json!(["v1"]));
    let (_, apis) = m.get("/apis").await;
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["apps", "networking.istio.io", "security.istio.io"]);
    for gv in [
        "/apis/networking.istio.io/v1",
        "/apis/networking.istio.io/v1beta1",
        "/apis/networking.istio.io/v1alpha3",
    ] {
        let (code, list) = m.get(gv).await;
        assert_eq!(code, 200, "{gv}");
        let vs = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "virtualservices")
            .unwrap();
        assert_eq!(vs["shortNames"], json!(["vs"]));
        assert_eq!(vs["namespaced"], true);
    }
    let (_, core) = m.get("/api/v1").await;
    let names: Vec<&str> = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for want in [
        "namespaces",
        "pods",
        "services",
        "endpoints",
        "configmaps",
        "secrets",
        "events",
        "pods/log",
        "pods/exec",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    // Aggregated discovery only when asked for.
    let r = m
        .http()
        .get(m.url("/apis"))
        .bearer_auth(&m.token)
        .header(
            "Accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        )
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("as=APIGroupDiscoveryList"));
    let agg: Value = r.json().await.unwrap();
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    let r = m
        .http()
        .get(m.url("/openapi/v2"))
        .bearer_auth(&m.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn errors_are_status_objects_worded_like_kubernetes() {
    let m = Meshlite::start();
    let (code, s) = m.get("/api/v1/namespaces/default/pods/nope").await;
    assert_eq!(code, 404);
    assert_eq!(s["message"], "pods \"nope\" not found");
    let (_, s) = m
        .get("/apis/networking.istio.io/v1/namespaces/default/gateways/gw")
        .await;
    assert_eq!(
        s["message"],
        "gateways.networking.istio.io \"gw\" not found"
    );
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dup"}});
    assert_eq!(
        m.send(Method::POST, "/api/v1/namespaces", "application/json", &ns)
            .await
            .0,
        201
    );
    let (code, s) = m
        .send(Method::POST, "/api/v1/namespaces", "application/json", &ns)
        .await;
    assert_eq!((code, s["reason"].as_str()), (409, Some("AlreadyExists")));
    assert_eq!(s["message"], "namespaces \"dup\" already exists");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    let (code, s) = m
        .send(
            Method::POST,
            "/api/v1/namespaces/missing/configmaps",
            "application/json",
            &cm,
        )
        .await;
    assert_eq!(
        (code, s["message"].as_str()),
        (404, Some("namespaces \"missing\" not found"))
    );
    // Every cause, with its field path, in one answer.
    let bad = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "Bad_Name"}, "spec": {"type": "Weird", "ports": [{"port": 70000}]}});
    let (code, s) = m
        .send(
            Method::POST,
            "/api/v1/namespaces/default/services",
            "application/json",
            &bad,
        )
        .await;
    assert_eq!((code, s["reason"].as_str()), (422, Some("Invalid")), "{s}");
    let fields: Vec<&str> = s["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    for f in ["metadata.name", "spec.type", "spec.ports[0].port"] {
        assert!(fields.contains(&f), "{f} not among {fields:?}");
    }
    // Unknown fields: refused under Strict, warned about by default.
    let extra = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}, "spec": {"x": 1}});
    let (code, s) = m
        .send(
            Method::POST,
            "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            "application/json",
            &extra,
        )
        .await;
    assert_eq!(code, 400, "{s}");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .contains("unknown field \"spec\""),
        "{s}"
    );
    let r = m
        .http()
        .post(m.url("/api/v1/namespaces/default/configmaps"))
        .bearer_auth(&m.token)
        .json(&extra)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.headers()["warning"]
        .to_str()
        .unwrap()
        .contains("unknown field \\\"spec\\\""));
    // Deleting a namespace deletes what is in it.
    let (code, _) = m
        .send(
            Method::POST,
            "/api/v1/namespaces/dup/configmaps",
            "application/json",
            &cm,
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(
        m.send(
            Method::DELETE,
            "/api/v1/namespaces/dup",
            "application/json",
            &json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(m.get("/api/v1/namespaces/dup/configmaps/x").await.0, 404);
    let (code, s) = m
        .send(
            Method::DELETE,
            "/api/v1/namespaces/default",
            "application/json",
            &json!({}),
        )
        .await;
    assert_eq!((code, s["reason"].as_str()), (403, Some("Forbidden")));
}

#[tokio::test]
async fn selectors_filter_lists() {
    let m = Meshlite::start();
    for (name, labels) in [
        ("a", json!({"app": "web", "tier": "fe"})),
        ("b", json!({"app": "web"})),
        ("c", json!({"app": "db"})),
    ] {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}});
        assert_eq!(
            m.send(
                Method::POST,
                "/api/v1/namespaces/default/configmaps",
                "application/json",
                &cm
            )
            .await
            .0,
            201
        );
    }
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    for (q, want) in [
        ("labelSelector=app%3Dweb", vec!["a", "b"]),
        ("labelSelector=app%3D%3Dweb", vec!["a", "b"]),
        ("labelSelector=app!%3Dweb", vec!["c"]),
        ("labelSelector=app%20in%20(db,x)", vec!["c"]),
        ("labelSelector=app%20notin%20(db)", vec!["a", "b"]),
        ("labelSelector=tier", vec!["a"]),
        ("labelSelector=!tier", vec!["b", "c"]),
        ("fieldSelector=metadata.name%3Db", vec!["b"]),
        (
            "fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Db",
            vec!["a", "c"],
        ),
    ] {
        let (code, list) = m
            .get(&format!("/api/v1/namespaces/default/configmaps?{q}"))
            .await;
        assert_eq!(code, 200, "{q}");
        assert_eq!(names(&list), want, "{q}");
    }
    let (code, s) = m
        .get("/api/v1/namespaces/default/configmaps?fieldSelector=spec.x%3D1")
        .await;
    assert_eq!((code, s["reason"].as_str()), (400, Some("BadRequest")));
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[tokio::test]
async fn bad_input_is_refused_with_file_line_or_field_path_and_stores_nothing() {
    let m = Meshlite::start();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let corpus: Vec<(&str, &str, Vec<&str>)> = vec![
        ("malformed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n", vec!["malformed.yaml:", "did not find expected"]),
        ("tabs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n", vec!["tabs.yaml:"]),
        ("wrongtype.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wt\nspec:\n  replicas: lots\n  selector: {matchLabels: {app: wt}}\n  template:\n    metadata: {labels: {app: wt}}\n    spec: {containers: [{name: c, image: i}]}\n", vec!["spec.replicas"]),
        ("noname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\ndata: {a: b}\n", vec!["noname.yaml:1", "name"]),
        ("unknownkind.yaml", "apiVersion: v1\nkind: Frobnicator\nmetadata: {name: f}\n", vec!["no matches for kind \"Frobnicator\" in version \"v1\"", "unknownkind.yaml:1"]),
        ("unknownversion.yaml", "apiVersion: networking.istio.io/v9\nkind: Gateway\nmetadata: {name: g}\n", vec!["no matches for kind \"Gateway\" in version \"networking.istio.io/v9\""]),
        ("unknownfield.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: uf}\nspec:\n  ports: [{port: 80}]\n  bogus: 1\n", vec!["unknown field \"spec.bogus\""]),
        ("istiobad.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vsbad}\nspec:\n  hosts: [\"*\"]\n  http:\n  - route:\n    - destination: {}\n", vec!["spec.http[0].route[0].destination.host"]),
        ("badname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid}\n", vec!["metadata.name", "RFC 1123"]),
    ];
    for (file, text, wants) in &corpus {
        let path = write(d, file, text);
        let run = m.cli(&["apply", "-f", &path]);
        let err = run.fails();
        for w in wants {
            assert!(err.contains(w), "{file}: {w:?} not in:\n{err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    // Nothing from the corpus was stored, and the server is still up.
    let (code, _) = m.get("/readyz").await;
    assert_eq!(code, 200);
    for path in [
        "/api/v1/namespaces/default/configmaps",
        "/apis/apps/v1/namespaces/default/deployments",
        "/apis/networking.istio.io/v1/namespaces/default/virtualservices",
    ] {
        let (_, list) = m.get(path).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "{path}: {list}");
    }
    let (_, svcs) = m.get("/api/v1/namespaces/default/services").await;
    assert_eq!(
        svcs["items"].as_array().unwrap().len(),
        1,
        "only the kubernetes Service"
    );

    // A file with good and bad documents: the good ones are applied, each bad one is reported.
    let mixed = write(d, "mixed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: BAD}\n---\nkind: [\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: good2}\n");
    let run = m.cli(&["apply", "-f", &mixed]);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout.contains("configmap/good1 created")
            && run.stdout.contains("configmap/good2 created"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("mixed.yaml:5") && run.stderr.contains("mixed.yaml:10:"),
        "{}",
        run.stderr
    );
    let missing = m.cli(&["apply", "-f", "/nonexistent/file.yaml"]);
    assert!(missing
        .fails()
        .contains("the path \"/nonexistent/file.yaml\" does not exist"));
}

#[tokio::test]
async fn a_second_up_and_a_dead_server_say_so_plainly() {
    let mut m = Meshlite::start();
    let again = m.cli(&["up", "--api-port", "0"]);
    let err = again.fails();
    assert!(
        err.contains("already running")
            && err.contains(&format!("pid {}", m.pid()))
            && err.contains(&m.port.to_string()),
        "{err}"
    );
    assert_eq!(
        m.terminate().and_then(|s| s.code()),
        Some(0),
        "SIGTERM stops cleanly"
    );
    let run = m.cli(&["get", "ns"]);
    let err = run.fails();
    assert!(
        err.contains(&format!(
            "cannot reach meshlite at https://127.0.0.1:{}",
            m.port
        )) && err.contains("is 'meshlite up' running?"),
        "{err}"
    );
    let fresh = tempfile::tempdir().unwrap();
    let run = support::run(
        {
            let mut c = std::process::Command::new(support::BIN);
            c.args(["get", "ns", "--data-dir"])
                .arg(fresh.path().join("nowhere"));
            c
        },
        None,
    );
    assert!(run.fails().contains("no kubeconfig at"), "{}", run.stderr);
    // A taken port is named.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = blocker.local_addr().unwrap().port().to_string();
    let other = tempfile::tempdir().unwrap();
    let run = support::run(
        {
            let mut c = std::process::Command::new(support::BIN);
            c.args(["up", "--api-port", &port, "--data-dir"])
                .arg(other.path());
            c
        },
        None,
    );
    assert!(
        run.fails()
            .contains(&format!("127.0.0.1:{port}: the port is in use")),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn requested_node_ports_are_honoured_or_refused_when_taken() {
    // The whole range: this test asks for a NodePort by number.
    let m = Meshlite::start_with(&["--service-node-port-range", "30000-32767"]);
    let svc = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"type": "NodePort", "selector": {"app": name}, "ports": [{"port": 8000, "targetPort": 8080, "nodePort": 30187}]}})
    };
    let (code, a) = m
        .send(
            Method::POST,
            "/api/v1/namespaces/default/services",
            "application/json",
            &svc("a"),
        )
        .await;
    assert_eq!(code, 201, "{a}");
    assert_eq!(a["spec"]["ports"][0]["nodePort"], 30187);
    assert!(a["spec"]["clusterIP"].as_str().unwrap().starts_with("10."));
    let (code, s) = m
        .send(
            Method::POST,
            "/api/v1/namespaces/default/services",
            "application/json",
            &svc("b"),
        )
        .await;
    assert_eq!(code, 422, "{s}");
    assert!(
        s["message"].as_str().unwrap().contains(
            "spec.ports[0].nodePort: Invalid value: 30187: provided port is already allocated"
        ),
        "{s}"
    );
    // Once the first Service is gone, its port is free again.
    assert_eq!(
        m.send(
            Method::DELETE,
            "/api/v1/namespaces/default/services/a",
            "application/json",
            &json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        m.send(
            Method::POST,
            "/api/v1/namespaces/default/services",
            "application/json",
            &svc("b")
        )
        .await
        .0,
        201
    );
}
