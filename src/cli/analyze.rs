//! `meshlite analyze`: `istioctl analyze` over what the server holds, plus any files given —
//! messages on stdout, the verdict on stderr, exit code 79 when an Error was found.

use super::client::check;
use super::{manifest, Global};
use crate::analyze;
use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::{json, Value};

/// What the analyzers read, as collection paths.
const COLLECTIONS: &[&str] = &[
    "/api/v1/namespaces",
    "/api/v1/services",
    "/api/v1/pods",
    "/apis/apps/v1/deployments",
    "/apis/networking.istio.io/v1/gateways",
    "/apis/networking.istio.io/v1/virtualservices",
    "/apis/networking.istio.io/v1/destinationrules",
    "/apis/networking.istio.io/v1/serviceentries",
    "/apis/networking.istio.io/v1/sidecars",
];

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Manifests to analyze together with what the server holds (not applied).
    pub files: Vec<String>,
    /// More manifests, as `-f FILE` (repeatable; same as naming them).
    #[arg(short = 'f', long = "filename")]
    pub filenames: Vec<String>,
    /// Analyze every namespace.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Analyze only the files, not the server's objects.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub use_kube: bool,
}

/// Run `analyze`; the exit code is istioctl's (79 when an Error-level message was found).
pub async fn analyze(g: &Global, mut a: AnalyzeArgs) -> Result<i32> {
    a.files.append(&mut a.filenames);
    let mut objects: Vec<Value> = Vec::new();
    let mut default_ns = g.namespace.clone().unwrap_or_else(|| "default".into());
    if a.use_kube {
        let client = g.client()?;
        if g.namespace.is_none() {
            default_ns = client.default_namespace.clone();
        }
        for path in COLLECTIONS {
            let list = check(client.get_json(path).await, "")?;
            let kind = list
                .get("kind")
                .and_then(Value::as_str)
                .and_then(|k| k.strip_suffix("List"))
                .unwrap_or_default()
                .to_string();
            let api_version = list.get("apiVersion").cloned().unwrap_or(Value::Null);
            for mut item in list
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                // Lists leave kind and apiVersion off their items.
                item["kind"] = json!(kind);
                item["apiVersion"] = api_version.clone();
                objects.push(item);
            }
        }
    }
    for doc in manifest::read_all(&a.files, false) {
        let doc = doc.map_err(|e| anyhow!("{e}"))?;
        let mut obj = doc.value.clone();
        // Messages about an object from a file name where it was written.
        crate::api::meta::metadata_map_mut(&mut obj, "annotations")
            .insert("meshlite.io/origin".into(), json!(doc.at()));
        // A file's object replaces the server's copy, as istioctl's combined view does.
        let same = |o: &Value| {
            o.get("kind") == obj.get("kind")
                && crate::api::meta::name(o) == crate::api::meta::name(&obj)
                && crate::api::meta::namespace(o).unwrap_or(&default_ns)
                    == crate::api::meta::namespace(&obj).unwrap_or(&default_ns)
        };
        objects.retain(|o| !same(o));
        objects.push(obj);
    }
    let scope = (!a.all_namespaces).then_some(default_ns.as_str());
    let messages = analyze::analyze(&objects, scope);
    for m in &messages {
        println!("{}", m.line());
    }
    let (trailer, code) = analyze::summary(&messages, scope);
    if !trailer.is_empty() {
        eprintln!("{trailer}");
    }
    Ok(code)
}
