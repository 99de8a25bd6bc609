//! What the API server needs from the node's pod runtime to serve `log` and `exec`: a trait the
//! kubelet implements and `up` wires in, so the API server never names the kubelet itself.

use std::path::PathBuf;

/// Where `exec` runs a command for one container.
#[derive(Debug, Clone)]
pub struct ExecTarget {
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

/// The node's pod runtime as the `log` and `exec` subresources see it.
pub trait PodRuntime: Send + Sync {
    /// The log file of a container (`previous`: the run before the current one).
    fn log_path(&self, ns: &str, pod: &str, container: &str, previous: bool) -> PathBuf;

    /// Where `exec` into `container` of a pod runs; `None` when it is not running.
    fn exec_target(&self, ns: &str, pod: &str, container: &str) -> Option<ExecTarget>;
}
