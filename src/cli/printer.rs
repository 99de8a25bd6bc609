// STUB
//! stub
pub struct TableOptions { pub wide: bool, pub show_labels: bool, pub with_namespace: bool, pub kind_prefix: Option<String>, pub no_headers: bool, pub label_columns: Vec<String> }
pub fn render_table(_t: &serde_json::Value, _o: &TableOptions) -> String { String::new() }
pub fn tabulate(_r: &[Vec<String>]) -> String { String::new() }
pub fn to_yaml(_v: &serde_json::Value) -> String { String::new() }
pub fn to_json(_v: &serde_json::Value) -> String { String::new() }
pub fn name_line(_k: &str, _g: &str, _n: &str) -> String { String::new() }
