//! Conformance: Istio's unmodified samples (from `MESHLITE_ISTIO_FIXTURES`) and the project's own
//! examples apply cleanly, list with kubectl's columns, round-trip through `get -o json`,
//! re-apply as `unchanged`, and delete.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::Meshlite;

/// The header kubectl prints for each kind's table.
fn header(kind: &str) -> &'static str {
    match kind {
        "Service" => "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
        "Deployment" => "NAME READY UP-TO-DATE AVAILABLE AGE",
        "ServiceAccount" => "NAME SECRETS AGE",
        "VirtualService" => "NAME GATEWAYS HOSTS AGE",
        "DestinationRule" => "NAME HOST AGE",
        "ServiceEntry" => "NAME HOSTS LOCATION RESOLUTION AGE",
        "ConfigMap" => "NAME DATA AGE",
        "Secret" => "NAME TYPE DATA AGE",
        "Namespace" => "NAME STATUS AGE",
        _ => "NAME AGE",
    }
}

/// Every field of `want` is in `got` with the same value (the server may add more).
fn subset(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("{path}.{k} is missing"))?;
                subset(wv, gv, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .try_for_each(|(i, (a, b))| subset(a, b, &format!("{path}[{i}]"))),
        (w, g) if w == g => Ok(()),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (w, g) => Err(format!("{path}: sent {w}, got {g}")),
    }
}

fn docs(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap();
    meshlite::cli::manifest::parse(&file.display().to_string(), &text)
        .into_iter()
        .map(|d| d.unwrap_or_else(|e| panic!("{e}")).value)
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().map(Result::unwrap) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The whole life of one manifest file, in its own namespace.
fn check_file(m: &Meshlite, file: &Path, ns: &str) {
    let f = file.display().to_string();
    let docs = docs(file);
    assert!(!docs.is_empty(), "{f} has no documents");
    m.cli(&["create", "ns", ns]).ok();
    let out = m.cli(&["apply", "-f", &f, "-n", ns]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        docs.len(),
        "{f}: one line per document:\n{out}"
    );
    assert!(lines.iter().all(|l| l.ends_with(" created")), "{f}:\n{out}");

    for d in &docs {
        let kind = d["kind"].as_str().unwrap();
        let name = d["metadata"]["name"].as_str().unwrap();
        let res =
            meshlite::api::resources::by_kind(d["apiVersion"].as_str().unwrap(), kind).unwrap();
        let typed = format!("{}/{name}", res.qualified_kind());
        // Round trip: what was sent comes back (the server adds metadata, defaults and status).
        let json: Value =
            serde_json::from_str(m.cli(&["get", &typed, "-n", ns, "-o", "json"]).ok()).unwrap();
        let mut want = d.clone();
        want["metadata"]["namespace"] = Value::String(ns.into());
        // `get` reads the group's preferred version, as kubectl does; the object is the same.
        assert_eq!(
            json["apiVersion"].as_str(),
            Some(res.api_version_for(res.version()).as_str())
        );
        want["apiVersion"] = json["apiVersion"].clone();
        if let Err(e) = subset(&want, &json, "") {
            panic!("{f}: {typed} did not round-trip: {e}\n{json:#}");
        }
        let mut yaml: Value =
            serde_yaml::from_str(m.cli(&["get", &typed, "-n", ns, "-o", "yaml"]).ok()).unwrap();
        // Controllers may have written status in between the two reads.
        let mut json = json;
        for v in [&mut yaml, &mut json] {
            v["status"] = Value::Null;
            v["metadata"]["resourceVersion"] = Value::Null;
        }
        assert_eq!(yaml, json, "{f}: -o yaml and -o json agree");
        // Listed with kubectl's columns.
        let table = m.cli(&["get", res.plural, "-n", ns]).ok().to_string();
        let head: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
        assert_eq!(
            head.join(" "),
            header(kind),
            "{f}: columns of {}",
            res.plural
        );
        assert!(
            table
                .lines()
                .skip(1)
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{f}: {name} not listed:\n{table}"
        );
    }

    let again = m.cli(&["apply", "-f", &f, "-n", ns]).ok().to_string();
    assert!(
        again.lines().all(|l| l.ends_with(" unchanged")),
        "{f}: re-apply should change nothing:\n{again}"
    );
    assert_eq!(again.lines().count(), docs.len());

    let gone = m.cli(&["delete", "-f", &f, "-n", ns]).ok().to_string();
    assert_eq!(
        gone.lines().filter(|l| l.ends_with(" deleted")).count(),
        docs.len(),
        "{f}:\n{gone}"
    );
    for d in &docs {
        let res = meshlite::api::resources::by_kind(
            d["apiVersion"].as_str().unwrap(),
            d["kind"].as_str().unwrap(),
        )
        .unwrap();
        let name = d["metadata"]["name"].as_str().unwrap();
        let run = m.cli(&["get", &format!("{}/{name}", res.qualified_kind()), "-n", ns]);
        assert!(
            run.fails().contains("(NotFound)"),
            "{f}: {name} still there"
        );
    }
}

fn check_dir(dir: &Path) {
    let m = Meshlite::start();
    let files = yaml_files(dir);
    assert!(!files.is_empty(), "no manifests under {}", dir.display());
    for (i, file) in files.iter().enumerate() {
        check_file(&m, file, &format!("conformance-{i}"));
    }
}

fn istio(sub: &str) -> Option<PathBuf> {
    support::istio_fixtures().map(|p| p.join("samples").join(sub))
}

#[test]
fn istio_httpbin() {
    if let Some(d) = istio("httpbin") {
        check_dir(&d);
    }
}

#[test]
fn istio_helloworld() {
    if let Some(d) = istio("helloworld") {
        check_dir(&d);
    }
}

#[test]
fn istio_curl_and_sleep() {
    if let Some(d) = istio("curl") {
        check_dir(&d);
    }
    if let Some(d) = istio("sleep") {
        check_dir(&d);
    }
}

#[test]
fn istio_bookinfo_platform() {
    if let Some(d) = istio("bookinfo/platform") {
        check_dir(&d);
    }
}

#[test]
fn istio_bookinfo_networking() {
    if let Some(d) = istio("bookinfo/networking") {
        check_dir(&d);
    }
}

#[test]
fn project_examples() {
    check_dir(&support::examples());
}
