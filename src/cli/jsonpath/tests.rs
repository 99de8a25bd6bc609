//! Tests of JSONPath parsing and rendering.
//!
//! Expectations were recorded from `kubectl -o jsonpath` (1.31) or come from
//! the examples of kubectl's JSONPath reference page.

use serde_json::{json, Value};

use super::*;

/// Every template recorded with kubectl against one Pod: output, parse error
/// or execution error, with the exact message.
#[test]
fn templates_match_kubectl() {
    let golden: Value =
        serde_json::from_str(include_str!("testdata/kubectl.json")).expect("golden file");
    let object = &golden["object"];
    let cases = golden["cases"].as_array().expect("cases");
    assert!(cases.len() >= 100);
    for case in cases {
        let template = case["template"].as_str().expect("template");
        let parsed = parse(template);
        if let Some(message) = case["parse_error"].as_str() {
            let err = parsed.expect_err(template);
            assert_eq!(err.to_string(), message, "parse error of {template}");
            continue;
        }
        let rendered = parsed
            .unwrap_or_else(|e| panic!("{template}: {e}"))
            .render(object);
        match (case["output"].as_str(), case["error"].as_str()) {
            (Some(output), _) => {
                assert_eq!(rendered.as_deref(), Ok(output), "output of {template}")
            }
            (None, Some(message)) => {
                assert_eq!(
                    rendered.expect_err(template).to_string(),
                    message,
                    "error of {template}"
                )
            }
            _ => panic!("case without expectation: {template}"),
        }
    }
}

fn reference_document() -> Value {
    json!({
        "kind": "List",
        "items": [
            {
                "kind": "None",
                "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
                "status": {
                    "capacity": {"cpu": "4"},
                    "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]
                }
            },
            {
                "kind": "None",
                "metadata": {"name": "127.0.0.2"},
                "status": {
                    "capacity": {"cpu": "8"},
                    "addresses": [
                        {"type": "LegacyHostIP", "address": "127.0.0.2"},
                        {"type": "another", "address": "127.0.0.3"}
                    ]
                }
            }
        ],
        "users": [
            {"name": "myself", "user": {}},
            {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
        ]
    })
}

/// The examples of kubectl's JSONPath reference page.
#[test]
fn reference_page_examples() {
    let doc = reference_document();
    let cases = [
        ("{.kind}", "List"),
        ("{['kind']}", "List"),
        ("{.items[0].metadata.name}", "127.0.0.1"),
        ("{$.kind}", "List"),
        ("{@.kind}", "List"),
        ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
        ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
        ("{.users[0].name}", "myself"),
        ("{.users[*].name}", "myself e2e"),
        ("{.users[?(@.name==\"e2e\")].user.password}", "secret"),
        ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"),
        ("{.items[*]['metadata.name', 'status.capacity']}", "127.0.0.1 127.0.0.2 {\"cpu\":\"4\"} {\"cpu\":\"8\"}"),
        ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}", "[127.0.0.1, {\"cpu\":\"4\"}] [127.0.0.2, {\"cpu\":\"8\"}] "),
        ("{.items[-1:].metadata.name}", "127.0.0.2"),
        ("{.items[0:1].metadata.name}", "127.0.0.1"),
        ("{range .items[*]}{.metadata.name}{\"\\t\"}{end}", "127.0.0.1\t127.0.0.2\t"),
        ("{.items[*].status.addresses[?(@.type==\"LegacyHostIP\")].address}", "127.0.0.1 127.0.0.2"),
        ("{.items[0].metadata.labels}", "{\"kubernetes.io/hostname\":\"127.0.0.1\"}"),
        ("{.users[1].user}", "{\"password\":\"secret\",\"username\":\"admin\"}"),
        (
            "{range .items[*]}{.metadata.name}:{range .status.addresses[*]} {.address}{end}{\"\\n\"}{end}",
            "127.0.0.1: 127.0.0.1\n127.0.0.2: 127.0.0.2 127.0.0.3\n",
        ),
    ];
    for (template, expected) in cases {
        let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.render(&doc).as_deref(), Ok(expected), "{template}");
    }
}

#[test]
fn pod_container_names() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx"}, {"name": "istio-proxy", "image": "proxyv2"}]}
    });
    let t = parse("{.spec.containers[*].name}").expect("parses");
    assert_eq!(t.render(&pod).as_deref(), Ok("nginx istio-proxy"));
}

#[test]
fn missing_keys() {
    let data = json!({"a": {"b": 1}, "list": [{"x": 1}, {"y": 2}]});
    let lenient = [
        ("{.nope}", ""),
        ("x{.a.nope}y", "xy"),
        ("{.list[*].x}", "1"),
        ("{.a.b.c}", ""),
    ];
    for (template, expected) in lenient {
        let t = parse(template).expect("parses");
        assert_eq!(t.render(&data).as_deref(), Ok(expected), "{template}");
    }
    let strict = [
        ("{.nope}", "nope is not found"),
        ("{.a.b.c}", "c is not found"),
    ];
    for (template, message) in strict {
        let t = parse(template).expect("parses").allow_missing_keys(false);
        assert_eq!(
            t.render(&data).map_err(|e| e.to_string()),
            Err(message.to_string()),
            "{template}"
        );
    }
    // Present in some elements only: no error even when strict.
    let t = parse("{.list[*].x}")
        .expect("parses")
        .allow_missing_keys(false);
    assert_eq!(t.render(&data).as_deref(), Ok("1"));
}

#[test]
fn literals_and_escapes() {
    let cases = [
        ("{\"\\t\"}", "\t"),
        ("{'\\n'}", "\n"),
        ("{\"\\u00e9\\U0001F600\"}", "é😀"),
        ("{\"\\101\\x42\"}", "AB"),
        ("{'it\\'s'}", "it's"),
        ("{\"a\\\"b\"}", "a\"b"),
        ("{\"{}\"}", "{}"),
        ("{1}{-2}{+3}{1.5}{true}{false}", "1-231.5truefalse"),
        ("no braces at all", "no braces at all"),
        ("", ""),
    ];
    for (template, expected) in cases {
        let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.render(&json!({})).as_deref(), Ok(expected), "{template}");
    }
}

#[test]
fn parse_errors() {
    let cases = [
        ("{", Error::UnclosedAction),
        ("{.a\n}", Error::UnclosedAction),
        (
            "{'x'}{%}",
            Error::UnrecognizedCharacter("U+0025 '%'".into()),
        ),
        ("{\u{1}}", Error::UnrecognizedCharacter("U+0001".into())),
        ("{.a[0}", Error::UnterminatedArray),
        ("{.a[?(@.b==1}", Error::UnterminatedFilter),
        ("{.a[?(@.b==1)x}", Error::UnclosedFilter),
        ("{\"abc}", Error::UnterminatedQuote),
        ("{\"\\z\"}", Error::BadQuotedString("\"\\z\"".into())),
        ("{'\\\"'}", Error::BadQuotedString("'\\\"'".into())),
        ("{.a[1:2:3:4]}", Error::InvalidArrayIndex("1:2:3:4".into())),
        ("{.a[1:2:]}", Error::IndexNotNumber(String::new())),
        ("{1.2.3}", Error::BadNumber("1.2.3".into())),
        ("{-}", Error::BadNumber("-".into())),
        ("{.a....b}", Error::MultipleRecursiveDescent),
    ];
    for (template, expected) in cases {
        assert_eq!(parse(template), Err(expected), "{template:?}");
    }
}

#[test]
fn execution_errors() {
    let data = json!({"list": [1, 2], "map": {"k": "v"}, "s": "str", "f": 1.5, "n": null, "items": [{"v": 1}, {"v": 2.5}, {"v": true}, {"v": [1]}], "pairs": [{"a": {"k": 1}, "b": {"k": 2}}]});
    let cases = [
        (
            "{.list[2]}",
            Error::IndexOutOfBounds {
                index: 2,
                length: 2,
            },
        ),
        (
            "{.list[0:3]}",
            Error::IndexOutOfBounds {
                index: 2,
                length: 2,
            },
        ),
        ("{.list[1:0]}", Error::StartAfterEnd { start: 1, end: 0 }),
        ("{.list[0:2:-1]}", Error::StepNotPositive),
        (
            "{.map[0]}",
            Error::NotArray("map[string]interface {}".into()),
        ),
        ("{.f[0]}", Error::NotArray("float64".into())),
        ("{.map[?(@.k)]}", Error::NotFilterable("map[k:v]".into())),
        ("{.n[?(@.k)]}", Error::NotFilterable("<nil>".into())),
        ("{.items[?(@.v==1.5)]}", Error::IncompatibleTypes),
        ("{.items[?(@.v<true)]}", Error::IncompatibleTypes),
        (
            "{.items[?(@.v=<1)]}",
            Error::UnrecognizedOperator("=<".into()),
        ),
        ("{.pairs[?(@..k==1)]}", Error::CompareOneAtATime),
        (
            "{range .list[*]}{word}{end}",
            Error::UnrecognizedIdentifier("word".into()),
        ),
        ("{end}", Error::NotInRange),
    ];
    for (template, expected) in cases {
        let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.render(&data), Err(expected), "{template}");
    }
}

#[test]
fn filters_compare_like_go() {
    let data = json!({"items": [
        {"n": "a", "i": 1, "f": 0.5, "b": true, "s": "x"},
        {"n": "b", "i": 5, "f": 2.5, "b": false, "s": "y"},
        {"n": "c", "i": 10, "f": 9.0, "s": "z", "nil": null}
    ]});
    let cases = [
        ("{.items[?(@.i>1)].n}", "b c"),
        ("{.items[?(@.i>=5)].n}", "b c"),
        ("{.items[?(@.i<5)].n}", "a"),
        ("{.items[?(@.i<=5)].n}", "a b"),
        ("{.items[?(@.i!=5)].n}", "a c"),
        ("{.items[?(@.f>1.0)].n}", "b c"),
        ("{.items[?(@.s>\"x\")].n}", "b c"),
        ("{.items[?(@.b==false)].n}", "b"),
        ("{.items[?(@.b)].n}", "a b"),
        ("{.items[?(@.nil)].n}", "c"),
        ("{.items[?(@.s=='z')].n}", "c"),
        ("{.items[?(@.n==@.n)].n}", "a b c"),
        ("{.items[?(@.missing==1)].n}", ""),
    ];
    for (template, expected) in cases {
        let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.render(&data).as_deref(), Ok(expected), "{template}");
    }
}

#[test]
fn slices_and_unions() {
    let data = json!({"l": [0, 1, 2, 3, 4, 5]});
    let cases = [
        ("{.l[0]}", "0"),
        ("{.l[-1]}", "5"),
        ("{.l[1:3]}", "1 2"),
        ("{.l[:2]}", "0 1"),
        ("{.l[4:]}", "4 5"),
        ("{.l[-2:]}", "4 5"),
        ("{.l[::2]}", "0 2 4"),
        ("{.l[1:6:3]}", "1 4"),
        ("{.l[*]}", "0 1 2 3 4 5"),
        ("{.l[2:2]}", ""),
        ("{.l[0,5,1]}", "0 5 1"),
        ("{.l}", "[0,1,2,3,4,5]"),
        ("{range .l[1:3]}<{@}>{end}", "<1><2>"),
    ];
    for (template, expected) in cases {
        let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.render(&data).as_deref(), Ok(expected), "{template}");
    }
}

#[test]
fn wildcards_and_recursion_are_ordered() {
    // Go visits map keys in random order; keys are sorted here.
    let data = json!({"m": {"b": 2, "a": 1, "c": {"x": 3}}, "s": "hi"});
    let cases = [
        ("{.m.*}", "1 2 {\"x\":3}"),
        ("{.s.*}", "104 105"),
        ("{..x}", "3"),
        ("{.m..}", "{\"a\":1,\"b\":2,\"c\":{\"x\":3}} {\"x\":3}"),
    ];
    for (template, expected) in cases {
        let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.render(&data).as_deref(), Ok(expected), "{template}");
    }
}

#[test]
fn json_output_mode() {
    let data = json!({"items": [{"name": "a"}, {"name": "b"}]});
    let t = parse("{.items[*].name}{.none}").expect("parses");
    assert_eq!(
        t.render_json(&data).as_deref(),
        Ok("[\n    \"a\",\n    \"b\"\n]\n[]\n")
    );
}

#[test]
fn relaxed_paths() {
    let cases = [
        ("", Ok(String::new())),
        ("metadata.name", Ok("{.metadata.name}".to_string())),
        (".metadata.name", Ok("{.metadata.name}".to_string())),
        ("{metadata.name}", Ok("{.metadata.name}".to_string())),
        ("{.metadata.name}", Ok("{.metadata.name}".to_string())),
        ("{.}", Ok("{..}".to_string())),
        ("{.a}{.b}", Err(Error::UnexpectedPathString)),
        ("{a", Err(Error::UnexpectedPathString)),
    ];
    for (path, expected) in cases {
        assert_eq!(relaxed_expression(path), expected, "{path}");
    }
}
