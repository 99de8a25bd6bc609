//! `get` and `describe`: reading objects and printing them as kubectl does.

use super::client::{check, Client, TABLE_ACCEPT};
use super::printer::{self, TableOptions};
use super::{jsonpath, Global};
use crate::api::resources::{self, Resource};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};

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
    let lookup = |t: &str| resources::lookup(t).ok_or_else(|| anyhow!("the server doesn't have a resource type \"{t}\""));
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
    let Some((types, names)) = args.split_first() else { return Ok(out) };
    for t in types.split(',').filter(|t| !t.is_empty()) {
        out.push((lookup(t)?, names.to_vec()));
    }
    if out.len() > 1 && !names.is_empty() {
        bail!("you may only specify a single resource type when passing names");
    }
    Ok(out)
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
    if q.is_empty() { q } else { format!("?{q}") }
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
        let scope_ns = if a.all_namespaces || !res.namespaced() { None } else { Some(ns.as_str()) };
        let base = res.collection_path(res.version(), scope_ns);
        if let Output::Table { wide } = out {
            let mut tables = Vec::new();
            if names.is_empty() {
                tables.push(check(client.request(Method::GET, &format!("{base}{}", list_query(&a)), TABLE_ACCEPT, None).await, "")?.body);
            } else {
                any_named = true;
                for n in names {
                    match client.request(Method::GET, &format!("{base}/{n}"), TABLE_ACCEPT, None).await {
                        Ok(r) => tables.push(r.body),
                        Err(f) => {
                            eprintln!("{}", f.render(""));
                            failed = true;
                        }
                    }
                }
            }
            let mut merged = match tables.first() {
                Some(t) => t.clone(),
                None => continue,
            };
            let rows: Vec<Value> = tables.iter().flat_map(|t| t.get("rows").and_then(Value::as_array).cloned().unwrap_or_default()).collect();
            if rows.is_empty() {
                continue;
            }
            merged["rows"] = Value::Array(rows);
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
            print!("{}", printer::render_table(&merged, &opts));
            printed_tables += 1;
            if a.watch {
                return watch(&client, res, &base, &a, &merged, opts).await;
            }
            continue;
        }
        if names.is_empty() {
            let list = check(client.get_json(&format!("{base}{}", list_query(&a))).await, "")?;
            objects.extend(list.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
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
                let (group, _) = resources::split_api_version(o.get("apiVersion").and_then(Value::as_str).unwrap_or_default());
                let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
                println!("{}", printer::name_line(kind, group, crate::api::meta::name(o)));
            }
        }
        Output::Yaml | Output::Json | Output::JsonPath(_) => {
            let single = any_named && objects.len() == 1 && targets.len() == 1 && targets[0].1.len() == 1;
            let data = if single {
                objects.pop().unwrap_or(Value::Null)
            } else {
                json!({"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}})
            };
            match out {
                Output::Yaml => print!("{}", printer::to_yaml(&data)),
                Output::Json => println!("{}", printer::to_json(&data)),
                Output::JsonPath(t) => print!("{}", t.render(&data).map_err(|e| anyhow!("error executing jsonpath: {e}"))?),
                _ => {}
            }
        }
    }
    Ok(i32::from(failed))
}

/// Keep printing rows as objects change (`get -w`).
async fn watch(client: &Client, res: &Resource, base: &str, a: &GetArgs, first: &Value, mut opts: TableOptions) -> Result<i32> {
    let rv = first.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("0");
    let q = list_query(a);
    let sep = if q.is_empty() { "?" } else { "&" };
    let path = format!("{base}{q}{sep}watch=true&resourceVersion={rv}");
    let resp = client.send(Method::GET, &path, TABLE_ACCEPT, None).await.map_err(|f| anyhow!(f.render("")))?;
    opts.no_headers = true;
    let _ = res;
    let mut stream = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let Ok(ev) = serde_json::from_slice::<Value>(&line) else { continue };
            if ev.get("type").and_then(Value::as_str) == Some("ERROR") {
                bail!("{}", ev.pointer("/object/message").and_then(Value::as_str).unwrap_or("watch failed"));
            }
            if let Some(t) = ev.get("object") {
                print!("{}", printer::render_table(t, &opts));
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
            list.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
        } else {
            let mut v = Vec::new();
            for n in &names {
                match client.get_json(&format!("{base}/{n}")).await {
                    Ok(o) => v.push(o),
                    Err(f) => {
                        eprintln!("{}", f.render(""));
                        failed = true;
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
            print!("{}", super::describe::render(&obj, &events));
        }
    }
    Ok(i32::from(failed))
}

/// Events about one object, oldest first.
async fn events_for(client: &Client, obj: &Value) -> Vec<Value> {
    let ns = crate::api::meta::namespace(obj).unwrap_or("default");
    let uid = obj.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
    let path = format!("/api/v1/namespaces/{ns}/events");
    let Ok(list) = client.get_json(&path).await else { return Vec::new() };
    let mut ev: Vec<Value> = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| e.pointer("/involvedObject/uid").and_then(Value::as_str) == Some(uid))
        .cloned()
        .collect();
    ev.sort_by_key(|e| e.get("lastTimestamp").and_then(Value::as_str).unwrap_or_default().to_string());
    ev
}
