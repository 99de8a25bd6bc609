//! Admission validation of API objects, reproducing kube-apiserver (and, for Istio kinds,
//! the CRD schemas plus istiod's validating webhook): every problem of an object is
//! reported at once, each with its field path and the upstream wording.
//!
//! An object goes through three stages:
//! 1. typed decoding, which finds type errors (reported the way the real server reports
//!    them: a Go-style decode error for built-in kinds, schema causes for Istio kinds);
//! 2. unknown-field detection, by a decode/encode round trip;
//! 3. semantic rules, per kind.

mod apps;
mod core;
mod decode;
mod field;
mod istio;
mod meta;
mod names;
mod pod;
mod quantity;

#[cfg(test)]
mod tests;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use names::{dns1035_label, dns1123_label, dns1123_subdomain};

/// One problem with an object, as a `metav1.StatusCause`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// Path of the offending field, e.g. `spec.containers[0].image`.
    pub field: String,
    /// What is wrong, e.g. `Required value`.
    pub message: String,
    pub reason: Reason,
}

/// The kind of a [`Cause`] (`metav1.CauseType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Required,
    Invalid,
    NotSupported,
    Duplicate,
    TooLong,
    TypeInvalid,
    Forbidden,
    NotFound,
}

// === impl Reason ===

impl Reason {
    /// The wire name, e.g. `FieldValueRequired`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Required => "FieldValueRequired",
            Reason::Invalid => "FieldValueInvalid",
            Reason::NotSupported => "FieldValueNotSupported",
            Reason::Duplicate => "FieldValueDuplicate",
            Reason::TooLong => "FieldValueTooLong",
            Reason::TypeInvalid => "FieldValueTypeInvalid",
            Reason::Forbidden => "FieldValueForbidden",
            Reason::NotFound => "FieldValueNotFound",
        }
    }
}

/// Everything found wrong with one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Validation failures (HTTP 422 `Invalid`), in the order the upstream checks run.
    pub causes: Vec<Cause>,
    /// Keys the schema does not know, as dotted paths with list indexes
    /// (`spec.template.spec.containers[0].imagePullPolice`), in document order. Whether
    /// they are errors, warnings or ignored depends on the request's field validation.
    /// Empty when the object could not be decoded.
    pub unknown_fields: Vec<String>,
    /// The object could not be decoded at all (HTTP 400 `BadRequest`), e.g.
    /// `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
    /// Only built-in kinds produce this; when set, `causes` is empty. Istio kinds report
    /// type mismatches as `FieldValueTypeInvalid` causes instead, as a CRD schema does.
    pub decode_error: Option<String>,
}

// === impl Report ===

impl Report {
    /// True when nothing is wrong (unknown fields aside).
    pub fn is_valid(&self) -> bool {
        self.causes.is_empty() && self.decode_error.is_none()
    }
}

/// Validates an object of `group` (`""` for core, `apps`, `networking.istio.io`,
/// `security.istio.io`) and `kind`, as submitted for creation. Istio networking kinds
/// share one schema across `v1`, `v1beta1` and `v1alpha3`. An unknown kind yields an
/// empty report.
pub fn validate(group: &str, kind: &str, obj: &Value) -> Report {
    match (group, kind) {
        ("", "Namespace") => self::core::namespace(obj),
        ("", "Pod") => self::core::pod(obj),
        ("", "Service") => self::core::service(obj),
        ("", "Endpoints") => self::core::endpoints(obj),
        ("", "ConfigMap") => self::core::config_map(obj),
        ("", "Secret") => self::core::secret(obj),
        ("", "Event") => self::core::event(obj),
        ("", "ServiceAccount") => self::core::service_account(obj),
        ("apps", "Deployment") => apps::deployment(obj),
        ("apps", "ReplicaSet") => apps::replica_set(obj),
        ("networking.istio.io", "Gateway") => istio::gateway(obj),
        ("networking.istio.io", "VirtualService") => istio::virtual_service(obj),
        ("networking.istio.io", "DestinationRule") => istio::destination_rule(obj),
        ("networking.istio.io", "ServiceEntry") => istio::service_entry(obj),
        ("networking.istio.io", "Sidecar") => istio::sidecar(obj),
        ("security.istio.io", "PeerAuthentication") => istio::peer_authentication(obj),
        ("security.istio.io", "AuthorizationPolicy") => istio::authorization_policy(obj),
        _ => Report::default(),
    }
}

/// Decodes a built-in kind and, when that works, runs `check` on the typed object (and
/// the raw one, for the few rules that depend on whether a field was given at all).
fn typed<T, F>(obj: &Value, api_version: &str, kind: &str, check: F) -> Report
where
    T: DeserializeOwned + Serialize,
    F: FnOnce(&T, &Value) -> Vec<Cause>,
{
    match decode::kube::<T>(obj, api_version, kind) {
        Err(message) => Report {
            decode_error: Some(message),
            ..Report::default()
        },
        Ok(decoded) => Report {
            causes: check(&decoded.value, obj),
            unknown_fields: decoded.unknown_fields,
            decode_error: None,
        },
    }
}
