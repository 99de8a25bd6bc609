//! `meshlite pilot-agent …`: what Istio's proxy image runs in a pod (hidden from help; the
//! kubelet starts it). `proxy sidecar` is the sidecar itself; `istio-iptables` is the init
//! step, which here only reports the port plan — there is no iptables: traffic reaches the
//! sidecar through `HTTP_PROXY` and the ports it is given.

use anyhow::{bail, Result};
use clap::Args;

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// `proxy sidecar …` or `istio-iptables …`, as in Istio's injected containers.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub args: Vec<String>,
}

/// Run the agent command.
pub async fn run(a: AgentArgs) -> Result<i32> {
    match a.args.first().map(String::as_str) {
        Some("proxy") => match a.args.get(1).map(String::as_str) {
            Some("sidecar") => {
                let settings = crate::sidecar::Settings::from_env(&|k| std::env::var(k).ok())
                    .map_err(|e| anyhow::anyhow!("pilot-agent: {e}"))?;
                let line = format!(
                    "meshlite sidecar for {}/{}: outbound 127.0.0.1:{}, inbound 127.0.0.1:{}, ready on 127.0.0.1:{}/healthz/ready",
                    settings.namespace, settings.pod, settings.outbound, settings.inbound, settings.status
                );
                crate::logline::emit(|out| out.push_str(&line));
                crate::sidecar::run(settings, crate::signal::shutdown_signal()).await?;
                Ok(0)
            }
            Some("router") => {
                let mut settings = crate::sidecar::Settings::from_env(&|k| std::env::var(k).ok())
                    .map_err(|e| anyhow::anyhow!("pilot-agent: {e}"))?;
                settings.role = crate::proxy::table::Role::Gateway;
                let listeners: Vec<String> = settings
                    .app_ports
                    .iter()
                    .map(|(c, h)| format!("{c} on 127.0.0.1:{h}"))
                    .collect();
                let line = format!(
                    "meshlite gateway {}/{}: listeners {}, ready on 127.0.0.1:{}/healthz/ready",
                    settings.namespace,
                    settings.pod,
                    listeners.join(", "),
                    settings.status
                );
                crate::logline::emit(|out| out.push_str(&line));
                crate::sidecar::run(settings, crate::signal::shutdown_signal()).await?;
                Ok(0)
            }
            Some(other) => {
                bail!("pilot-agent proxy {other}: meshlite runs `proxy sidecar` and `proxy router`")
            }
            None => bail!("pilot-agent proxy: say which proxy (sidecar or router)"),
        },
        Some("istio-iptables") => {
            // The plan Istio's init container would write into iptables, said plainly.
            let port = |p: u16| {
                std::env::var(format!("PORT_{p}"))
                    .map(|h| format!("127.0.0.1:{h}"))
                    .unwrap_or_else(|_| "not mapped".into())
            };
            println!(
                "meshlite has no iptables: the app reaches its sidecar through HTTP_PROXY.\n\
                 outbound (15001) → {}\ninbound (15006) → {}\nhealth (15021) → {}\nmetrics (15090) → {}",
                port(15001),
                port(15006),
                port(15021),
                port(15090)
            );
            Ok(0)
        }
        Some(other) => bail!("pilot-agent {other}: unknown command (proxy, istio-iptables)"),
        None => bail!("pilot-agent: missing command"),
    }
}
