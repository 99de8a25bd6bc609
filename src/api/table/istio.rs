//! Printers for Istio's custom resources, from the `additionalPrinterColumns` of Istio's CRDs.
//!
//! kube renders a CRD column by evaluating its JSONPath: a missing value is a null cell (which
//! kubectl prints as nothing), a `string` column holding a list or map shows its compact JSON
//! (`["httpbin-gateway"]`), and a `date` column shows the time elapsed since the timestamp.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::duration::{human_duration, parse_time};
use super::{at, name_cell, Column, Printer, Row, CREATION_DOC, NAME};

/// How Istio's CRDs describe their explicit Age column.
const ISTIO_AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC. Populated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#metadata";

/// One `additionalPrinterColumns` entry.
struct CrdColumn {
    name: &'static str,
    ty: &'static str,
    description: &'static str,
    /// The JSONPath, as object keys from the root.
    path: &'static [&'static str],
}

const fn text(
    name: &'static str,
    path: &'static [&'static str],
    description: &'static str,
) -> CrdColumn {
    CrdColumn {
        name,
        ty: "string",
        description,
        path,
    }
}

const CREATED: &[&str] = &["metadata", "creationTimestamp"];

/// The explicit Age column Istio's CRDs declare after their own columns.
const AGE: CrdColumn = CrdColumn {
    name: "Age",
    ty: "date",
    description: ISTIO_AGE_DOC,
    path: CREATED,
};

/// What the apiextensions server adds to a CRD that declares no columns at all.
const DEFAULT_AGE: CrdColumn = CrdColumn {
    name: "Age",
    ty: "date",
    description: CREATION_DOC,
    path: CREATED,
};

/// The columns of an Istio resource, by plural name; None for resources Istio does not define.
fn columns_of(plural: &str) -> Option<Vec<CrdColumn>> {
    let columns = match plural {
        "virtualservices" => vec![
            text("Gateways", &["spec", "gateways"], "The names of gateways and sidecars that should apply these routes"),
            text("Hosts", &["spec", "hosts"], "The destination hosts to which traffic is being sent"),
            AGE,
        ],
        "destinationrules" => vec![
            text("Host", &["spec", "host"], "The name of a service from the service registry"),
            AGE,
        ],
        "serviceentries" => vec![
            text("Hosts", &["spec", "hosts"], "The hosts associated with the ServiceEntry"),
            text("Location", &["spec", "location"], "Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)"),
            text("Resolution", &["spec", "resolution"], "Service discovery mode for the hosts (NONE, STATIC, or DNS)"),
            AGE,
        ],
        "peerauthentications" => vec![
            text("Mode", &["spec", "mtls", "mode"], "Defines the mTLS mode used for peer authentication."),
            AGE,
        ],
        "authorizationpolicies" => vec![text("Action", &["spec", "action"], "The operation to take."), AGE],
        "gateways" | "sidecars" | "envoyfilters" | "requestauthentications" | "telemetries"
        | "wasmplugins" | "proxyconfigs" => vec![DEFAULT_AGE],
        _ => return None,
    };
    Some(columns)
}

/// The printer of an Istio resource, if `plural` names one.
pub(crate) fn printer(plural: &str) -> Option<Printer> {
    let crd_columns = columns_of(plural)?;
    let mut columns = vec![NAME];
    columns.extend(crd_columns.iter().map(|c| Column {
        name: c.name,
        ty: c.ty,
        format: "",
        priority: 0,
        description: c.description,
    }));
    Some(Printer {
        columns,
        row: Box::new(move |obj, now| {
            let mut cells = vec![name_cell(obj)];
            cells.extend(crd_columns.iter().map(|c| cell(c, obj, now)));
            Row::cells(cells)
        }),
    })
}

/// Evaluates one CRD column against an object.
fn cell(column: &CrdColumn, obj: &Value, now: DateTime<Utc>) -> Value {
    let Some(value) = at(obj, column.path).filter(|v| !v.is_null()) else {
        return Value::Null;
    };
    match column.ty {
        "date" => match value.as_str() {
            Some(s) => Value::String(match parse_time(s) {
                Some(t) => human_duration(now.signed_duration_since(t)),
                None => "<invalid>".to_string(),
            }),
            None => Value::Null,
        },
        _ => Value::String(jsonpath_text(value)),
    }
}

/// How kube's JSONPath printer writes a value: strings raw, scalars as text, lists and maps
/// as compact JSON.
fn jsonpath_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => crate::api::gojson::number::number_v(n),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => crate::api::gojson::compact(value),
    }
}
