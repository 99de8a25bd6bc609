//! `meshlite logs`: a container's output from the API's `log` subresource, followed with `-f`.

use super::client::check;
use super::Global;
use crate::api::meta;
use anyhow::Result;
use clap::Args;
use futures::StreamExt;
use reqwest::Method;
use std::io::Write;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// POD, pod/NAME or TYPE/NAME (deploy/httpbin)
    pub target: String,
    /// The container (default: the only one, or the pod's default container).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Keep streaming new output.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Show only the last N lines (-1: all).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub tail: i64,
    /// The previous run of the container (after a restart).
    #[arg(short = 'p', long)]
    pub previous: bool,
    /// Prefix each line with its RFC3339 timestamp.
    #[arg(long)]
    pub timestamps: bool,
    /// Only output newer than this (e.g. 10s, 5m).
    #[arg(long)]
    pub since: Option<String>,
}

/// Run `logs`.
pub async fn logs(g: &Global, a: LogsArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let pod = super::pods::resolve(&client, &ns, &a.target).await?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(c) = &a.container {
        query.append_pair("container", c);
    }
    if a.follow {
        query.append_pair("follow", "true");
    }
    if a.previous {
        query.append_pair("previous", "true");
    }
    if a.timestamps {
        query.append_pair("timestamps", "true");
    }
    if a.tail >= 0 {
        query.append_pair("tailLines", &a.tail.to_string());
    }
    if let Some(s) = &a.since {
        let d = crate::api::istio::parse_duration(s).ok_or_else(|| {
            anyhow::anyhow!("invalid --since {s:?}: write a duration like 10s or 5m")
        })?;
        query.append_pair("sinceSeconds", &d.as_secs().max(1).to_string());
    }
    let path = format!(
        "/api/v1/namespaces/{ns}/pods/{}/log?{}",
        meta::name(&pod),
        query.finish()
    );
    let resp = check(client.send(Method::GET, &path, "*/*", None).await, "")?;
    let mut body = resp.bytes_stream();
    let mut out = std::io::stdout();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| anyhow::anyhow!("the log stream broke: {e}"))?;
        out.write_all(&chunk)?;
        out.flush()?;
    }
    Ok(0)
}
