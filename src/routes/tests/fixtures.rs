//! Istio's own samples, read from `$MESHLITE_ISTIO_FIXTURES/samples`.

use std::path::PathBuf;

use super::super::*;
use super::{add_yaml, describe, ingress, service, Req};

/// The samples directory, or `None` (with a loud note) when the variable is unset.
fn samples() -> Option<PathBuf> {
    match std::env::var_os("MESHLITE_ISTIO_FIXTURES") {
        Some(dir) => Some(PathBuf::from(dir).join("samples")),
        None => {
            eprintln!(
                "\n!!!!!!!! WARNING: MESHLITE_ISTIO_FIXTURES is not set; SKIPPING the Istio sample routing tests !!!!!!!!\n"
            );
            None
        }
    }
}

fn load(s: &mut Snapshot, dir: &std::path::Path, file: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    add_yaml(s, &text, Some("default"));
}

#[test]
fn httpbin_gateway() {
    let Some(dir) = samples() else { return };
    let mut s = Snapshot::default();
    load(&mut s, &dir, "httpbin/httpbin-gateway.yaml");
    s.services.push(service("httpbin", "default", &[8000]));
    let config = compile_gateway(&s, &ingress());
    assert_eq!(
        config.listeners.iter().map(|l| l.port).collect::<Vec<_>>(),
        vec![8080]
    );
    let cases = [
        ("GET", "/get", "httpbin.default.svc.cluster.local:8000"),
        (
            "POST",
            "/status/418",
            "httpbin.default.svc.cluster.local:8000",
        ),
    ];
    for (method, path, want) in cases {
        let req = Req {
            method: method.into(),
            ..Req::get("httpbin.example.com", path)
        };
        assert_eq!(
            describe(select(&config, 8080, &req.as_request())),
            want,
            "{method} {path}"
        );
    }
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn helloworld_gateway() {
    let Some(dir) = samples() else { return };
    let mut s = Snapshot::default();
    load(&mut s, &dir, "helloworld/helloworld-gateway.yaml");
    s.services.push(service("helloworld", "default", &[5000]));
    let config = compile_gateway(&s, &ingress());
    let cases = [
        ("/hello", "helloworld.default.svc.cluster.local:5000"),
        ("/hello?x=1", "helloworld.default.svc.cluster.local:5000"),
        ("/hello/", "no-route"),
        ("/", "no-route"),
    ];
    for (path, want) in cases {
        assert_eq!(
            describe(select(
                &config,
                8080,
                &Req::get("1.2.3.4", path).as_request()
            )),
            want,
            "{path}"
        );
    }
}

#[test]
fn bookinfo_gateway_and_routing() {
    let Some(dir) = samples() else { return };
    let mut s = Snapshot::default();
    load(&mut s, &dir, "bookinfo/networking/bookinfo-gateway.yaml");
    load(
        &mut s,
        &dir,
        "bookinfo/networking/destination-rule-all.yaml",
    );
    load(
        &mut s,
        &dir,
        "bookinfo/networking/virtual-service-reviews-jason-v2-v3.yaml",
    );
    for name in ["productpage", "reviews", "ratings", "details"] {
        s.services.push(service(name, "default", &[9080]));
    }
    let config = compile_gateway(&s, &ingress());
    // The sample's 8080 is not a Service port, so it binds 8080 as-is: the same listener
    // httpbin's 80 resolves to.
    assert_eq!(
        config.listeners.iter().map(|l| l.port).collect::<Vec<_>>(),
        vec![8080]
    );
    let pp = "productpage.default.svc.cluster.local:9080";
    let cases = [
        ("/productpage", pp),
        ("/productpage/x", "no-route"),
        ("/static/css/app.css", pp),
        ("/login", pp),
        ("/logout", pp),
        ("/login/", "no-route"),
        ("/api/v1/products/0/reviews", pp),
        ("/", "no-route"),
    ];
    for (path, want) in cases {
        assert_eq!(
            describe(select(
                &config,
                8080,
                &Req::get("localhost:8080", path).as_request()
            )),
            want,
            "{path}"
        );
    }

    // The mesh side: reviews for jason → v2, everyone else → v3.
    let mesh = compile_sidecar(&s, "default");
    let jason = Req::get("reviews:9080", "/reviews/0").header("end-user", "jason");
    let other = Req::get("reviews:9080", "/reviews/0");
    let label = |req: &Req| match select(&mesh, 9080, &req.as_request()) {
        Selection::Route(Route {
            action: Action::Route(c),
            ..
        }) => c[0].subset_labels.get("version").cloned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(label(&jason).as_deref(), Some("v2"));
    assert_eq!(label(&other).as_deref(), Some("v3"));
}

#[test]
fn bookinfo_rule_files() {
    let Some(dir) = samples() else { return };
    let base = || {
        let mut s = Snapshot::default();
        load(
            &mut s,
            &dir,
            "bookinfo/networking/destination-rule-all.yaml",
        );
        for name in ["productpage", "reviews", "ratings", "details"] {
            s.services.push(service(name, "default", &[9080]));
        }
        s
    };
    // (file, host, header, expected (subset, weight) pairs of the selected route)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [(&'a str, u32)]);
    let cases: &[Case] = &[
        (
            "virtual-service-all-v1.yaml",
            "reviews",
            None,
            &[("v1", 100)],
        ),
        (
            "virtual-service-all-v1.yaml",
            "ratings",
            None,
            &[("v1", 100)],
        ),
        (
            "virtual-service-reviews-50-v3.yaml",
            "reviews",
            None,
            &[("v1", 50), ("v3", 50)],
        ),
        (
            "virtual-service-reviews-80-20.yaml",
            "reviews",
            None,
            &[("v1", 80), ("v2", 20)],
        ),
        (
            "virtual-service-reviews-test-v2.yaml",
            "reviews",
            Some("jason"),
            &[("v2", 100)],
        ),
        (
            "virtual-service-reviews-test-v2.yaml",
            "reviews",
            None,
            &[("v1", 100)],
        ),
        (
            "virtual-service-reviews-v3.yaml",
            "reviews",
            None,
            &[("v3", 100)],
        ),
        (
            "virtual-service-ratings-test-delay.yaml",
            "ratings",
            Some("jason"),
            &[("v1", 100)],
        ),
        (
            "virtual-service-ratings-test-abort.yaml",
            "ratings",
            None,
            &[("v1", 100)],
        ),
        (
            "fault-injection-details-v1.yaml",
            "details",
            None,
            &[("v1", 100)],
        ),
    ];
    for (file, host, user, want) in cases {
        let mut s = base();
        load(&mut s, &dir, &format!("bookinfo/networking/{file}"));
        let config = compile_sidecar(&s, "default");
        let mut req = Req::get(host, "/");
        if let Some(user) = user {
            req = req.header("end-user", user);
        }
        let Selection::Route(route) = select(&config, 9080, &req.as_request()) else {
            panic!("{file}: no route for {host}");
        };
        let Action::Route(clusters) = &route.action else {
            panic!("{file}: not a route")
        };
        let got: Vec<(&str, u32)> = clusters
            .iter()
            .map(|c| (c.subset.as_deref().unwrap_or(""), c.weight))
            .collect();
        assert_eq!(got, *want, "{file} {host} {user:?}");
        assert!(
            clusters
                .iter()
                .all(|c| c.subset.is_none() || !c.subset_labels.is_empty()),
            "{file}"
        );
        assert!(config.warnings.is_empty(), "{file}: {:?}", config.warnings);
    }
}

#[test]
fn bookinfo_fault_policies() {
    let Some(dir) = samples() else { return };
    let mut s = Snapshot::default();
    load(
        &mut s,
        &dir,
        "bookinfo/networking/destination-rule-all.yaml",
    );
    load(
        &mut s,
        &dir,
        "bookinfo/networking/virtual-service-ratings-test-delay.yaml",
    );
    s.services.push(service("ratings", "default", &[9080]));
    let config = compile_sidecar(&s, "default");
    let req = Req::get("ratings", "/").header("end-user", "jason");
    let Selection::Route(route) = select(&config, 9080, &req.as_request()) else {
        panic!("route")
    };
    let delay = route
        .policy
        .fault
        .as_ref()
        .and_then(|f| f.delay.as_ref())
        .expect("delay");
    assert_eq!(delay.duration, std::time::Duration::from_secs(7));
    assert_eq!(delay.percentage, 100.0);
}
