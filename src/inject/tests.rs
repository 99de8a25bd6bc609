//! Tests for sidecar injection: kinds, skips, idempotence, errors, workload identity, metadata rules.

use serde_json::{json, Value};

use super::{inject, inject_template, Workload, STATUS_ANNOTATION};

mod errors;
mod golden;
mod policy;
mod workload;

/// A pod template with one app container.
fn template(labels: Value, annotations: Value) -> Value {
    json!({
        "metadata": {"labels": labels, "annotations": annotations},
        "spec": {"containers": [{"name": "app", "image": "app:1", "ports": [{"containerPort": 8080}]}]},
    })
}

/// An object of `kind` wrapping `tpl` where that kind keeps its pod template.
fn object(kind: &str, tpl: Value) -> Value {
    let (api, spec) = match kind {
        "Pod" => ("v1", Value::Null),
        "CronJob" => (
            "batch/v1",
            json!({"schedule": "* * * * *", "jobTemplate": {"spec": {"template": tpl.clone()}}}),
        ),
        "Job" => ("batch/v1", json!({"template": tpl.clone()})),
        "ReplicationController" => ("v1", json!({"replicas": 1, "template": tpl.clone()})),
        _ => ("apps/v1", json!({"selector": {}, "template": tpl.clone()})),
    };
    if kind == "Pod" {
        let mut pod = tpl;
        pod["apiVersion"] = json!(api);
        pod["kind"] = json!(kind);
        pod["metadata"]["name"] = json!("web");
        return pod;
    }
    json!({"apiVersion": api, "kind": kind, "metadata": {"name": "web"}, "spec": spec})
}

/// The pod template inside an injected object.
fn pod_of<'a>(obj: &'a Value, kind: &str) -> &'a Value {
    match kind {
        "Pod" => obj,
        "CronJob" => &obj["spec"]["jobTemplate"]["spec"]["template"],
        _ => &obj["spec"]["template"],
    }
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default()
}

pub(super) fn env<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    pod["spec"]["containers"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == "istio-proxy")?["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| &e["value"])
}

#[test]
fn kinds_with_templates_are_injected_idempotently() {
    let cases = [
        (
            "Deployment",
            "kubernetes://apis/apps/v1/namespaces/shop/deployments/web",
        ),
        (
            "StatefulSet",
            "kubernetes://apis/apps/v1/namespaces/shop/statefulsets/web",
        ),
        (
            "DaemonSet",
            "kubernetes://apis/apps/v1/namespaces/shop/daemonsets/web",
        ),
        (
            "ReplicaSet",
            "kubernetes://apis/apps/v1/namespaces/shop/replicasets/web",
        ),
        ("Job", "kubernetes://apis/batch/v1/namespaces/shop/jobs/web"),
        (
            "CronJob",
            "kubernetes://apis/batch/v1/namespaces/shop/cronjobs/web",
        ),
        ("Pod", "kubernetes://apis/v1/namespaces/shop/pods/web"),
        (
            "ReplicationController",
            "kubernetes://apis/v1/namespaces/shop/replicationcontrollers/web",
        ),
    ];
    for (kind, owner) in cases {
        let input = object(kind, template(json!({"app": "web"}), json!({})));
        let (once, injected) = inject(&input, "shop").unwrap();
        assert!(injected, "{kind}");
        let pod = pod_of(&once, kind);
        assert_eq!(
            names(&pod["spec"]["initContainers"]),
            ["istio-init"],
            "{kind}"
        );
        assert_eq!(
            names(&pod["spec"]["containers"]),
            ["app", "istio-proxy"],
            "{kind}"
        );
        assert_eq!(env(pod, "ISTIO_META_OWNER"), Some(&json!(owner)), "{kind}");
        assert_eq!(
            env(pod, "ISTIO_META_WORKLOAD_NAME"),
            Some(&json!("web")),
            "{kind}"
        );
        assert_eq!(
            pod["spec"]["volumes"].as_array().map(Vec::len),
            Some(9),
            "{kind}"
        );
        let (twice, again) = inject(&once, "shop").unwrap();
        assert!(!again, "{kind} re-injected");
        assert_eq!(twice, once, "{kind} idempotence");
    }
}

#[test]
fn other_kinds_are_unchanged() {
    let cases = [
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}),
        json!({"metadata": {"name": "no-kind"}}),
    ];
    for obj in cases {
        assert_eq!(inject(&obj, "default").unwrap(), (obj.clone(), false));
    }
}

#[test]
fn skips() {
    let host_network = {
        let mut d = object("Deployment", template(json!({}), json!({})));
        d["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        d
    };
    let cases = [
        ("hostNetwork", host_network),
        (
            "label false",
            object(
                "Deployment",
                template(json!({"sidecar.istio.io/inject": "false"}), json!({})),
            ),
        ),
        (
            "annotation false",
            object(
                "Pod",
                template(json!({}), json!({"sidecar.istio.io/inject": "false"})),
            ),
        ),
        (
            "label false beats annotation true",
            object(
                "Job",
                template(
                    json!({"sidecar.istio.io/inject": "false"}),
                    json!({"sidecar.istio.io/inject": "true"}),
                ),
            ),
        ),
        (
            "already injected",
            object("Pod", template(json!({}), json!({STATUS_ANNOTATION: "{}"}))),
        ),
    ];
    for (desc, obj) in cases {
        assert_eq!(
            inject(&obj, "default").unwrap(),
            (obj.clone(), false),
            "{desc}"
        );
    }
    // The label saying yes beats an annotation saying no.
    let obj = object(
        "Pod",
        template(
            json!({"sidecar.istio.io/inject": "true"}),
            json!({"sidecar.istio.io/inject": "false"}),
        ),
    );
    assert!(inject(&obj, "default").unwrap().1);
}

/// Runs injection on a Pod with the given labels, annotations and containers.
fn inject_pod(labels: Value, annotations: Value, containers: Value) -> Value {
    let obj = json!({"kind": "Pod", "metadata": {"name": "p", "labels": labels, "annotations": annotations},
        "spec": {"containers": containers}});
    inject(&obj, "default").unwrap().0
}

#[test]
fn canonical_labels() {
    let one = json!([{"name": "c"}]);
    let cases = [
        (json!({}), ("p", "latest")),
        (json!({"app": "a", "version": "v1"}), ("a", "v1")),
        (
            json!({"app": "a", "app.kubernetes.io/name": "k", "version": "v1", "app.kubernetes.io/version": "kv"}),
            ("k", "kv"),
        ),
        (
            json!({"service.istio.io/canonical-name": "c", "app": "a", "service.istio.io/canonical-revision": "r"}),
            ("c", "r"),
        ),
        (json!({"app": "", "version": ""}), ("p", "latest")),
        (json!({"app": "-_.name._-"}), ("name", "latest")),
        (
            json!({"app": format!("{}-tail", "x".repeat(62))}),
            (&*"x".repeat(62), "latest"),
        ),
    ];
    for (labels, (name, rev)) in cases {
        let out = inject_pod(labels.clone(), json!({}), one.clone());
        assert_eq!(
            out["metadata"]["labels"]["service.istio.io/canonical-name"], name,
            "{labels}"
        );
        assert_eq!(
            out["metadata"]["labels"]["service.istio.io/canonical-revision"], rev,
            "{labels}"
        );
        assert_eq!(
            out["metadata"]["labels"]["security.istio.io/tlsMode"],
            "istio"
        );
    }
    let out = inject_pod(
        json!({"security.istio.io/tlsMode": "disabled"}),
        json!({}),
        one,
    );
    assert_eq!(
        out["metadata"]["labels"]["security.istio.io/tlsMode"],
        "disabled"
    );
}

#[test]
fn pod_ports_and_app_containers() {
    let containers = json!([
        {"name": "a", "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}, {"containerPort": 81, "hostPort": 9081}]},
        {"name": "b"},
        {"name": "c", "ports": [{"containerPort": 53, "protocol": "UDP", "hostIP": "127.0.0.1", "name": ""}]},
    ]);
    let out = inject_pod(json!({}), json!({}), containers);
    assert_eq!(
        env(&out, "ISTIO_META_POD_PORTS"),
        Some(&json!(concat!(
            "[\n",
            "    {\"name\":\"http\",\"containerPort\":80,\"protocol\":\"TCP\"}\n",
            "    ,{\"hostPort\":9081,\"containerPort\":81}\n",
            "    ,{\"containerPort\":53,\"protocol\":\"UDP\",\"hostIP\":\"127.0.0.1\"}\n",
            "]"
        )))
    );
    assert_eq!(
        env(&out, "ISTIO_META_APP_CONTAINERS"),
        Some(&json!("a,b,c"))
    );
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"],
        "a"
    );

    let out = inject_pod(json!({}), json!({}), json!([{"name": "only"}]));
    assert_eq!(env(&out, "ISTIO_META_POD_PORTS"), Some(&json!("[\n]")));
}

#[test]
fn default_container_annotations_are_kept() {
    let out = inject_pod(
        json!({}),
        json!({"kubectl.kubernetes.io/default-container": "b", "kubectl.kubernetes.io/default-logs-container": "b"}),
        json!([{"name": "a"}, {"name": "b"}]),
    );
    let ann = &out["metadata"]["annotations"];
    assert_eq!(ann["kubectl.kubernetes.io/default-container"], "b");
    assert_eq!(ann["kubectl.kubernetes.io/default-logs-container"], "b");
    assert_eq!(ann["istio.io/rev"], "default");
}

#[test]
fn prometheus_merge() {
    let one = json!([{"name": "c"}]);
    let merged = json!({"prometheus.io/scrape": "true", "prometheus.io/port": "15020", "prometheus.io/path": "/stats/prometheus"});
    let cases = [
        ("no app settings", json!({}), Some(merged.clone()), None),
        (
            "app settings move to env",
            json!({"prometheus.io/scrape": "true", "prometheus.io/port": "9080", "prometheus.io/path": "/metrics"}),
            Some(merged.clone()),
            Some(r#"{"scrape":"true","path":"/metrics","port":"9080"}"#),
        ),
        (
            "partial app settings",
            json!({"prometheus.io/port": "9090"}),
            Some(merged.clone()),
            Some(r#"{"scrape":"","path":"","port":"9090"}"#),
        ),
        (
            "scraping off",
            json!({"prometheus.io/scrape": "false"}),
            None,
            None,
        ),
        (
            "merge off",
            json!({"prometheus.istio.io/merge-metrics": "false"}),
            None,
            None,
        ),
        (
            "already the agent port",
            json!({"prometheus.io/port": "15020"}),
            None,
            None,
        ),
    ];
    for (desc, annotations, want, want_env) in cases {
        let out = inject_pod(json!({}), annotations.clone(), one.clone());
        let ann = &out["metadata"]["annotations"];
        for key in [
            "prometheus.io/scrape",
            "prometheus.io/port",
            "prometheus.io/path",
        ] {
            let expected = match &want {
                Some(m) => &m[key],
                None => &annotations[key],
            };
            assert_eq!(&ann[key], expected, "{desc}: {key}");
        }
        assert_eq!(
            env(&out, "ISTIO_PROMETHEUS_ANNOTATIONS"),
            want_env.map(|s| json!(s)).as_ref(),
            "{desc}"
        );
    }
}

#[test]
fn proxy_resource_annotations() {
    let out = inject_pod(
        json!({}),
        json!({"sidecar.istio.io/proxyCPU": "50m", "sidecar.istio.io/proxyMemoryLimit": "256Mi"}),
        json!([{"name": "c"}]),
    );
    let want = json!({"limits": {"memory": "256Mi"}, "requests": {"cpu": "50m"}});
    assert_eq!(out["spec"]["containers"][1]["resources"], want);
    assert_eq!(out["spec"]["initContainers"][0]["resources"], want);
}

#[test]
fn user_istio_proxy_overrides_and_existing_lists_are_kept() {
    let obj = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "initContainers": [{"name": "setup"}],
        "containers": [{"name": "istio-proxy", "image": "custom/proxy:1"}, {"name": "app"}],
        "volumes": [{"name": "data", "emptyDir": {}}],
    }});
    let (out, injected) = inject(&obj, "default").unwrap();
    assert!(injected);
    assert_eq!(
        names(&out["spec"]["initContainers"]),
        ["istio-init", "setup"]
    );
    assert_eq!(names(&out["spec"]["containers"]), ["app", "istio-proxy"]);
    assert_eq!(out["spec"]["containers"][1]["image"], "custom/proxy:1");
    assert_eq!(out["spec"]["containers"][1]["args"][0], "proxy");
    assert_eq!(env(&out, "ISTIO_META_APP_CONTAINERS"), Some(&json!("app")));
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"],
        "app"
    );
    let vols = names(&out["spec"]["volumes"]);
    assert_eq!(vols.first(), Some(&"data"));
    assert_eq!(vols.len(), 10);
}

#[test]
fn inject_template_direct() {
    let w = Workload {
        namespace: "shop".into(),
        name: "cart".into(),
        owner: "kubernetes://apis/apps/v1/namespaces/shop/deployments/cart".into(),
    };
    let mut meta = Value::Null;
    let mut spec = json!({"containers": [{"name": "c"}]});
    assert!(inject_template(&mut meta, &mut spec, &w).unwrap());
    assert_eq!(meta["labels"]["service.istio.io/canonical-name"], "cart");
    let (meta1, spec1) = (meta.clone(), spec.clone());
    assert!(!inject_template(&mut meta, &mut spec, &w).unwrap());
    assert_eq!((meta, spec), (meta1, spec1));

    // A skipped template without metadata stays without metadata.
    let mut meta = Value::Null;
    let mut spec = json!({"hostNetwork": true, "containers": [{"name": "c"}]});
    assert!(!inject_template(&mut meta, &mut spec, &w).unwrap());
    assert!(meta.is_null());
}

#[test]
fn key_order_is_kept() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]}, "status": {}});
    let (out, _) = inject(&pod, "default").unwrap();
    let keys: Vec<&str> = out
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec", "status"]);

    // A template without metadata gains one only when injected.
    let dep = json!({"kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}});
    let (out, injected) = inject(&dep, "default").unwrap();
    assert!(injected);
    assert_eq!(
        out["spec"]["template"]["metadata"]["labels"]["service.istio.io/canonical-name"],
        "d"
    );
    let mut skipped = dep.clone();
    skipped["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    assert_eq!(
        inject(&skipped, "default").unwrap(),
        (skipped.clone(), false)
    );
}
