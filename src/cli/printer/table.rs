//! A `meta.k8s.io/v1` Table as kubectl's human-readable printer lays it out.
//!
//! kubectl first "decorates" the table (a NAMESPACE column in front for
//! `-A`, one column per `-L` key and a LABELS column at the end, and a `kind/`
//! prefix on the name column when several kinds are printed), then writes the
//! header and each row as tab-separated text for the tab writer.

use serde_json::{Map, Value};

use super::{TabWriter, TableOptions};
use crate::api::gojson::number as gofmt;

/// A column as the printer needs it.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    priority: i64,
}

/// Builds the tab-separated text that kubectl hands to its tab writer.
pub(crate) fn table_text(table: &Value, opts: &TableOptions) -> String {
    text_with(
        column_definitions(table),
        table_rows(table),
        opts,
        opts.no_headers,
    )
}

fn column_definitions(table: &Value) -> &[Value] {
    table
        .get("columnDefinitions")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn table_rows(table: &Value) -> &[Value] {
    table
        .get("rows")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Prints several Tables as one `kubectl get` does: through one tab writer,
/// with a header only when the columns change, and a table without column
/// definitions (as watch events may send) laid out with the previous ones.
#[derive(Debug, Clone)]
pub struct TablePrinter {
    opts: TableOptions,
    last_columns: Vec<Value>,
    printed_headers: bool,
    writer: TabWriter,
}

// === impl TablePrinter ===

impl TablePrinter {
    /// A printer that has printed nothing yet.
    pub fn new(opts: TableOptions) -> Self {
        TablePrinter {
            opts,
            last_columns: Vec::new(),
            printed_headers: false,
            writer: TabWriter::new(),
        }
    }

    /// The tab-separated text of the next table, before alignment. Join the
    /// texts of tables printed together and align them with one
    /// [`TabWriter`] (see [`render_tables`]).
    pub fn text(&mut self, table: &Value) -> String {
        let given = column_definitions(table);
        let rows = table_rows(table);
        let mut no_headers = self.opts.no_headers;
        if self.printed_headers && (given.is_empty() || given == self.last_columns.as_slice()) {
            no_headers = true;
        }
        if !given.is_empty() && given != self.last_columns.as_slice() {
            self.last_columns = given.to_vec();
            self.printed_headers = false;
        }
        if !rows.is_empty() {
            self.printed_headers = true;
        }
        let definitions = self.last_columns.clone();
        text_with(&definitions, rows, &self.opts, no_headers)
    }

    /// Prints the next table on its own, as a watch event: aligned at once,
    /// and never narrower than the columns printed before.
    pub fn print(&mut self, table: &Value) -> String {
        let text = self.text(table);
        self.writer.format(&text)
    }
}

/// Several Tables of one kind printed together, as `kubectl get pod a b`
/// prints the Tables of its two requests: one header, one alignment.
pub fn render_tables(tables: &[Value], opts: &TableOptions) -> String {
    let mut printer = TablePrinter::new(opts.clone());
    let text: String = tables.iter().map(|t| printer.text(t)).collect();
    TabWriter::new().format(&text)
}

fn text_with(
    definitions: &[Value],
    rows: &[Value],
    opts: &TableOptions,
    no_headers: bool,
) -> String {
    if rows.is_empty() {
        return String::new();
    }

    let columns = decorated_columns(definitions, opts);
    let name_column = name_column(definitions, opts);
    let mut out = String::new();
    if !no_headers {
        let headers: Vec<String> = columns
            .iter()
            .filter(|c| opts.wide || c.priority == 0)
            .map(|c| go_to_upper(&c.name))
            .collect();
        out.push_str(&headers.join("\t"));
        out.push('\n');
    }
    for row in rows {
        let cells = decorated_cells(row, columns.len(), name_column, opts);
        let mut first = true;
        for (cell, column) in cells.iter().zip(&columns) {
            if !opts.wide && column.priority != 0 {
                continue;
            }
            if !first {
                out.push('\t');
            }
            first = false;
            write_cell(cell, &mut out);
        }
        out.push('\n');
    }
    out
}

/// The original columns plus NAMESPACE, one per `-L` key (its last path
/// segment, upper-cased later) and LABELS.
fn decorated_columns(definitions: &[Value], opts: &TableOptions) -> Vec<Column> {
    let mut columns = Vec::new();
    if opts.with_namespace {
        columns.push(Column {
            name: "Namespace".into(),
            priority: 0,
        });
    }
    for d in definitions {
        columns.push(Column {
            name: d
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            priority: d.get("priority").and_then(Value::as_i64).unwrap_or(0),
        });
    }
    for label in &opts.label_columns {
        let last = label.rsplit('/').next().unwrap_or(label);
        columns.push(Column {
            name: last.to_string(),
            priority: 0,
        });
    }
    if opts.show_labels {
        columns.push(Column {
            name: "Labels".into(),
            priority: 0,
        });
    }
    columns
}

/// The column that gets the `kind/` prefix: the first string column with
/// format "name", and only when a prefix is asked for.
fn name_column(definitions: &[Value], opts: &TableOptions) -> Option<usize> {
    opts.kind_prefix.as_deref().filter(|k| !k.is_empty())?;
    definitions.iter().position(|d| {
        d.get("format").and_then(Value::as_str) == Some("name")
            && d.get("type").and_then(Value::as_str) == Some("string")
    })
}

/// A row's cells after decoration, still as JSON values (`Null` prints nothing).
fn decorated_cells(
    row: &Value,
    width: usize,
    name_column: Option<usize>,
    opts: &TableOptions,
) -> Vec<Value> {
    let mut cells: Vec<Value> = row
        .get("cells")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let include_labels = !opts.label_columns.is_empty() || opts.show_labels;
    if !include_labels && !opts.with_namespace && name_column.is_none() {
        return cells;
    }
    if let (Some(i), Some(kind)) = (name_column, opts.kind_prefix.as_deref()) {
        if let Some(cell) = cells.get_mut(i) {
            *cell = Value::String(format!("{}/{}", go_to_lower(kind), go_sprint_s(cell)));
        }
    }
    let metadata = row
        .get("object")
        .filter(|o| o.is_object())
        .map(|o| o.get("metadata").and_then(Value::as_object));
    let Some(metadata) = metadata else {
        // No object to read namespace and labels from: kubectl leaves those
        // cells empty. Its padding loop re-reads the growing length, so it
        // adds only half of the missing cells (rounded up).
        if opts.with_namespace {
            cells.insert(0, Value::Null);
        }
        let missing = width.saturating_sub(cells.len());
        cells.extend(std::iter::repeat_n(Value::Null, missing.div_ceil(2)));
        return cells;
    };
    let empty = Map::new();
    let metadata = metadata.unwrap_or(&empty);
    if opts.with_namespace {
        let namespace = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        cells.insert(0, Value::String(namespace.to_string()));
    }
    if include_labels {
        // kubectl reads labels as a string map; any non-string value makes the
        // whole map unreadable, which prints as no labels.
        let labels = metadata
            .get("labels")
            .and_then(Value::as_object)
            .filter(|m| m.values().all(Value::is_string))
            .unwrap_or(&empty);
        for key in &opts.label_columns {
            let value = labels.get(key).and_then(Value::as_str).unwrap_or_default();
            cells.push(Value::String(value.to_string()));
        }
        if opts.show_labels {
            cells.push(Value::String(format_labels(labels)));
        }
    }
    cells
}

/// `k=v` pairs sorted by key and joined by commas, or `<none>`.
pub(crate) fn format_labels(labels: &Map<String, Value>) -> String {
    if labels.is_empty() {
        return "<none>".into();
    }
    let mut pairs: Vec<(&String, String)> = labels
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A cell as kubectl prints it: strings cut at the first line break (marked
/// with `...`), nulls as nothing, everything else as Go's `fmt.Sprint`; with
/// terminal escapes defused.
fn write_cell(cell: &Value, out: &mut String) {
    match cell {
        Value::Null => {}
        Value::String(s) => match s.find(['\u{c}', '\n', '\r']) {
            Some(cut) => {
                write_escaped(&s[..cut], out);
                out.push_str("...");
            }
            None => write_escaped(s, out),
        },
        other => write_escaped(&go_sprint(other), out),
    }
}

/// kubectl's guard against terminal escape attacks: ESC prints as `^[` and
/// CR as `\r`.
fn write_escaped(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\u{1b}' => out.push_str("^["),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Go's `fmt.Sprint` (`%v`) of an unstructured value: maps as
/// `map[k:v]` with sorted keys, slices as `[a b]`, nil as `<nil>`.
pub(crate) fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => gofmt::number_v(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_sprint(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `%s` of an unstructured value; non-strings print as `%!s(type=value)`.
fn go_sprint_s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "%!s(<nil>)".into(),
        Value::Bool(b) => format!("%!s(bool={b})"),
        Value::Number(n) => match gofmt::classify(n) {
            gofmt::GoNumber::Int(i) => format!("%!s(int64={i})"),
            gofmt::GoNumber::Float(f) => format!("%!s(float64={})", gofmt::float_g(f)),
        },
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_sprint_s).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_sprint_s(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `strings.ToUpper`: one rune maps to one rune (so `ß` stays `ß`).
fn go_to_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToLower`, rune by rune.
fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut low = c.to_lowercase();
            match (low.next(), low.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

/// The `-o name` form: `kind/name` or `kind.group/name`, kind in lower case.
pub(crate) fn name_line(kind: &str, group: &str, name: &str) -> String {
    if group.is_empty() {
        format!("{}/{name}", go_to_lower(kind))
    } else {
        format!("{}.{group}/{name}", go_to_lower(kind))
    }
}
