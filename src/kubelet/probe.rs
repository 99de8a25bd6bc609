//! Kubernetes container probes: the probe model, its parsing, one check, and threshold tracking.

use std::time::Duration;

mod check;
mod parse;
#[cfg(test)]
mod tests;

pub use check::check;
pub use parse::parse;

/// Why a probe object cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The probe is not a JSON object.
    #[error("probe must be an object")]
    NotAnObject,
    /// None of `httpGet`, `tcpSocket`, `exec` or `grpc` is set.
    #[error("must specify a handler type")]
    MissingAction,
    /// More than one of `httpGet`, `tcpSocket`, `exec` or `grpc` is set.
    #[error("may not specify more than 1 handler type")]
    SeveralActions,
    /// A named port matches none of the container's `ports[].name` (and is not a number).
    #[error("port {0} not found")]
    NamedPortNotFound(String),
    /// A port outside 1-65535, or of the wrong JSON type.
    #[error("invalid port number: {0}")]
    InvalidPort(String),
    /// The container port has no host port mapped to it.
    #[error("container port {0} is not mapped to a host port")]
    Unmapped(u16),
    /// `exec.command` is missing, empty, or holds non-strings.
    #[error("exec.command must be a non-empty list of strings")]
    BadCommand,
    /// A field has the wrong type or a negative value.
    #[error("{field}: {reason}")]
    BadField {
        /// JSON path of the field within the probe.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// What a probe does to check the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// GET `path` on the host port; 200-399 passes.
    HttpGet {
        /// Host port (already resolved from the container port).
        port: u16,
        /// Path and query, always starting with `/`.
        path: String,
        /// `scheme: HTTPS`.
        scheme_https: bool,
        /// `host`, when set; otherwise the container's address (127.0.0.1).
        host: Option<String>,
        /// `httpHeaders`, in order.
        headers: Vec<(String, String)>,
    },
    /// Open a TCP connection to the host port.
    TcpSocket {
        /// Host port.
        port: u16,
    },
    /// Run a command; exit code 0 passes.
    Exec {
        /// Program and arguments (no shell).
        command: Vec<String>,
    },
    /// gRPC health check on the host port.
    Grpc {
        /// Host port.
        port: u16,
    },
}

/// When and how often a probe runs, and how many results flip its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// `initialDelaySeconds` (default 0).
    pub initial_delay: Duration,
    /// `periodSeconds` (default 10).
    pub period: Duration,
    /// `timeoutSeconds` (default 1).
    pub timeout: Duration,
    /// `successThreshold` (default 1).
    pub success_threshold: u32,
    /// `failureThreshold` (default 3).
    pub failure_threshold: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            initial_delay: Duration::ZERO,
            period: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            success_threshold: 1,
            failure_threshold: 3,
        }
    }
}

/// A parsed probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The check.
    pub action: Action,
    /// Its schedule and thresholds.
    pub timing: Timing,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The check passed.
    Success,
    /// The check failed, with a message worded like the kubelet's.
    Failure(String),
}

// === impl Outcome ===

impl Outcome {
    /// Whether the check passed.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success)
    }
}

/// Tracks consecutive results against the thresholds, as the kubelet's prober worker does:
/// the state flips only after `failure_threshold` failures (or `success_threshold`
/// successes) in a row.
#[derive(Debug, Clone)]
pub struct Tracker {
    success_threshold: u32,
    failure_threshold: u32,
    state: bool,
    last: Option<bool>,
    run: u32,
}

// === impl Tracker ===

impl Tracker {
    /// A tracker starting in state `initial` (liveness and startup start passing,
    /// readiness starts failing). Thresholds of 0 count as 1.
    pub fn new(timing: &Timing, initial: bool) -> Tracker {
        Tracker {
            success_threshold: timing.success_threshold.max(1),
            failure_threshold: timing.failure_threshold.max(1),
            state: initial,
            last: None,
            run: 0,
        }
    }

    /// Record one result; returns the current state.
    pub fn record(&mut self, outcome: &Outcome) -> bool {
        let passed = outcome.is_success();
        if self.last == Some(passed) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = Some(passed);
            self.run = 1;
        }
        let threshold = if passed {
            self.success_threshold
        } else {
            self.failure_threshold
        };
        if self.run >= threshold {
            self.state = passed;
        }
        self.state
    }

    /// The current state.
    pub fn state(&self) -> bool {
        self.state
    }

    /// Forget the run of results (e.g. after the container restarts) and set the state.
    pub fn reset(&mut self, state: bool) {
        self.state = state;
        self.last = None;
        self.run = 0;
    }
}
