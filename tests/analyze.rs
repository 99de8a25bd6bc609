//! `meshlite analyze` as `istioctl analyze`: messages on stdout, the verdict on stderr, exit 79
//! on errors; files are analyzed with what the server holds and named in the messages.

mod support;

use support::Meshlite;

#[test]
fn analyze_reports_like_istioctl() {
    let m = Meshlite::start();
    // A fresh namespace: only the injection hint, and a clean exit.
    let r = m.cli(&["analyze"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(
            "Info [IST0102] (Namespace default) The namespace is not enabled for Istio injection."
        ),
        "{}",
        r.stdout
    );

    // A VirtualService to a Service that does not exist, through a Gateway no pod serves.
    let gw = support::examples().join("httpbin/httpbin-gateway.yaml");
    m.cli(&["apply", "-f", &gw.display().to_string()]).ok();
    let r = m.cli(&["analyze"]);
    assert_eq!(r.code, 79, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Error [IST0101] (VirtualService default/httpbin) Referenced host not found: \"httpbin\""), "{}", r.stdout);
    assert!(
        r.stderr
            .starts_with("Error: Analyzers found issues when analyzing namespace: default."),
        "{}",
        r.stderr
    );

    // With the Service added from a file (not applied), the host resolves; the file is named.
    let svc = support::examples().join("httpbin/httpbin-nodeport.yaml");
    let r = m.cli(&["analyze", &svc.display().to_string()]);
    assert!(
        !r.stdout.contains("Referenced host not found: \"httpbin\""),
        "{}",
        r.stdout
    );
    m.cli(&["label", "namespace", "default", "istio-injection=enabled"])
        .ok();
    let r = m.cli(&["analyze", "-A", &svc.display().to_string()]);
    assert!(r.stderr.contains("all namespaces"), "{}", r.stderr);
    assert!(!r.stdout.contains("IST0102"), "{}", r.stdout);

    // Messages about objects from files name where they were written.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "# a route to nowhere\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: nowhere, namespace: default}\nspec:\n  hosts: [nowhere]\n  http:\n  - route:\n    - destination: {host: nowhere}\n",
    )
    .unwrap();
    let r = m.cli(&["analyze", &bad.display().to_string()]);
    assert_eq!(r.code, 79);
    assert!(
        r.stdout.contains(&format!(
            "Error [IST0101] (VirtualService default/nowhere {}:",
            bad.display()
        )),
        "{}",
        r.stdout
    );
}
