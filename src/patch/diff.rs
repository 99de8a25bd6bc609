//! Computing a strategic merge patch between two objects (apimachinery `diffMaps`), with the
//! options the three-way apply patch needs: additions/changes only, or deletions only.

use serde_json::Value;

use super::schema::{self, Field, Merge, Ty};
use super::value::{
    class, element_class, json_eq, key_string, require_key, Class, Object,
    DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER,
};
use super::{Error, Result};

/// What a diff keeps.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Options {
    /// Drop additions and changes (keep only deletions).
    pub ignore_changes: bool,
    /// Drop deletions (keep only additions and changes).
    pub ignore_deletions: bool,
    /// The maps being compared belong to a `retainKeys` field: emit `$retainKeys`.
    pub retain_keys: bool,
}

/// The patch turning `original` into `modified`, both objects with schema `ty`.
pub(super) fn diff_maps(
    original: &Object,
    modified: &Object,
    ty: Ty,
    opts: Options,
) -> Result<Object> {
    let mut patch = Object::new();
    let mut retain: Vec<&String> = Vec::new();
    for (key, new) in modified {
        if opts.retain_keys && !new.is_null() {
            retain.push(key);
        }
        let Some(old) = original.get(key) else {
            if !opts.ignore_changes {
                patch.insert(key.clone(), new.clone());
            }
            continue;
        };
        let field = schema::field(ty, key);
        match (old, new) {
            (Value::Object(old), Value::Object(new)) => {
                let sub = Options {
                    retain_keys: field.is_some_and(|f| f.retain_keys),
                    ..opts
                };
                let diff = diff_maps(old, new, field.and_then(|f| f.ty), sub)?;
                if !diff.is_empty() {
                    patch.insert(key.clone(), Value::Object(diff));
                }
            }
            (Value::Array(old_list), Value::Array(new_list)) => match field {
                Some(f) if f.merge != Merge::Replace => {
                    diff_list_field(key, old_list, new_list, f, opts, &mut patch)?;
                }
                _ => replace_if_different(key, old, new, opts, &mut patch),
            },
            // A changed JSON type is a change like any other.
            _ if class(old) != class(new) => {
                if !opts.ignore_changes {
                    patch.insert(key.clone(), new.clone());
                }
            }
            _ => replace_if_different(key, old, new, opts, &mut patch),
        }
    }
    if !opts.ignore_deletions {
        for key in original.keys().filter(|k| !modified.contains_key(*k)) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    // The list is sent whenever something changes or there are keys to clear, even when only
    // the target has extra keys; kubectl behaves the same.
    let extra = original
        .iter()
        .any(|(k, v)| !v.is_null() && !modified.contains_key(k));
    if !retain.is_empty() && (!patch.is_empty() || extra) {
        retain.sort_by_key(|k| k.as_str());
        let list = retain
            .into_iter()
            .map(|k| Value::String(k.clone()))
            .collect();
        patch.insert(RETAIN_KEYS.to_owned(), Value::Array(list));
    }
    Ok(patch)
}

fn replace_if_different(key: &str, old: &Value, new: &Value, opts: Options, patch: &mut Object) {
    if !opts.ignore_changes && !json_eq(old, new) {
        patch.insert(key.to_owned(), new.clone());
    }
}

/// Diff of a merged list field: the list of changes plus the parallel
/// `$deleteFromPrimitiveList/<key>` and `$setElementOrder/<key>` lists.
fn diff_list_field(
    key: &str,
    old: &[Value],
    new: &[Value],
    field: &'static Field,
    opts: Options,
    patch: &mut Object,
) -> Result<()> {
    let opts = Options {
        retain_keys: field.retain_keys,
        ..opts
    };
    let ListDiff {
        changes,
        deletions,
        order,
    } = diff_lists(old, new, field, opts)?;
    if !changes.is_empty() {
        patch.insert(key.to_owned(), Value::Array(changes));
    }
    if !deletions.is_empty() {
        patch.insert(
            format!("{DELETE_FROM_PRIMITIVE_LIST}/{key}"),
            Value::Array(deletions),
        );
    }
    if !order.is_empty() {
        patch.insert(format!("{SET_ELEMENT_ORDER}/{key}"), Value::Array(order));
    }
    Ok(())
}

#[derive(Default)]
struct ListDiff {
    /// Added or changed elements (and, for keyed lists, `$patch: delete` elements).
    changes: Vec<Value>,
    /// Scalars to delete.
    deletions: Vec<Value>,
    /// The `$setElementOrder` list.
    order: Vec<Value>,
}

fn diff_lists(
    old: &[Value],
    new: &[Value],
    field: &'static Field,
    opts: Options,
) -> Result<ListDiff> {
    if old.is_empty() {
        if new.is_empty() || opts.ignore_changes {
            return Ok(ListDiff::default());
        }
        // Nothing to merge with: the whole list is an addition, no order needed.
        return Ok(ListDiff {
            changes: new.to_vec(),
            ..ListDiff::default()
        });
    }
    if element_class(&[old, new])? == Some(Class::Object) {
        let Merge::ByKey(key) = field.merge else {
            return Err(Error::NoMergeKeyDeclared {
                field: field.name.to_owned(),
            });
        };
        let changes = diff_keyed(old, new, key, field.ty, opts)?;
        let order_same = old.len() == new.len()
            && old.iter().zip(new).try_fold(true, |same, (o, n)| {
                Ok::<_, Error>(same && json_eq(require_key(o, key)?, require_key(n, key)?))
            })?;
        let send_order = (!opts.ignore_changes && (!changes.is_empty() || !order_same))
            || (!opts.ignore_deletions && !changes.is_empty());
        let order = if send_order {
            new.iter()
                .map(|n| {
                    let id = require_key(n, key)?.clone();
                    Ok(Value::Object(Object::from_iter([(key.to_owned(), id)])))
                })
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        return Ok(ListDiff {
            changes,
            deletions: Vec::new(),
            order,
        });
    }
    let (changes, deletions) = diff_scalars(old, new, opts);
    let changed = old.len() != new.len() || !old.iter().zip(new).all(|(o, n)| json_eq(o, n));
    let send_order =
        (!opts.ignore_deletions && !deletions.is_empty()) || (!opts.ignore_changes && changed);
    let order = if send_order { new.to_vec() } else { Vec::new() };
    Ok(ListDiff {
        changes,
        deletions,
        order,
    })
}

/// Element-wise diff of two keyed lists. The n-th element with a given key in `new` pairs with
/// the n-th element with that key in `old` (keys compare by their string form, like kubectl's
/// sorted walk). Changes come in `new` order, then deletions sorted by key.
fn diff_keyed(
    old: &[Value],
    new: &[Value],
    key: &'static str,
    ty: Ty,
    opts: Options,
) -> Result<Vec<Value>> {
    let old_keys = old
        .iter()
        .map(|o| require_key(o, key).map(key_string))
        .collect::<Result<Vec<_>>>()?;
    let new_keys = new
        .iter()
        .map(|n| require_key(n, key).map(key_string))
        .collect::<Result<Vec<_>>>()?;
    let mut paired = vec![false; old.len()];
    let mut changes = Vec::new();
    for (i, (item, this)) in new.iter().zip(&new_keys).enumerate() {
        let nth = new_keys.iter().take(i).filter(|k| *k == this).count();
        let partner = old_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| *k == this)
            .nth(nth)
            .map(|(j, _)| j);
        match partner.and_then(|j| Some((j, old.get(j)?.as_object()?, item.as_object()?))) {
            Some((j, old_item, new_item)) => {
                if let Some(p) = paired.get_mut(j) {
                    *p = true;
                }
                let mut diff = diff_maps(old_item, new_item, ty, opts)?;
                if !diff.is_empty() {
                    diff.insert(key.to_owned(), require_key(item, key)?.clone());
                    changes.push(Value::Object(diff));
                }
            }
            None if !opts.ignore_changes => changes.push(item.clone()),
            None => {}
        }
    }
    if !opts.ignore_deletions {
        let mut gone: Vec<(&String, &Value)> = old_keys
            .iter()
            .zip(old)
            .zip(&paired)
            .filter(|(_, used)| !**used)
            .map(|((k, item), _)| (k, item))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(b.0));
        for (_, item) in gone {
            let id = require_key(item, key)?.clone();
            let directive = Object::from_iter([
                (key.to_owned(), id),
                (PATCH.to_owned(), Value::String("delete".to_owned())),
            ]);
            changes.push(Value::Object(directive));
        }
    }
    Ok(changes)
}

/// Additions (in `new` order) and deletions (deduplicated, sorted) between two scalar lists,
/// compared by their string form as kubectl does.
fn diff_scalars(old: &[Value], new: &[Value], opts: Options) -> (Vec<Value>, Vec<Value>) {
    let mut old_sorted: Vec<(String, &Value)> = old.iter().map(|v| (key_string(v), v)).collect();
    let mut new_sorted: Vec<(String, &Value)> = new.iter().map(|v| (key_string(v), v)).collect();
    old_sorted.sort_by(|a, b| a.0.cmp(&b.0));
    new_sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut adds, mut dels) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    loop {
        match (old_sorted.get(i), new_sorted.get(j)) {
            (None, None) => break,
            (Some(o), Some(n)) if o.0 == n.0 => {
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.0 > n.0 => {
                adds.push(n.1.clone());
                j += 1;
            }
            (None, Some(n)) => {
                adds.push(n.1.clone());
                j += 1;
            }
            (Some(o), _) => {
                dels.push(o.1.clone());
                i += 1;
            }
        }
    }
    if opts.ignore_changes {
        adds.clear();
    }
    if opts.ignore_deletions {
        dels.clear();
    }
    let position = |v: &Value| new.iter().position(|n| json_eq(n, v)).unwrap_or(usize::MAX);
    adds.sort_by_key(|v| position(v));
    (adds, super::value::dedup(dels))
}
