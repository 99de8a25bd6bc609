//! `meshlite rollout status|restart|undo|history` and `meshlite scale`: kubectl's commands for
//! Deployments, speaking the same API (status conditions, template annotation patch,
//! ReplicaSet revisions, the scale subresource).

use super::client::{check, Client};
use super::Global;
use crate::api::meta;
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How often `rollout status` looks again.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub command: RolloutCommand,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Watch a rollout until it finishes.
    Status {
        /// deploy/NAME (or `deployment NAME`)
        #[arg(required = true, num_args = 1..=2)]
        target: Vec<String>,
        /// Keep watching until the rollout finishes (false: report once).
        #[arg(short = 'w', long, default_value_t = true, action = clap::ArgAction::Set)]
        watch: bool,
        /// Give up after this long (e.g. 90s, 5m; 0 = never).
        #[arg(long, default_value = "0s")]
        timeout: String,
    },
    /// Restart every pod of a Deployment with a new rollout.
    Restart {
        #[arg(required = true, num_args = 1..=2)]
        target: Vec<String>,
    },
    /// Roll back to the previous (or a given) revision.
    Undo {
        #[arg(required = true, num_args = 1..=2)]
        target: Vec<String>,
        /// The revision to go back to (0 = the previous one).
        #[arg(long, default_value_t = 0)]
        to_revision: i64,
    },
    /// List a Deployment's revisions.
    History {
        #[arg(required = true, num_args = 1..=2)]
        target: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// deploy/NAME (or `deployment NAME`); ReplicaSets too.
    #[arg(required = true, num_args = 1..=2)]
    pub target: Vec<String>,
    /// The new number of replicas.
    #[arg(long)]
    pub replicas: i64,
}

/// Run `rollout …`.
pub async fn rollout(g: &Global, a: RolloutArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    match a.command {
        RolloutCommand::Status {
            target,
            watch,
            timeout,
        } => {
            let name = deployment_name(&target)?;
            let limit = crate::api::istio::parse_duration(&timeout).ok_or_else(|| {
                anyhow!("invalid --timeout {timeout:?}: write a duration like 90s or 5m")
            })?;
            status(&client, &ns, &name, watch, limit).await
        }
        RolloutCommand::Restart { target } => {
            let name = deployment_name(&target)?;
            let patch = json!({"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            }}}}});
            patch_deployment(
                &client,
                &ns,
                &name,
                "application/strategic-merge-patch+json",
                &patch,
            )
            .await?;
            println!("deployment.apps/{name} restarted");
            Ok(0)
        }
        RolloutCommand::Undo {
            target,
            to_revision,
        } => {
            let name = deployment_name(&target)?;
            undo(&client, &ns, &name, to_revision).await
        }
        RolloutCommand::History { target } => {
            let name = deployment_name(&target)?;
            let revisions = revisions(&client, &ns, &name).await?;
            println!("deployment.apps/{name} \nREVISION  CHANGE-CAUSE");
            for (rev, rs) in revisions {
                let cause = rs
                    .pointer("/metadata/annotations/kubernetes.io~1change-cause")
                    .and_then(Value::as_str)
                    .unwrap_or("<none>");
                println!("{:<10}{cause}", rev);
            }
            println!();
            Ok(0)
        }
    }
}

/// Run `scale`.
pub async fn scale(g: &Global, a: ScaleArgs) -> Result<i32> {
    let client = g.client()?;
    let ns = g.namespace(&client);
    let (kind, name) = target(&a.target)?;
    let (path, shown) = match kind.as_str() {
        "deployment" => (
            format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"),
            format!("deployment.apps/{name}"),
        ),
        "replicaset" => (
            format!("/apis/apps/v1/namespaces/{ns}/replicasets/{name}/scale"),
            format!("replicaset.apps/{name}"),
        ),
        other => bail!("cannot scale {other:?}: meshlite scales deployments and replicasets"),
    };
    let body = json!({"spec": {"replicas": a.replicas}})
        .to_string()
        .into_bytes();
    check(
        client
            .request(
                Method::PATCH,
                &path,
                "application/json",
                Some(("application/merge-patch+json", body)),
            )
            .await,
        "",
    )?;
    println!("{shown} scaled");
    Ok(0)
}

/// What kubectl prints while a Deployment rolls out, and whether it is done.
pub fn status_message(d: &Value) -> Result<(String, bool)> {
    let name = meta::name(d);
    let int = |p: &str| d.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let generation = int("/metadata/generation");
    let observed = int("/status/observedGeneration");
    if generation > observed {
        return Ok((
            "Waiting for deployment spec update to be observed...".into(),
            false,
        ));
    }
    let progressing = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"));
    if progressing
        .and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        == Some("ProgressDeadlineExceeded")
    {
        bail!("deployment {name:?} exceeded its progress deadline");
    }
    let wanted = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let updated = int("/status/updatedReplicas");
    let replicas = int("/status/replicas");
    let available = int("/status/availableReplicas");
    let msg = if updated < wanted {
        format!("Waiting for deployment {name:?} rollout to finish: {updated} out of {wanted} new replicas have been updated...")
    } else if replicas > updated {
        format!(
            "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        )
    } else if available < updated {
        format!("Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available...")
    } else {
        return Ok((format!("deployment {name:?} successfully rolled out"), true));
    };
    Ok((msg, false))
}

async fn status(
    client: &Client,
    ns: &str,
    name: &str,
    watch: bool,
    limit: Duration,
) -> Result<i32> {
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let d = deployment(client, ns, name).await?;
        let (msg, done) = status_message(&d)?;
        if msg != last {
            println!("{msg}");
            last = msg;
        }
        if done || !watch {
            return Ok(0);
        }
        if !limit.is_zero() && started.elapsed() >= limit {
            bail!("timed out waiting for the condition");
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn undo(client: &Client, ns: &str, name: &str, to: i64) -> Result<i32> {
    let d = deployment(client, ns, name).await?;
    let current = d
        .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
        .and_then(Value::as_str)
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(0);
    let revisions = revisions(client, ns, name).await?;
    let target = if to == 0 {
        revisions.iter().rev().find(|(r, _)| *r != current)
    } else {
        revisions.iter().find(|(r, _)| *r == to)
    };
    let Some((rev, rs)) = target else {
        if to == 0 {
            bail!("no rollout history found for deployment {name:?}");
        }
        bail!("unable to find specified revision {to} in history");
    };
    if *rev == current {
        println!("deployment.apps/{name} skipped rollback (current template already matches revision {rev})");
        return Ok(0);
    }
    let mut template = rs.pointer("/spec/template").cloned().unwrap_or_default();
    if let Some(labels) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("pod-template-hash");
    }
    let patch = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
    patch_deployment(client, ns, name, "application/json-patch+json", &patch).await?;
    println!("deployment.apps/{name} rolled back");
    Ok(0)
}

/// The Deployment's ReplicaSets by revision, oldest first.
async fn revisions(client: &Client, ns: &str, name: &str) -> Result<Vec<(i64, Value)>> {
    let d = deployment(client, ns, name).await?;
    let uid = d.pointer("/metadata/uid").cloned().unwrap_or_default();
    let list = check(
        client
            .get_json(&format!("/apis/apps/v1/namespaces/{ns}/replicasets"))
            .await,
        "",
    )?;
    let mut out: Vec<(i64, Value)> = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|rs| {
            rs.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|o| o.iter().any(|r| r.get("uid") == Some(&uid)))
        })
        .filter_map(|rs| {
            let rev = rs
                .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                .and_then(Value::as_str)?
                .parse()
                .ok()?;
            Some((rev, rs.clone()))
        })
        .collect();
    out.sort_by_key(|(r, _)| *r);
    Ok(out)
}

/// GET the Deployment.
async fn deployment(client: &Client, ns: &str, name: &str) -> Result<Value> {
    check(
        client
            .get_json(&format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}"))
            .await,
        "",
    )
}

/// PATCH the Deployment with `body` of `content_type`.
async fn patch_deployment(
    client: &Client,
    ns: &str,
    name: &str,
    content_type: &str,
    body: &Value,
) -> Result<()> {
    check(
        client
            .request(
                Method::PATCH,
                &format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}"),
                "application/json",
                Some((content_type, body.to_string().into_bytes())),
            )
            .await,
        "",
    )?;
    Ok(())
}

/// `deploy/NAME`, `deployment/NAME` or `deployment NAME` → NAME (deployments only).
fn deployment_name(args: &[String]) -> Result<String> {
    let (kind, name) = target(args)?;
    if kind != "deployment" {
        bail!("meshlite rolls out deployments; {kind:?} is not supported");
    }
    Ok(name)
}

/// `TYPE/NAME` or `TYPE NAME` → (canonical kind in lower case, name).
fn target(args: &[String]) -> Result<(String, String)> {
    let (t, name) = match args {
        [one] => one
            .split_once('/')
            .map(|(t, n)| (t.to_string(), n.to_string()))
            .ok_or_else(|| anyhow!("expected TYPE/NAME (e.g. deploy/httpbin), got {one:?}"))?,
        [t, n] => (t.clone(), n.clone()),
        _ => bail!("expected TYPE/NAME (e.g. deploy/httpbin)"),
    };
    let res = crate::api::resources::lookup(&t)
        .ok_or_else(|| anyhow!("the server doesn't have a resource type {t:?}"))?;
    Ok((res.kind.to_lowercase(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_kubectl() {
        let d = |gen: i64, obs: i64, spec: i64, upd: i64, rep: i64, avail: i64| {
            json!({"metadata": {"name": "web", "generation": gen},
                   "spec": {"replicas": spec},
                   "status": {"observedGeneration": obs, "updatedReplicas": upd,
                              "replicas": rep, "availableReplicas": avail}})
        };
        let cases = [
            (d(2, 1, 3, 3, 3, 3), "Waiting for deployment spec update to be observed...", false),
            (d(2, 2, 3, 1, 4, 3), "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...", false),
            (d(2, 2, 3, 3, 4, 3), "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...", false),
            (d(2, 2, 3, 3, 3, 2), "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...", false),
            (d(2, 2, 3, 3, 3, 3), "deployment \"web\" successfully rolled out", true),
        ];
        for (obj, msg, done) in cases {
            assert_eq!(status_message(&obj).unwrap(), (msg.to_string(), done));
        }
        let mut stuck = d(1, 1, 1, 0, 0, 0);
        stuck["status"]["conditions"] =
            json!([{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]);
        assert!(status_message(&stuck).is_err());
        assert_eq!(
            target(&["deploy/x".into()]).unwrap(),
            ("deployment".into(), "x".into())
        );
        assert!(target(&["x".into()]).is_err());
    }
}
