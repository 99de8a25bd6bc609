//! Output of the kubectl-compatible CLI: tables, YAML, JSON and `-o name`, byte for byte as kubectl prints them.

mod table;
mod tabwriter;
mod yaml;

#[cfg(test)]
mod tests;

use serde_json::{json, Value};

pub use table::{render_tables, TablePrinter};
pub use tabwriter::TabWriter;

/// How `kubectl get` decorates and filters a server-side Table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// `-o wide`: also show columns with priority > 0.
    pub wide: bool,
    /// `--show-labels`: a last LABELS column with `k=v,...` or `<none>`.
    pub show_labels: bool,
    /// `-A`: a first NAMESPACE column from each row's object metadata.
    pub with_namespace: bool,
    /// `pod`, `service`, `deployment.apps`…: prefixed as `pod/NAME` to the name
    /// column, as kubectl does when one `get` lists several kinds.
    pub kind_prefix: Option<String>,
    /// `--no-headers`.
    pub no_headers: bool,
    /// `-L key`: one column per key, headed by the upper-cased last `/` segment.
    pub label_columns: Vec<String>,
}

/// Renders one Table the way kubectl's human-readable printer does.
///
/// Returns an empty string for a table without rows: kubectl then prints no
/// header either, and reports "No resources found" itself on stderr.
pub fn render_table(table: &Value, opts: &TableOptions) -> String {
    TabWriter::new().format(&table_text(table, opts))
}

/// The tab-separated text kubectl writes for `table` before alignment; feed it
/// to one [`TabWriter`] per command to keep column widths stable across the
/// tables of a watch.
pub fn table_text(table: &Value, opts: &TableOptions) -> String {
    table::table_text(table, opts)
}

/// kubectl's tab writer over rows of cells: each cell but the last of a line
/// is padded to its column's width plus 3 spaces, at least 6 in all; the last
/// cell is not padded (so an empty last cell leaves the padding before it, as
/// kubectl does). A tab inside a cell starts a new cell, as in kubectl.
pub fn tabulate(rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    TabWriter::new().format(&text)
}

/// Renders a value as `kubectl -o yaml` does, ending with a newline. Several
/// objects are printed as one `List`: wrap them with [`as_list`] first.
pub fn to_yaml(v: &Value) -> String {
    yaml::render(v)
}

/// Renders a value as `kubectl -o json` does: keys sorted, 4-space indent,
/// HTML-safe escaping, ending with a newline.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    crate::api::gojson::write_indented(v, "    ", 0, &mut out);
    out.push('\n');
    out
}

/// Compact JSON as Go's `json.Marshal` writes it (sorted keys, HTML-safe
/// escaping), as JSONPath prints objects and arrays.
pub fn to_json_compact(v: &Value) -> String {
    let mut out = String::new();
    crate::api::gojson::write_compact(v, &mut out);
    out
}

/// The `List` kubectl prints for `-o yaml|json` of a listing or of several objects.
pub fn as_list(items: Vec<Value>) -> Value {
    json!({
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    })
}

/// `-o name`: `pod/httpbin-abc`, `deployment.apps/httpbin`,
/// `gateway.networking.istio.io/x` (no trailing newline).
pub fn name_line(kind: &str, group: &str, name: &str) -> String {
    table::name_line(kind, group, name)
}

/// Labels as `--show-labels` prints them: `k=v` sorted by key, comma-joined,
/// or `<none>`.
pub fn format_labels(labels: &serde_json::Map<String, Value>) -> String {
    table::format_labels(labels)
}

/// Go's `fmt.Sprint` of a decoded JSON value (numbers as Go prints int64 and
/// float64), as kubectl prints table cells and JSONPath scalars.
pub fn go_sprint(v: &Value) -> String {
    table::go_sprint(v)
}
