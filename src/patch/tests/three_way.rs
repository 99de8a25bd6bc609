//! Tests of the strategic three-way apply patch: exact patches as kubectl sends them and round
//! trips through the simulated API server on Deployments, Services, Pods and Namespaces.

use serde_json::{json, Value};

use super::server::{
    apply, created, deployment, edit, nginx, run, server_defaults, set, strip_annotation, Case,
};
use crate::patch::{modified_configuration, three_way, Strategy, LAST_APPLIED_ANNOTATION};

#[test]
fn deployment_round_trips() {
    let base = deployment(json!([nginx()]));
    let spec = |s: Value| json!({"spec": {"template": {"spec": s}}});
    run(
        "Deployment",
        vec![
            Case {
                name: "image changed",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    set(
                        d,
                        "/spec/template/spec/containers/0/image",
                        json!("nginx:1.16"),
                    )
                }),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"image": "nginx:1.16", "name": "nginx"}]})),
            },
            Case {
                name: "container added",
                before: base.clone(),
                after: deployment(
                    json!([nginx(), {"name": "sidecar", "image": "busybox", "args": ["sleep", "1d"]}]),
                ),
                patch: spec(
                    json!({"$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                "containers": [{"args": ["sleep", "1d"], "image": "busybox", "name": "sidecar"}]}),
                ),
            },
            Case {
                name: "container removed",
                before: deployment(json!([nginx(), {"name": "sidecar", "image": "busybox"}])),
                after: base.clone(),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"$patch": "delete", "name": "sidecar"}]})),
            },
            Case {
                name: "env var removed",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    set(
                        d,
                        "/spec/template/spec/containers/0/env",
                        json!([{"name": "A", "value": "1"}]),
                    )
                }),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"$setElementOrder/env": [{"name": "A"}],
                    "env": [{"$patch": "delete", "name": "B"}], "name": "nginx"}]})),
            },
            Case {
                name: "env var value changed and one added",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    set(
                        d,
                        "/spec/template/spec/containers/0/env",
                        json!([{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "9"}]),
                    )
                }),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"$setElementOrder/env": [{"name": "C"}, {"name": "A"}, {"name": "B"}],
                    "env": [{"name": "C", "value": "3"}, {"name": "B", "value": "9"}], "name": "nginx"}]})),
            },
            Case {
                name: "container port changed",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    set(
                        d,
                        "/spec/template/spec/containers/0/ports",
                        json!([{"containerPort": 8080}]),
                    )
                }),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"$setElementOrder/ports": [{"containerPort": 8080}], "name": "nginx",
                    "ports": [{"containerPort": 8080}, {"$patch": "delete", "containerPort": 80}]}]})),
            },
            Case {
                name: "label removed and replicas changed",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    set(d, "/metadata/labels", json!({"app": "web"}));
                    set(d, "/spec/replicas", json!(3));
                }),
                patch: json!({"metadata": {"labels": {"tier": null}}, "spec": {"replicas": 3}}),
            },
            Case {
                name: "containers reordered",
                before: deployment(json!([nginx(), {"name": "sidecar", "image": "busybox"}])),
                after: deployment(json!([{"name": "sidecar", "image": "busybox"}, nginx()])),
                patch: spec(
                    json!({"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}]}),
                ),
            },
            Case {
                name: "atomic args replaced",
                before: deployment(json!([{"name": "c", "image": "i", "args": ["a", "b"]}])),
                after: deployment(json!([{"name": "c", "image": "i", "args": ["b"]}])),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "c"}],
                "containers": [{"args": ["b"], "name": "c"}]})),
            },
            Case {
                name: "field removed from a container",
                before: deployment(json!([{"name": "c", "image": "i", "args": ["a"]}])),
                after: deployment(json!([{"name": "c", "image": "i"}])),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "c"}],
                "containers": [{"args": null, "name": "c"}]})),
            },
            Case {
                name: "strategy switched to Recreate",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    if let Some(s) = d.get_mut("spec").and_then(Value::as_object_mut) {
                        s.insert("strategy".into(), json!({"type": "Recreate"}));
                    }
                }),
                patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            },
            Case {
                name: "volume and mount added",
                before: base.clone(),
                after: edit(base.clone(), |d| {
                    if let Some(s) = d
                        .pointer_mut("/spec/template/spec")
                        .and_then(Value::as_object_mut)
                    {
                        s.insert("volumes".into(), json!([{"name": "data", "emptyDir": {}}]));
                    }
                    if let Some(c) = d
                        .pointer_mut("/spec/template/spec/containers/0")
                        .and_then(Value::as_object_mut)
                    {
                        c.insert(
                            "volumeMounts".into(),
                            json!([{"name": "data", "mountPath": "/data"}]),
                        );
                    }
                }),
                patch: spec(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"name": "nginx", "volumeMounts": [{"mountPath": "/data", "name": "data"}]}],
                    "volumes": [{"emptyDir": {}, "name": "data"}]})),
            },
            Case {
                name: "volume source switched",
                before: edit(base.clone(), |d| {
                    if let Some(s) = d
                        .pointer_mut("/spec/template/spec")
                        .and_then(Value::as_object_mut)
                    {
                        s.insert(
                            "volumes".into(),
                            json!([{"name": "cfg", "configMap": {"name": "cm"}}]),
                        );
                    }
                }),
                after: edit(base.clone(), |d| {
                    if let Some(s) = d
                        .pointer_mut("/spec/template/spec")
                        .and_then(Value::as_object_mut)
                    {
                        s.insert(
                            "volumes".into(),
                            json!([{"name": "cfg", "secret": {"secretName": "s"}}]),
                        );
                    }
                }),
                patch: spec(json!({"$setElementOrder/volumes": [{"name": "cfg"}],
                "volumes": [{"$retainKeys": ["name", "secret"], "configMap": null, "name": "cfg",
                    "secret": {"secretName": "s"}}]})),
            },
        ],
    );
}

#[test]
fn service_round_trips() {
    let svc = |ports: Value, selector: Value| {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "demo"},
            "spec": {"type": "NodePort", "selector": selector, "ports": ports}
        })
    };
    let http = || json!([{"name": "http", "port": 80, "targetPort": 8080}]);
    let app = || json!({"app": "web"});
    run(
        "Service",
        vec![
            Case {
                name: "port changed",
                before: svc(http(), app()),
                after: svc(
                    json!([{"name": "http", "port": 8080, "targetPort": 8080}]),
                    app(),
                ),
                patch: json!({"spec": {"$setElementOrder/ports": [{"port": 8080}],
                "ports": [{"name": "http", "port": 8080, "targetPort": 8080}, {"$patch": "delete", "port": 80}]}}),
            },
            Case {
                name: "target port changed",
                before: svc(http(), app()),
                after: svc(
                    json!([{"name": "http", "port": 80, "targetPort": 9090}]),
                    app(),
                ),
                patch: json!({"spec": {"$setElementOrder/ports": [{"port": 80}], "ports": [{"port": 80, "targetPort": 9090}]}}),
            },
            Case {
                name: "port added",
                before: svc(http(), app()),
                after: svc(
                    json!([{"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443}]),
                    app(),
                ),
                patch: json!({"spec": {"$setElementOrder/ports": [{"port": 80}, {"port": 443}],
                "ports": [{"name": "https", "port": 443}]}}),
            },
            Case {
                name: "selector label removed",
                before: svc(http(), json!({"app": "web", "tier": "fe"})),
                after: svc(http(), app()),
                patch: json!({"spec": {"selector": {"tier": null}}}),
            },
        ],
    );
}

#[test]
fn pod_patch_matches_the_bytes_kubectl_sends() {
    let pod = |image: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {"containers": [{"name": "nginx", "image": image}]}})
    };
    let live = created(&pod("nginx:1.15"));
    let (patch, _) = apply(
        &pod("nginx:1.16"),
        &live,
        Strategy::Strategic { kind: "Pod" },
    );
    let modified = modified_configuration(&pod("nginx:1.16")).expect("modified");
    let annotation = modified
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .cloned();
    let want = format!(
        "{{\"metadata\":{{\"annotations\":{{\"{LAST_APPLIED_ANNOTATION}\":{}}}}},\"spec\":{{\"$setElementOrder/containers\":[{{\"name\":\"nginx\"}}],\"containers\":[{{\"image\":\"nginx:1.16\",\"name\":\"nginx\"}}]}}}}",
        annotation.unwrap_or_default()
    );
    assert_eq!(patch.to_string(), want);
}

#[test]
fn metadata_finalizers_and_server_additions() {
    let ns = |f: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "finalizers": f}});
    let strategy = Strategy::Strategic { kind: "Namespace" };
    let live = created(&ns(json!(["a.example/x", "b.example/y"])));
    let (patch, result) = apply(&ns(json!(["a.example/x"])), &live, strategy);
    assert_eq!(
        strip_annotation(&patch),
        json!({"metadata": {
        "$deleteFromPrimitiveList/finalizers": ["b.example/y"],
        "$setElementOrder/finalizers": ["a.example/x"]}})
    );
    assert_eq!(
        result.pointer("/metadata/finalizers"),
        Some(&json!(["a.example/x"]))
    );

    // A finalizer the server added stays; the differing list still makes kubectl send the order.
    let mut live = created(&ns(json!(["a.example/x"])));
    set(
        &mut live,
        "/metadata/finalizers",
        json!(["a.example/x", "kubernetes"]),
    );
    let (patch, result) = apply(&ns(json!(["a.example/x"])), &live, strategy);
    assert_eq!(
        strip_annotation(&patch),
        json!({"metadata": {"$setElementOrder/finalizers": ["a.example/x"]}})
    );
    assert_eq!(
        result.pointer("/metadata/finalizers"),
        Some(&json!(["a.example/x", "kubernetes"]))
    );
}

#[test]
fn server_added_containers_survive_apply() {
    // An injected sidecar exists only in the live object: apply never removes it, but the
    // differing list makes kubectl send `$setElementOrder` each time, as it does for real.
    let pod = |image: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "image": image}]}})
    };
    let mut live = created(&pod("app:1"));
    if let Some(Value::Array(containers)) = live.pointer_mut("/spec/containers") {
        containers.push(json!({"name": "istio-proxy", "image": "proxyv2"}));
    }
    let strategy = Strategy::Strategic { kind: "Pod" };
    let cases = [
        (
            "unchanged",
            "app:1",
            json!({"spec": {"$setElementOrder/containers": [{"name": "app"}]}}),
        ),
        (
            "image changed",
            "app:2",
            json!({"spec": {"$setElementOrder/containers": [{"name": "app"}],
            "containers": [{"image": "app:2", "name": "app"}]}}),
        ),
    ];
    for (name, image, want) in cases {
        let (patch, result) = apply(&pod(image), &live, strategy);
        assert_eq!(strip_annotation(&patch), want, "{name}");
        let names: Vec<_> = result
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| (c.get("name").cloned(), c.get("image").cloned()))
            .collect();
        assert_eq!(
            names,
            vec![
                (Some(json!("app")), Some(json!(image))),
                (Some(json!("istio-proxy")), Some(json!("proxyv2")))
            ],
            "{name}"
        );
    }
}

#[test]
fn fields_already_gone_from_the_live_object() {
    // The last-applied manifest had a label someone already removed: the null is harmless.
    let before = edit(deployment(json!([nginx()])), |d| {
        set(
            d,
            "/metadata/labels",
            json!({"app": "web", "tier": "frontend", "extra": "x"}),
        );
    });
    let mut live = created(&before);
    if let Some(labels) = live
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.shift_remove("extra");
    }
    let after = deployment(json!([nginx()]));
    let (patch, result) = apply(&after, &live, Strategy::Strategic { kind: "Deployment" });
    assert_eq!(
        strip_annotation(&patch),
        json!({"metadata": {"labels": {"extra": null}}})
    );
    assert_eq!(result, created(&after));
}

#[test]
fn strategy_type_alone_is_always_resent() {
    // `retainKeys` maps are sent whenever the live map has extra keys, so a manifest naming only
    // `type: RollingUpdate` re-sends `$retainKeys` on every apply, exactly like kubectl; the
    // server then clears and re-defaults `rollingUpdate`.
    let mut manifest = deployment(json!([nginx()]));
    if let Some(s) = manifest.get_mut("spec").and_then(Value::as_object_mut) {
        s.insert("strategy".into(), json!({"type": "RollingUpdate"}));
    }
    let live = created(&manifest);
    let (patch, result) = apply(&manifest, &live, Strategy::Strategic { kind: "Deployment" });
    assert_eq!(
        patch,
        json!({"spec": {"strategy": {"$retainKeys": ["type"]}}})
    );
    assert_eq!(result, live);
}

#[test]
fn first_apply_over_an_object_without_annotation() {
    // Created by `kubectl create`: no last-applied, so nothing is deleted.
    let mut live = deployment(json!([nginx()]));
    server_defaults(&mut live);
    let manifest = edit(deployment(json!([nginx()])), |d| {
        set(d, "/metadata/labels", json!({"app": "web"}))
    });
    let (patch, result) = apply(&manifest, &live, Strategy::Strategic { kind: "Deployment" });
    let annotations = patch
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|a| a.len());
    assert_eq!(annotations, Some(1));
    assert_eq!(strip_annotation(&patch), json!({}));
    assert_eq!(
        result.pointer("/metadata/labels/tier"),
        Some(&json!("frontend"))
    );
}

#[test]
fn unknown_kind_strategic_treats_lists_as_atomic() {
    let original = json!({"spec": {"items": [{"name": "a", "v": 1}], "x": 1}});
    let modified = json!({"spec": {"items": [{"name": "a", "v": 2}]}});
    let current = json!({"spec": {"items": [{"name": "a", "v": 1, "d": 0}], "x": 1}, "status": {}});
    let patch = three_way(
        Some(&original),
        &modified,
        &current,
        Strategy::Strategic { kind: "Widget" },
    )
    .expect("patch");
    assert_eq!(
        patch,
        json!({"spec": {"items": [{"name": "a", "v": 2}], "x": null}})
    );
}
