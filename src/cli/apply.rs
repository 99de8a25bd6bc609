//! `apply -f`, `create -f` and `delete`: writing manifests' objects, with kubectl's messages.

use super::client::{check, ApiFailure, Client};
use super::manifest::{self, Doc};
use super::Global;
use crate::api::resources::{self, Resource};
use crate::patch;
use anyhow::{bail, Result};
use clap::Args;
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifest files or folders (`-` for standard input).
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<String>,
    /// Descend into sub-folders of folders given with -f.
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Manifest files or folders whose objects to delete.
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<String>,
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// TYPE NAME… or TYPE/NAME…
    pub args: Vec<String>,
    /// Treat "not found" as success.
    #[arg(long)]
    pub ignore_not_found: bool,
    /// Delete every object of the type in the namespace.
    #[arg(long)]
    pub all: bool,
}

/// One object a manifest names, resolved against the API's resources.
pub struct Target<'a> {
    pub doc: &'a Doc,
    pub res: &'static Resource,
    pub namespace: Option<String>,
    pub name: String,
}

// === impl Target ===

impl Target<'_> {
    pub fn version(&self) -> &str {
        resources::split_api_version(self.doc.api_version()).1
    }

    pub fn collection(&self) -> String {
        self.res
            .collection_path(self.version(), self.namespace.as_deref())
    }

    pub fn path(&self) -> String {
        format!("{}/{}", self.collection(), self.name)
    }

    /// `service/httpbin`
    pub fn display(&self) -> String {
        format!("{}/{}", self.res.qualified_kind(), self.name)
    }
}

/// Resolve a document: its resource, namespace and name — or kubectl's error for it.
pub fn resolve<'a>(
    doc: &'a Doc,
    flag_ns: Option<&str>,
    default_ns: &str,
) -> Result<Target<'a>, String> {
    let (kind, av) = (doc.kind(), doc.api_version());
    let mut missing = Vec::new();
    if av.is_empty() {
        missing.push("apiVersion not set");
    }
    if kind.is_empty() {
        missing.push("kind not set");
    }
    if !missing.is_empty() {
        return Err(format!(
            "error: error validating \"{}\": error validating data: [{}]",
            doc.at(),
            missing.join(", ")
        ));
    }
    let Some(res) = resources::by_kind(av, kind) else {
        return Err(format!(
            "error: resource mapping not found for name: \"{}\" namespace: \"{}\" from \"{}\": no matches for kind \"{kind}\" in version \"{av}\"\nensure CRDs are installed first",
            doc.name(),
            crate::api::meta::namespace(&doc.value).unwrap_or_default(),
            doc.at()
        ));
    };
    let name = doc.name().to_string();
    if name.is_empty() {
        return Err(format!(
            "error: error when retrieving current configuration of:\nResource: \"{}\", GroupVersionKind: \"{av}, Kind={kind}\"\nfrom server for: \"{}\": resource name may not be empty",
            res.qualified_plural(),
            doc.at()
        ));
    }
    let namespace = if res.namespaced() {
        let own = crate::api::meta::namespace(&doc.value).filter(|s| !s.is_empty());
        match (own, flag_ns) {
            (Some(o), Some(f)) if o != f => {
                return Err(format!(
                    "error: the namespace from the provided object \"{o}\" does not match the namespace \"{f}\". You must pass '--namespace={o}' to perform this operation."
                ))
            }
            (Some(o), _) => Some(o.to_string()),
            (None, Some(f)) => Some(f.to_string()),
            (None, None) => Some(default_ns.to_string()),
        }
    } else {
        None
    };
    Ok(Target {
        doc,
        res,
        namespace,
        name,
    })
}

/// Read manifests and resolve each document; errors are printed as they are met.
fn targets<'a>(
    docs: &'a [Result<Doc, manifest::DocError>],
    g: &Global,
    client: &Client,
    failed: &mut bool,
) -> Vec<Target<'a>> {
    let default_ns = client.default_namespace.clone();
    let mut out = Vec::new();
    for d in docs {
        match d {
            Ok(doc) => match resolve(doc, g.namespace.as_deref(), &default_ns) {
                Ok(t) => out.push(t),
                Err(msg) => {
                    eprintln!("{msg}");
                    *failed = true;
                }
            },
            Err(e) => {
                eprintln!("error: {e}");
                *failed = true;
            }
        }
    }
    out
}

fn print_warnings(w: &[String]) {
    for w in w {
        eprintln!("Warning: {w}");
    }
}

/// `meshlite apply -f …`
pub async fn apply(g: &Global, a: ApplyArgs) -> Result<i32> {
    let client = g.client()?;
    let docs = manifest::read_all(&a.files, a.recursive);
    let mut failed = false;
    for t in targets(&docs, g, &client, &mut failed) {
        match apply_one(&client, &t).await {
            Ok(word) => println!("{} {word}", t.display()),
            Err(msg) => {
                eprintln!("{msg}");
                failed = true;
            }
        }
    }
    Ok(i32::from(failed))
}

/// The object as kubectl's apply sends it: the manifest (in its namespace) plus its own
/// last-applied annotation, written exactly as kubectl writes it.
fn with_last_applied(t: &Target) -> Result<Value, String> {
    let mut obj = t.doc.value.clone();
    if let Some(ns) = &t.namespace {
        crate::api::meta::metadata_mut(&mut obj).insert("namespace".into(), json!(ns));
    }
    patch::modified_configuration(&obj).map_err(|e| format!("error: {}: {e}", t.doc.at()))
}

async fn apply_one(client: &Client, t: &Target<'_>) -> Result<&'static str, String> {
    let modified = with_last_applied(t)?;
    let at = t.doc.at();
    for _attempt in 0..5 {
        let current = match client.get_json(&t.path()).await {
            Ok(c) => c,
            Err(f) if f.is_not_found() => {
                let body = serde_json::to_vec(&modified).unwrap_or_default();
                let path = format!(
                    "{}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                    t.collection()
                );
                return match client
                    .request(
                        Method::POST,
                        &path,
                        "application/json",
                        Some(("application/json", body)),
                    )
                    .await
                {
                    Ok(r) => {
                        print_warnings(&r.warnings);
                        Ok("created")
                    }
                    Err(f) => Err(f.render(&format!("error when creating \"{at}\": "))),
                };
            }
            Err(f) => {
                return Err(f.render(&format!(
                    "error when retrieving current configuration of \"{at}\": "
                )))
            }
        };
        let original =
            patch::original_configuration(&current).map_err(|e| format!("error: {at}: {e}"))?;
        let builtin = matches!(t.res.group, "" | "apps");
        let strategy = if builtin {
            patch::Strategy::Strategic { kind: t.res.kind }
        } else {
            patch::Strategy::JsonMerge
        };
        let p = patch::three_way(original.as_ref(), &modified, &current, strategy)
            .map_err(|e| format!("error: {at}: {e}"))?;
        if patch::is_empty(&p) {
            return Ok("unchanged");
        }
        let ct = if builtin {
            "application/strategic-merge-patch+json"
        } else {
            "application/merge-patch+json"
        };
        let path = format!(
            "{}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
            t.path()
        );
        match client
            .request(
                Method::PATCH,
                &path,
                "application/json",
                Some((ct, serde_json::to_vec(&p).unwrap_or_default())),
            )
            .await
        {
            Ok(r) => {
                print_warnings(&r.warnings);
                return Ok("configured");
            }
            Err(f) if f.reason() == "Conflict" => continue,
            Err(f) => {
                return Err(f.render(&format!(
                    "error when applying patch:\n{p}\nto:\n{}\nfor: \"{at}\": ",
                    t.display()
                )))
            }
        }
    }
    Err(format!(
        "error: {at}: gave up after 5 conflicting updates of {}",
        t.display()
    ))
}

/// `meshlite create -f …`
pub async fn create_from_files(g: &Global, files: &[String], recursive: bool) -> Result<i32> {
    let client = g.client()?;
    let docs = manifest::read_all(files, recursive);
    let mut failed = false;
    for t in targets(&docs, g, &client, &mut failed) {
        let mut obj = t.doc.value.clone();
        if let Some(ns) = &t.namespace {
            crate::api::meta::metadata_mut(&mut obj).insert("namespace".into(), json!(ns));
        }
        let path = format!(
            "{}?fieldManager=kubectl-create&fieldValidation=Strict",
            t.collection()
        );
        match client
            .request(
                Method::POST,
                &path,
                "application/json",
                Some(("application/json", serde_json::to_vec(&obj)?)),
            )
            .await
        {
            Ok(r) => {
                print_warnings(&r.warnings);
                println!("{} created", t.display());
            }
            Err(f) => {
                eprintln!(
                    "{}",
                    f.render(&format!("error when creating \"{}\": ", t.doc.at()))
                );
                failed = true;
            }
        }
    }
    Ok(i32::from(failed))
}

/// `meshlite delete -f …` / `delete TYPE NAME…`
pub async fn delete(g: &Global, a: DeleteArgs) -> Result<i32> {
    let client = g.client()?;
    let mut failed = false;
    let body = Some((
        "application/json",
        br#"{"propagationPolicy":"Background"}"#.to_vec(),
    ));
    let report = |r: Result<crate::cli::client::Reply, ApiFailure>,
                  what: String,
                  context: String,
                  failed: &mut bool| match r {
        Ok(_) => println!("{what} deleted"),
        Err(f) if f.is_not_found() && a.ignore_not_found => {}
        Err(f) => {
            eprintln!("{}", f.render(&context));
            *failed = true;
        }
    };
    if !a.files.is_empty() {
        let docs = manifest::read_all(&a.files, a.recursive);
        for t in targets(&docs, g, &client, &mut failed) {
            let r = client
                .request(Method::DELETE, &t.path(), "application/json", body.clone())
                .await;
            let what = format!("{} \"{}\"", t.res.qualified_kind(), t.name);
            report(
                r,
                what,
                format!("error when deleting \"{}\": ", t.doc.at()),
                &mut failed,
            );
        }
        return Ok(i32::from(failed));
    }
    let ns = g.namespace(&client);
    let named = super::get::parse_type_args(&a.args)?;
    if named.is_empty() {
        bail!("You must provide one or more resources by argument or filename.");
    }
    for (res, names) in named {
        let names = if a.all {
            let list = check(
                client
                    .get_json(&res.collection_path(res.version(), Some(&ns)))
                    .await,
                "",
            )?;
            list.get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|o| crate::api::meta::name(o).to_string())
                .collect()
        } else if names.is_empty() {
            bail!("resource(s) were provided, but no name was specified");
        } else {
            names
        };
        for name in names {
            let path = format!("{}/{name}", res.collection_path(res.version(), Some(&ns)));
            let r = client
                .request(Method::DELETE, &path, "application/json", body.clone())
                .await;
            report(
                r,
                format!("{} \"{name}\"", res.qualified_kind()),
                String::new(),
                &mut failed,
            );
        }
    }
    Ok(i32::from(failed))
}
