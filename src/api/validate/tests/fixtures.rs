//! Every object of Istio's sample manifests validates cleanly.
//!
//! The samples live outside the crate; the test reads them from the directory named by
//! `MESHLITE_ISTIO_FIXTURES` (its `samples/` folder).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::api::validate::validate;

const VAR: &str = "MESHLITE_ISTIO_FIXTURES";

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn istio_samples_are_valid() {
    let Some(root) = std::env::var_os(VAR) else {
        eprintln!("!! {VAR} is not set: Istio's samples are NOT validated (point it at the folder holding samples/)");
        return;
    };
    let dir = Path::new(&root).join("samples");
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no YAML files under {}", dir.display());
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable fixture");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let obj = Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{}: bad YAML: {e}", file.display()));
            if obj.is_null() {
                continue;
            }
            let api_version = obj["apiVersion"].as_str().unwrap_or_default();
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let kind = obj["kind"].as_str().unwrap_or_default();
            let report = validate(group, kind, &obj);
            checked += 1;
            if !report.is_valid() || !report.unknown_fields.is_empty() {
                failures.push(format!("{} {kind}: {report:?}", file.display()));
            }
        }
    }
    assert!(checked > 20, "only {checked} objects found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
