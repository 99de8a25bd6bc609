//! Field sets of server-side apply: which fields of an object a manager owns, in the
//! `fieldsV1` form stored in `metadata.managedFields`.
//!
//! A path steps through object fields (`f:name`), list elements matched by their merge key
//! (`k:{"name":"app"}`) and members of scalar sets (`v:"x"`). Lists without a merge key are
//! atomic: the list is one leaf. The merge keys are those of the strategic-merge schema; a
//! kind without one (custom resources) has only atomic lists, as their CRDs declare.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::schema::{self, Merge, Ty};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// An object field.
    Field(String),
    /// A list element, by its merge key as compact JSON (`{"name":"app"}`).
    Key(String),
    /// A member of a scalar set, as JSON.
    Value(String),
}

/// A path from the object's root.
pub type Path = Vec<Step>;

/// A set of owned paths. A path that is a strict prefix of another is a list element or a
/// set member owned as such (`"."` in `fieldsV1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(pub BTreeSet<Path>);

/// Metadata the server sets: never owned by anyone.
const SERVER_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
];

// === impl FieldSet ===

impl FieldSet {
    /// Every field `obj` (of `kind`) sets, except identity, server metadata and status.
    pub fn of(obj: &Value, kind: &str) -> FieldSet {
        let mut out = BTreeSet::new();
        if let Some(map) = obj.as_object() {
            let ty = schema::root(kind);
            for (k, v) in map {
                match k.as_str() {
                    "apiVersion" | "kind" | "status" => {}
                    "metadata" => {
                        let meta: Map<String, Value> = v
                            .as_object()
                            .into_iter()
                            .flatten()
                            .filter(|(k, _)| !SERVER_METADATA.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        if !meta.is_empty() {
                            let field = schema::field(ty, k);
                            walk_object(
                                &meta,
                                field.and_then(|f| f.ty),
                                &mut vec![step(k)],
                                &mut out,
                            );
                        }
                    }
                    _ => walk(v, k, ty, &mut Vec::new(), &mut out),
                }
            }
        }
        FieldSet(out)
    }

    /// The paths of `new` whose value differs from `old`'s (or that `old` lacks), and the
    /// paths of `old` that `new` no longer has.
    pub fn changes(old: &Value, new: &Value, kind: &str) -> (FieldSet, FieldSet) {
        let (before, after) = (FieldSet::of(old, kind), FieldSet::of(new, kind));
        // An element with fields below it is new or not; its fields say what changed in it.
        let changed = after
            .0
            .iter()
            .filter(|p| match after.has_below(p) {
                true => value_at(old, p).is_none(),
                false => value_at(old, p) != value_at(new, p),
            })
            .cloned()
            .collect();
        let removed = before.0.difference(&after.0).cloned().collect();
        (FieldSet(changed), FieldSet(removed))
    }

    /// Paths in both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// Paths of `self` not in `other`.
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.difference(&other.0).cloned().collect())
    }

    /// Paths of either set.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.union(&other.0).cloned().collect())
    }

    /// True when no path is owned.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a path strictly below `path` is in the set.
    fn has_below(&self, path: &Path) -> bool {
        self.0
            .range(path.clone()..)
            .nth(1)
            .is_some_and(|p| p.starts_with(path))
    }

    /// Whether `path` or anything below it is in the set.
    pub fn covers(&self, path: &[Step]) -> bool {
        self.0
            .range(path.to_vec()..)
            .next()
            .is_some_and(|p| p.starts_with(path))
    }

    /// The `fieldsV1` object: `{"f:spec": {"f:replicas": {}}}`, with `".": {}` on owned
    /// elements that have owned fields below them.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Map::new();
        for path in &self.0 {
            let mut node = &mut root;
            for s in path {
                node = node
                    .entry(s.encode())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("field set nodes are objects");
            }
        }
        // An owned node with children below it says so with ".".
        fn mark(node: &mut Map<String, Value>, owned: &BTreeSet<Path>, path: &mut Path) {
            for (k, v) in node.iter_mut() {
                let Some(s) = Step::decode(k) else { continue };
                path.push(s);
                if let Value::Object(child) = v {
                    if !child.is_empty() && owned.contains(path) {
                        child.insert(".".into(), Value::Object(Map::new()));
                    }
                    mark(child, owned, path);
                }
                path.pop();
            }
        }
        mark(&mut root, &self.0, &mut Vec::new());
        Value::Object(root)
    }

    /// Read a `fieldsV1` object back; unknown keys are skipped.
    pub fn from_fields_v1(v: &Value) -> FieldSet {
        fn read(node: &Map<String, Value>, path: &mut Path, out: &mut BTreeSet<Path>) {
            for (k, v) in node {
                if k == "." {
                    out.insert(path.clone());
                    continue;
                }
                let Some(s) = Step::decode(k) else { continue };
                path.push(s);
                match v.as_object() {
                    Some(child) if !child.is_empty() => read(child, path, out),
                    _ => {
                        out.insert(path.clone());
                    }
                }
                path.pop();
            }
        }
        let mut out = BTreeSet::new();
        if let Some(map) = v.as_object() {
            read(map, &mut Vec::new(), &mut out);
        }
        FieldSet(out)
    }
}

// === impl Step ===

impl Step {
    fn encode(&self) -> String {
        match self {
            Step::Field(f) => format!("f:{f}"),
            Step::Key(k) => format!("k:{k}"),
            Step::Value(v) => format!("v:{v}"),
        }
    }

    fn decode(s: &str) -> Option<Step> {
        let (kind, rest) = s.split_at_checked(2)?;
        Some(match kind {
            "f:" => Step::Field(rest.into()),
            "k:" => Step::Key(rest.into()),
            "v:" => Step::Value(rest.into()),
            _ => return None,
        })
    }
}

/// A path as the API server prints it in conflicts:
/// `.spec.template.spec.containers[name="app"].image`, `.metadata.finalizers[="x"]`.
pub fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Step::Key(k) => {
                let fields: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
            Step::Value(v) => out.push_str(&format!("[={v}]")),
        }
    }
    out
}

fn step(name: &str) -> Step {
    Step::Field(name.into())
}

/// The merge key object of a list element (`{"name":"app"}`), as compact JSON.
fn key_of(element: &Value, key: &str) -> Option<String> {
    let v = element.get(key)?;
    let mut m = Map::new();
    m.insert(key.into(), v.clone());
    Some(Value::Object(m).to_string())
}

fn walk(v: &Value, name: &str, ty: Ty, path: &mut Path, out: &mut BTreeSet<Path>) {
    let field = schema::field(ty, name);
    path.push(step(name));
    match v {
        Value::Object(map) if !map.is_empty() => {
            walk_object(map, field.and_then(|f| f.ty), path, out)
        }
        Value::Array(items) => match field.map(|f| f.merge) {
            Some(Merge::ByKey(key)) => {
                for item in items {
                    let (Some(k), Some(map)) = (key_of(item, key), item.as_object()) else {
                        continue;
                    };
                    path.push(Step::Key(k));
                    out.insert(path.clone());
                    walk_object(map, field.and_then(|f| f.ty), path, out);
                    path.pop();
                }
            }
            Some(Merge::Set) => {
                for item in items {
                    path.push(Step::Value(item.to_string()));
                    out.insert(path.clone());
                    path.pop();
                }
            }
            _ => {
                out.insert(path.clone());
            }
        },
        _ => {
            out.insert(path.clone());
        }
    }
    path.pop();
}

fn walk_object(map: &Map<String, Value>, ty: Ty, path: &mut Path, out: &mut BTreeSet<Path>) {
    for (k, v) in map {
        walk(v, k, ty, path, out);
    }
}

/// The value at `path`, if present.
pub fn value_at<'v>(obj: &'v Value, path: &[Step]) -> Option<&'v Value> {
    let mut cur = obj;
    for s in path {
        cur = match s {
            Step::Field(f) => cur.get(f)?,
            Step::Key(k) => find_keyed(cur.as_array()?, k)?,
            Step::Value(v) => {
                let member: Value = serde_json::from_str(v).ok()?;
                cur.as_array()?.iter().find(|x| **x == member)?
            }
        };
    }
    Some(cur)
}

fn find_keyed<'v>(items: &'v [Value], key: &str) -> Option<&'v Value> {
    items.iter().find(|item| has_key(item, key))
}

/// Whether a list element carries the merge key `key` (compact JSON of the key fields).
fn has_key(item: &Value, key: &str) -> bool {
    let want: Map<String, Value> = serde_json::from_str(key).unwrap_or_default();
    !want.is_empty() && want.iter().all(|(k, v)| item.get(k) == Some(v))
}

/// Whether `path` names a merge key field of a list element (`…[name="app"].name`), which
/// goes only with its element.
pub fn is_element_key(path: &[Step]) -> bool {
    match path {
        [.., Step::Key(k), Step::Field(f)] => {
            serde_json::from_str::<Map<String, Value>>(k).is_ok_and(|m| m.contains_key(f))
        }
        _ => false,
    }
}

/// Remove what `path` names from `obj` (a field, a list element or a set member).
pub fn remove_at(obj: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for s in parent {
        let next = match s {
            Step::Field(f) => cur.get_mut(f),
            Step::Key(k) => cur
                .as_array_mut()
                .and_then(|items| items.iter_mut().find(|item| has_key(item, k))),
            Step::Value(_) => None,
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    match last {
        Step::Field(f) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(f);
            }
        }
        Step::Key(k) => {
            if let Some(items) = cur.as_array_mut() {
                items.retain(|item| !has_key(item, k));
            }
        }
        Step::Value(v) => {
            let member: Option<Value> = serde_json::from_str(v).ok();
            if let Some(items) = cur.as_array_mut() {
                items.retain(|x| Some(x) != member.as_ref());
            }
        }
    }
}
