//! Server-side printing: turns stored objects into the `meta.k8s.io/v1` `Table` that `kubectl get` asks for.
//!
//! kubectl prints whatever columns and cells the server sends, so the columns, their order, their
//! priorities and the text of every cell follow kube-apiserver's built-in printers and the
//! `additionalPrinterColumns` of Istio's CRDs. The server always generates the wide form; kubectl
//! hides columns whose priority is above 0 unless `-o wide` is given.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

mod core;
mod duration;
mod istio;
mod network;
mod pod;
mod selector;
mod workloads;

#[cfg(test)]
mod tests;

pub use duration::{age, human_duration};

/// What each row carries in its `object` field, as chosen by the `includeObject` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Include {
    /// `includeObject=None`: rows carry no object.
    None,
    /// `includeObject=Metadata` (the default): a `PartialObjectMetadata` with the full metadata,
    /// which kubectl reads for `--show-labels`, `-L` and the namespace column.
    #[default]
    Metadata,
    /// `includeObject=Object`: the whole object (kubectl asks for it with `--sort-by`).
    Object,
}

// === impl Include ===

impl Include {
    /// Reads the `includeObject` query parameter; unknown or absent values mean the default.
    pub fn from_query(value: Option<&str>) -> Include {
        match value {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

/// One column of a table, as sent in `columnDefinitions`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    /// OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    pub ty: &'static str,
    /// `name` marks the column kubectl prefixes with `kind/` when several kinds are listed.
    pub format: &'static str,
    /// 0 for always shown, 1 for `-o wide` only.
    pub priority: u32,
    pub description: &'static str,
}

// === impl Column ===

impl Column {
    /// A plain string column shown by default.
    pub const fn text(name: &'static str, description: &'static str) -> Column {
        Column {
            name,
            ty: "string",
            format: "",
            priority: 0,
            description,
        }
    }

    /// An integer column shown by default.
    pub const fn int(name: &'static str, description: &'static str) -> Column {
        Column {
            name,
            ty: "integer",
            format: "",
            priority: 0,
            description,
        }
    }

    /// The same column, shown only with `-o wide`.
    pub const fn wide(self) -> Column {
        Column {
            priority: 1,
            ..self
        }
    }

    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.ty,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// Documentation of `metadata.name`, which the apiserver uses to describe every Name column.
pub(crate) const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/// Documentation of `metadata.creationTimestamp`, used for every Age column.
pub(crate) const CREATION_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// The Name column every printer starts with (events aside).
pub(crate) const NAME: Column = Column {
    name: "Name",
    ty: "string",
    format: "name",
    priority: 0,
    description: NAME_DOC,
};

/// The Age column of the built-in printers (a string cell such as `5m10s`).
pub(crate) const AGE: Column = Column::text("Age", CREATION_DOC);

/// The cells of one row, plus the row conditions kube sends for finished pods.
pub(crate) struct Row {
    pub cells: Vec<Value>,
    pub conditions: Option<Value>,
}

// === impl Row ===

impl Row {
    /// A row with cells only.
    pub fn cells(cells: Vec<Value>) -> Row {
        Row {
            cells,
            conditions: None,
        }
    }
}

/// Produces the row of one object, given the time ages are measured against.
pub(crate) type RowFn = Box<dyn Fn(&Value, DateTime<Utc>) -> Row>;

/// How one resource is printed: its columns and the function producing a row's cells.
pub(crate) struct Printer {
    pub columns: Vec<Column>,
    pub row: RowFn,
}

/// Build a Table for objects of one resource (plural name like "pods"). `now` is for AGE.
///
/// The caller sets `metadata.resourceVersion` (and `continue`, when paging).
pub fn build(resource: &str, objects: &[Value], now: DateTime<Utc>, include: Include) -> Value {
    let printer = printer_for(resource);
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| {
            let row = (printer.row)(obj, now);
            let mut out = Map::new();
            out.insert("cells".into(), Value::Array(row.cells));
            if let Some(conditions) = row.conditions {
                out.insert("conditions".into(), conditions);
            }
            match include {
                Include::None => {}
                Include::Metadata => {
                    out.insert("object".into(), partial_metadata(obj));
                }
                Include::Object => {
                    out.insert("object".into(), obj.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": printer.columns.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        "rows": rows,
    })
}

/// Picks the printer of a resource by its plural name, with or without an API group suffix.
fn printer_for(resource: &str) -> Printer {
    let plural = resource.split('.').next().unwrap_or(resource);
    match plural {
        "pods" => pod::printer(),
        "services" => network::services(),
        "endpoints" => network::endpoints(),
        "namespaces" => core::namespaces(),
        "configmaps" => core::configmaps(),
        "secrets" => core::secrets(),
        "serviceaccounts" => core::serviceaccounts(),
        "events" => core::events(),
        "deployments" => workloads::deployments(),
        "replicasets" => workloads::replicasets(),
        other => istio::printer(other).unwrap_or_else(default_printer),
    }
}

/// Name and Age, what kube prints for kinds it has no printer for.
fn default_printer() -> Printer {
    Printer {
        columns: vec![NAME, AGE],
        row: Box::new(|obj, now| Row::cells(vec![name_cell(obj), Value::String(age(obj, now))])),
    }
}

/// A `PartialObjectMetadata` carrying the object's whole metadata.
fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// `metadata.name` as a cell.
pub(crate) fn name_cell(obj: &Value) -> Value {
    Value::String(str_at(obj, &["metadata", "name"]).to_string())
}

/// The value at a path of object keys, if every step exists.
pub(crate) fn at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, key| v.get(key))
}

/// The string at a path, or "" when absent or not a string (Go's zero value).
pub(crate) fn str_at<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    at(obj, path).and_then(Value::as_str).unwrap_or("")
}

/// The integer at a path, or 0 when absent (Go's zero value).
pub(crate) fn int_at(obj: &Value, path: &[&str]) -> i64 {
    at(obj, path).and_then(as_int).unwrap_or(0)
}

/// An integer from a JSON number, accepting whole floats as the Go decoder does.
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

/// The array at a path, or an empty slice.
pub(crate) fn array_at<'a>(obj: &'a Value, path: &[&str]) -> &'a [Value] {
    at(obj, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The number of entries of the map at a path (0 when absent).
pub(crate) fn map_len(obj: &Value, path: &[&str]) -> usize {
    at(obj, path).and_then(Value::as_object).map_or(0, Map::len)
}
