//! VirtualService rule reachability: rules shadowed by earlier ones (IST0130) and matches duplicated or covered by earlier ones (IST0131).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::catalogue::{
    go_quote, Arg, VIRTUAL_SERVICE_INEFFECTIVE_MATCH, VIRTUAL_SERVICE_UNREACHABLE_RULE,
};
use super::object::{arr, int_of, of_istio_kind, str_of, Object};
use super::Message;

/// Match fields that are protobuf maps: empty ones compare equal to absent ones.
const MAP_FIELDS: &[&str] = &["headers", "queryParams", "withoutHeaders", "sourceLabels"];

/// `StringMatch` variants: setting one to "" still differs from not setting it.
const STRING_MATCH_KINDS: &[&str] = &["exact", "prefix", "regex"];

const MATCH_EXACT: &str = "exact:";
const MATCH_PREFIX: &str = "prefix:";

/// The HTTP method a match without one stands for when comparing prefix matches.
const DEFAULT_METHOD: &str = "GET";

/// `value` without what protobuf leaves out when serialising (unset and zero scalars, empty
/// lists and maps), object keys sorted: two matches are duplicates when these are equal.
fn normalize(value: &Value, key: &str) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Bool(b) => b.then(|| value.clone()),
        Value::Number(n) => (n.as_f64() != Some(0.0)).then(|| value.clone()),
        Value::String(s) => {
            (!s.is_empty() || STRING_MATCH_KINDS.contains(&key)).then(|| value.clone())
        }
        Value::Array(items) => {
            let items: Vec<Value> = items
                .iter()
                .map(|v| normalize(v, "").unwrap_or(Value::Null))
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> = map
                .iter()
                .filter_map(|(k, v)| Some((k, normalize(v, k)?)))
                .collect();
            if sorted.is_empty() && MAP_FIELDS.contains(&key) {
                return None;
            }
            let out: Map<String, Value> = sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect();
            Some(Value::Object(out))
        }
    }
}

/// The comparison key of a match; HTTP match names do not take part in routing.
fn match_key(m: &Value, drop_name: bool) -> String {
    let mut m = m.clone();
    if drop_name {
        if let Some(obj) = m.as_object_mut() {
            obj.remove("name");
        }
    }
    normalize(&m, "").unwrap_or(Value::Null).to_string()
}

/// `"name"` for named HTTP rules and matches, else `#index`.
fn label(v: &Value, index: usize, named: bool) -> String {
    let name = str_of(v, "name");
    if named && !name.is_empty() {
        go_quote(name)
    } else {
        format!("#{index}")
    }
}

/// An HTTP match on a URI prefix, reduced to what overlap detection compares.
struct PrefixMatch {
    rule: String,
    matchno: String,
    prefix: String,
    port: i64,
    method: String,
    authority: String,
    headers: BTreeMap<String, String>,
    query_params: BTreeMap<String, String>,
    without_headers: BTreeMap<String, String>,
}

/// `exact:<v>` or `prefix:<v>` for a StringMatch; "" for regexes and unset matches.
fn exact_or_prefix(sm: Option<&Value>) -> String {
    let Some(sm) = sm else {
        return String::new();
    };
    let exact = str_of(sm, "exact");
    let prefix = str_of(sm, "prefix");
    if !exact.is_empty() {
        format!("{MATCH_EXACT}{exact}")
    } else if !prefix.is_empty() {
        format!("{MATCH_PREFIX}{prefix}")
    } else {
        String::new()
    }
}

fn string_matches(m: &Value, key: &str) -> BTreeMap<String, String> {
    m.get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, sm)| (k.clone(), exact_or_prefix(Some(sm))))
        .collect()
}

// === impl PrefixMatch ===

impl PrefixMatch {
    /// `None` unless the match has a non-empty `uri.prefix`.
    fn new(rule: String, m: &Value, matchno: usize) -> Option<PrefixMatch> {
        let prefix = m.get("uri").map(|u| str_of(u, "prefix")).unwrap_or("");
        if prefix.is_empty() {
            return None;
        }
        let mut method = exact_or_prefix(m.get("method"));
        if method.is_empty() {
            method = format!("{MATCH_EXACT}{DEFAULT_METHOD}");
        }
        Some(PrefixMatch {
            rule,
            matchno: label(m, matchno, true),
            prefix: prefix.to_string(),
            port: int_of(m, "port").unwrap_or(0),
            method,
            authority: exact_or_prefix(m.get("authority")),
            headers: string_matches(m, "headers"),
            query_params: string_matches(m, "queryParams"),
            without_headers: string_matches(m, "withoutHeaders"),
        })
    }

    /// Whether every request `later` matches was already taken by `self`. Istio compares the
    /// `exact:`/`prefix:` renderings by string prefix, and so does this.
    fn covers(&self, later: &PrefixMatch) -> bool {
        let value_covers = |a: &str, b: &str| a == b || a.starts_with(b);
        let map_covers = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, va)| b.get(k).is_some_and(|vb| value_covers(va, vb)))
        };
        later.prefix.starts_with(&self.prefix)
            && later.port == self.port
            && value_covers(&self.method, &later.method)
            && value_covers(&self.authority, &later.authority)
            && map_covers(&self.headers, &later.headers)
            && map_covers(&self.query_params, &later.query_params)
            && map_covers(&self.without_headers, &later.without_headers)
    }
}

/// Collects the findings of one VirtualService.
struct Report<'v, 'o, 'a> {
    vs: &'v Object<'a>,
    out: &'o mut Vec<Message>,
}

// === impl Report ===

impl Report<'_, '_, '_> {
    fn unreachable(&mut self, rule: String, reason: &str) {
        self.out.push(Message::new(
            VIRTUAL_SERVICE_UNREACHABLE_RULE,
            self.vs,
            &[Arg::Str(rule), Arg::Str(reason.to_string())],
        ));
    }

    fn ineffective(&mut self, rule: String, matchno: String, dup: String) {
        self.out.push(Message::new(
            VIRTUAL_SERVICE_INEFFECTIVE_MATCH,
            self.vs,
            &[Arg::Str(rule), Arg::Str(matchno), Arg::Str(dup)],
        ));
    }

    /// The shared walk over one route list (`http`, `tcp` or `tls`): a rule without matches
    /// catches everything after it; a match seen in an earlier rule is a duplicate; a rule
    /// whose matches are all duplicates is unreachable. Returns the HTTP prefix matches when
    /// `http` is set.
    fn walk(&mut self, rules: &[Value], http: bool) -> Vec<PrefixMatch> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut catch_all = false;
        let mut prefixes = Vec::new();
        for (n, rule) in rules.iter().enumerate() {
            if rule.is_null() {
                continue;
            }
            let matches = arr(rule, "match");
            if matches.is_empty() {
                if catch_all {
                    self.unreachable(
                        label(rule, n, http),
                        "only the last rule can have no matches",
                    );
                }
                catch_all = true;
                continue;
            }
            let mut duplicates = 0;
            for (m, mat) in matches.iter().enumerate() {
                if catch_all {
                    self.unreachable(label(rule, n, http), "route without matches defined before");
                    continue;
                }
                let key = match_key(mat, http);
                if let Some(&first) = seen.get(&key) {
                    let dup = rules
                        .get(first)
                        .map(|r| label(r, first, http))
                        .unwrap_or_default();
                    self.ineffective(label(rule, n, http), label(mat, m, http), dup);
                    duplicates += 1;
                    continue;
                }
                seen.insert(key, n);
                if http {
                    prefixes.extend(PrefixMatch::new(label(rule, n, true), mat, m));
                }
            }
            if duplicates == matches.len() {
                self.unreachable(label(rule, n, http), "all matches used by prior rules");
            }
        }
        prefixes
    }

    /// IST0131 for each prefix match covered by a different, shorter prefix match before it.
    fn overlaps(&mut self, prefixes: &[PrefixMatch]) {
        for (i, earlier) in prefixes.iter().enumerate() {
            for later in prefixes.iter().skip(i + 1) {
                if later.prefix == earlier.prefix || !earlier.covers(later) {
                    continue;
                }
                self.ineffective(
                    later.rule.clone(),
                    format!("{} of prefix {}", later.matchno, later.prefix),
                    format!(
                        "{} of prefix {} on {}",
                        earlier.matchno, earlier.prefix, earlier.rule
                    ),
                );
            }
        }
    }
}

/// IST0130 and IST0131 for every VirtualService, over its `http`, `tcp` and `tls` rules.
pub fn reachability(objs: &[Object<'_>]) -> Vec<Message> {
    let mut out = Vec::new();
    for vs in of_istio_kind(objs, "VirtualService") {
        let spec = vs.spec();
        let mut report = Report { vs, out: &mut out };
        let prefixes = report.walk(arr(spec, "http"), true);
        report.overlaps(&prefixes);
        report.walk(arr(spec, "tcp"), false);
        report.walk(arr(spec, "tls"), false);
    }
    out
}
