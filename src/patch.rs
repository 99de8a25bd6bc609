//! Kubernetes PATCH semantics: JSON merge patch, JSON patch, strategic merge patch and the
//! three-way patch `kubectl apply` computes on the client.
//!
//! The strategic merge patch follows the apimachinery `strategicpatch` package: which lists merge
//! by which key comes from a small schema of the built-in kinds (see `schema.rs`), directives
//! (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`) are honoured and
//! never stored.

mod apply;
mod diff;
pub mod fields;
mod order;
mod schema;
mod three_way;
mod value;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use three_way::{modified_configuration, original_configuration, LAST_APPLIED_ANNOTATION};

/// Why a patch could not be computed or applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A document that must be a JSON object is something else (`what` names it).
    #[error("{what} must be a JSON object")]
    NotAnObject {
        /// Which input was wrong ("patch", "target", "current", …).
        what: &'static str,
    },
    /// A `$patch` directive carries a value that is not valid where it appears.
    #[error("unknown patch type: {value} in map: {map}")]
    UnknownPatchType {
        /// The directive value as JSON.
        value: String,
        /// The map holding the directive, as JSON.
        map: String,
    },
    /// `{"$patch": "merge"}` was used as a list element.
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// An element of a list merged by key lacks that key.
    #[error("map: {map} does not contain declared merge key: {key}")]
    NoMergeKey {
        /// The element, as JSON.
        map: String,
        /// The merge key of the list.
        key: &'static str,
    },
    /// A list of objects had to be merged but its field declares no merge key.
    #[error("cannot merge lists without merge key for {field}")]
    NoMergeKeyDeclared {
        /// The field holding the list.
        field: String,
    },
    /// `$retainKeys` is not a list, or the patch sets a key it does not list.
    #[error("invalid patch format of retainKeys")]
    RetainKeys,
    /// A `$setElementOrder/<field>` directive is malformed.
    #[error("invalid patch format of setElementOrder list")]
    SetElementOrder,
    /// A `$deleteFromPrimitiveList/<field>` directive is malformed.
    #[error("invalid patch format of primitive list")]
    PrimitiveList,
    /// The elements of a patch list are not in the order `$setElementOrder` gives.
    #[error("The order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}\n")]
    OrderMismatch {
        /// The patch list, as JSON.
        patch: String,
        /// The `$setElementOrder` list, as JSON.
        order: String,
    },
    /// The elements of a merged list (target and patch together) have different JSON types.
    #[error("list element types are not identical: {0}")]
    MixedListTypes(String),
    /// A merged list contains lists.
    #[error("lists of lists are not supported")]
    ListOfLists,
    /// The JSON patch document is not a list of RFC 6902 operations.
    #[error("invalid JSON patch: {0}")]
    InvalidJsonPatch(String),
    /// A JSON patch operation failed; the message names the operation index and its path.
    #[error("{0}")]
    JsonPatch(#[from] json_patch::PatchError),
    /// The last-applied annotation does not hold a JSON object.
    #[error("invalid last-applied configuration: {0}")]
    LastApplied(String),
    /// kubectl refuses a JSON merge apply patch that would change the object's identity.
    #[error("At least one of apiVersion, kind and name was changed")]
    IdentityChanged,
}

/// Result with this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How [`three_way`] computes the patch, mirroring kubectl's choice of patch type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy<'a> {
    /// `application/merge-patch+json`: lists are atomic (kinds kubectl does not know, e.g. CRs).
    JsonMerge,
    /// `application/strategic-merge-patch+json` for a built-in `kind`.
    Strategic {
        /// The object's kind, e.g. "Deployment".
        kind: &'a str,
    },
}

/// RFC 7386 JSON merge patch (application/merge-patch+json).
pub fn merge(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// RFC 6902 JSON patch (application/json-patch+json). The target is left untouched when an
/// operation fails.
pub fn json(target: &mut Value, patch: &Value) -> Result<()> {
    let ops: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| Error::InvalidJsonPatch(e.to_string()))?;
    // Work on a copy so a failing operation cannot leave a half-patched target.
    let mut work = target.clone();
    json_patch::patch_unsafe(&mut work, &ops)?;
    *target = work;
    Ok(())
}

/// Strategic merge patch (application/strategic-merge-patch+json) for a built-in `kind`
/// ("Pod", "Deployment", "Service", "Namespace" …). Unknown kinds behave like a merge patch
/// whose directives are honoured but never stored.
pub fn strategic(target: &Value, patch: &Value, kind: &str) -> Result<Value> {
    let target = as_object(target, "target")?;
    let patch = as_object(patch, "patch")?;
    let merged = apply::merge_map(target.clone(), patch.clone(), schema::root(kind))?;
    Ok(Value::Object(merged))
}

/// The patch kubectl's client-side apply sends. `original` is the last-applied configuration
/// (None when absent), `modified` the new manifest (carrying the new last-applied annotation,
/// see [`modified_configuration`]), `current` the live object. Returns `{}` when nothing would
/// change.
pub fn three_way(
    original: Option<&Value>,
    modified: &Value,
    current: &Value,
    strategy: Strategy<'_>,
) -> Result<Value> {
    let empty = Map::new();
    let original = match original {
        Some(v) => as_object(v, "original")?,
        None => &empty,
    };
    let modified = as_object(modified, "modified")?;
    let current = as_object(current, "current")?;
    let patch = match strategy {
        Strategy::JsonMerge => three_way::json_merge(original, modified, current)?,
        Strategy::Strategic { kind } => {
            three_way::strategic(original, modified, current, schema::root(kind))?
        }
    };
    Ok(value::sorted(Value::Object(patch)))
}

/// Whether `patch` is the empty object (kubectl then sends nothing and prints "unchanged").
pub fn is_empty(patch: &Value) -> bool {
    patch.as_object().is_some_and(Map::is_empty)
}

fn as_object<'v>(v: &'v Value, what: &'static str) -> Result<&'v Map<String, Value>> {
    v.as_object().ok_or(Error::NotAnObject { what })
}
