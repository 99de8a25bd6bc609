//! `get` and `describe`: reading objects and printing them as kubectl does.

use super::client::{check, Client, TABLE_ACCEPT};
use super::printer::{self, TableOptions, TablePrinter};
use super::{jsonpath, Global};
use crate::api::resources::{self, Resource};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use futures::StreamExt;
use reqwest::Method;
use serde_json::Value;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// TYPE[,TYPE…] [NAME…] or TYPE/NAME…
    #[arg(required = true)]
    pub args: Vec<String>,
    /// List across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector (`app=web`, `env in (a,b)`, `!legacy`).
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Field selector (`metadata.name=x`).
    #[arg(long)]
    pub field_selector: Option<String>,
    /// Output: wide|yaml|json|name|jsonpath=TEMPLATE
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    /// Add a LABELS column.
    #[arg(long)]
    pub show_labels: bool,
    /// Add a column per label key.
    #[arg(short = 'L', long = "label-columns", value_delimiter = ',')]
    pub label_columns: Vec<String>,
    /// Leave out the header line.
    #[arg(long)]
    pub no_headers: bool,
    /// After listing, keep watching for changes.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Keep `metadata.managedFields` in JSON and YAML output (hidden by default, as kubectl does).
    #[arg(long)]
    pub show_managed_fields: bool,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// TYPE NAME, or TYPE/NAME
    #[arg(required = true)]
    pub args: Vec<String>,
}

/// The output format asked for with `-o`.
enum Output {
    Table { wide: bool },
    Yaml,
    Json,
    Name,
    JsonPath(jsonpath::Template),
}

fn output(o: Option<&str>) -> Result<Output> {
    Ok(match o {
        None | Some("") => Output::Table { wide: false },
        Some("wide") => Output::Table { wide: true },
        Some("yaml") => Output::Yaml,
        Some("json") => Output::Json,
        Some("name") => Output::Name,
        Some(o) if o.starts_with("jsonpath=") => Output::JsonPath(
            jsonpath::parse(&o["jsonpath=".len()..]).map_err(|e| anyhow!("error parsing jsonpath {}, {e}", &o["jsonpath=".len()..]))?,
        ),
        Some(o) => bail!(
            "unable to match a printer suitable for the output format \"{o}\", allowed formats are: json,jsonpath,name,wide,yaml"
        ),
    })
}

/// Resolve `pod,svc name…` or `pod/name svc/name` into resources and names.
pub fn parse_type_args(args: &[String]) -> Result<Vec<(&'static Resource, Vec<String>)>> {
    let lookup = |t: &str| {
        resources::lookup(t)
            .ok_or_else(|| anyhow!("the server doesn't have a resource type \"{t}\""))
    };
    let mut out: Vec<(&'static Resource, Vec<String>)> = Vec::new();
    if args.first().is_some_and(|a| a.contains('/')) {
        for a in args {
            let (t, n) = a.split_once('/').ok_or_else(|| {
                anyhow!("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")
            })?;
            let r = lookup(t)?;
            match out.iter_mut().find(|(x, _)| std::ptr::eq(*x, r)) {
                Some((_, names)) => names.push(n.to_string()),
                None => out.push((r, vec![n.to_string()])),
            }
        }
        return Ok(out);
    }
    let Some((types, names)) = args.split_first() else {
        return Ok(out);
    };
    for t in types.split(',').filter(|t| !t.is_empty()) {
        out.push((lookup(t)?, names.to_vec()));
    }
    if out.len() > 1 && !names.is_empty() {
        bail!("you may only specify a single resource type when passing names");
    }
    Ok(out)
}

fn jsonpath_text(a: &GetArgs) -> &str {
    a.output
        .as_deref()
        .and_then(|o| o.strip_prefix("jsonpath="))
        .unwrap_or_default()
}

fn list_query(a: &GetArgs) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(l) = &a.selector {
        q.append_pair("labelSelector", l);
    }
    if let Some(f) = &a.field_selector {
        q.append_pair("fieldSelector", f);
    }
    let q = q.finish();
    if q.is_empty() {
        q
    } else {
        format!("?{q}")
    }
}

/// `meshlite get …`
pub async fn get(g: &Global, a: GetArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let out = output(a.output.as_deref())?;
    let targets = parse_type_args(&a.args)?;
    let slash_form = a.args.first().is_some_and(|x| x.contains('/'));
    let prefix_names = targets.len() > 1 || slash_form;
    let mut failed = false;
    let mut objects: Vec<Value> = Vec::new();
    let mut printed_tables = 0;
    let mut any_named = false;
    for (res, names) in &targets {
        let scope_ns = if a.all_namespaces || !res.namespaced() {
            None
        } else {
            Some(ns.as_str())
        };
        let base = res.collection_path(res.version(), scope_ns);
        if let Output::Table { wide } = out {
            let mut tables = Vec::new();
            if names.is_empty() {
                tables.push(
                    check(
                        client
                            .request(
                                Method::GET,
                                &format!("{base}{}", list_query(&a)),
                                TABLE_ACCEPT,
                                None,
                            )
                            .await,
                        "",
                    )?
                    .body,
                );
            } else {
                any_named = true;
                for n in names {
                    match client
                        .request(Method::GET, &format!("{base}/{n}"), TABLE_ACCEPT, None)
                        .await
                    {
                        Ok(r) => tables.push(r.body),
                        Err(f) => {
                            eprintln!("{}", f.render(""));
                            failed = true;
                        }
                    }
                }
            }
            let has_rows = tables.iter().any(|t| {
                t.get("rows")
                    .and_then(Value::as_array)
                    .is_some_and(|r| !r.is_empty())
            });
            if !has_rows && !a.watch {
                continue;
            }
            let opts = TableOptions {
                wide,
                show_labels: a.show_labels,
                with_namespace: a.all_namespaces && res.namespaced(),
                kind_prefix: prefix_names.then(|| res.qualified_kind()),
                no_headers: a.no_headers,
                label_columns: a.label_columns.clone(),
            };
            if printed_tables > 0 {
                println!();
            }
            printed_tables += 1;
            if a.watch {
                let mut printer = TablePrinter::new(opts);
                for t in &tables {
                    print!("{}", printer.print(t));
                }
                let rv = tables
                    .first()
                    .and_then(|t| t.pointer("/metadata/resourceVersion"))
                    .and_then(Value::as_str)
                    .unwrap_or("0")
                    .to_string();
                return watch(
                    &client,
                    &base,
                    &a,
                    names.first().map(String::as_str),
                    &rv,
                    printer,
                )
                .await;
            }
            print!("{}", printer::render_tables(&tables, &opts));
            continue;
        }
        if names.is_empty() {
            let list = check(
                client.get_json(&format!("{base}{}", list_query(&a))).await,
                "",
            )?;
            objects.extend(
                list.get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
        } else {
            any_named = true;
            for n in names {
                match client.get_json(&format!("{base}/{n}")).await {
                    Ok(o) => objects.push(o),
                    Err(f) => {
                        eprintln!("{}", f.render(""));
                        failed = true;
                    }
                }
            }
        }
    }
    match out {
        Output::Table { .. } => {
            if printed_tables == 0 && !any_named {
                let single_ns = targets.iter().all(|(r, _)| r.namespaced()) && !a.all_namespaces;
                if single_ns {
                    eprintln!("No resources found in {ns} namespace.");
                } else {
                    eprintln!("No resources found");
                }
            }
        }
        Output::Name => {
            for o in &objects {
                let (group, _) = resources::split_api_version(
                    o.get("apiVersion")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
                let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
                println!(
                    "{}",
                    printer::name_line(kind, group, crate::api::meta::name(o))
                );
            }
        }
        Output::Yaml | Output::Json | Output::JsonPath(_) => {
            if !a.show_managed_fields {
                for o in &mut objects {
                    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                        m.remove("managedFields");
                    }
                }
            }
            let single =
                any_named && objects.len() == 1 && targets.len() == 1 && targets[0].1.len() == 1;
            let data = if single {
                objects.pop().unwrap_or(Value::Null)
            } else {
                printer::as_list(objects)
            };
            match out {
                Output::Yaml => print!("{}", printer::to_yaml(&data)),
                Output::Json => print!("{}", printer::to_json(&data)),
                Output::JsonPath(t) => {
                    let text = t.render(&data).map_err(|e| {
                        anyhow!(
                            "error executing jsonpath {:?}: Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{}\n\tobject given to jsonpath engine was:\n\t\t{}\n",
                            jsonpath_text(&a),
                            jsonpath_text(&a),
                            printer::to_json_compact(&data)
                        )
                    })?;
                    print!("{text}");
                }
                _ => {}
            }
        }
    }
    Ok(i32::from(failed))
}

/// Keep printing rows as objects change (`get -w`), through the printer that printed the
/// first table, so the header is not repeated and columns never get narrower.
async fn watch(
    client: &Client,
    base: &str,
    a: &GetArgs,
    name: Option<&str>,
    rv: &str,
    mut printer: TablePrinter,
) -> Result<i32> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(l) = &a.selector {
        q.append_pair("labelSelector", l);
    }
    match (name, &a.field_selector) {
        (Some(n), _) => {
            q.append_pair("fieldSelector", &format!("metadata.name={n}"));
        }
        (None, Some(f)) => {
            q.append_pair("fieldSelector", f);
        }
        (None, None) => {}
    }
    q.append_pair("watch", "true")
        .append_pair("resourceVersion", rv);
    let path = format!("{base}?{}", q.finish());
    let resp = client
        .send(Method::GET, &path, TABLE_ACCEPT, None)
        .await
        .map_err(|f| anyhow!(f.render("")))?;
    let mut stream = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let Ok(ev) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if ev.get("type").and_then(Value::as_str) == Some("ERROR") {
                bail!(
                    "{}",
                    ev.pointer("/object/message")
                        .and_then(Value::as_str)
                        .unwrap_or("watch failed")
                );
            }
            if let Some(t) = ev.get("object") {
                print!("{}", printer.print(t));
                use std::io::Write;
                let _ = std::io::stdout().flush();
            }
        }
    }
    Ok(0)
}

/// `meshlite describe TYPE NAME`
pub async fn describe(g: &Global, a: DescribeArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let targets = parse_type_args(&a.args)?;
    let mut failed = false;
    let mut first = true;
    for (res, names) in targets {
        let scope_ns = res.namespaced().then_some(ns.as_str());
        let base = res.collection_path(res.version(), scope_ns);
        let objs: Vec<Value> = if names.is_empty() {
            let list = check(client.get_json(&base).await, "")?;
            list.get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        } else {
            let mut v = Vec::new();
            for n in &names {
                match client.get_json(&format!("{base}/{n}")).await {
                    Ok(o) => v.push(o),
                    Err(f) => {
                        // As kubectl: no exact match describes every object whose name starts
                        // with the given one (`describe pod httpbin`).
                        let by_prefix: Vec<Value> = match client.get_json(&base).await {
                            Ok(list) => list
                                .get("items")
                                .and_then(Value::as_array)
                                .into_iter()
                                .flatten()
                                .filter(|o| crate::api::meta::name(o).starts_with(n.as_str()))
                                .cloned()
                                .collect(),
                            Err(_) => Vec::new(),
                        };
                        if by_prefix.is_empty() {
                            eprintln!("{}", f.render(""));
                            failed = true;
                        }
                        v.extend(by_prefix);
                    }
                }
            }
            v
        };
        for obj in objs {
            if !first {
                println!("\n");
            }
            first = false;
            let events = events_for(&client, &obj).await;
            let related = related_for(&client, &obj).await;
            print!(
                "{}",
                super::describe::render_with(&obj, &events, &related, &chrono::Local::now())
            );
        }
    }
    Ok(i32::from(failed))
}

/// What a describer lists besides the object: a Deployment's ReplicaSets, a ReplicaSet's pods.
async fn related_for(client: &Client, obj: &Value) -> Vec<Value> {
    let ns = crate::api::meta::namespace(obj).unwrap_or("default");
    let path = match obj.get("kind").and_then(Value::as_str) {
        Some("Deployment") => format!("/apis/apps/v1/namespaces/{ns}/replicasets"),
        Some("ReplicaSet") => format!("/api/v1/namespaces/{ns}/pods"),
        _ => return Vec::new(),
    };
    client
        .get_json(&path)
        .await
        .ok()
        .and_then(|l| l.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// Events about one object, oldest first.
async fn events_for(client: &Client, obj: &Value) -> Vec<Value> {
    let ns = crate::api::meta::namespace(obj).unwrap_or("default");
    let uid = obj
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = format!("/api/v1/namespaces/{ns}/events");
    let Ok(list) = client.get_json(&path).await else {
        return Vec::new();
    };
    let mut ev: Vec<Value> = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| e.pointer("/involvedObject/uid").and_then(Value::as_str) == Some(uid))
        .cloned()
        .collect();
    ev.sort_by_key(|e| {
        e.get("lastTimestamp")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    });
    ev
}
