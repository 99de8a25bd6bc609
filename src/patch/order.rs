//! Element order of merged lists, following apimachinery: `$setElementOrder` (or the patch list)
//! orders the elements it names, the others keep their order in the live list, and the two
//! sequences are interleaved by their positions in the live list.

use serde_json::Value;

use super::value::{has_directive, is_delete_item, json_eq, merge_key, require_key};
use super::{Error, Result};

/// What identifies a list element: its merge key for keyed lists, the value itself for scalars.
fn identity<'v>(item: &'v Value, key: Option<&str>) -> Option<&'v Value> {
    match key {
        Some(k) => merge_key(item, k),
        None => Some(item),
    }
}

/// Position in `list` of the element with the same identity as `item`.
fn index_of(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key)?;
    list.iter()
        .position(|v| identity(v, key).is_some_and(|w| json_eq(w, id)))
}

/// Order `merged`: elements named in `patch_order` come in that order, the others ("server
/// only") in `server_order` order, and a server-only element goes before a patch element only
/// when it precedes it in `server_order`. `{"$patch": "delete"}` elements (present while two
/// patches are combined) go last in their group.
pub(super) fn enforce(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&'static str>,
) -> Result<Vec<Value>> {
    let mut patch_items = Vec::new();
    let mut server_only = Vec::new();
    for item in merged {
        if let Some(k) = key {
            require_key(&item, k)?;
        }
        if index_of(patch_order, &item, key).is_some() {
            patch_items.push(item);
        } else {
            server_only.push(item);
        }
    }
    sort_by_order(&mut patch_items, patch_order, key);
    sort_by_order(&mut server_only, server_order, key);
    Ok(interleave(server_only, patch_items, server_order, key))
}

/// Stable sort by position in `order`; unknown elements and delete directives go last.
fn sort_by_order(items: &mut [Value], order: &[Value], key: Option<&str>) {
    items.sort_by_key(|item| {
        (
            is_delete_item(item),
            index_of(order, item, key).unwrap_or(usize::MAX),
        )
    });
}

/// Merge two ordered sequences, taking from `left` only while its head precedes the head of
/// `right` in `server_order`; otherwise `right` wins, so new patch elements come first.
fn interleave(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                match (
                    index_of(server_order, l, key),
                    index_of(server_order, r, key),
                ) {
                    (Some(i), Some(j)) => i < j,
                    _ => false,
                }
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// Check that the non-delete elements of `patch` appear in `order` (a `$setElementOrder` list)
/// in the same relative order.
pub(super) fn validate(patch: &[Value], order: &[Value], key: Option<&'static str>) -> Result<()> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let items: Vec<&Value> = patch
        .iter()
        .filter(|v| key.is_none() || !is_delete_item(v))
        .collect();
    let (mut p, mut o) = (0, 0);
    while let (Some(item), Some(want)) = (items.get(p), order.get(o)) {
        if has_directive(item) {
            p += 1;
            continue;
        }
        let equal = match key {
            Some(k) => json_eq(require_key(item, k)?, require_key(want, k)?),
            None => json_eq(item, want),
        };
        if equal {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() {
        return Err(Error::OrderMismatch {
            patch: Value::Array(patch.to_vec()).to_string(),
            order: Value::Array(order.to_vec()).to_string(),
        });
    }
    Ok(())
}
