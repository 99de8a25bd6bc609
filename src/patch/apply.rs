//! Applying a strategic merge patch to an object, as the API server does (apimachinery
//! `StrategicMergeMapPatch`: parallel lists merged, unmatched nulls dropped).

use std::mem;

use serde_json::Value;

use super::order;
use super::schema::{self, Field, Merge, Ty};
use super::value::{
    dedup, directive_field, element_class, json_eq, merge_key, require_key, Class, Object,
    DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER,
};
use super::{Error, Result};

/// Merge `patch` into `original`, an object with schema `ty`.
pub(super) fn merge_map(mut original: Object, mut patch: Object, ty: Ty) -> Result<Object> {
    if let Some(directive) = patch.get(PATCH) {
        return match directive.as_str() {
            Some("replace") => {
                patch.shift_remove(PATCH);
                // The rest of the patch is the new value; it still passes through the merge so
                // nested directives and nulls are resolved rather than stored.
                merge_map(Object::new(), patch, ty)
            }
            Some("delete") => Ok(Object::new()),
            _ => Err(unknown_patch_type(directive, &Value::Object(patch.clone()))),
        };
    }
    retain_keys(&mut original, &mut patch)?;
    set_element_order(&mut original, &mut patch, ty)?;

    for (key, value) in patch {
        if let Some(name) = directive_field(&key, DELETE_FROM_PRIMITIVE_LIST, Error::PrimitiveList)?
        {
            delete_from_list(&mut original, name, value)?;
            continue;
        }
        if key.starts_with('$') {
            // Directives that reach this point have no meaning here; they are never stored.
            continue;
        }
        if value.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let meta = schema::field(ty, &key);
        match original.get_mut(&key) {
            Some(slot) => {
                let current = mem::take(slot);
                *slot = merge_value(current, value, meta)?;
            }
            None => {
                let value = fresh(value, meta)?;
                original.insert(key, value);
            }
        }
    }
    Ok(original)
}

/// Merge a patch value into the current value of a field described by `meta`.
fn merge_value(current: Value, patch: Value, meta: Option<&'static Field>) -> Result<Value> {
    match (current, patch) {
        (Value::Object(c), Value::Object(p)) => {
            Ok(Value::Object(merge_map(c, p, meta.and_then(|f| f.ty))?))
        }
        (Value::Array(c), Value::Array(p)) => match meta {
            Some(f) if f.merge != Merge::Replace => Ok(Value::Array(merge_list(c, p, f)?)),
            _ => fresh(Value::Array(p), meta),
        },
        // Different JSON types, or scalars: the patch value wins.
        (_, p) => fresh(p, meta),
    }
}

/// The stored form of a patch value that merges with nothing: directives resolved, nulls
/// dropped (apimachinery discards unmatched nulls).
fn fresh(value: Value, meta: Option<&'static Field>) -> Result<Value> {
    match value {
        Value::Object(m) => Ok(Value::Object(merge_map(
            Object::new(),
            m,
            meta.and_then(|f| f.ty),
        )?)),
        Value::Array(items) => match meta {
            Some(f) if f.merge != Merge::Replace => {
                Ok(Value::Array(merge_list(Vec::new(), items, f)?))
            }
            _ => items
                .into_iter()
                .map(|i| fresh(i, None))
                .collect::<Result<_>>()
                .map(Value::Array),
        },
        other => Ok(other),
    }
}

/// Merge two lists of a field whose strategy is `merge` (keyed objects or a scalar set).
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: &'static Field,
) -> Result<Vec<Value>> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    if element_class(&[&original, &patch])? != Some(Class::Object) {
        let mut merged = original.clone();
        merged.extend(patch.iter().cloned());
        return order::enforce(dedup(merged), &patch, &original, None);
    }
    let Merge::ByKey(key) = field.merge else {
        return Err(Error::NoMergeKeyDeclared {
            field: field.name.to_owned(),
        });
    };
    let (mut merged, patch) = split_special(original, patch, key, field.ty)?;
    let server_order = merged.clone();
    let patch_order = patch.clone();
    for item in patch {
        let id = require_key(&item, key)?;
        match merged
            .iter_mut()
            .find(|o| merge_key(o, key).is_some_and(|v| json_eq(v, id)))
        {
            Some(slot) => {
                let current = mem::take(slot);
                *slot = merge_element(current, item, field.ty)?;
            }
            None => merged.push(merge_element(Value::Object(Object::new()), item, field.ty)?),
        }
    }
    order::enforce(merged, &patch_order, &server_order, Some(key))
}

/// Merge one element of a keyed list (an object of schema `ty`) into its match.
fn merge_element(current: Value, patch: Value, ty: Ty) -> Result<Value> {
    match (current, patch) {
        (Value::Object(c), Value::Object(p)) => Ok(Value::Object(merge_map(c, p, ty)?)),
        (_, p) => Ok(p),
    }
}

/// Resolve the `{"$patch": …}` elements of a keyed patch list: `delete` removes the matching
/// elements from `original`, `replace` makes the other patch elements the whole list.
/// Returns the (possibly reduced or replaced) original and the remaining patch elements.
fn split_special(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &'static str,
    ty: Ty,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(PATCH) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let id = require_key(&item, key)?;
                original.retain(|o| !merge_key(o, key).is_some_and(|v| json_eq(v, id)));
            }
            // Other special elements are still pruned, so keep scanning.
            Some("replace") => replace = true,
            Some("merge") => return Err(Error::MergeDirectiveInList),
            _ => return Err(unknown_patch_type(directive, &item)),
        }
    }
    if replace {
        let list = plain
            .into_iter()
            .map(|item| merge_element(Value::Object(Object::new()), item, ty))
            .collect::<Result<_>>()?;
        return Ok((list, Vec::new()));
    }
    Ok((original, plain))
}

/// `$retainKeys`: drop the keys of `original` the directive does not list. Every key the patch
/// sets must be listed.
fn retain_keys(original: &mut Object, patch: &mut Object) -> Result<()> {
    let Some(list) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(list) = list else {
        return Err(Error::RetainKeys);
    };
    let listed = |k: &str| list.iter().any(|v| v.as_str() == Some(k));
    let unlisted = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !k.starts_with(SET_ELEMENT_ORDER)
            && !listed(k)
    });
    if unlisted {
        return Err(Error::RetainKeys);
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// `$setElementOrder/<field>`: merge the field's patch list (if any) and order the result.
fn set_element_order(original: &mut Object, patch: &mut Object, ty: Ty) -> Result<()> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(name) = directive_field(&directive, SET_ELEMENT_ORDER, Error::SetElementOrder)?
        else {
            continue;
        };
        let Some(Value::Array(order)) = patch.shift_remove(&directive) else {
            return Err(Error::SetElementOrder);
        };
        // Only merged lists have an order to set; elsewhere the directive is meaningless.
        let Some(field) = schema::field(ty, name).filter(|f| f.merge != Merge::Replace) else {
            continue;
        };
        let key = match field.merge {
            Merge::ByKey(k) => Some(k),
            _ => None,
        };
        let patch_list = match patch.get(name) {
            None => None,
            Some(Value::Array(_)) => match patch.shift_remove(name) {
                Some(Value::Array(list)) => Some(list),
                _ => None,
            },
            // A non-list patch value (e.g. null) replaces the field in the main loop.
            Some(_) => continue,
        };
        let original_list = match original.get_mut(name) {
            Some(Value::Array(list)) => Some(mem::take(list)),
            _ => None,
        };
        if let Some(list) = &patch_list {
            order::validate(list, &order, key)?;
        }
        let server_order = original_list.clone().unwrap_or_default();
        let merged = match (original_list, patch_list) {
            (None, None) => continue,
            (Some(list), None) => list,
            (None, Some(list)) => merge_list(Vec::new(), list, field)?,
            (Some(current), Some(list)) => merge_list(current, list, field)?,
        };
        let merged = order::enforce(merged, &order, &server_order, key)?;
        original.insert(name.to_owned(), Value::Array(merged));
    }
    Ok(())
}

/// `$deleteFromPrimitiveList/<field>`: remove the listed values from the field's list.
fn delete_from_list(original: &mut Object, name: &str, values: Value) -> Result<()> {
    let Value::Array(values) = values else {
        return Err(Error::PrimitiveList);
    };
    if let Some(Value::Array(list)) = original.get_mut(name) {
        list.retain(|v| !values.iter().any(|d| json_eq(d, v)));
    }
    Ok(())
}

fn unknown_patch_type(directive: &Value, map: &Value) -> Error {
    let value = match directive {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Error::UnknownPatchType {
        value,
        map: map.to_string(),
    }
}
