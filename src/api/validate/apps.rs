//! Validation of the `apps/v1` kinds: Deployment and ReplicaSet.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStrategy, ReplicaSet};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::field::{self, Bad, FieldPath};
use super::meta::{self, Selector, NEGATIVE_MSG};
use super::names::{self, NameRule};
use super::{pod, typed, Cause, Report};

pub(crate) fn deployment(obj: &Value) -> Report {
    typed(obj, "apps/v1", "Deployment", |d: &Deployment, raw| {
        let mut errs = meta::object_meta(&d.metadata, NameRule::Dns1123Subdomain, true);
        let path = FieldPath::new("spec");
        let Some(spec) = &d.spec else {
            // No spec: every required part of it is missing.
            errs.extend(replicated(None, None, None, &path));
            return errs;
        };
        let selector = raw
            .pointer("/spec/selector")
            .is_some_and(|s| !s.is_null())
            .then_some(&spec.selector);
        errs.extend(replicated(
            spec.replicas,
            selector,
            Some(&spec.template),
            &path,
        ));
        errs.extend(strategy(spec.strategy.as_ref(), &path.child("strategy")));
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        if min_ready < 0 {
            errs.push(field::invalid(
                &path.child("minReadySeconds"),
                Bad::Int(i64::from(min_ready)),
                NEGATIVE_MSG,
            ));
        }
        if let Some(limit) = spec.revision_history_limit.filter(|l| *l < 0) {
            errs.push(field::invalid(
                &path.child("revisionHistoryLimit"),
                Bad::Int(i64::from(limit)),
                NEGATIVE_MSG,
            ));
        }
        if let Some(deadline) = spec.progress_deadline_seconds {
            let at = path.child("progressDeadlineSeconds");
            if deadline < 0 {
                errs.push(field::invalid(
                    &at,
                    Bad::Int(i64::from(deadline)),
                    NEGATIVE_MSG,
                ));
            }
            if deadline <= min_ready {
                errs.push(field::invalid(
                    &at,
                    Bad::Int(i64::from(deadline)),
                    "must be greater than minReadySeconds",
                ));
            }
        }
        errs
    })
}

pub(crate) fn replica_set(obj: &Value) -> Report {
    typed(obj, "apps/v1", "ReplicaSet", |rs: &ReplicaSet, raw| {
        let mut errs = meta::object_meta(&rs.metadata, NameRule::Dns1123Subdomain, true);
        let path = FieldPath::new("spec");
        let Some(spec) = &rs.spec else {
            errs.extend(replicated(None, None, None, &path));
            return errs;
        };
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let selector = raw
            .pointer("/spec/selector")
            .is_some_and(|s| !s.is_null())
            .then_some(&spec.selector);
        let mut spec_errs = replicated(spec.replicas, selector, spec.template.as_ref(), &path);
        if min_ready < 0 {
            // kube checks minReadySeconds right after replicas.
            let at = usize::from(spec.replicas.is_some_and(|r| r < 0));
            spec_errs.insert(
                at.min(spec_errs.len()),
                field::invalid(
                    &path.child("minReadySeconds"),
                    Bad::Int(i64::from(min_ready)),
                    NEGATIVE_MSG,
                ),
            );
        }
        errs.extend(spec_errs);
        errs
    })
}

/// Replicas, selector and pod template: the part Deployments and ReplicaSets share.
fn replicated(
    replicas: Option<i32>,
    selector: Option<&LabelSelector>,
    template: Option<&PodTemplateSpec>,
    path: &FieldPath,
) -> Vec<Cause> {
    let mut errs = Vec::new();
    if let Some(r) = replicas.filter(|r| *r < 0) {
        errs.push(field::invalid(
            &path.child("replicas"),
            Bad::Int(i64::from(r)),
            NEGATIVE_MSG,
        ));
    }
    let selector_path = path.child("selector");
    match selector {
        None => errs.push(field::required(&selector_path, "")),
        Some(sel) => {
            errs.extend(meta::label_selector(sel, &selector_path));
            let count = sel.match_labels.as_ref().map_or(0, |m| m.len())
                + sel.match_expressions.as_ref().map_or(0, Vec::len);
            if count == 0 {
                errs.push(field::invalid(
                    &selector_path,
                    Bad::Go(meta::go_label_selector(sel)),
                    "empty selector is invalid for deployment",
                ));
            }
        }
    }
    let converted = Selector::from(selector);
    if let (Selector::Invalid, Some(sel)) = (&converted, selector) {
        errs.push(field::invalid(
            &selector_path,
            Bad::Go(meta::go_label_selector(sel)),
            "invalid label selector",
        ));
        return errs;
    }
    let template_path = path.child("template");
    let default_meta = ObjectMeta::default();
    let default_spec = PodSpec::default();
    let meta = template
        .and_then(|t| t.metadata.as_ref())
        .unwrap_or(&default_meta);
    let spec = template
        .and_then(|t| t.spec.as_ref())
        .unwrap_or(&default_spec);
    if !matches!(converted, Selector::Everything) && !converted.matches(meta.labels.as_ref()) {
        errs.push(field::invalid(
            &template_path.child("metadata").child("labels"),
            Bad::Go(field::go_string_map(meta.labels.as_ref())),
            "`selector` does not match template `labels`",
        ));
    }
    let meta_path = template_path.child("metadata");
    errs.extend(meta::labels(
        meta.labels.as_ref(),
        &meta_path.child("labels"),
    ));
    errs.extend(meta::annotations(
        meta.annotations.as_ref(),
        &meta_path.child("annotations"),
    ));
    let spec_path = template_path.child("spec");
    errs.extend(pod::pod_spec(spec, &spec_path));
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(field::forbidden(
            &spec_path.child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    if let Some(policy) = spec.restart_policy.as_deref().filter(|p| *p != "Always") {
        errs.push(field::not_supported(
            &spec_path.child("restartPolicy"),
            Bad::str(policy),
            &["Always"],
        ));
    }
    if spec.active_deadline_seconds.is_some() {
        errs.push(field::forbidden(
            &spec_path.child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in ReplicaSet is not Supported",
        ));
    }
    errs
}

fn strategy(strategy: Option<&DeploymentStrategy>, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let ty = strategy
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate");
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    match ty {
        "Recreate" => {
            if rolling.is_some() {
                errs.push(field::forbidden(
                    &path.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => {
            let default_pct = IntOrString::String("25%".into());
            let unavailable = rolling
                .and_then(|r| r.max_unavailable.as_ref())
                .unwrap_or(&default_pct);
            let surge = rolling
                .and_then(|r| r.max_surge.as_ref())
                .unwrap_or(&default_pct);
            let ru = path.child("rollingUpdate");
            errs.extend(positive_int_or_percent(
                unavailable,
                &ru.child("maxUnavailable"),
            ));
            errs.extend(positive_int_or_percent(surge, &ru.child("maxSurge")));
            if int_or_percent_value(unavailable) == Some(0)
                && int_or_percent_value(surge) == Some(0)
            {
                errs.push(field::invalid(
                    &ru.child("maxUnavailable"),
                    go_int_or_string(unavailable),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
            if let IntOrString::String(s) = unavailable {
                if int_or_percent_value(unavailable).is_some_and(|v| v > 100) {
                    errs.push(field::invalid(
                        &ru.child("maxUnavailable"),
                        Bad::str(s),
                        "must not be greater than 100%",
                    ));
                }
            }
        }
        other => {
            let rolling_go = if rolling.is_some() {
                "(*apps.RollingUpdateDeployment)(0xc000000000)"
            } else {
                "(*apps.RollingUpdateDeployment)(nil)"
            };
            let value = format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:{rolling_go}}}",
                field::go_quote(other)
            );
            errs.push(field::not_supported(
                path,
                Bad::Go(value),
                &["Recreate", "RollingUpdate"],
            ));
        }
    }
    errs
}

fn positive_int_or_percent(value: &IntOrString, path: &FieldPath) -> Vec<Cause> {
    match value {
        IntOrString::String(s) => names::percent(s)
            .into_iter()
            .map(|msg| field::invalid(path, go_int_or_string(value), &msg))
            .collect(),
        IntOrString::Int(n) if *n < 0 => {
            vec![field::invalid(path, Bad::Int(i64::from(*n)), NEGATIVE_MSG)]
        }
        IntOrString::Int(_) => Vec::new(),
    }
}

fn int_or_percent_value(value: &IntOrString) -> Option<i64> {
    match value {
        IntOrString::Int(n) => Some(i64::from(*n)),
        IntOrString::String(s) => s.strip_suffix('%')?.parse().ok(),
    }
}

/// Go's `%#v` of an `intstr.IntOrString` value.
fn go_int_or_string(value: &IntOrString) -> Bad {
    Bad::Go(match value {
        IntOrString::Int(n) => format!("intstr.IntOrString{{Type:0, IntVal:{n}, StrVal:\"\"}}"),
        IntOrString::String(s) => format!(
            "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
            field::go_quote(s)
        ),
    })
}
