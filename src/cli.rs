//! The `meshlite` command line: clap definitions and dispatch to each command.
//!
//! Every command but `up` is a client of the API (through the kubeconfig in the data dir), and
//! prints what kubectl would print for the same request.

pub mod agent;
pub mod analyze;
pub mod apply;
pub mod client;
pub mod debug;
pub mod describe;
pub mod edit;
pub mod exec;
pub mod get;
pub mod inject;
pub mod jsonpath;
pub mod logs;
pub mod manifest;
mod pods;
pub mod printer;
pub mod rollout;
pub mod sample;

use crate::datadir::DataDir;
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// An Istio-compatible service mesh on one machine: a Kubernetes-shaped API, local pods,
/// sidecars and an ingress gateway, in one binary.
#[derive(Debug, Parser)]
#[command(name = "meshlite", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Where meshlite keeps its state (database, certificates, kubeconfig, logs).
    #[arg(long, global = true, env = "MESHLITE_HOME", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The kubeconfig to use (default: DIR/kubeconfig).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The namespace to act in (default: the kubeconfig's, i.e. `default`).
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start meshlite in the foreground: the API server and everything it runs.
    Up(UpArgs),
    /// Create or update objects from manifests (client-side apply, as kubectl).
    Apply(apply::ApplyArgs),
    /// Create objects from manifests, or a namespace / deployment by name.
    Create(edit::CreateArgs),
    /// List or show objects.
    Get(get::GetArgs),
    /// Show one object in detail.
    Describe(get::DescribeArgs),
    /// Delete objects by manifest or by name.
    Delete(apply::DeleteArgs),
    /// Add, change or remove labels.
    Label(edit::LabelArgs),
    /// Add Istio's sidecar to every pod template of a manifest and print the result.
    KubeInject(inject::KubeInjectArgs),
    /// Print a container's logs.
    Logs(logs::LogsArgs),
    /// Run a command in a container (as a local process with its environment).
    Exec(exec::ExecArgs),
    /// Manage a Deployment's rollout: status, restart, undo, history.
    Rollout(rollout::RolloutArgs),
    /// Set the number of replicas of a Deployment or ReplicaSet.
    Scale(rollout::ScaleArgs),
    /// Print the client and server versions.
    Version,
    /// Run a built-in sample program (what pods of known images run).
    #[command(hide = true)]
    Sample(sample::SampleArgs),
    /// What Istio's proxy image runs in a pod: the sidecar, or its init step.
    #[command(hide = true, name = "pilot-agent")]
    PilotAgent(agent::AgentArgs),
    /// List every sidecar and whether it runs the latest configuration.
    ProxyStatus,
    /// Check Istio configuration for problems, as `istioctl analyze`.
    Analyze(analyze::AnalyzeArgs),
    /// Show a proxy's routes, clusters, listeners or endpoints, as `istioctl proxy-config`.
    ProxyConfig(debug::ProxyConfigArgs),
    /// Explain how one request would be routed (rules tried, why, cluster, endpoints, policies).
    Trace(debug::TraceArgs),
    /// istioctl's experimental commands: `x describe pod|svc NAME`.
    X(debug::ExperimentalArgs),
}

/// Options of `meshlite up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// The API server's port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 16443)]
    pub api_port: u16,
    /// How many change events watches can resume from (older ones get 410 Expired).
    #[arg(long, default_value_t = crate::up::WATCH_HISTORY, hide = true)]
    pub watch_history: usize,
    /// NodePorts are allocated from FIRST-LAST (as kube-apiserver's flag).
    #[arg(long, default_value = "30000-32767", value_parser = parse_port_range)]
    pub service_node_port_range: std::ops::RangeInclusive<u16>,
    /// Host ports given to pods' containerPorts, as FIRST-LAST.
    #[arg(long, default_value = "20000-29999", value_parser = parse_port_range)]
    pub host_ports: std::ops::RangeInclusive<u16>,
    /// Deploy the httpbin demo (injected, behind the ingress gateway) and print its URL once it answers.
    #[arg(long)]
    pub demo: bool,
    /// Serve the ingress gateway's port 80 on this localhost port.
    #[arg(long, default_value_t = 8080)]
    pub http_port: u16,
    /// Serve the ingress gateway's port 443 on this localhost port.
    #[arg(long, default_value_t = 8443)]
    pub https_port: u16,
}

fn parse_port_range(s: &str) -> std::result::Result<std::ops::RangeInclusive<u16>, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("{s:?} is not a port range; write FIRST-LAST, e.g. 20000-29999"))?;
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{p:?} in {s:?} is not a port number (1-65535)"))
    };
    let (a, b) = (port(a)?, port(b)?);
    if a > b {
        return Err(format!("{s:?}: the first port must not be above the last"));
    }
    Ok(a..=b)
}

// === impl Global ===

impl Global {
    pub fn data_dir(&self) -> DataDir {
        DataDir::new(self.data_dir.clone().unwrap_or_else(DataDir::default_root))
    }

    pub fn client(&self) -> Result<client::Client> {
        client::Client::from_kubeconfig(self.kubeconfig.as_deref(), self.data_dir().path())
    }

    /// The namespace to use: `-n`, else the kubeconfig context's.
    pub fn namespace(&self, client: &client::Client) -> String {
        self.namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace.clone())
    }
}

/// Run a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    let g = &cli.global;
    match cli.command {
        Command::Up(a) => {
            crate::up::run(crate::up::UpOptions {
                data_dir: g.data_dir(),
                api_port: a.api_port,
                watch_history: a.watch_history,
                host_ports: a.host_ports,
                node_ports: a.service_node_port_range,
                demo: a.demo,
                http_port: a.http_port,
                https_port: a.https_port,
            })
            .await?;
            Ok(0)
        }
        Command::Apply(a) => apply::apply(g, a).await,
        Command::Create(a) => edit::create(g, a).await,
        Command::Get(a) => get::get(g, a).await,
        Command::Describe(a) => get::describe(g, a).await,
        Command::Delete(a) => apply::delete(g, a).await,
        Command::Label(a) => edit::label(g, a).await,
        Command::Logs(a) => logs::logs(g, a).await,
        Command::KubeInject(a) => inject::kube_inject(g.namespace.as_deref(), a),
        Command::Exec(a) => exec::exec_command(g, a).await,
        Command::Rollout(a) => rollout::rollout(g, a).await,
        Command::Scale(a) => rollout::scale(g, a).await,
        Command::Version => version(g).await,
        Command::Sample(a) => sample::run(a).await,
        Command::PilotAgent(a) => agent::run(a).await,
        Command::ProxyStatus => proxy_status(g).await,
        Command::Analyze(a) => analyze::analyze(g, a).await,
        Command::ProxyConfig(a) => debug::proxy_config(g, a).await,
        Command::Trace(a) => debug::trace(g, a).await,
        Command::X(a) => debug::experimental(g, a).await,
    }
}

/// `proxy-status`, laid out as `istioctl proxy-status`.
async fn proxy_status(g: &Global) -> Result<i32> {
    let client = g.client()?;
    let v = client::check(client.get_json("/debug/proxy-status").await, "")?;
    let statuses: Vec<crate::xds::ProxyStatus> = serde_json::from_value(v)
        .map_err(|e| anyhow::anyhow!("unexpected proxy status from the server: {e}"))?;
    let connected: Vec<_> = statuses.into_iter().filter(|s| s.connected).collect();
    print!(
        "{}",
        crate::xds::status_table(&connected, crate::inject::ISTIO_VERSION)
    );
    Ok(0)
}

async fn version(g: &Global) -> Result<i32> {
    println!("Client Version: v{}", env!("CARGO_PKG_VERSION"));
    let client = g.client()?;
    let v = client::check(client.get_json("/version").await, "")?;
    println!(
        "Server Version: {}",
        v.get("gitVersion")
            .and_then(|s| s.as_str())
            .unwrap_or("unknown")
    );
    Ok(0)
}
