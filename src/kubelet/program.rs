//! What a container runs: the built-in program for its image, or its `command`/`args` as a
//! local program — or, with neither, why it cannot run.

use crate::samples::{self, Sample};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A container's program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub path: PathBuf,
    pub args: Vec<String>,
    /// The built-in sample behind the image, if any.
    pub sample: Option<Sample>,
}

// === impl Program ===

impl Program {
    /// Whether the program is one of this binary's servers (the proxy, a sample server),
    /// which write their stdout as CRI log records themselves. (The curl image's program may
    /// print anything, so its output goes through the kubelet.)
    pub fn writes_records(&self, exe: &Path) -> bool {
        self.path == exe && !matches!(self.sample, Some(Sample::Curl))
    }
}

/// Why a container cannot start: a waiting reason and the message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRunnable {
    pub reason: &'static str,
    pub message: String,
}

/// The program of `container`: a known image runs its built-in sample through `exe` (this
/// binary) whatever its `command` says (the image's own paths do not exist here); otherwise
/// `command` + `args` run as a local program, with `$(VAR)` expanded from `env`.
pub fn resolve(
    container: &Value,
    exe: &Path,
    env: &[(String, String)],
) -> Result<Program, NotRunnable> {
    let image = container
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let list = |field: &str| -> Vec<String> {
        container
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| super::env::expand(s, env))
            .collect()
    };
    // Istio's proxy image runs pilot-agent: the sidecar (`proxy sidecar …`) and its init step
    // (`istio-iptables …`) are this binary's `meshlite pilot-agent`.
    if is_proxy_image(image) {
        let mut args = vec!["pilot-agent".to_string()];
        args.extend(list("args"));
        return Ok(Program {
            path: exe.to_path_buf(),
            args,
            sample: None,
        });
    }
    if let Some(sample) = samples::for_image(image) {
        let mut args = vec!["sample".to_string(), sample.name().to_string()];
        if let Sample::Helloworld { version } = &sample {
            args.push(version.clone());
        }
        return Ok(Program {
            path: exe.to_path_buf(),
            args,
            sample: Some(sample),
        });
    }
    let command = list("command");
    let Some((first, rest)) = command.split_first() else {
        return Err(NotRunnable {
            reason: "ErrImageNotRunnable",
            message: format!(
                "image {image:?} has no built-in program in meshlite and the container has no \
                 command; add `command: [...]` to run a local program, or use one of the \
                 built-in images (httpbin, nginx, curl, helloworld: see the README)"
            ),
        });
    };
    let mut args: Vec<String> = rest.to_vec();
    args.extend(list("args"));
    Ok(Program {
        path: PathBuf::from(first),
        args,
        sample: None,
    })
}

/// Whether `image` is Istio's proxy (`…/proxyv2:TAG`, any registry).
pub fn is_proxy_image(image: &str) -> bool {
    let repo = samples::repository(image);
    repo.rsplit('/').next() == Some("proxyv2")
}

/// The ports Istio's proxy listens on besides the declared 15090: outbound 15001, inbound
/// 15006, merged metrics 15020, health 15021 — each needs a host port here.
pub const PROXY_PORTS: [u16; 5] = [15001, 15006, 15020, 15021, 15090];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn samples_commands_and_unrunnable() {
        let exe = Path::new("/usr/bin/meshlite");
        let env = vec![("GREETING".to_string(), "hi".to_string())];
        let p = resolve(
            &json!({"image": "docker.io/mccutchen/go-httpbin:v2.15.0", "command": ["/go-httpbin"]}),
            exe,
            &env,
        )
        .unwrap();
        assert_eq!(p.path, exe);
        assert_eq!(p.args, ["sample", "httpbin"]);
        let p = resolve(
            &json!({"image": "docker.io/istio/examples-helloworld-v2:1.0"}),
            exe,
            &env,
        )
        .unwrap();
        assert_eq!(p.args, ["sample", "helloworld", "v2"]);
        let p = resolve(
            &json!({"image": "busybox", "command": ["sh", "-c"], "args": ["echo $(GREETING)"]}),
            exe,
            &env,
        )
        .unwrap();
        assert_eq!(p.path, PathBuf::from("sh"));
        assert_eq!(p.args, ["-c", "echo hi"]);
        assert_eq!(p.sample, None);
        let p = resolve(
            &json!({"image": "docker.io/istio/proxyv2:1.28.0", "args": ["proxy", "sidecar", "--domain", "x"]}),
            exe,
            &env,
        )
        .unwrap();
        assert_eq!(p.args, ["pilot-agent", "proxy", "sidecar", "--domain", "x"]);
        let e = resolve(&json!({"image": "busybox", "args": ["x"]}), exe, &env).unwrap_err();
        assert_eq!(e.reason, "ErrImageNotRunnable");
        assert!(e.message.contains("\"busybox\""), "{}", e.message);
    }
}
