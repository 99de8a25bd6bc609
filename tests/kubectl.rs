//! The machine's own kubectl, every version installed, against meshlite's kubeconfig.

mod support;

use support::Meshlite;

#[test]
fn system_kubectl_lists_namespaces_pods_and_services() {
    let kubectls = support::kubectls();
    assert!(
        !kubectls.is_empty(),
        "no kubectl found on PATH: the test command installs one (see README)"
    );
    let m = Meshlite::start();
    m.cli(&[
        "apply",
        "-f",
        &support::examples()
            .join("httpbin/httpbin-nodeport.yaml")
            .display()
            .to_string(),
    ])
    .ok();
    for k in &kubectls {
        let ns = m.kubectl(k, &["get", "ns"]).ok().to_string();
        assert!(
            ns.starts_with("NAME") && ns.contains("istio-system") && ns.contains("kube-system"),
            "{k}: {ns}"
        );
        let pods = m.kubectl(k, &["get", "pods", "-A"]);
        assert_eq!(pods.code, 0, "{k}: {}", pods.stderr);
        let svc = m.kubectl(k, &["get", "svc"]).ok().to_string();
        assert!(
            svc.lines()
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                == [
                    "NAME",
                    "TYPE",
                    "CLUSTER-IP",
                    "EXTERNAL-IP",
                    "PORT(S)",
                    "AGE"
                ],
            "{k}: {svc}"
        );
        assert!(
            svc.contains("httpbin") && svc.contains("NodePort") && svc.contains("8000:"),
            "{k}: {svc}"
        );
        let err = m.kubectl(k, &["get", "pod", "nope"]).fails().to_string();
        assert!(
            err.contains("Error from server (NotFound): pods \"nope\" not found"),
            "{k}: {err}"
        );
    }
}
