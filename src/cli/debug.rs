//! `meshlite proxy-config` and `meshlite trace`: what a proxy was told and how it would route one
//! request, compiled from the configuration the control plane last sent (the same code the
//! proxies run), with live endpoint health from the proxy itself.

use super::client::{check, Client};
use super::Global;
use crate::api::{meta, node::HOST_PORTS_ANNOTATION};
use crate::inspect;
use crate::proxy::table::{Identity, Role, Table};
use crate::routes::Request as RouteRequest;
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Section {
    Routes,
    Clusters,
    Listeners,
    Endpoints,
}

#[derive(Debug, Args)]
pub struct ProxyConfigArgs {
    /// routes, clusters, listeners or endpoints
    #[arg(value_enum)]
    pub section: Section,
    /// POD[.NAMESPACE], pod/NAME or deploy/NAME
    pub pod: String,
    /// Output format: json (default: a table)
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The HTTP method (GET, POST, …)
    pub method: String,
    /// The URL as the client would send it, e.g. http://localhost:8080/hello
    pub url: String,
    /// A request header, 'Name: value' (repeatable; Host overrides the URL's host)
    #[arg(short = 'H', long = "header")]
    pub headers: Vec<String>,
    /// Trace from this pod's sidecar instead of the ingress gateway
    #[arg(long)]
    pub from: Option<String>,
    /// Also send the request and print the response status and headers
    #[arg(long)]
    pub send: bool,
}

/// A proxy pod and its compiled view of the mesh.
struct Compiled {
    pod: Value,
    table: Table,
}

/// The role of a pod's proxy, from its `istio-proxy` container.
fn role_of(pod: &Value) -> Option<Role> {
    let proxy = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some("istio-proxy"))?;
    match proxy.pointer("/args/1").and_then(Value::as_str) {
        Some("router") => Some(Role::Gateway),
        _ => Some(Role::Sidecar),
    }
}

/// `POD.NS` → (POD, NS) unless the namespace flag is given, as istioctl reads it.
fn split_target(target: &str, ns: &str, explicit: bool) -> (String, String) {
    match target.split_once('.') {
        Some((pod, pns)) if !explicit && !target.contains('/') => {
            (pod.to_string(), pns.to_string())
        }
        _ => (target.to_string(), ns.to_string()),
    }
}

async fn compile(client: &Client, ns: &str, target: &str) -> Result<Compiled> {
    let pod = super::pods::resolve(client, ns, target).await?;
    let name = meta::name(&pod).to_string();
    let pod_ns = meta::namespace(&pod).unwrap_or(ns).to_string();
    let role = role_of(&pod).ok_or_else(|| {
        anyhow!(
            "pod {name}.{pod_ns} has no istio-proxy container, so it has no proxy configuration"
        )
    })?;
    let config = check(client.get_json("/debug/mesh-config").await, "")?;
    if config.is_null() {
        bail!("the control plane has not published a configuration yet");
    }
    let id = Identity {
        role,
        namespace: pod_ns,
        workload: crate::proxy::telemetry::workload_name(&name),
        pod: name,
    };
    let table = Table::build(&config, &id, None);
    Ok(Compiled { pod, table })
}

/// The host port a pod's container port is reachable on.
fn host_port(pod: &Value, container_port: u16) -> Option<u16> {
    let map: BTreeMap<String, u16> = meta::annotations(pod)
        .get(HOST_PORTS_ANNOTATION)
        .and_then(|s| serde_json::from_str(s).ok())?;
    map.get(&container_port.to_string()).copied()
}

/// Live endpoint health from the proxy's status port.
async fn live_health(pod: &Value) -> BTreeMap<(String, String), inspect::EndpointHealth> {
    let mut out = BTreeMap::new();
    let Some(port) = host_port(pod, 15021) else {
        return out;
    };
    let Ok(client) = reqwest::Client::builder().no_proxy().build() else {
        return out;
    };
    let Ok(resp) = client
        .get(format!("http://127.0.0.1:{port}/debug/endpoints"))
        .send()
        .await
    else {
        return out;
    };
    let Ok(rows) = resp.json::<Vec<Value>>().await else {
        return out;
    };
    for row in rows {
        let text = |k: &str| {
            row.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        out.insert(
            (text("cluster"), text("address")),
            inspect::EndpointHealth {
                healthy: row.get("healthy").and_then(Value::as_bool).unwrap_or(true),
                ejected: row.get("ejectedForMs").is_some_and(|v| !v.is_null()),
            },
        );
    }
    out
}

/// Run `proxy-config`.
pub async fn proxy_config(g: &Global, a: ProxyConfigArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let (target, ns) = split_target(&a.pod, &ns, g.namespace.is_some());
    let compiled = compile(&client, &ns, &target).await?;
    let json = match a.output.as_deref() {
        None | Some("table") | Some("short") => false,
        Some("json") => true,
        Some(other) => {
            bail!("--output {other:?} is not supported; use json or leave it out for a table")
        }
    };
    let mut clusters: Vec<crate::routes::Cluster> = compiled
        .table
        .clusters
        .values()
        .map(|c| c.cluster.clone())
        .collect();
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    let out = match (a.section, json) {
        (Section::Routes, false) => inspect::routes_table(&compiled.table.router),
        (Section::Routes, true) => pretty(&inspect::routes_json(&compiled.table.router))?,
        (Section::Listeners, false) => inspect::listeners_table(&compiled.table.router),
        (Section::Listeners, true) => pretty(&inspect::routes_json(&compiled.table.router))?,
        (Section::Clusters, false) => inspect::clusters_table(&clusters),
        (Section::Clusters, true) => pretty(&inspect::clusters_json(&clusters))?,
        (Section::Endpoints, as_json) => {
            let health = live_health(&compiled.pod).await;
            let mut rows = Vec::new();
            for c in &clusters {
                for e in &c.endpoints {
                    let h = health
                        .get(&(c.name.clone(), e.address.to_string()))
                        .cloned()
                        .unwrap_or(inspect::EndpointHealth {
                            healthy: e.ready,
                            ejected: false,
                        });
                    rows.push((c.name.clone(), e.clone(), h));
                }
            }
            if as_json {
                let list: Vec<Value> = rows
                    .iter()
                    .map(|(c, e, h)| {
                        serde_json::json!({"cluster": c, "endpoint": e.address.to_string(), "healthy": h.healthy, "ejected": h.ejected})
                    })
                    .collect();
                pretty(&Value::Array(list))?
            } else {
                inspect::endpoints_table(&rows)
            }
        }
    };
    print!("{out}");
    if !out.ends_with('\n') {
        println!();
    }
    Ok(0)
}

fn pretty(v: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(v)?)
}

/// The ingress gateway's pod.
async fn gateway_pod(client: &Client) -> Result<String> {
    let list = check(
        client
            .get_json("/api/v1/namespaces/istio-system/pods?labelSelector=istio%3Dingressgateway")
            .await,
        "",
    )?;
    list.get("items")
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .find(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        })
        .map(|p| meta::name(p).to_string())
        .ok_or_else(|| {
            anyhow!("no ingress gateway pod in istio-system (label istio=ingressgateway)")
        })
}

/// The gateway listener port a URL's port reaches: the container port behind a host port, or
/// the target port behind a NodePort of the gateway Service.
async fn gateway_listener(client: &Client, pod: &Value, url_port: u16) -> u16 {
    let map: BTreeMap<String, u16> = meta::annotations(pod)
        .get(HOST_PORTS_ANNOTATION)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    if let Some((container, _)) = map.iter().find(|(_, h)| **h == url_port) {
        if let Ok(p) = container.parse() {
            return p;
        }
    }
    if let Ok(svc) = client
        .get_json("/api/v1/namespaces/istio-system/services/istio-ingressgateway")
        .await
    {
        for p in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let num = |k: &str| {
                p.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok())
            };
            if num("nodePort") == Some(url_port) || num("port") == Some(url_port) {
                if let Some(t) = num("targetPort") {
                    return t;
                }
            }
        }
    }
    url_port
}

/// Run `trace`.
pub async fn trace(g: &Global, a: TraceArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let url: reqwest::Url = a.url.parse().with_context(|| {
        format!(
            "{:?} is not a URL; write it like http://localhost:8080/path",
            a.url
        )
    })?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for h in &a.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow!("-H {h:?}: write headers as 'Name: value'"))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let url_port = url.port_or_known_default().unwrap_or(80);
    let (target, target_ns) = match &a.from {
        Some(from) => split_target(from, &ns, g.namespace.is_some()),
        None => (gateway_pod(&client).await?, "istio-system".to_string()),
    };
    let compiled = compile(&client, &target_ns, &target).await?;
    let port = match a.from {
        Some(_) => url_port,
        None => gateway_listener(&client, &compiled.pod, url_port).await,
    };
    let host = url.host_str().unwrap_or_default().to_string();
    let authority = headers
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        });
    if !headers.iter().any(|(k, _)| k == "host") {
        headers.push(("host".to_string(), authority.clone()));
    }
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let method = a.method.to_ascii_uppercase();
    let gateway = compiled
        .table
        .router
        .listeners
        .iter()
        .find(|l| l.port == port)
        .and_then(|l| l.gateways.first().cloned());
    let req = RouteRequest {
        method: &method,
        scheme: url.scheme(),
        authority: &authority,
        path: &path,
        headers: &headers,
        port,
        source_labels: &compiled.table.labels,
        source_namespace: &target_ns,
        gateway: gateway.as_deref(),
    };
    let t = inspect::trace(&compiled.table.router, port, &req);
    println!("proxy: {target}.{target_ns} (listener port {port})");
    print!("{}", inspect::render_trace(&t));
    if let inspect::Outcome::Route { clusters, .. } = &t.outcome {
        for (name, _, _) in clusters {
            match compiled.table.clusters.get(name) {
                Some(state) => {
                    let eps: Vec<String> = state
                        .cluster
                        .endpoints
                        .iter()
                        .map(|e| {
                            let pod = e.pod.as_ref().map(|(_, n)| n.as_str()).unwrap_or("-");
                            let via = e
                                .sidecar_inbound
                                .map(|p| format!(" via sidecar 127.0.0.1:{p}"))
                                .unwrap_or_default();
                            let ready = if e.ready { "" } else { " (not ready)" };
                            format!("{} ({pod}{via}){ready}", e.address)
                        })
                        .collect();
                    if eps.is_empty() {
                        println!("  cluster {name}: no endpoints (503 no healthy upstream)");
                    } else {
                        println!("  cluster {name}: {}", eps.join(", "));
                    }
                }
                None => println!("  cluster {name}: does not exist (503 NC: no cluster found)"),
            }
        }
    }
    if a.send {
        send(&a, &method, &headers).await?;
    }
    Ok(0)
}

async fn send(a: &TraceArgs, method: &str, headers: &[(String, String)]) -> Result<()> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| anyhow!("{method:?} is not an HTTP method"))?;
    let mut req = client.request(method, &a.url);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("sending {}", a.url))?;
    println!(
        "sent: {} {}",
        resp.status().as_u16(),
        resp.status().canonical_reason().unwrap_or("")
    );
    for (k, v) in resp.headers() {
        println!("  {k}: {}", v.to_str().unwrap_or("<binary>"));
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ExperimentalArgs {
    #[command(subcommand)]
    pub command: Experimental,
}

/// `meshlite x …`: istioctl's experimental commands.
#[derive(Debug, clap::Subcommand)]
pub enum Experimental {
    /// Describe how the mesh treats a pod or Service (Services, DestinationRules, VirtualServices, ingress).
    Describe(XDescribeArgs),
}

#[derive(Debug, Args)]
pub struct XDescribeArgs {
    /// pod (po) or service (svc)
    pub kind: String,
    /// NAME[.NAMESPACE]
    pub name: String,
}

/// Run `x describe pod|svc NAME`.
pub async fn experimental(g: &Global, a: ExperimentalArgs) -> Result<i32> {
    let Experimental::Describe(d) = a.command;
    let client = g.client()?;
    let ns = g.namespace(&client);
    let (name, ns) = split_target(&d.name, &ns, g.namespace.is_some());
    let config = check(client.get_json("/debug/mesh-config").await, "")?;
    let mut snapshot = crate::proxy::table::snapshot(&config);
    // The published pods carry only what proxies need; describing wants their status too.
    let pods = check(client.get_json("/api/v1/pods").await, "")?;
    snapshot.pods = pods
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ingress = ingress(&client).await;
    let out = match d.kind.as_str() {
        "pod" | "pods" | "po" => {
            let pod = check(
                client
                    .get_json(&format!("/api/v1/namespaces/{ns}/pods/{name}"))
                    .await,
                "",
            )?;
            inspect::describe_pod(&pod, &snapshot, ingress.as_ref())
        }
        "service" | "services" | "svc" => {
            let svc = check(
                client
                    .get_json(&format!("/api/v1/namespaces/{ns}/services/{name}"))
                    .await,
                "",
            )?;
            inspect::describe_service(&svc, &snapshot, ingress.as_ref())
        }
        other => bail!("x describe {other}: describe a pod (pod, po) or a Service (service, svc)"),
    };
    print!("{out}");
    Ok(0)
}

/// The ingress gateway as `x describe` shows it: its URL on this machine and its pod's labels.
async fn ingress(client: &Client) -> Option<inspect::Ingress> {
    let name = gateway_pod(client).await.ok()?;
    let pod = client
        .get_json(&format!("/api/v1/namespaces/istio-system/pods/{name}"))
        .await
        .ok()?;
    let port = host_port(&pod, crate::up::gateway::HTTP_TARGET)?;
    let labels = meta::labels(&pod);
    Some(inspect::Ingress {
        url: format!("http://localhost:{port}"),
        namespace: "istio-system".to_string(),
        labels,
    })
}
