//! `kubectl apply` against meshlite: client-side apply of an edited file gives what a fresh
//! create gives, and server-side apply keeps managed fields, reports conflicts and removes
//! the fields a manager stopped applying.

mod support;

use serde_json::{json, Value};
use support::shell::{fresh, Shell};

/// Re-applying an edited file gives the object a fresh create of the edited file gives: a
/// container added, an env var removed, a port changed (strategic merge patch by merge keys).
#[test]
fn reapplying_an_edited_file_matches_a_fresh_create() {
    let (_m, dir, sh) = fresh();
    let v1 = r#"apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: docker.io/mccutchen/go-httpbin:v2.15.0
        env: [{name: KEEP, value: "1"}, {name: DROP, value: "2"}]
        ports: [{containerPort: 8080}]
"#;
    // A port changed, an env var removed, a container added.
    let v2 = v1
        .replace(
            "port: 8000, targetPort: 8080",
            "port: 8001, targetPort: 9090",
        )
        .replace(r#", {name: DROP, value: "2"}"#, "")
        .replace(
            "containerPort: 8080}]",
            "containerPort: 9090}]\n      - name: helper\n        image: nginx:1.15",
        );
    std::fs::write(dir.path().join("web.yaml"), v1).unwrap();
    assert_eq!(
        sh.run("kubectl apply -f web.yaml").ok(),
        "service/web created\ndeployment.apps/web created\n"
    );
    std::fs::write(dir.path().join("web.yaml"), &v2).unwrap();
    assert_eq!(
        sh.run("kubectl apply -f web.yaml").ok(),
        "service/web configured\ndeployment.apps/web configured\n"
    );
    assert_eq!(
        sh.run("kubectl apply -f web.yaml").ok(),
        "service/web unchanged\ndeployment.apps/web unchanged\n"
    );
    sh.run("kubectl create ns fresh").ok();
    sh.run("kubectl apply -n fresh -f web.yaml").ok();
    let get = |what: &str, ns: &str| -> Value {
        serde_json::from_str(sh.run(&format!("kubectl get {what} -n {ns} -o json")).ok()).unwrap()
    };
    let (edited, fresh) = (get("deploy/web", "default"), get("deploy/web", "fresh"));
    assert_eq!(edited["spec"], fresh["spec"]);
    let containers = &edited["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        containers[0]["env"],
        json!([{"name": "KEEP", "value": "1"}])
    );
    assert_eq!(containers[0]["ports"][0]["containerPort"], 9090);
    assert_eq!(containers[1]["name"], "helper");
    assert_eq!(edited["metadata"]["generation"], 2);
    let (edited, fresh) = (get("svc/web", "default"), get("svc/web", "fresh"));
    let ports = |s: &Value| {
        let mut p = s["spec"]["ports"].clone();
        p[0]["nodePort"] = Value::Null;
        p
    };
    assert_eq!(ports(&edited), ports(&fresh));
    assert_eq!(edited["spec"]["ports"][0]["port"], 8001);
    assert_eq!(edited["spec"]["ports"][0]["targetPort"], 9090);
    for field in [
        "selector",
        "type",
        "sessionAffinity",
        "ipFamilies",
        "internalTrafficPolicy",
    ] {
        assert_eq!(edited["spec"][field], fresh["spec"][field], "{field}");
    }
}

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: docker.io/mccutchen/go-httpbin:v2.15.0
        env: ENV
"#;

fn deployment(replicas: u32, env: &str) -> String {
    DEPLOYMENT
        .replace("REPLICAS", &replicas.to_string())
        .replace("ENV", env)
}

fn object(sh: &Shell, what: &str) -> Value {
    serde_json::from_str(
        sh.run(&format!("kubectl get {what} -o json --show-managed-fields"))
            .ok(),
    )
    .unwrap()
}

/// The managers of an object, as `manager/operation`.
fn managers(obj: &Value) -> Vec<String> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}/{}",
                e["manager"].as_str().unwrap(),
                e["operation"].as_str().unwrap()
            )
        })
        .collect()
}

/// `kubectl apply --server-side`: create, own, conflict, force, and drop what is no longer applied.
#[test]
fn server_side_apply_owns_conflicts_and_removes() {
    let (_m, dir, sh) = fresh();
    let file = dir.path().join("web.yaml");
    std::fs::write(
        &file,
        deployment(1, r#"[{name: A, value: "1"}, {name: B, value: "2"}]"#),
    )
    .unwrap();
    assert_eq!(
        sh.run("kubectl apply --server-side -f web.yaml").ok(),
        "deployment.apps/web serverside-applied\n"
    );
    let obj = object(&sh, "deploy/web");
    assert_eq!(managers(&obj), ["kubectl/Apply"]);
    let fields = &obj["metadata"]["managedFields"][0]["fieldsV1"];
    assert_eq!(fields["f:spec"]["f:replicas"], json!({}));
    let container =
        &fields["f:spec"]["f:template"]["f:spec"]["f:containers"][r#"k:{"name":"app"}"#];
    assert_eq!(container["."], json!({}), "{fields}");
    assert_eq!(
        container["f:env"][r#"k:{"name":"B"}"#]["f:value"],
        json!({}),
        "{fields}"
    );
    // Defaults the server filled in are nobody's.
    assert!(
        fields["f:spec"].get("f:progressDeadlineSeconds").is_none(),
        "{fields}"
    );

    // Another manager changes a field the apply owns: the next apply conflicts.
    assert_eq!(
        sh.run(r#"kubectl patch deploy web -p '{"spec":{"replicas":3}}'"#)
            .ok(),
        "deployment.apps/web patched\n"
    );
    assert_eq!(
        managers(&object(&sh, "deploy/web")),
        ["kubectl/Apply", "kubectl-patch/Update"]
    );
    let refused = sh.run("kubectl apply --server-side -f web.yaml");
    assert!(
        refused.fails().starts_with(
            "error: Apply failed with 1 conflict: conflict with \"kubectl-patch\" using apps/v1: .spec.replicas\n"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--force-conflicts"),
        "{}",
        refused.stderr
    );
    assert_eq!(object(&sh, "deploy/web")["spec"]["replicas"], 3);

    // Forcing takes the field back; the other manager owned nothing else, so it is gone.
    assert_eq!(
        sh.run("kubectl apply --server-side --force-conflicts -f web.yaml")
            .ok(),
        "deployment.apps/web serverside-applied\n"
    );
    let obj = object(&sh, "deploy/web");
    assert_eq!(obj["spec"]["replicas"], 1);
    assert_eq!(managers(&obj), ["kubectl/Apply"]);

    // A field no longer applied, and owned by no one else, is removed.
    std::fs::write(&file, deployment(1, r#"[{name: A, value: "1"}]"#)).unwrap();
    sh.run("kubectl apply --server-side -f web.yaml").ok();
    let obj = object(&sh, "deploy/web");
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "A", "value": "1"}])
    );
    assert_eq!(obj["metadata"]["generation"], 4);
    sh.run("kubectl apply --server-side -f web.yaml").ok();
    assert_eq!(object(&sh, "deploy/web")["metadata"]["generation"], 4);

    // Scaling writes spec.replicas through the scale subresource; its manager is the client's
    // program name (kubectl sets no fieldManager there), and the next apply conflicts with it.
    sh.run("kubectl scale deploy web --replicas=2").ok();
    let refused = sh.run("kubectl apply --server-side -f web.yaml");
    assert!(
        refused
            .fails()
            .contains(r#" with subresource "scale" using apps/v1: .spec.replicas"#),
        "{}",
        refused.stderr
    );

    // Istio kinds, whose lists are atomic.
    let gw = support::examples().join("httpbin/httpbin-gateway.yaml");
    assert_eq!(
        sh.run(&format!("kubectl apply --server-side -f {}", gw.display())).ok(),
        "gateway.networking.istio.io/httpbin-gateway serverside-applied\nvirtualservice.networking.istio.io/httpbin serverside-applied\n"
    );
    let vs = object(&sh, "virtualservice/httpbin");
    assert_eq!(
        vs["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:hosts"],
        json!({})
    );
    // Applying the same file again writes nothing (no controller writes these objects).
    sh.run(&format!("kubectl apply --server-side -f {}", gw.display()))
        .ok();
    assert_eq!(
        object(&sh, "virtualservice/httpbin")["metadata"]["resourceVersion"],
        vs["metadata"]["resourceVersion"]
    );
}

/// Client-side apply, then server-side apply of a changed file: kubectl hands the fields of
/// `kubectl-client-side-apply` over to `kubectl` first, so there is no conflict (as on a
/// real cluster).
#[test]
fn server_side_apply_takes_over_from_client_side_apply() {
    let (_m, dir, sh) = fresh();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, deployment(1, r#"[{name: A, value: "1"}]"#)).unwrap();
    sh.run("kubectl apply -f web.yaml").ok();
    assert_eq!(
        managers(&object(&sh, "deploy/web")),
        ["kubectl-client-side-apply/Update"]
    );
    std::fs::write(&file, deployment(2, r#"[{name: A, value: "1"}]"#)).unwrap();
    let r = sh.run("kubectl apply --server-side -f web.yaml");
    assert_eq!(
        r.ok(),
        "deployment.apps/web serverside-applied\n",
        "{}",
        r.stderr
    );
    let obj = object(&sh, "deploy/web");
    assert_eq!(obj["spec"]["replicas"], 2);
    assert!(
        managers(&obj).contains(&"kubectl/Apply".to_string()),
        "{:?}",
        managers(&obj)
    );
}

/// `kubectl diff` and `--dry-run=server` compute on the server and store nothing.
#[test]
fn dry_runs_and_diff_change_nothing() {
    let (_m, dir, sh) = fresh();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, deployment(1, r#"[{name: A, value: "1"}]"#)).unwrap();
    sh.run("kubectl apply -f web.yaml").ok();
    std::fs::write(&file, deployment(4, r#"[{name: A, value: "1"}]"#)).unwrap();
    let replicas = || object(&sh, "deploy/web")["spec"]["replicas"].clone();

    let diff = sh.run("kubectl diff -f web.yaml");
    assert_eq!(diff.code, 1, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout.contains("-  replicas: 1") && diff.stdout.contains("+  replicas: 4"),
        "{}",
        diff.stdout
    );
    assert_eq!(replicas(), 1);
    assert_eq!(
        sh.run("kubectl apply --dry-run=server -f web.yaml").ok(),
        "deployment.apps/web configured (server dry run)\n"
    );
    assert_eq!(
        sh.run("kubectl apply --server-side --force-conflicts --dry-run=server -f web.yaml")
            .ok(),
        "deployment.apps/web serverside-applied (server dry run)\n"
    );
    assert_eq!(
        sh.run("kubectl delete --dry-run=server -f web.yaml").ok(),
        "deployment.apps \"web\" deleted (server dry run)\n"
    );
    assert_eq!(replicas(), 1);
    let gen = object(&sh, "deploy/web")["metadata"]["generation"].clone();
    assert_eq!(gen, 1);

    // A dry-run create of a NodePort Service stores nothing and keeps no port.
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: np}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80}]\n";
    std::fs::write(dir.path().join("np.yaml"), svc).unwrap();
    assert_eq!(
        sh.run("kubectl create --dry-run=server -f np.yaml").ok(),
        "service/np created (server dry run)\n"
    );
    assert_eq!(
        sh.run("kubectl get svc np").fails(),
        "Error from server (NotFound): services \"np\" not found\n"
    );
}
