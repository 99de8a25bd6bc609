//! Validation of Istio kinds in two layers, as a real cluster applies them: the CRD's
//! structural schema (types, enums, required fields, duration rules; kube wording), and,
//! only when that passes, istiod's validating webhook (`pkg/config/validation`; istiod
//! wording, attached to the field the check is about).

mod destination_rule;
mod gateway;
pub(crate) mod hosts;
mod http_policy;
mod http_route;
mod matching;
mod ports;
mod security;
mod service_entry;
mod sidecar;
mod virtual_service;

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::decode;
use super::field::{self, go_quote, Bad, FieldPath};
use super::meta;
use super::names::NameRule;
use super::{Cause, Reason, Report};
use crate::api::istio::{self as api, parse_duration, Destination};

pub(crate) use destination_rule::destination_rule;
pub(crate) use gateway::gateway;
pub(crate) use security::{authorization_policy, peer_authentication};
pub(crate) use service_entry::service_entry;
pub(crate) use sidecar::sidecar;
pub(crate) use virtual_service::virtual_service;

/// An Istio object as stored: the typed spec plus free-form status.
#[derive(Deserialize, Serialize)]
struct CrdObject<S> {
    #[serde(rename = "apiVersion", default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spec: Option<S>,
    /// Istio CRDs preserve unknown fields in `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Value>,
}

/// Causes found so far, by layer.
#[derive(Default)]
pub(crate) struct Errs {
    schema: Vec<Cause>,
    webhook: Vec<Cause>,
    /// Fields already reported with a type error (and dropped from the decoded object):
    /// they are present, so they must not be reported as missing too.
    mistyped: Vec<String>,
}

// === impl Errs ===

impl Errs {
    /// A schema-layer `Required value`.
    fn required(&mut self, path: &FieldPath) {
        if !self.mistyped.iter().any(|p| p == path.as_str()) {
            self.schema.push(field::required(path, ""));
        }
    }

    /// An istiod error about the field at `path`.
    fn err(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.webhook.push(Cause {
            field: path.as_str().to_string(),
            message: message.into(),
            reason: Reason::Invalid,
        });
    }

    fn errs(&mut self, path: &FieldPath, messages: impl IntoIterator<Item = String>) {
        for m in messages {
            self.err(path, m);
        }
    }

    fn check(&mut self, path: &FieldPath, result: Result<(), String>) {
        if let Err(m) = result {
            self.err(path, m);
        }
    }

    /// A duration field: the CRD's `duration(self) >= duration('1ms')` rule, then istiod's
    /// millisecond-precision rule.
    fn duration(&mut self, value: Option<&String>, path: &FieldPath) -> Option<Duration> {
        let text = value?;
        match parse_duration(text).filter(|d| *d >= Duration::from_millis(1)) {
            None => {
                self.schema.push(field::invalid(
                    path,
                    Bad::str("string"),
                    "must be a valid duration greater than 1ms",
                ));
                None
            }
            Some(d) => {
                if d.as_nanos() % 1_000_000 != 0 {
                    self.err(path, "only durations to ms precision are supported");
                }
                Some(d)
            }
        }
    }

    /// The schema's oneOf over mutually exclusive fields: at most one may be set.
    fn one_of(&mut self, path: &FieldPath, set: usize) {
        if set > 1 {
            let detail = format!(
                "{} must validate one and only one schema (oneOf). Found {set} valid alternatives",
                go_quote(path.as_str())
            );
            self.schema
                .push(field::invalid(path, Bad::str("object"), &detail));
        }
    }
}

/// Decodes an Istio object and runs both validation layers over its spec.
fn crd_object<S>(obj: &Value, check: impl FnOnce(&S, &ObjectMeta, &mut Errs)) -> Report
where
    S: DeserializeOwned + Serialize + Default,
{
    let decoded = decode::crd::<CrdObject<S>>(obj);
    let mistyped = decoded.causes.iter().map(|c| c.field.clone()).collect();
    let mut errs = Errs {
        schema: decoded.causes,
        webhook: Vec::new(),
        mistyped,
    };
    if let Some(object) = decoded.value {
        errs.schema.extend(meta::object_meta(
            &object.metadata,
            NameRule::Dns1123Subdomain,
            true,
        ));
        let default_spec = S::default();
        check(
            object.spec.as_ref().unwrap_or(&default_spec),
            &object.metadata,
            &mut errs,
        );
    }
    // The webhook only sees objects the schema accepted.
    let causes = if errs.schema.is_empty() {
        errs.webhook
    } else {
        errs.schema
    };
    Report {
        causes,
        unknown_fields: decoded.unknown_fields,
        decode_error: None,
    }
}

fn spec() -> FieldPath {
    FieldPath::new("spec")
}

/// The namespace used for `.` in `exportTo` (the server fills it in before validation).
fn namespace_of(meta: &ObjectMeta) -> &str {
    meta.namespace
        .as_deref()
        .filter(|ns| !ns.is_empty())
        .unwrap_or("default")
}

/// A route destination: schema-required `host`, then istiod's `validateDestination`.
fn destination(errs: &mut Errs, dest: &Destination, path: &FieldPath) {
    let Some(host) = &dest.host else {
        errs.required(&path.child("host"));
        return;
    };
    if host == "*" {
        errs.err(
            &path.child("host"),
            format!("invalid destination host {host}"),
        );
    } else {
        errs.check(&path.child("host"), hosts::validate_wildcard_domain(host));
    }
    if !dest.subset.is_empty() {
        errs.check(&path.child("subset"), subset_name(&dest.subset));
    }
    if let Some(port) = &dest.port {
        errs.check(
            &path.child("port").child("number"),
            hosts::validate_port(i64::from(port.number)),
        );
    }
}

fn subset_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("subset name cannot be empty".to_string());
    }
    if !hosts::is_dns1123_label(name) {
        return Err(format!("subset name is invalid: {name}"));
    }
    Ok(())
}

/// `percentage %v is not in range 0..100` for integer percentages.
fn percent_int(errs: &mut Errs, value: i32, path: &FieldPath) {
    if !(0..=100).contains(&value) {
        errs.err(path, format!("percentage {value} is not in range 0..100"));
    }
}

/// A fractional percentage (`Percent`).
fn percentage(errs: &mut Errs, pct: Option<&api::Percent>, path: &FieldPath) {
    if let Some(p) = pct {
        let v = p.value;
        if !(0.0..=100.0).contains(&v) || (v > 0.0 && v < 0.0001) {
            errs.err(
                path,
                format!(
                    "percentage {} is neither 0.0, nor in range [0.0001, 100.0]",
                    field::go_float(v)
                ),
            );
        }
    }
}

/// The `exportTo` visibility list.
fn export_to(
    errs: &mut Errs,
    namespace: &str,
    list: &[String],
    path: &FieldPath,
    service_entry: bool,
    dr_selector: bool,
) {
    if list.is_empty() {
        return;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let at = path.index(i);
        let key = if entry == "." {
            namespace
        } else {
            entry.as_str()
        };
        if seen.contains(&key) {
            if key != entry {
                errs.err(
                    &at,
                    format!("duplicate entries in exportTo: . and current namespace {namespace}"),
                );
            } else {
                errs.err(
                    &at,
                    format!("duplicate entries in exportTo for entry {entry}"),
                );
            }
            continue;
        }
        if service_entry && entry == "~" {
            seen.push(key);
            continue;
        }
        match key {
            "." | "*" => seen.push(key),
            "~" => errs.err(
                &at,
                "exportTo ~ (none) is not allowed for Istio configuration objects",
            ),
            k if !hosts::is_dns1123_label(k) => errs.err(
                &at,
                "only .,*, or a valid DNS 1123 label is allowed as exportTo entry",
            ),
            k => seen.push(k),
        }
    }
    if dr_selector && !seen.is_empty() {
        if seen.contains(&namespace) {
            if seen.len() > 1 {
                errs.err(path, "destination rule with workload selector cannot have multiple entries in exportTo");
            }
        } else {
            errs.err(path, "destination rule with workload selector cannot have exportTo beyond current namespace");
        }
    }
    if seen.contains(&"*") && list.len() > 1 {
        errs.err(
            path,
            "cannot have both public (*) and non-public exportTo values for a resource",
        );
    }
    if seen.contains(&"~") && list.len() > 1 {
        errs.err(
            path,
            "cannot export service entry to no one (~) and someone",
        );
    }
}

/// A workload selector's labels: no empty keys, no wildcards.
fn selector_labels(errs: &mut Errs, labels: &api::StringMap, path: &FieldPath) {
    for (k, v) in labels {
        let pair = go_quote(&format!("{k}={v}"));
        if k.is_empty() {
            errs.err(
                path,
                format!("empty key is not supported in selector: {pair}"),
            );
        }
        if k.contains('*') || v.contains('*') {
            errs.err(
                path,
                format!("wildcard is not supported in selector: {pair}"),
            );
        }
    }
}

/// Go's `%v` of a string slice: `[a b]`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

// === impl Protocol ===
