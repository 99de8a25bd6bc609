//! PATCH through the API: strategic merge, JSON merge, JSON patch and server-side apply, with
//! validation of the result and `metadata.generation`.

mod support;

use reqwest::Method;
use serde_json::json;
use support::Meshlite;

#[tokio::test]
async fn patches_of_every_kind_and_generation() {
    let m = Meshlite::start();
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.15", "env": [{"name": "A", "value": "1"}]}]}}}});
    let (code, created) = m
        .send(
            Method::POST,
            "/apis/apps/v1/namespaces/default/deployments",
            "application/json",
            &dep,
        )
        .await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["metadata"]["generation"], 1);
    let path = "/apis/apps/v1/namespaces/default/deployments/web";

    // Strategic merge patch: containers merge by name, so adding one keeps the other.
    let smp = json!({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "proxy"}]}}}});
    let (code, d) = m
        .send(
            Method::PATCH,
            path,
            "application/strategic-merge-patch+json",
            &smp,
        )
        .await;
    assert_eq!(code, 200, "{d}");
    let names: Vec<&str> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sidecar", "app"]);
    assert_eq!(
        d["metadata"]["generation"], 2,
        "a spec change bumps the generation"
    );

    // A `$patch: delete` directive removes by merge key, and no `$` key is stored.
    let del = json!({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}});
    let (_, d) = m
        .send(
            Method::PATCH,
            path,
            "application/strategic-merge-patch+json",
            &del,
        )
        .await;
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(!d.to_string().contains("$patch"));

    // JSON merge patch replaces lists whole; a label change does not bump the generation.
    let (_, d) = m
        .send(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &json!({"metadata": {"labels": {"tier": "fe"}}}),
        )
        .await;
    assert_eq!(d["metadata"]["labels"], json!({"app": "web", "tier": "fe"}));
    assert_eq!(d["metadata"]["generation"], 3);
    let (_, d) = m
        .send(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &json!({"metadata": {"labels": {"tier": null}}}),
        )
        .await;
    assert_eq!(
        d["metadata"]["generation"], 3,
        "metadata changes keep the generation"
    );

    // JSON patch (RFC 6902), including a failing test operation.
    let jp = json!([{"op": "replace", "path": "/spec/replicas", "value": 3}, {"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}}]);
    let (code, d) = m
        .send(Method::PATCH, path, "application/json-patch+json", &jp)
        .await;
    assert_eq!(
        (code, d["spec"]["replicas"].as_i64()),
        (200, Some(3)),
        "{d}"
    );
    let bad = json!([{"op": "test", "path": "/spec/replicas", "value": 9}]);
    let (code, s) = m
        .send(Method::PATCH, path, "application/json-patch+json", &bad)
        .await;
    assert_eq!(code, 400, "{s}");

    // An invalid result is refused and nothing changes.
    let (code, s) = m
        .send(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &json!({"spec": {"replicas": -1}}),
        )
        .await;
    assert_eq!((code, s["reason"].as_str()), (422, Some("Invalid")), "{s}");
    let (_, now) = m.get(path).await;
    assert_eq!(now["spec"]["replicas"], 3);

    // Istio kinds take merge patches; strategic merge patch is not theirs (as for custom resources).
    let gw = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}});
    assert_eq!(
        m.send(
            Method::POST,
            "/apis/networking.istio.io/v1/namespaces/default/gateways",
            "application/json",
            &gw
        )
        .await
        .0,
        201
    );
    let gpath = "/apis/networking.istio.io/v1beta1/namespaces/default/gateways/gw";
    let (code, g) = m.send(Method::PATCH, gpath, "application/merge-patch+json", &json!({"spec": {"servers": [{"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}})).await;
    assert_eq!(code, 200, "{g}");
    assert_eq!(
        g["apiVersion"], "networking.istio.io/v1beta1",
        "served in the version asked for"
    );
    assert_eq!(g["metadata"]["generation"], 2);
    let (code, _) = m
        .send(
            Method::PATCH,
            gpath,
            "application/strategic-merge-patch+json",
            &json!({}),
        )
        .await;
    assert_eq!(code, 415);

    // Server-side apply creates what is missing.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"k": "v"}});
    let r = m
        .http()
        .patch(m.url("/api/v1/namespaces/default/configmaps/ssa?fieldManager=kubectl"))
        .bearer_auth(&m.token)
        .header("Content-Type", "application/apply-patch+yaml")
        .body(serde_json::to_vec(&cm).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}
