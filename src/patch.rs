// STUB
//! stub
use serde_json::Value;
#[derive(Debug, thiserror::Error)]
pub enum Error { #[error("x")] X }
pub type Result<T, E = Error> = std::result::Result<T, E>;
pub fn merge(target: &mut Value, patch: &Value) { json_patch::merge(target, patch) }
pub fn json(_target: &mut Value, _patch: &Value) -> Result<()> { Ok(()) }
pub fn strategic(target: &Value, _patch: &Value, _kind: &str) -> Result<Value> { Ok(target.clone()) }
pub enum Strategy<'a> { JsonMerge, Strategic { kind: &'a str } }
pub fn three_way(_o: Option<&Value>, _m: &Value, _c: &Value, _s: Strategy) -> Result<Value> { Ok(serde_json::json!({})) }
pub fn is_empty(p: &Value) -> bool { p.as_object().is_some_and(|o| o.is_empty()) }
