//! `istioctl analyze`: runs Istio's configuration analyzers over raw API objects and renders their messages and trailer.

mod annotations;
pub mod catalogue;
mod destinationrule;
mod gateway;
mod hosts;
mod mesh_hosts;
mod object;
mod rules;
mod schema;
mod virtualservice;
mod workloads;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use catalogue::{Arg, MessageType};
use object::Object;

/// Version segment of the documentation URL printed in the failure trailer.
pub const DOCS_VERSION: &str = "v1.28";

/// Exit code of `istioctl analyze` when a message reaches the failure threshold (sysexits-style).
pub const EXIT_ANALYZER_FOUND_ISSUES: i32 = 79;

/// Errors of this module.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnalyzeError {
    /// A severity name that is none of `Error`, `Warning`, `Info` (e.g. from `--failure-threshold`).
    #[error("{0:?} is not a valid level; valid values: [Info Warning Error]")]
    UnknownLevel(String),
}

/// Severity of a message, ordered from most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Broken configuration; makes the command fail.
    Error,
    /// Probably wrong configuration.
    Warning,
    /// Worth knowing.
    Info,
}

// === impl Level ===

impl Level {
    /// The name istioctl prints at the start of a message line.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "Error",
            Level::Warning => "Warning",
            Level::Info => "Info",
        }
    }

    /// True when `self` is at least as severe as `threshold`.
    pub fn is_worse_than_or_equal_to(self, threshold: Level) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = AnalyzeError;

    /// Accepts the names istioctl accepts for thresholds, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(Level::Error),
            "warning" => Ok(Level::Warning),
            "info" => Ok(Level::Info),
            _ => Err(AnalyzeError::UnknownLevel(s.to_string())),
        }
    }
}

/// One analysis finding about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Severity from the catalogue.
    pub level: Level,
    /// Catalogue code, e.g. `IST0101`.
    pub code: &'static str,
    /// Catalogue name, e.g. `ReferencedResourceNotFound`.
    pub name: &'static str,
    /// Kind of the object the message is about.
    pub kind: String,
    /// Namespace of that object; empty for cluster-scoped objects.
    pub namespace: String,
    /// Name of that object.
    pub name_of: String,
    /// `file:line` of the object when known.
    pub origin: Option<String>,
    /// Rendered catalogue template.
    pub text: String,
}

// === impl Message ===

impl Message {
    pub(crate) fn new(ty: MessageType, obj: &Object<'_>, args: &[Arg]) -> Message {
        Message {
            level: ty.level,
            code: ty.code,
            name: ty.name,
            kind: obj.kind.to_string(),
            namespace: obj.namespace.clone(),
            name_of: obj.name.to_string(),
            origin: obj.origin.map(str::to_string),
            text: catalogue::render(ty.template, args),
        }
    }

    /// `Kind ns/name`, or `Kind name` for cluster-scoped objects (istioctl's friendly name).
    pub fn friendly_name(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name_of)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name_of)
        }
    }

    /// The namespace used to decide whether a message belongs to the analyzed namespace:
    /// a Namespace object belongs to itself.
    fn scope_namespace(&self) -> &str {
        if self.kind == "Namespace" {
            &self.name_of
        } else {
            &self.namespace
        }
    }

    /// The line istioctl prints, e.g.
    /// `Error [IST0101] (VirtualService default/bookinfo file.yaml:41) Referenced host not found: "productpage"`.
    pub fn line(&self) -> String {
        let origin = match &self.origin {
            Some(o) => format!(" {o}"),
            None => String::new(),
        };
        format!(
            "{} [{}] ({}{}) {}",
            self.level,
            self.code,
            self.friendly_name(),
            origin,
            self.text
        )
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

/// Analyze `objects` (all kinds mixed: Namespace, Node, Service, Pod, Deployment, Gateway,
/// VirtualService, DestinationRule, ServiceEntry, …). Pass every object of every namespace:
/// references cross namespaces (gateway pods usually live in `istio-system`). Istio kinds are
/// recognised by `networking.istio.io` in `apiVersion` (or no `apiVersion`), so Kubernetes
/// Gateway API `Gateway`s are not taken for Istio's.
///
/// `namespace`: `Some(ns)` keeps only messages about objects in `ns` (and about the Namespace
/// `ns` itself) and is also the namespace assumed for objects that carry none; `None` keeps
/// all namespaces (`-A`), assuming `default` for objects without namespace.
///
/// Messages are sorted and deduplicated as istioctl does: by level (Error first), code,
/// `Kind ns/name`, then the whole line.
pub fn analyze(objects: &[Value], namespace: Option<&str>) -> Vec<Message> {
    let default_ns = namespace.unwrap_or("default");
    let objs: Vec<Object<'_>> = objects
        .iter()
        .filter_map(|v| Object::from_value(v, default_ns))
        .collect();

    let mut messages = Vec::new();
    messages.extend(virtualservice::destination_hosts(&objs));
    messages.extend(virtualservice::destination_rules(&objs));
    messages.extend(virtualservice::gateways(&objs));
    messages.extend(workloads::injection(&objs));
    messages.extend(workloads::gateway_selectors(&objs));
    messages.extend(workloads::port_names(&objs));
    messages.extend(schema::validation(&objs));
    messages.extend(annotations::unknown(&objs));
    messages.extend(mesh_hosts::conflicting(&objs));
    messages.extend(rules::reachability(&objs));
    messages.extend(gateway::ports_on_services(&objs));
    messages.extend(destinationrule::subsets(&objs));

    if let Some(ns) = namespace {
        messages.retain(|m| {
            let scope = m.scope_namespace();
            scope.is_empty() || scope == ns
        });
    }
    sort_dedup(messages)
}

/// Sorts like istioctl (level, code, friendly name, line) and drops exact duplicate lines.
pub fn sort_dedup(mut messages: Vec<Message>) -> Vec<Message> {
    messages.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.friendly_name().cmp(&b.friendly_name()))
            .then_with(|| a.line().cmp(&b.line()))
    });
    messages.dedup_by(|a, b| a.line() == b.line());
    messages
}

/// What istioctl reports after the messages, with the default thresholds (output Info,
/// failure Error): the trailer text (empty when there is none) and the exit code.
///
/// - no message at all: `✔ No validation issues found when analyzing namespace: <ns>.`
///   (`all namespaces` for `None`), exit 0 — istioctl prints this on stderr;
/// - an Error-level message: `Error: Analyzers found issues when analyzing namespace: <ns>.\nSee
///   https://istio.io/<version>/docs/reference/config/analysis for more information about causes
///   and resolutions.`, exit 79 — also stderr;
/// - only Warning/Info messages: no trailer, exit 0.
pub fn summary(messages: &[Message], namespace: Option<&str>) -> (String, i32) {
    let target = match namespace {
        Some(ns) => format!("namespace: {ns}"),
        None => "all namespaces".to_string(),
    };
    if messages.is_empty() {
        return (
            format!("\u{2714} No validation issues found when analyzing {target}."),
            0,
        );
    }
    let failed = messages
        .iter()
        .any(|m| m.level.is_worse_than_or_equal_to(Level::Error));
    if failed {
        let text = format!(
            "Error: Analyzers found issues when analyzing {target}.\nSee https://istio.io/{DOCS_VERSION}/docs/reference/config/analysis for more information about causes and resolutions."
        );
        return (text, EXIT_ANALYZER_FOUND_ISSUES);
    }
    (String::new(), 0)
}
