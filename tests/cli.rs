//! The CLI through the walkthrough's steps: apply, get (tables, labels, jsonpath, yaml), create,
//! label, describe, delete — output as kubectl prints it.

mod support;

use support::Meshlite;

fn example(p: &str) -> String {
    support::examples().join(p).display().to_string()
}

/// Collapse runs of spaces so widths that depend on AGE do not matter.
fn squash(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Like [`squash`], with ages (`3s`, `2m10s`) replaced, for outputs taken a moment apart.
fn ageless(s: &str) -> Vec<String> {
    let is_age = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_digit())
            && w.ends_with(|c: char| "smhdy".contains(c))
            && w.chars().all(|c| c.is_ascii_digit() || "smhdy".contains(c))
    };
    s.lines()
        .map(|l| {
            l.split_whitespace()
                .map(|w| if is_age(w) { "AGE" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn the_walkthrough_with_meshlite_commands() {
    let m = Meshlite::start();
    let out = m
        .cli(&["apply", "-f", &example("httpbin/httpbin-nodeport.yaml")])
        .ok()
        .to_string();
    assert_eq!(
        out,
        "service/httpbin created\ndeployment.apps/httpbin created\n"
    );

    // `get Pod,svc` as the walkthrough types it: case-insensitive, prefixed names, two tables.
    let out = m.cli(&["get", "Pod,svc"]).ok().to_string();
    let lines = squash(&out);
    assert!(
        lines
            .iter()
            .any(|l| l == "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE"),
        "{out}"
    );
    let httpbin = lines
        .iter()
        .find(|l| l.starts_with("service/httpbin "))
        .expect(&out);
    let cols: Vec<&str> = httpbin.split(' ').collect();
    assert_eq!(cols[1], "NodePort");
    assert!(cols[2].starts_with("10."), "{httpbin}");
    assert_eq!(cols[3], "<none>");
    let (port, node) = cols[4]
        .trim_end_matches("/TCP")
        .split_once(':')
        .expect(httpbin);
    assert_eq!(port, "8000");
    assert!(
        (30000..=32767).contains(&node.parse::<u32>().unwrap()),
        "{httpbin}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("service/kubernetes ClusterIP 10.96.0.1 <none> 443/TCP ")),
        "{out}"
    );
    // Exact kubectl spacing: columns padded with three spaces.
    assert!(out.contains("service/httpbin      NodePort    "), "{out}");

    // Namespaces: create, label, show labels.
    assert_eq!(
        m.cli(&["create", "ns", "sidecar-test"]).ok(),
        "namespace/sidecar-test created\n"
    );
    assert_eq!(
        m.cli(&[
            "label",
            "namespace",
            "sidecar-test",
            "istio-injection=enabled"
        ])
        .ok(),
        "namespace/sidecar-test labeled\n"
    );
    let out = m.cli(&["get", "ns", "--show-labels"]).ok().to_string();
    let lines = squash(&out);
    assert_eq!(lines[0], "NAME STATUS AGE LABELS");
    assert!(
        lines.iter().any(|l| l.starts_with("istio-system Active ")
            && l.ends_with(" istio-injection=disabled,kubernetes.io/metadata.name=istio-system")),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("sidecar-test Active ")
            && l.ends_with(" istio-injection=enabled,kubernetes.io/metadata.name=sidecar-test")),
        "{out}"
    );
    for ns in ["default", "kube-public", "kube-system"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{ns} Active "))),
            "{ns}:\n{out}"
        );
    }
    let err = m
        .cli(&["label", "ns", "sidecar-test", "istio-injection=disabled"])
        .fails()
        .to_string();
    assert!(
        err.contains("'istio-injection' already has a value (enabled), and --overwrite is false"),
        "{err}"
    );
    m.cli(&[
        "label",
        "ns",
        "sidecar-test",
        "istio-injection=disabled",
        "--overwrite",
    ])
    .ok();
    m.cli(&["label", "ns", "sidecar-test", "istio-injection-"])
        .ok();
    let out = m
        .cli(&[
            "get",
            "ns",
            "sidecar-test",
            "-o",
            "jsonpath={.metadata.labels}",
        ])
        .ok()
        .to_string();
    assert!(!out.contains("istio-injection"), "{out}");
    m.cli(&[
        "label",
        "namespace",
        "sidecar-test",
        "istio-injection=enabled",
    ])
    .ok();

    // create deploy, then read it back with jsonpath as the walkthrough does.
    assert_eq!(
        m.cli(&[
            "create",
            "deploy",
            "nginx-1",
            "--image=nginx:1.15",
            "--replicas=1",
            "-n",
            "sidecar-test"
        ])
        .ok(),
        "deployment.apps/nginx-1 created\n"
    );
    let out = m
        .cli(&[
            "get",
            "deploy",
            "nginx-1",
            "-n",
            "sidecar-test",
            "-o",
            "jsonpath={.spec.template.spec.containers[*].name}",
        ])
        .ok()
        .to_string();
    assert_eq!(out, "nginx");
    let out = m
        .cli(&[
            "get",
            "deploy",
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}",
        ])
        .ok()
        .to_string();
    assert_eq!(
        out,
        "default/httpbin\nistio-system/istio-ingressgateway\nsidecar-test/nginx-1\n"
    );
    let out = m.cli(&["get", "deploy", "-A"]).ok().to_string();
    assert_eq!(
        squash(&out)[0],
        "NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE"
    );

    // Gateway and VirtualService, with Istio's printer columns.
    let out = m
        .cli(&["apply", "-f", &example("httpbin/httpbin-gateway.yaml")])
        .ok()
        .to_string();
    assert_eq!(out, "gateway.networking.istio.io/httpbin-gateway created\nvirtualservice.networking.istio.io/httpbin created\n");
    let out = m.cli(&["get", "gateway,virtualservice"]).ok().to_string();
    let lines = squash(&out);
    assert_eq!(lines[0], "NAME AGE");
    assert!(
        lines[1].starts_with("gateway.networking.istio.io/httpbin-gateway "),
        "{out}"
    );
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], "NAME GATEWAYS HOSTS AGE");
    assert!(
        lines[4].starts_with(
            "virtualservice.networking.istio.io/httpbin [\"httpbin-gateway\"] [\"*\"] "
        ),
        "{out}"
    );
    let out = m.cli(&["get", "gw,vs", "-o", "name"]).ok().to_string();
    assert_eq!(
        out,
        "gateway.networking.istio.io/httpbin-gateway\nvirtualservice.networking.istio.io/httpbin\n"
    );
    let out = m
        .cli(&["apply", "-f", &example("httpbin/httpbin-gateway.yaml")])
        .ok()
        .to_string();
    assert!(out.lines().all(|l| l.ends_with(" unchanged")), "{out}");

    // An edited manifest is `configured`, and the change is stored.
    let edited = std::fs::read_to_string(example("httpbin/httpbin-gateway.yaml"))
        .unwrap()
        .replace("number: 8000", "number: 8001");
    let out = m
        .cli_stdin(&["apply", "-f", "-"], Some(&edited))
        .ok()
        .to_string();
    assert!(
        out.contains("virtualservice.networking.istio.io/httpbin configured"),
        "{out}"
    );
    assert!(
        out.contains("gateway.networking.istio.io/httpbin-gateway unchanged"),
        "{out}"
    );
    let port = m
        .cli(&[
            "get",
            "vs",
            "httpbin",
            "-o",
            "jsonpath={.spec.http[0].route[0].destination.port.number}",
        ])
        .ok()
        .to_string();
    assert_eq!(port, "8001");

    // describe names the object and its fields.
    let out = m.cli(&["describe", "svc", "httpbin"]).ok().to_string();
    assert!(out.starts_with("Name:"), "{out}");
    assert!(
        out.contains("Type:")
            && out.contains("NodePort")
            && out.contains("TargetPort:")
            && out.contains("8080/TCP"),
        "{out}"
    );
    let out = m.cli(&["describe", "vs", "httpbin"]).ok().to_string();
    assert!(
        out.contains("Kind:         VirtualService") && out.contains("Gateways:"),
        "{out}"
    );

    // Deleting by file, and errors for what is not there.
    let out = m
        .cli(&["delete", "-f", &example("httpbin/httpbin-gateway.yaml")])
        .ok()
        .to_string();
    assert_eq!(out, "gateway.networking.istio.io \"httpbin-gateway\" deleted\nvirtualservice.networking.istio.io \"httpbin\" deleted\n");
    let err = m.cli(&["get", "vs", "httpbin"]).fails().to_string();
    assert_eq!(
        err.trim(),
        "Error from server (NotFound): virtualservices.networking.istio.io \"httpbin\" not found"
    );
    let err = m.cli(&["get", "frobs"]).fails().to_string();
    assert!(
        err.contains("the server doesn't have a resource type \"frobs\""),
        "{err}"
    );
    let out = m.cli(&["get", "gw"]);
    assert_eq!(
        out.stderr.trim(),
        "No resources found in default namespace."
    );

    // -o yaml is a lossless view of the stored object.
    let y = m
        .cli(&["get", "svc", "httpbin", "-o", "yaml"])
        .ok()
        .to_string();
    assert!(
        y.starts_with("apiVersion: v1\nkind: Service\nmetadata:\n"),
        "{y}"
    );
}

#[test]
fn meshlite_and_kubectl_print_the_same_tables() {
    let Some(kubectl) = support::kubectls().into_iter().next() else {
        panic!("no kubectl on PATH: the test command installs one (see README)");
    };
    let m = Meshlite::start();
    m.cli(&["apply", "-f", &example("httpbin/httpbin-nodeport.yaml")])
        .ok();
    m.cli(&["apply", "-f", &example("httpbin/httpbin-gateway.yaml")])
        .ok();
    m.cli(&[
        "apply",
        "-f",
        &example("helloworld/helloworld-gateway.yaml"),
    ])
    .ok();
    m.cli(&["create", "ns", "sidecar-test"]).ok();
    m.cli(&["label", "ns", "sidecar-test", "istio-injection=enabled"])
        .ok();
    // The Deployment's pod appears a moment after the apply and then starts: wait until it
    // runs, so both tools see the same settled state.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !m
        .cli(&["get", "pods", "--no-headers"])
        .ok()
        .contains(" 1/1 ")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the httpbin pod never became ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for args in [
        vec!["get", "pod,svc"],
        vec!["get", "svc", "-o", "wide"],
        vec!["get", "ns", "--show-labels"],
        vec!["get", "gateway,virtualservice"],
        vec!["get", "dr"],
        vec!["get", "deploy", "-A"],
        vec!["get", "svc", "-l", "app=httpbin", "-o", "name"],
        vec!["get", "vs", "httpbin", "-o", "jsonpath={.spec.gateways[*]}"],
        vec!["describe", "svc", "httpbin"],
        vec!["describe", "ns", "sidecar-test"],
        vec!["describe", "vs", "httpbin"],
        vec!["describe", "dr", "helloworld"],
        vec!["describe", "gw", "httpbin-gateway"],
    ] {
        let ours = m.cli(&args).ok().to_string();
        let theirs = m.kubectl(&kubectl, &args).ok().to_string();
        assert_eq!(
            ageless(&ours),
            ageless(&theirs),
            "meshlite {args:?} differs from kubectl"
        );
    }
}

#[test]
fn get_watch_prints_changes_as_they_happen() {
    use std::io::{BufRead, BufReader};
    let m = Meshlite::start();
    m.cli(&["create", "ns", "w"]).ok();
    let mut child = std::process::Command::new(support::BIN)
        .args(["get", "cm", "-n", "w", "-w", "--data-dir"])
        .arg(&m.dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    std::thread::sleep(std::time::Duration::from_millis(300));
    m.cli_stdin(
        &["apply", "-n", "w", "-f", "-"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\ndata: {a: b}\n"),
    )
    .ok();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(squash(&first)[0], "NAME DATA AGE");
    assert!(second.starts_with("first "), "{second}");
}

#[test]
fn a_closed_pipe_ends_the_cli_quietly() {
    let m = Meshlite::start();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' --data-dir '{}' get ns -o yaml | head -c 1 >/dev/null; sleep 0.2",
            support::BIN,
            m.dir.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
