//! The machine's own kubectl, every version installed (1.27–1.33), runs the walkthrough's
//! commands verbatim against meshlite, and each output is checked against what a real API
//! server makes kubectl print.

mod support;

use support::shell::{fresh, minor_of, Shell};
use support::{kubectls, Meshlite};

/// Run the walkthrough with `kubectl.1.<minor>` if this machine has it.
fn with_version(minor: u32) {
    let wanted = format!("kubectl.1.{minor}");
    match kubectls().into_iter().find(|k| k.ends_with(&wanted)) {
        Some(k) => walkthrough(&k),
        None => eprintln!(
            "{wanted} is not installed on this machine; the plain `kubectl` test covers it"
        ),
    }
}

#[test]
fn walkthrough_kubectl_1_27() {
    with_version(27)
}

#[test]
fn walkthrough_kubectl_1_28() {
    with_version(28)
}

#[test]
fn walkthrough_kubectl_1_29() {
    with_version(29)
}

#[test]
fn walkthrough_kubectl_1_30() {
    with_version(30)
}

#[test]
fn walkthrough_kubectl_1_31() {
    with_version(31)
}

#[test]
fn walkthrough_kubectl_1_32() {
    with_version(32)
}

#[test]
fn walkthrough_kubectl_1_33() {
    with_version(33)
}

/// The `kubectl` on PATH must exist (the test command installs one); when it is the only
/// kubectl here, it runs the whole walkthrough itself.
#[test]
fn kubectl_on_path() {
    let all = kubectls();
    assert!(
        !all.is_empty(),
        "no kubectl on PATH: tests/run.sh installs one (Debian's kubernetes-client)"
    );
    if all.iter().all(|k| minor_of(k).is_none()) {
        walkthrough(&all[0]);
    }
}

/// The lines of `out` with their columns joined by one space.
fn rows(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// kubectl's own minor version, as it reports it against this server.
fn client_minor(sh: &Shell) -> u32 {
    let v: serde_json::Value =
        serde_json::from_str(sh.run("kubectl version -o json").ok()).expect("version JSON");
    v["clientVersion"]["minor"]
        .as_str()
        .and_then(|m| m.trim_end_matches('+').parse().ok())
        .expect("client minor")
}

fn walkthrough(kubectl: &str) {
    let m = Meshlite::start();
    let sh = Shell::new(&m, kubectl, &support::examples().join("httpbin"));
    let minor = client_minor(&sh);
    let k = format!("{kubectl} (1.{minor})");

    // 1. Deploy httpbin and list it.
    assert_eq!(
        sh.run("kubectl create -f httpbin-nodeport.yaml").ok(),
        "service/httpbin created\ndeployment.apps/httpbin created\n",
        "{k}"
    );
    sh.until("kubectl get pods", 60, |o| o.contains("1/1     Running"));
    let listed = rows(sh.run("kubectl get Pod,svc").ok());
    assert_eq!(listed[0], "NAME READY STATUS RESTARTS AGE", "{k}");
    assert!(
        listed[1].starts_with("pod/httpbin-") && listed[1].contains(" 1/1 Running 0 "),
        "{k}: {listed:?}"
    );
    assert_eq!(listed[2], "", "{k}");
    assert_eq!(
        listed[3], "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
        "{k}"
    );
    let svc: Vec<&str> = listed[4].split(' ').collect();
    assert_eq!(
        svc[..4],
        ["service/httpbin", "NodePort", svc[2], "<none>"],
        "{k}"
    );
    assert!(
        svc[2].starts_with("10.") && svc[4].starts_with("8000:") && svc[4].ends_with("/TCP"),
        "{k}: {svc:?}"
    );
    assert!(
        listed[5].starts_with("service/kubernetes ClusterIP 10.96.0.1 <none> 443/TCP "),
        "{k}: {listed:?}"
    );

    // 2. Manual injection, applied through process substitution: kubectl patches in the
    //    last-applied annotation it finds missing, as on a real cluster.
    let applied = sh.run("kubectl apply -f <(meshlite kube-inject -f httpbin-nodeport.yaml)");
    assert_eq!(
        applied.ok(),
        "service/httpbin configured\ndeployment.apps/httpbin configured\n",
        "{k}"
    );
    assert!(
        applied.stderr.contains("Warning: resource deployments/httpbin is missing the kubectl.kubernetes.io/last-applied-configuration annotation"),
        "{k}: {}",
        applied.stderr
    );
    let pods = sh.until("kubectl get Pod", 90, |o| {
        let r = rows(o);
        r.len() == 2 && r[1].contains(" 2/2 Running 0 ")
    });
    let pod = rows(&pods)[1].split(' ').next().unwrap().to_string();
    // kubectl's wide columns, plus meshlite's PORTS: where each containerPort is on 127.0.0.1.
    let wide = rows(sh.run("kubectl get pods -o wide").ok());
    assert_eq!(
        wide[0], "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES PORTS",
        "{k}"
    );
    assert!(
        wide[1].starts_with(&format!("{pod} 2/2 Running 0 "))
            && wide[1].contains(" meshlite <none> <none> 8080:"),
        "{k}: {wide:?}"
    );
    assert!(pod.starts_with("httpbin-"), "{k}: {pods}");

    // 3. The proxy inside the pod. kubectl before 1.30 speaks only SPDY for exec, which
    //    meshlite refuses with a message naming the version to use.
    let exec = sh.run(&format!("kubectl exec -it {pod} -c istio-proxy -- ps aux"));
    if minor >= 30 {
        assert!(
            exec.ok()
                .contains("pilot-agent proxy sidecar --domain default.svc.cluster.local"),
            "{k}: {}",
            exec.stdout
        );
        // Only the container's own processes, as in its PID namespace: not the app beside it,
        // not the machine's.
        assert!(
            exec.stdout.starts_with("USER ")
                && !exec.stdout.contains("sample httpbin")
                && !exec.stdout.contains(" up "),
            "{k}: {}",
            exec.stdout
        );
        let exit = sh.run(&format!(
            "kubectl exec {pod} -c istio-proxy -- sh -c 'exit 3'"
        ));
        assert_eq!(exit.code, 3, "{k}: {}", exit.stderr);
        assert!(
            exit.stderr.contains("command terminated with exit code 3"),
            "{k}: {}",
            exit.stderr
        );
        // `-it` from a terminal (`script` gives kubectl one, 132×50): the shell runs on a
        // terminal of that size.
        let shell = sh.run(&format!(
            "(printf 'tty\\nstty size\\nexit 4\\n'; sleep 2) | script -qec 'stty cols 132 rows 50; kubectl exec -it {pod} -c istio-proxy -- bash' /dev/null"
        ));
        assert_eq!(shell.code, 4, "{k}: {}{}", shell.stdout, shell.stderr);
        assert!(
            shell.stdout.contains("/dev/pts/")
                && shell.stdout.contains("50 132\r\n")
                && shell.stdout.contains("command terminated with exit code 4"),
            "{k}: {}",
            shell.stdout
        );
        let echo = sh.run_stdin(
            &format!("kubectl exec -i {pod} -c httpbin -- cat"),
            "hello\nworld\n",
        );
        assert_eq!(echo.ok(), "hello\nworld\n", "{k}");
    } else {
        assert!(
            exec.fails().contains(
                "exec needs a WebSocket connection (v5.channel.k8s.io): use kubectl 1.30 or newer"
            ),
            "{k}: {}",
            exec.stderr
        );
    }

    // 4. Automatic injection in a labelled namespace. kubectl 1.32 and later send these
    //    creates as protobuf.
    assert_eq!(
        sh.run("kubectl create ns sidecar-test").ok(),
        "namespace/sidecar-test created\n",
        "{k}"
    );
    assert_eq!(
        sh.run("kubectl label namespace sidecar-test istio-injection=enabled")
            .ok(),
        "namespace/sidecar-test labeled\n",
        "{k}"
    );
    let ns = rows(sh.run("kubectl get ns --show-labels").ok());
    assert_eq!(ns[0], "NAME STATUS AGE LABELS", "{k}");
    assert!(
        ns.iter().any(|l| l.starts_with("sidecar-test Active ")
            && l.ends_with(" istio-injection=enabled,kubernetes.io/metadata.name=sidecar-test")),
        "{k}: {ns:?}"
    );
    assert!(
        ns.iter()
            .any(|l| l.starts_with("istio-system Active ")
                && l.contains(" istio-injection=disabled")),
        "{k}: {ns:?}"
    );
    assert_eq!(
        sh.run("kubectl create deploy nginx-1 --image=nginx:1.15 --replicas=1 -n sidecar-test")
            .ok(),
        "deployment.apps/nginx-1 created\n",
        "{k}"
    );
    let listed = sh.until("kubectl get pod -n sidecar-test", 60, |o| {
        o.contains(" 2/2 ")
    });
    let nginx = rows(&listed)[1].split(' ').next().unwrap().to_string();
    assert!(nginx.starts_with("nginx-1-"), "{k}: {listed}");
    assert_eq!(
        sh.run(&format!(
            "kubectl get pod {nginx} -n sidecar-test -o jsonpath={{.spec.containers[*].name}}"
        ))
        .ok(),
        "nginx istio-proxy",
        "{k}"
    );

    // 5. Gateway and VirtualService.
    assert_eq!(
        sh.run("kubectl apply -f httpbin-gateway.yaml").ok(),
        "gateway.networking.istio.io/httpbin-gateway created\nvirtualservice.networking.istio.io/httpbin created\n",
        "{k}"
    );
    let gw = rows(sh.run("kubectl get gateway,virtualservice").ok());
    assert_eq!(gw[0], "NAME AGE", "{k}");
    assert!(
        gw[1].starts_with("gateway.networking.istio.io/httpbin-gateway "),
        "{k}: {gw:?}"
    );
    assert_eq!(gw[3], "NAME GATEWAYS HOSTS AGE", "{k}");
    assert!(
        gw[4].starts_with(
            r#"virtualservice.networking.istio.io/httpbin ["httpbin-gateway"] ["*"] "#
        ),
        "{k}: {gw:?}"
    );
    // Unchanged on a second apply: the patch is empty, nothing is sent.
    assert_eq!(
        sh.run("kubectl apply -f httpbin-gateway.yaml").ok(),
        "gateway.networking.istio.io/httpbin-gateway unchanged\nvirtualservice.networking.istio.io/httpbin unchanged\n",
        "{k}"
    );
    let svc = rows(sh.run("kubectl get svc -n istio-system").ok());
    assert_eq!(
        svc[0], "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
        "{k}"
    );
    let ingress: Vec<&str> = svc[1].split(' ').collect();
    assert_eq!(
        ingress[..2],
        ["istio-ingressgateway", "LoadBalancer"],
        "{k}"
    );
    assert_eq!(ingress[3], "127.0.0.1", "{k}");
    let ports: Vec<&str> = ingress[4].split(',').collect();
    assert!(
        ports.len() == 3
            && ports[0].starts_with("15021:")
            && ports[1].starts_with("80:")
            && ports[2].starts_with("443:"),
        "{k}: {svc:?}"
    );
    assert!(svc[2].starts_with("istiod ClusterIP "), "{k}: {svc:?}");

    // 6. Logs that follow, a watch that stays open, delete that waits.
    let mut logs = sh.spawn("kubectl logs -f deploy/httpbin");
    logs.wait_for(30, "httpbin log line", |o| {
        o.contains("go-httpbin listening")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(logs.running(), "{k}: logs -f ended:\n{}", logs.output());
    drop(logs);
    let watch = sh.spawn("kubectl get pods -w");
    watch.wait_for(20, "the watch's first table", |o| o.contains(&pod));
    assert_eq!(
        sh.run("kubectl delete -f httpbin-gateway.yaml").ok(),
        "gateway.networking.istio.io \"httpbin-gateway\" deleted\nvirtualservice.networking.istio.io \"httpbin\" deleted\n",
        "{k}"
    );

    // 7. Scale and roll out; the watch sees the new pods.
    assert_eq!(
        sh.run("kubectl scale deploy/httpbin --replicas=3").ok(),
        "deployment.apps/httpbin scaled\n",
        "{k}"
    );
    assert_eq!(
        sh.run("kubectl rollout restart deploy/httpbin").ok(),
        "deployment.apps/httpbin restarted\n",
        "{k}"
    );
    let status = sh.run("kubectl rollout status deploy/httpbin --timeout=120s");
    assert!(
        status
            .ok()
            .ends_with("deployment \"httpbin\" successfully rolled out\n"),
        "{k}: {}{}",
        status.stdout,
        status.stderr
    );
    let seen = watch.output();
    assert!(
        seen.matches("httpbin-").count() > 3,
        "{k}: the watch saw only:\n{seen}"
    );
    drop(watch);
    let after = sh.until("kubectl get pods -l app=httpbin", 60, |o| {
        rows(o)
            .iter()
            .filter(|l| l.contains(" 2/2 Running "))
            .count()
            == 3
            && !o.contains("Terminating")
    });
    assert!(
        !after.contains(&pod),
        "{k}: the restart kept {pod}:\n{after}"
    );

    // 8. Events from the scheduler and the kubelet.
    let described = sh.run(&format!("kubectl describe pod {nginx} -n sidecar-test"));
    let described = described.ok();
    for want in [
        "Successfully assigned sidecar-test/",
        "Started container istio-proxy",
        "Started container nginx",
        "Containers:",
        "Events:",
    ] {
        assert!(
            described.contains(want),
            "{k}: no {want:?} in:\n{described}"
        );
    }
    let events = rows(sh.run("kubectl get events").ok());
    assert_eq!(events[0], "LAST SEEN TYPE REASON OBJECT MESSAGE", "{k}");
    assert!(
        events.iter().any(|l| l.contains(
            " Normal ScalingReplicaSet deployment/httpbin Scaled up replica set httpbin-"
        )),
        "{k}: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|l| l.contains(" Normal Scheduled pod/httpbin-")),
        "{k}: {events:?}"
    );

    errors(&sh, &k);
}

/// Errors as the real API server words them, and analyzer warnings at apply time.
fn errors(sh: &Shell, k: &str) {
    // The kubeconfig's user may do everything.
    assert_eq!(
        sh.run("kubectl auth can-i delete pods -n sidecar-test")
            .ok(),
        "yes\n",
        "{k}"
    );
    assert_eq!(
        sh.run("kubectl get pod nope").fails(),
        "Error from server (NotFound): pods \"nope\" not found\n",
        "{k}"
    );
    assert_eq!(
        sh.run("kubectl get deploy nope -n sidecar-test").fails(),
        "Error from server (NotFound): deployments.apps \"nope\" not found\n",
        "{k}"
    );
    assert_eq!(
        sh.run("kubectl create ns sidecar-test").fails(),
        "Error from server (AlreadyExists): namespaces \"sidecar-test\" already exists\n",
        "{k}"
    );
    let again = sh.run("kubectl create -f httpbin-nodeport.yaml");
    assert!(
        again.fails().contains(
            "Error from server (AlreadyExists): error when creating \"httpbin-nodeport.yaml\": services \"httpbin\" already exists"
        ),
        "{k}: {}",
        again.stderr
    );
    let invalid = sh.run_stdin(
        "kubectl apply -f -",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers: [{name: app}]\n",
    );
    assert!(
        invalid
            .fails()
            .contains("The Pod \"bad\" is invalid: spec.containers[0].image: Required value"),
        "{k}: {}",
        invalid.stderr
    );
    // A replace with a stale resourceVersion.
    sh.run_stdin(
        "kubectl create -f -",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n",
    )
    .ok();
    let conflict = sh.run_stdin(
        "kubectl replace -f -",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, resourceVersion: \"1\"}\ndata: {a: c}\n",
    );
    assert!(
        conflict.fails().contains(
            "Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again"
        ),
        "{k}: {}",
        conflict.stderr
    );
    // The walkthrough's VirtualService on the port the Service does not have.
    let warned = sh.run_stdin(
        "kubectl apply -f -",
        "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [\"*\"]\n  gateways: [httpbin-gateway]\n  http:\n  - route:\n    - destination: {host: httpbin, port: {number: 8001}}\n",
    );
    assert_eq!(
        warned.ok(),
        "virtualservice.networking.istio.io/vs created\n",
        "{k}"
    );
    assert!(
        warned.stderr.contains("Warning: [IST0101] (VirtualService default/vs) Referenced host:port not found: \"httpbin:8001\""),
        "{k}: {}",
        warned.stderr
    );
}

/// `kubectl get pods -w` shows one pod's whole life: Pending, Running, Terminating, gone.
#[test]
fn watch_follows_a_pod_from_pending_to_gone() {
    let (_m, _dir, sh) = fresh();
    let watch = sh.spawn("kubectl get pods -w");
    // An empty list prints nothing; give kubectl time to list and open its watch.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        sh.run("kubectl run web --image=nginx:1.15").ok(),
        "pod/web created\n"
    );
    sh.until("kubectl get pod web", 60, |o| o.contains(" Running "));
    assert_eq!(
        sh.run("kubectl delete pod web").ok(),
        "pod \"web\" deleted\n"
    );
    // `delete` waited until the pod was gone.
    assert_eq!(
        sh.run("kubectl get pod web").fails(),
        "Error from server (NotFound): pods \"web\" not found\n"
    );
    let out = watch.wait_for(20, "the Terminating row", |o| o.contains("Terminating"));
    let statuses: Vec<String> = rows(&out)
        .into_iter()
        .filter(|l| l.starts_with("web "))
        .map(|l| l.split(' ').nth(2).unwrap().to_string())
        .collect();
    let first = |s: &str| statuses.iter().position(|x| x == s);
    let (pending, running, terminating) =
        (first("Pending"), first("Running"), first("Terminating"));
    assert!(
        pending.is_some() && pending < running && running < terminating,
        "statuses seen: {statuses:?}\n{out}"
    );
    let mut watch = watch;
    assert!(watch.running(), "the watch ended:\n{}", watch.output());
}

/// `kubectl delete --cascade=orphan|foreground|background` on a Deployment and its ReplicaSet.
#[test]
fn delete_propagation_policies() {
    let (_m, _dir, sh) = fresh();
    sh.run("kubectl create deploy a --image=nginx:1.15 --replicas=2")
        .ok();
    sh.until("kubectl get pods -l app=a", 60, |o| {
        rows(o)
            .iter()
            .filter(|l| l.contains(" 1/1 Running "))
            .count()
            == 2
    });

    // Orphan: the ReplicaSet and its pods stay, no longer owned.
    assert_eq!(
        sh.run("kubectl delete deploy a --cascade=orphan").ok(),
        "deployment.apps \"a\" deleted\n"
    );
    let rs: serde_json::Value =
        serde_json::from_str(sh.run("kubectl get rs -l app=a -o json").ok()).unwrap();
    let rs = &rs["items"][0];
    assert!(rs["metadata"].get("ownerReferences").is_none(), "{rs}");
    std::thread::sleep(std::time::Duration::from_secs(1));
    let pods = sh.run("kubectl get pods -l app=a").ok().to_string();
    assert_eq!(rows(&pods).len(), 3, "{pods}");

    // Foreground: delete returns once the pods are gone too.
    let name = rs["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        sh.run(&format!("kubectl delete rs {name} --cascade=foreground"))
            .ok(),
        format!("replicaset.apps \"{name}\" deleted\n")
    );
    let left = sh.run("kubectl get pods -l app=a");
    assert_eq!(left.ok(), "", "{}", left.stderr);
    assert_eq!(left.stderr, "No resources found in default namespace.\n");

    // Background (kubectl's default): the dependents follow.
    sh.run("kubectl create deploy b --image=nginx:1.15").ok();
    sh.until("kubectl get pods -l app=b", 60, |o| o.contains(" Running "));
    sh.run("kubectl delete deploy b").ok();
    sh.until("kubectl get rs,pods -l app=b -o name", 60, |o| o.is_empty());
}
