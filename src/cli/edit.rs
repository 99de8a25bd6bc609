//! `create` (from files, or a namespace / deployment by name) and `label`.

use super::client::check;
use super::Global;
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Map, Value};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CreateArgs {
    /// Manifest files or folders (`-` for standard input).
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<String>,
    #[arg(short = 'R', long)]
    pub recursive: bool,
    #[command(subcommand)]
    pub what: Option<CreateWhat>,
}

#[derive(Debug, Subcommand)]
pub enum CreateWhat {
    /// Create a namespace.
    #[command(visible_alias = "ns")]
    Namespace { name: String },
    /// Create a deployment running one image.
    #[command(visible_alias = "deploy")]
    Deployment {
        name: String,
        /// The container image (repeat for more containers).
        #[arg(long, required = true)]
        image: Vec<String>,
        #[arg(long, default_value_t = 1)]
        replicas: i64,
        /// The container port to declare.
        #[arg(long)]
        port: Option<i64>,
    },
}

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// TYPE NAME… KEY=VAL… KEY-…  (or TYPE/NAME …)
    #[arg(required = true)]
    pub args: Vec<String>,
    /// Replace existing values.
    #[arg(long)]
    pub overwrite: bool,
}

/// `meshlite create …`
pub async fn create(g: &Global, a: CreateArgs) -> Result<i32> {
    match a.what {
        None if a.files.is_empty() => bail!("must specify one of -f and -k, or a thing to create (namespace NAME, deployment NAME --image=IMG)"),
        None => super::apply::create_from_files(g, &a.files, a.recursive).await,
        Some(CreateWhat::Namespace { name }) => {
            let obj = json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name}, "spec": {}, "status": {}});
            post(g, "/api/v1/namespaces", obj, &format!("namespace/{name}")).await
        }
        Some(CreateWhat::Deployment { name, image, replicas, port }) => {
            let client = g.client()?;
            let ns = g.namespace(&client);
            let containers: Vec<Value> = image
                .iter()
                .map(|img| {
                    let mut c = json!({"name": container_name(img), "image": img, "resources": {}});
                    if let Some(p) = port {
                        c["ports"] = json!([{"containerPort": p}]);
                    }
                    c
                })
                .collect();
            let obj = json!({
                "kind": "Deployment", "apiVersion": "apps/v1",
                "metadata": {"name": name, "labels": {"app": name}},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}},
                         "strategy": {}},
                "status": {}
            });
            post(g, &format!("/apis/apps/v1/namespaces/{ns}/deployments"), obj, &format!("deployment.apps/{name}")).await
        }
    }
}

/// kubectl names a `create deployment` container after the image's repository (`nginx:1.15` → `nginx`).
fn container_name(image: &str) -> String {
    let repo = image.rsplit('/').next().unwrap_or(image);
    let repo = repo.split(['@', ':']).next().unwrap_or(repo);
    repo.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

async fn post(g: &Global, path: &str, obj: Value, display: &str) -> Result<i32> {
    let client = g.client()?;
    let path = format!("{path}?fieldManager=kubectl-create&fieldValidation=Strict");
    let r = client
        .request(
            Method::POST,
            &path,
            "application/json",
            Some(("application/json", serde_json::to_vec(&obj)?)),
        )
        .await;
    match r {
        Ok(_) => {
            println!("{display} created");
            Ok(0)
        }
        Err(f) => {
            eprintln!("{}", f.render(""));
            Ok(1)
        }
    }
}

/// `meshlite label TYPE NAME k=v k-`
pub async fn label(g: &Global, a: LabelArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let (objs, changes): (Vec<String>, Vec<String>) = a
        .args
        .iter()
        .cloned()
        .partition(|x| !(x.contains('=') || x.ends_with('-')));
    if changes.is_empty() {
        bail!("at least one label update is required");
    }
    let mut set = Map::new();
    let mut remove = Vec::new();
    for c in &changes {
        // Keys and values are checked by the server, which names the bad one.
        if let Some((k, v)) = c.split_once('=') {
            set.insert(k.to_string(), json!(v));
        } else if let Some(k) = c.strip_suffix('-') {
            remove.push(k.to_string());
        }
    }
    let mut failed = false;
    for (res, names) in super::get::parse_type_args(&objs)? {
        if names.is_empty() {
            bail!("resource(s) were provided, but no name was specified");
        }
        for name in names {
            let path = format!(
                "{}/{name}",
                res.collection_path(res.version(), res.namespaced().then_some(ns.as_str()))
            );
            let current = match client.get_json(&path).await {
                Ok(c) => c,
                Err(f) => {
                    eprintln!("{}", f.render(""));
                    failed = true;
                    continue;
                }
            };
            let labels = crate::api::meta::labels(&current);
            if !a.overwrite {
                if let Some((k, old)) = set.iter().find_map(|(k, v)| {
                    labels
                        .get(k)
                        .filter(|old| Some(old.as_str()) != v.as_str())
                        .map(|old| (k, old))
                }) {
                    eprintln!("error: '{k}' already has a value ({old}), and --overwrite is false");
                    failed = true;
                    continue;
                }
            }
            let mut patch_labels = Map::new();
            for (k, v) in &set {
                if labels.get(k).map(String::as_str) != v.as_str() {
                    patch_labels.insert(k.clone(), v.clone());
                }
            }
            for k in &remove {
                if labels.contains_key(k) {
                    patch_labels.insert(k.clone(), Value::Null);
                }
            }
            let display = format!("{}/{name}", res.qualified_kind());
            if patch_labels.is_empty() {
                println!("{display} not labeled");
                continue;
            }
            let body = json!({"metadata": {"labels": patch_labels}});
            let r = client
                .request(
                    Method::PATCH,
                    &format!("{path}?fieldManager=kubectl-label"),
                    "application/json",
                    Some(("application/merge-patch+json", serde_json::to_vec(&body)?)),
                )
                .await;
            match check(r, "") {
                Ok(_) => println!("{display} labeled"),
                Err(e) => {
                    eprintln!("{e}");
                    failed = true;
                }
            }
        }
    }
    Ok(i32::from(failed))
}
