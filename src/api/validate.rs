// STUB
//! stub
pub struct Cause { pub field: String, pub message: String, pub reason: Reason }
pub enum Reason { Required, Invalid, NotSupported, Duplicate, TooLong, TypeInvalid, Forbidden }
impl Reason { pub fn as_str(&self) -> &'static str { "x" } }
pub struct Report { pub causes: Vec<Cause>, pub unknown_fields: Vec<String>, pub decode_error: Option<String> }
pub fn validate(_g: &str, _k: &str, _o: &serde_json::Value) -> Report { Report { causes: vec![], unknown_fields: vec![], decode_error: None } }
pub fn dns1123_label(_n: &str) -> Vec<String> { vec![] }
