//! Reading manifests: files, folders and stdin, split into YAML/JSON documents that remember
//! where they came from, so every error can name `FILE:LINE`.

use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// One object read from a manifest.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The file as the user named it, or `STDIN`.
    pub source: String,
    /// The 1-based line where the document starts.
    pub line: usize,
    pub value: Value,
}

/// A document (or file) that could not be read.
#[derive(Debug, Clone)]
pub struct DocError {
    pub source: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

// === impl Doc ===

impl Doc {
    /// `FILE:LINE`, for messages.
    pub fn at(&self) -> String {
        format!("{}:{}", self.source, self.line)
    }

    pub fn kind(&self) -> &str {
        self.value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        crate::api::meta::name(&self.value)
    }
}

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.source, self.line, self.col, self.message
            )
        }
    }
}

/// Read every document of every `-f` argument, in order.
pub fn read_all(paths: &[String], recursive: bool) -> Vec<Result<Doc, DocError>> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => out.extend(parse("STDIN", &text)),
                Err(e) => out.push(Err(file_error(
                    p,
                    format!("cannot read standard input: {e}"),
                ))),
            }
            continue;
        }
        let path = Path::new(p);
        if path.is_dir() {
            match dir_files(path, recursive) {
                Ok(files) => {
                    for f in files {
                        out.extend(read_file(&f.display().to_string()));
                    }
                }
                Err(e) => out.push(Err(file_error(p, format!("cannot read folder {p}: {e}")))),
            }
        } else {
            out.extend(read_file(p));
        }
    }
    out
}

fn read_file(p: &str) -> Vec<Result<Doc, DocError>> {
    match std::fs::read_to_string(p) {
        Ok(text) => parse(p, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![Err(file_error(
            p,
            format!("the path \"{p}\" does not exist"),
        ))],
        Err(e) => vec![Err(file_error(p, format!("cannot read \"{p}\": {e}")))],
    }
}

fn file_error(source: &str, message: String) -> DocError {
    DocError {
        source: source.to_string(),
        line: 0,
        col: 0,
        message,
    }
}

/// Manifest files in a folder (`.yaml`, `.yml`, `.json`), sorted, descending into sub-folders
/// only with `-R`, as kubectl does.
fn dir_files(dir: &Path, recursive: bool) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            if recursive {
                files.extend(dir_files(&path, true)?);
            }
        } else if matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(path);
        }
    }
    Ok(files)
}

/// Split a text into documents at `---` lines and parse each on its own, so one broken
/// document does not hide the others.
pub fn parse(source: &str, text: &str) -> Vec<Result<Doc, DocError>> {
    let mut chunks: Vec<(usize, String)> = Vec::new();
    let mut start = 1;
    let mut cur = String::new();
    for (i, line) in text.lines().enumerate() {
        let is_sep = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if is_sep {
            chunks.push((start, std::mem::take(&mut cur)));
            start = i + 2;
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
    }
    chunks.push((start, cur));
    let mut out = Vec::new();
    for (line, chunk) in chunks {
        if chunk
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        match serde_yaml::from_str::<Value>(&chunk) {
            Ok(Value::Null) => {}
            Ok(v) => {
                // Skip leading blank and comment lines so the document's line is its first key.
                let first = chunk
                    .lines()
                    .position(|l| !(l.trim().is_empty() || l.trim_start().starts_with('#')))
                    .unwrap_or(0);
                let doc_line = line + first;
                expand_list(source, doc_line, v, &mut out);
            }
            Err(e) => {
                let (l, c) = e
                    .location()
                    .map(|loc| (loc.line(), loc.column()))
                    .unwrap_or((1, 1));
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                out.push(Err(DocError {
                    source: source.to_string(),
                    line: line + l - 1,
                    col: c,
                    message: msg,
                }));
            }
        }
    }
    out
}

/// `kind: List` documents stand for their items.
fn expand_list(source: &str, line: usize, v: Value, out: &mut Vec<Result<Doc, DocError>>) {
    let is_list = v
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        && v.get("items").is_some_and(Value::is_array);
    if is_list {
        if let Some(items) = v.get("items").and_then(Value::as_array) {
            for item in items {
                out.push(Ok(Doc {
                    source: source.to_string(),
                    line,
                    value: item.clone(),
                }));
            }
        }
        return;
    }
    if !v.is_object() {
        out.push(Err(DocError {
            source: source.to_string(),
            line,
            col: 1,
            message: "the document is not a Kubernetes object (expected a mapping with apiVersion and kind)".into(),
        }));
        return;
    }
    out.push(Ok(Doc {
        source: source.to_string(),
        line,
        value: v,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_locates() {
        let text = "# c\napiVersion: v1\nkind: A\n---\n\napiVersion: v1\nkind: B\nmetadata: {name: [}\n---\napiVersion: v1\nkind: C\n";
        let docs = parse("f.yaml", text);
        assert_eq!(docs.len(), 3);
        let a = docs[0].as_ref().unwrap();
        assert_eq!((a.kind(), a.line), ("A", 2));
        let err = docs[1].as_ref().unwrap_err();
        assert_eq!(err.line, 8, "{err}");
        assert!(err.to_string().starts_with("f.yaml:8:"), "{err}");
        assert_eq!(docs[2].as_ref().unwrap().kind(), "C");
    }

    #[test]
    fn lists_expand() {
        let docs = parse("f", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A}\n- {apiVersion: v1, kind: B}\n");
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn scalar_documents_are_errors() {
        let docs = parse("f", "just text\n");
        assert!(docs[0].is_err());
    }
}
