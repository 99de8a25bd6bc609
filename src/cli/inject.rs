//! `meshlite kube-inject`: Istio's sidecar added to every pod template of a manifest, printed
//! (or written with `-o`) — the input is only read, as with `istioctl kube-inject`.

use super::manifest;
use crate::inject;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use std::io::Write;

#[derive(Debug, Args)]
pub struct KubeInjectArgs {
    /// The manifest (`-` for standard input).
    #[arg(short = 'f', long = "filename", required = true)]
    pub file: String,
    /// Write the result here instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
}

/// Run `kube-inject`; documents keep their order, kinds without a pod template pass unchanged.
pub fn kube_inject(namespace: Option<&str>, a: KubeInjectArgs) -> Result<i32> {
    let docs = manifest::read_all(std::slice::from_ref(&a.file), false);
    if docs.is_empty() {
        bail!("{}: no objects to inject", a.file);
    }
    let mut out = String::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let doc = doc.map_err(|e| anyhow!("{e}"))?;
        let ns = namespace
            .or_else(|| {
                doc.value
                    .pointer("/metadata/namespace")
                    .and_then(|v| v.as_str())
            })
            .unwrap_or("default");
        let (injected, _) = inject::inject(&doc.value, ns).map_err(|e| {
            anyhow!(
                "{}: document {} ({}/{}): {e}",
                doc.at(),
                i + 1,
                doc.kind(),
                doc.name()
            )
        })?;
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&super::printer::to_yaml(&injected));
    }
    match &a.output {
        Some(path) => {
            // Written whole or not at all.
            let tmp = format!("{path}.meshlite-tmp");
            std::fs::write(&tmp, &out).with_context(|| format!("cannot write {tmp}"))?;
            std::fs::rename(&tmp, path).with_context(|| format!("cannot write {path}"))?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(out.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(0)
}
