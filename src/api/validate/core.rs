//! Validation of the core (`v1`) kinds: Namespace, Pod, Service, Endpoints, ConfigMap,
//! Secret, Event and ServiceAccount.

mod data;
mod service;

use k8s_openapi::api::core::v1::{Event, Namespace, Pod, PodSpec, ServiceAccount};
use serde_json::Value;

use super::field::{self, Bad, FieldPath};
use super::meta;
use super::names::{self, NameRule};
use super::pod;
use super::{typed, Cause, Report};

pub(crate) use self::data::{config_map, secret};
pub(crate) use self::service::{endpoints, service};

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

pub(crate) fn namespace(obj: &Value) -> Report {
    typed(obj, "v1", "Namespace", |ns: &Namespace, _| {
        let mut errs = meta::object_meta(&ns.metadata, NameRule::Dns1123Label, false);
        let path = FieldPath::new("spec").child("finalizers");
        for finalizer in ns.spec.iter().flat_map(|s| s.finalizers.iter().flatten()) {
            for msg in names::qualified_name(finalizer) {
                errs.push(field::invalid(&path, Bad::str(finalizer), &msg));
            }
            if !finalizer.contains('/') && !STANDARD_FINALIZERS.contains(&finalizer.as_str()) {
                errs.push(field::invalid(
                    &path,
                    Bad::str(finalizer),
                    "name is neither a standard finalizer name nor is it fully qualified",
                ));
            }
        }
        errs
    })
}

pub(crate) fn pod(obj: &Value) -> Report {
    typed(obj, "v1", "Pod", |p: &Pod, _| {
        let mut errs = meta::object_meta(&p.metadata, NameRule::Dns1123Subdomain, true);
        let default_spec = PodSpec::default();
        let spec = p.spec.as_ref().unwrap_or(&default_spec);
        let path = FieldPath::new("spec");
        errs.extend(pod::pod_spec(spec, &path));
        if spec
            .ephemeral_containers
            .as_ref()
            .is_some_and(|e| !e.is_empty())
        {
            errs.push(field::forbidden(
                &path.child("ephemeralContainers"),
                "cannot be set on create",
            ));
        }
        errs
    })
}

pub(crate) fn service_account(obj: &Value) -> Report {
    typed(obj, "v1", "ServiceAccount", |sa: &ServiceAccount, _| {
        meta::object_meta(&sa.metadata, NameRule::Dns1123Subdomain, true)
    })
}

pub(crate) fn event(obj: &Value) -> Report {
    typed(obj, "v1", "Event", |ev: &Event, _| {
        // core/v1 Events only get the generic name rules, not DNS ones.
        let mut errs = meta::object_meta(&ev.metadata, NameRule::PathSegment, true);
        let namespace = ev.metadata.namespace.as_deref().unwrap_or_default();
        let involved_ns = ev.involved_object.namespace.as_deref().unwrap_or_default();
        let involved_path = FieldPath::new("involvedObject").child("namespace");
        let mismatch = |errs: &mut Vec<Cause>| {
            errs.push(field::invalid(
                &involved_path,
                Bad::str(involved_ns),
                "does not match event.namespace",
            ));
        };
        if ev.event_time.is_none() {
            let ok = if involved_ns.is_empty() {
                namespace.is_empty() || namespace == "default"
            } else {
                namespace.is_empty() || namespace == involved_ns
            };
            if !ok {
                mismatch(&mut errs);
            }
        } else {
            if involved_ns.is_empty()
                && !namespace.is_empty()
                && namespace != "default"
                && namespace != "kube-system"
            {
                mismatch(&mut errs);
            }
            let controller = ev.reporting_component.as_deref().unwrap_or_default();
            if controller.is_empty() {
                errs.push(field::required(&FieldPath::new("source"), ""));
            }
            for msg in names::qualified_name(controller) {
                errs.push(field::invalid(
                    &FieldPath::new("source"),
                    Bad::str(controller),
                    &msg,
                ));
            }
            for (name, value, limit) in [
                ("reportingInstance", ev.reporting_instance.as_deref(), 128),
                ("action", ev.action.as_deref(), 128),
                ("reason", ev.reason.as_deref(), 128),
            ] {
                let value = value.unwrap_or_default();
                if value.is_empty() {
                    errs.push(field::required(&FieldPath::new(name), ""));
                }
                if value.len() > limit {
                    errs.push(field::invalid(
                        &FieldPath::new(name),
                        Bad::str(""),
                        &format!("can have at most {limit} characters"),
                    ));
                }
            }
            if ev.message.as_deref().unwrap_or_default().len() > 1024 {
                errs.push(field::invalid(
                    &FieldPath::new("message"),
                    Bad::str(""),
                    "can have at most 1024 characters",
                ));
            }
        }
        errs
    })
}
