//! `meshlite sample NAME`: run one of the built-in sample programs in the foreground — what a pod
//! of a known image runs (hidden from help; the pod runtime starts it).

use crate::samples;
use anyhow::{bail, Context, Result};
use clap::Args;

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// httpbin | web | helloworld | curl
    pub name: String,
    /// The program's own arguments (helloworld: its version; curl: curl's arguments).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Run a sample until it ends (servers: until SIGTERM or Ctrl-C).
pub async fn run(a: SampleArgs) -> Result<i32> {
    let instance = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "local".into());
    let port = |default: u16| -> Result<u16> {
        match std::env::var("PORT") {
            Ok(p) => p
                .parse()
                .with_context(|| format!("PORT={p:?} is not a port number")),
            Err(_) => Ok(default),
        }
    };
    let bind = |port: u16| async move {
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))
    };
    let stop = crate::signal::shutdown_signal();
    match a.name.as_str() {
        "httpbin" => {
            let l = bind(port(8080)?).await?;
            samples::httpbin::serve(l, instance, stop).await?;
        }
        "web" | "nginx" => {
            let l = bind(port(80)?).await?;
            samples::web::serve(l, stop).await?;
        }
        "helloworld" => {
            let version = a.args.first().cloned().unwrap_or_else(|| "v1".into());
            let l = bind(port(5000)?).await?;
            samples::helloworld::serve(l, version, instance, stop).await?;
        }
        "curl" if a.args.is_empty() => {
            // The curl image's pods only wait (their `command` is `sleep infinity`).
            stop.await;
        }
        "curl" => {
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            return Ok(samples::curl::run(&a.args, &mut out, &mut err).await);
        }
        other => {
            bail!("no built-in sample named {other:?} (known: httpbin, web, helloworld, curl)")
        }
    }
    Ok(0)
}
