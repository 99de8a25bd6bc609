//! Tests of the printer against output recorded from kubectl 1.31.
//!
//! Tables come from `kubectl get` on a stub API server, YAML and JSON from
//! `kubectl label --local -o yaml|json`.

mod numbers;
mod yaml;

use serde_json::{json, Value};

use super::*;

fn opts_from(v: &Value) -> TableOptions {
    TableOptions {
        wide: v["wide"].as_bool().unwrap_or(false),
        show_labels: v["show_labels"].as_bool().unwrap_or(false),
        with_namespace: v["with_namespace"].as_bool().unwrap_or(false),
        kind_prefix: v["kind_prefix"].as_str().map(str::to_string),
        no_headers: v["no_headers"].as_bool().unwrap_or(false),
        label_columns: v["label_columns"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Every recorded `kubectl get` output: tables with nulls, numbers, maps,
/// line breaks, tabs, escape characters, rows without objects, rows with too
/// few or too many cells, with each flag combination.
#[test]
fn tables_match_kubectl() {
    let golden: Value =
        serde_json::from_str(include_str!("testdata/tables.json")).expect("golden file");
    let cases = golden["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60);
    for case in cases {
        let table = &golden["tables"][case["table"].as_str().expect("table name")];
        let got = render_table(table, &opts_from(&case["options"]));
        assert_eq!(
            got,
            case["expected"].as_str().expect("expected"),
            "table {} with `kubectl {}`",
            case["table"],
            case["kubectl"]
        );
    }
}

/// `kubectl get pods podA podB` prints the Tables of both requests as one:
/// recorded with kubectl, plain and with `-o wide --show-labels`.
#[test]
fn tables_printed_together() {
    let golden: Value =
        serde_json::from_str(include_str!("testdata/tables.json")).expect("golden file");
    let full = &golden["tables"]["t1"];
    let with_rows = |rows: Value| {
        let mut t = full.clone();
        t["rows"] = rows;
        t
    };
    let a = with_rows(json!([full["rows"][1].clone()]));
    let b = with_rows(json!([full["rows"][0].clone()]));
    let plain = "NAME                 READY   STATUS    RESTARTS   AGE\n\
                 sleep-1              1/1     Running   12         3d4h\n\
                 httpbin-7d9c5b-x2x   2/2     Running   0          5m\n";
    assert_eq!(
        render_tables(&[a.clone(), b.clone()], &TableOptions::default()),
        plain
    );
    let wide = [
        "NAME                 READY   STATUS    RESTARTS   AGE    IP         NODE     LABELS",
        "sleep-1              1/1     Running   12         3d4h              <none>   <none>",
        "httpbin-7d9c5b-x2x   2/2     Running   0          5m     10.1.0.5   node-a   app=httpbin,pod-template-hash=7d9c5b,version=v1",
        "",
    ]
    .join("\n");
    let opts = TableOptions {
        wide: true,
        show_labels: true,
        ..Default::default()
    };
    assert_eq!(render_tables(&[a, b], &opts), wide);
}

#[test]
fn watch_events_reuse_header_and_widths() {
    let mut printer = TablePrinter::new(TableOptions::default());
    let first = printer.print(&pod_table());
    assert!(first.starts_with("NAME      READY"));
    // Same columns: no second header, widths kept.
    let mut event = pod_table();
    event["rows"] = json!([{"cells": ["b", "0/1", 1, null, "1s"]}]);
    assert_eq!(printer.print(&event), "b         0/1     1          1s\n");
    // No column definitions: the previous ones are used.
    event["columnDefinitions"] = json!([]);
    assert_eq!(printer.print(&event), "b         0/1     1          1s\n");
    // New columns: a new header.
    let other = json!({"columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "priority": 0}], "rows": [{"cells": ["x"]}]});
    assert_eq!(printer.print(&other), "NAME\nx\n");
}

fn pod_table() -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "priority": 0},
            {"name": "Ready", "type": "string", "format": "", "priority": 0},
            {"name": "Restarts", "type": "integer", "format": "", "priority": 0},
            {"name": "IP", "type": "string", "format": "", "priority": 1},
            {"name": "Age", "type": "string", "format": "", "priority": 0}
        ],
        "rows": [
            {"cells": ["web-abc", "1/1", 0, "10.0.0.1", "5s"],
             "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "web-abc", "namespace": "demo", "labels": {"x": "1", "app": "web"}}}},
            {"cells": ["a", "2/2", 12, null, "10m"],
             "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "a", "namespace": "default"}}}
        ]
    })
}

#[test]
fn table_decorations() {
    let cases: Vec<(TableOptions, &str)> = vec![
        (
            TableOptions::default(),
            "NAME      READY   RESTARTS   AGE\n\
             web-abc   1/1     0          5s\n\
             a         2/2     12         10m\n",
        ),
        (
            TableOptions {
                wide: true,
                show_labels: true,
                with_namespace: true,
                label_columns: vec!["app".into(), "x/y".into()],
                ..Default::default()
            },
            "NAMESPACE   NAME      READY   RESTARTS   IP         AGE   APP   Y     LABELS\n\
             demo        web-abc   1/1     0          10.0.0.1   5s    web         app=web,x=1\n\
             default     a         2/2     12                    10m               <none>\n",
        ),
        (
            TableOptions {
                kind_prefix: Some("pod".into()),
                ..Default::default()
            },
            "NAME          READY   RESTARTS   AGE\n\
             pod/web-abc   1/1     0          5s\n\
             pod/a         2/2     12         10m\n",
        ),
        (
            TableOptions {
                kind_prefix: Some("Deployment.apps".into()),
                no_headers: true,
                ..Default::default()
            },
            "deployment.apps/web-abc   1/1   0     5s\n\
             deployment.apps/a         2/2   12    10m\n",
        ),
        // An empty -L cell at the end of a line keeps the padding before it.
        (
            TableOptions {
                label_columns: vec!["x".into()],
                ..Default::default()
            },
            "NAME      READY   RESTARTS   AGE   X\n\
             web-abc   1/1     0          5s    1\n\
             a         2/2     12         10m   \n",
        ),
    ];
    for (opts, expected) in cases {
        assert_eq!(render_table(&pod_table(), &opts), expected, "{opts:?}");
    }
}

#[test]
fn table_without_rows_prints_nothing() {
    let mut table = pod_table();
    table["rows"] = json!([]);
    for no_headers in [false, true] {
        let opts = TableOptions {
            no_headers,
            ..Default::default()
        };
        assert_eq!(render_table(&table, &opts), "");
    }
    assert_eq!(render_table(&json!({}), &TableOptions::default()), "");
    assert_eq!(
        render_table(&json!("not a table"), &TableOptions::default()),
        ""
    );
}

#[test]
fn table_text_is_tab_separated() {
    let text = table_text(&pod_table(), &TableOptions::default());
    assert_eq!(
        text,
        "NAME\tREADY\tRESTARTS\tAGE\nweb-abc\t1/1\t0\t5s\na\t2/2\t12\t10m\n"
    );
}

#[test]
fn watch_tables_keep_their_widths() {
    // kubectl keeps one tab writer for the whole watch: a later, narrower
    // table is padded to the widths already printed.
    let mut writer = TabWriter::new();
    let first = writer.format("NAME\tSTATUS\nlong-pod-name\tRunning\n");
    let second = writer.format("a\tPending\n");
    assert_eq!(first, "NAME            STATUS\nlong-pod-name   Running\n");
    assert_eq!(second, "a               Pending\n");
}

#[test]
fn tabulate_aligns_like_kubectl() {
    let rows = |r: &[&[&str]]| -> Vec<Vec<String>> {
        r.iter()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let cases: Vec<(Vec<Vec<String>>, &str)> = vec![
        // Columns are at least 6 wide, padding included.
        (
            rows(&[&["A", "B", "C"], &["x", "yy", "z"]]),
            "A     B     C\nx     yy    z\n",
        ),
        (
            rows(&[&["NAME", "AGE"], &["httpbin-abc", "5s"]]),
            "NAME          AGE\nhttpbin-abc   5s\n",
        ),
        // The last column is never padded, even when wider.
        (
            rows(&[&["a", "short"], &["b", "much longer"]]),
            "a     short\nb     much longer\n",
        ),
        // An empty last cell leaves trailing spaces, as kubectl prints.
        (
            rows(&[&["a", "b", ""], &["c", "d", "e"]]),
            "a     b     \nc     d     e\n",
        ),
        // Width counts characters, not bytes.
        (
            rows(&[&["é😀", "x"], &["abcdef", "y"]]),
            "é😀       x\nabcdef   y\n",
        ),
        // A single-cell line ends a column block; later blocks remember widths.
        (
            rows(&[&["aaaaaaaaaa", "b"], &["x"], &["c", "d"]]),
            "aaaaaaaaaa   b\nx\nc            d\n",
        ),
        // A tab inside a cell starts a new cell.
        (
            rows(&[&["a\tb", "c"], &["d", "e"]]),
            "a     b     c\nd     e\n",
        ),
        (rows(&[]), ""),
    ];
    for (input, expected) in cases {
        assert_eq!(tabulate(&input), expected, "{input:?}");
    }
}

#[test]
fn describe_layout() {
    // `kubectl describe` aligns with Go's plain tabwriter: no minimum width,
    // two spaces of padding, no width memory.
    let mut writer = TabWriter::with_layout(0, 2);
    let text = "Name:\tweb\nNamespace:\tdemo\nEvents:\n  Type\tReason\tAge\n  ----\t------\t----\n  Normal\tPulled\t5s\n";
    let expected = "Name:       web\nNamespace:  demo\nEvents:\n  Type    Reason  Age\n  ----    ------  ----\n  Normal  Pulled  5s\n";
    assert_eq!(writer.format(text), expected);
}

#[test]
fn name_lines() {
    let cases = [
        ("Pod", "", "httpbin-abc", "pod/httpbin-abc"),
        ("Deployment", "apps", "httpbin", "deployment.apps/httpbin"),
        (
            "Gateway",
            "networking.istio.io",
            "x",
            "gateway.networking.istio.io/x",
        ),
        (
            "VirtualService",
            "networking.istio.io",
            "reviews",
            "virtualservice.networking.istio.io/reviews",
        ),
        ("Namespace", "", "demo", "namespace/demo"),
    ];
    for (kind, group, name, expected) in cases {
        assert_eq!(name_line(kind, group, name), expected);
    }
}

#[test]
fn label_formatting() {
    let cases = [
        (json!({}), "<none>"),
        (json!({"b": "2", "a": "1"}), "a=1,b=2"),
        (
            json!({"app.kubernetes.io/name": "web", "app": ""}),
            "app=,app.kubernetes.io/name=web",
        ),
    ];
    for (labels, expected) in cases {
        assert_eq!(format_labels(labels.as_object().expect("map")), expected);
    }
}

#[test]
fn go_sprint_of_cells() {
    let cases = [
        (json!(null), "<nil>"),
        (json!(true), "true"),
        (json!(12), "12"),
        (json!(1.5), "1.5"),
        (json!(3.0), "3"),
        (json!(123456789.5), "1.234567895e+08"),
        (json!("s"), "s"),
        (json!([1, "a", null, [2]]), "[1 a <nil> [2]]"),
        (json!({"b": 1, "a": "x", "c": null}), "map[a:x b:1 c:<nil>]"),
    ];
    for (v, expected) in cases {
        assert_eq!(go_sprint(&v), expected, "{v}");
    }
}
