//! Golden test: Istio's `hello.yaml` injects to `hello.yaml.injected`, up to the documented differences.

use serde_json::{json, Value};

use crate::inject::{inject, proxy_image, STATUS_ANNOTATION};

/// Reads the first YAML document of a fixture from `$MESHLITE_ISTIO_FIXTURES/inject/`, or `None`
/// (after a loud warning) when the variable is unset.
fn fixture(name: &str) -> Option<Value> {
    let Some(dir) = std::env::var_os("MESHLITE_ISTIO_FIXTURES") else {
        eprintln!(
            "\n!!!!!!!! WARNING: MESHLITE_ISTIO_FIXTURES is not set; SKIPPING the Istio injection golden test ({name}) !!!!!!!!\n"
        );
        return None;
    };
    let path = std::path::Path::new(&dir).join("inject").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()));
    // Only the first document matters; the injected golden ends with a `---` separator.
    let first = text.split("\n---").next().unwrap_or("");
    Some(serde_yaml::from_str(first).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display())))
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default()
}

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container {name} in {list}"))
}

/// `registry/path/repo:tag` → `repo`.
fn repository_basename(image: &Value) -> &str {
    let image = image.as_str().unwrap_or("");
    let repo = image.rsplit('/').next().unwrap_or("");
    repo.split(':').next().unwrap_or("")
}

/// The golden with the deliberate differences undone, i.e. what we must produce exactly.
fn expected_from_golden(mut golden: Value) -> Value {
    let root = golden.as_object_mut().expect("golden is an object");
    // Go serialization artefacts.
    root.remove("status");
    root["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("strategy");
    let pod = &mut root["spec"]["template"];
    pod["metadata"]["annotations"][STATUS_ANNOTATION] = json!(
        r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}"#
    );
    let spec = pod["spec"].as_object_mut().expect("pod spec");
    let Some(Value::Array(inits)) = spec.get_mut("initContainers") else {
        panic!("no initContainers")
    };
    let pos = inits
        .iter()
        .position(|c| c["name"] == "istio-proxy")
        .expect("native istio-proxy");
    let mut proxy = inits.remove(pos);
    proxy["image"] = json!(proxy_image());
    let proxy_map = proxy.as_object_mut().expect("proxy");
    assert_eq!(proxy_map.remove("restartPolicy"), Some(json!("Always")));
    let Some(Value::Array(env)) = proxy_map.get_mut("env") else {
        panic!("no env")
    };
    let at = env
        .iter()
        .position(|e| e["name"] == "GOMEMLIMIT")
        .expect("GOMEMLIMIT")
        + 1;
    env.insert(
        at,
        json!({"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"divisor": "1", "resource": "limits.cpu"}}}),
    );
    for c in spec["initContainers"]
        .as_array_mut()
        .expect("list")
        .iter_mut()
    {
        c["image"] = json!(proxy_image());
    }
    let Some(Value::Array(containers)) = spec.get_mut("containers") else {
        panic!("no containers")
    };
    for c in containers.iter_mut() {
        if c["resources"] == json!({}) {
            c.as_object_mut().expect("container").remove("resources");
        }
    }
    containers.push(proxy);
    golden
}

#[test]
fn hello_matches_golden() {
    let (Some(input), Some(golden)) = (fixture("hello.yaml"), fixture("hello.yaml.injected"))
    else {
        return;
    };
    let (ours, injected) = inject(&input, "default").expect("inject hello");
    assert!(injected);
    let o = &ours["spec"]["template"];
    let g = &golden["spec"]["template"];

    // Layout: golden is native (istio-proxy second init container), ours classic.
    assert_eq!(
        names(&g["spec"]["initContainers"]),
        ["istio-init", "istio-proxy"]
    );
    assert_eq!(names(&g["spec"]["containers"]), ["hello"]);
    assert_eq!(names(&o["spec"]["initContainers"]), ["istio-init"]);
    assert_eq!(names(&o["spec"]["containers"]), ["hello", "istio-proxy"]);

    let pairs = [
        (
            find(&o["spec"]["initContainers"], "istio-init"),
            find(&g["spec"]["initContainers"], "istio-init"),
        ),
        (
            find(&o["spec"]["containers"], "istio-proxy"),
            find(&g["spec"]["initContainers"], "istio-proxy"),
        ),
    ];
    for (ours_c, gold_c) in pairs {
        let name = &ours_c["name"];
        assert_eq!(
            repository_basename(&ours_c["image"]),
            "proxyv2",
            "{name} image"
        );
        assert_eq!(
            repository_basename(&gold_c["image"]),
            "proxyv2",
            "{name} golden image"
        );
        assert_eq!(
            ours_c["image"],
            json!(format!(
                "docker.io/istio/proxyv2:{}",
                crate::inject::ISTIO_VERSION
            ))
        );
        for field in [
            "args",
            "ports",
            "readinessProbe",
            "startupProbe",
            "lifecycle",
            "resources",
            "securityContext",
            "volumeMounts",
        ] {
            assert_eq!(ours_c.get(field), gold_c.get(field), "{name}.{field}");
        }
        let env_names = |c: &Value| -> Vec<String> {
            c["env"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e["name"].as_str())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut ours_env = env_names(ours_c);
        ours_env.retain(|n| n != "GOMAXPROCS");
        assert_eq!(ours_env, env_names(gold_c), "{name} env names");
        assert_eq!(ours_c.get("restartPolicy"), None);
    }

    let ours_ann = o["metadata"]["annotations"]
        .as_object()
        .expect("annotations");
    let gold_ann = g["metadata"]["annotations"]
        .as_object()
        .expect("golden annotations");
    let keys = |m: &serde_json::Map<String, Value>| -> Vec<String> {
        let mut k: Vec<String> = m.keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(ours_ann), keys(gold_ann));
    for (k, v) in gold_ann {
        if k != STATUS_ANNOTATION {
            assert_eq!(ours_ann.get(k), Some(v), "annotation {k}");
        }
    }
    assert_eq!(
        ours_ann[STATUS_ANNOTATION],
        r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}"#
    );
    assert_eq!(o["metadata"]["labels"], g["metadata"]["labels"]);
    assert_eq!(o["spec"]["volumes"], g["spec"]["volumes"]);

    // With the differences undone, the whole object matches, env values included.
    assert_eq!(ours, expected_from_golden(golden));
}
