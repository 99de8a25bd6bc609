//! YAML and JSON output compared with kubectl's.

use serde_json::{json, Value};

use super::super::{as_list, to_json, to_json_compact, to_yaml};

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("test data is JSON")
}

/// Realistic objects and an edge-case ConfigMap, with the YAML and JSON that
/// kubectl printed for them.
#[test]
fn objects_match_kubectl() {
    let cases = [
        (
            "pod",
            include_str!("../testdata/pod.json"),
            include_str!("../testdata/pod.yaml"),
            include_str!("../testdata/pod.out.json"),
        ),
        (
            "service",
            include_str!("../testdata/svc.json"),
            include_str!("../testdata/svc.yaml"),
            include_str!("../testdata/svc.out.json"),
        ),
        (
            "virtualservice",
            include_str!("../testdata/vs.json"),
            include_str!("../testdata/vs.yaml"),
            include_str!("../testdata/vs.out.json"),
        ),
        (
            "edge cases",
            include_str!("../testdata/edge.json"),
            include_str!("../testdata/edge.yaml"),
            include_str!("../testdata/edge.out.json"),
        ),
    ];
    for (name, input, yaml, json_text) in cases {
        let v = parse(input);
        assert_eq!(to_yaml(&v), yaml, "yaml of {name}");
        assert_eq!(to_json(&v), json_text, "json of {name}");
    }
}

/// `kubectl get pods -o yaml|json` on a listing prints a `List`.
#[test]
fn lists_match_kubectl() {
    let mut items = Vec::new();
    for text in [
        include_str!("../testdata/pod.json"),
        include_str!("../testdata/svc.json"),
    ] {
        items.push(parse(text));
    }
    let list = as_list(items);
    assert_eq!(to_yaml(&list), include_str!("../testdata/list.yaml"));
    assert_eq!(to_json(&list), include_str!("../testdata/list.out.json"));
    assert_eq!(
        to_yaml(&as_list(Vec::new())),
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
    );
}

/// How kubectl writes single-line strings as map values.
#[test]
fn string_quoting() {
    let cases: &[(&str, &str)] = &[
        ("plain", "plain"),
        ("", "\"\""),
        (" ", "' '"),
        ("yes", "\"yes\""),
        ("Yes", "\"Yes\""),
        ("no", "\"no\""),
        ("on", "\"on\""),
        ("off", "\"off\""),
        ("y", "\"y\""),
        ("n", "\"n\""),
        ("true", "\"true\""),
        ("True", "\"True\""),
        ("false", "\"false\""),
        ("null", "\"null\""),
        ("Null", "\"Null\""),
        ("~", "\"~\""),
        ("8080", "\"8080\""),
        ("-1", "\"-1\""),
        ("+1", "\"+1\""),
        ("1.5", "\"1.5\""),
        ("1e3", "\"1e3\""),
        (".5", "\".5\""),
        ("1.", "\"1.\""),
        (".", "."),
        ("0x1F", "\"0x1F\""),
        ("0o17", "\"0o17\""),
        ("017", "\"017\""),
        ("08", "\"08\""),
        ("1_000", "\"1_000\""),
        ("1__0", "\"1__0\""),
        ("_1", "_1"),
        ("1:20", "\"1:20\""),
        ("12:30:45", "\"12:30:45\""),
        ("1:60", "1:60"),
        ("2024-01-02", "\"2024-01-02\""),
        ("2024-1-2", "\"2024-1-2\""),
        ("2024-01-02T03:04:05Z", "\"2024-01-02T03:04:05Z\""),
        (
            "2024-01-02T03:04:05.123456789+02:00",
            "\"2024-01-02T03:04:05.123456789+02:00\"",
        ),
        ("2024-01-02 10:00:00", "\"2024-01-02 10:00:00\""),
        ("2024-02-30", "2024-02-30"),
        ("2024-02-29", "\"2024-02-29\""),
        ("2023-02-29", "2023-02-29"),
        ("2024-01-02T10:00:00", "2024-01-02T10:00:00"),
        ("2024-01-02T25:00:00Z", "2024-01-02T25:00:00Z"),
        ("2024-01-02T10:00:00+25:00", "2024-01-02T10:00:00+25:00"),
        ("a: b", "'a: b'"),
        ("a:b", "a:b"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("#x", "'#x'"),
        ("- x", "'- x'"),
        ("-x", "-x"),
        ("-", "'-'"),
        ("? x", "'? x'"),
        ("?x", "?x"),
        ("*x", "'*x'"),
        ("&x", "'&x'"),
        ("!x", "'!x'"),
        ("%x", "'%x'"),
        ("@x", "'@x'"),
        ("`x", "'`x'"),
        ("|x", "'|x'"),
        (">x", "'>x'"),
        ("'x", "'''x'"),
        ("\"x", "'\"x'"),
        ("[x", "'[x'"),
        ("{x", "'{x'"),
        (",x", "',x'"),
        ("---", "'---'"),
        ("...", "'...'"),
        ("...x", "'...x'"),
        ("a ", "'a '"),
        (" a", "' a'"),
        ("a  b", "a  b"),
        ("it's", "it's"),
        ("say \"hi\"", "say \"hi\""),
        ("café", "café"),
        ("hi 😀", "\"hi \\U0001F600\""),
        ("a\tb", "\"a\\tb\""),
        ("1e400", "1e400"),
        ("0x", "0x"),
        ("0b101", "\"0b101\""),
        ("9223372036854775808", "\"9223372036854775808\""),
        ("18446744073709551616", "\"18446744073709551616\""),
        ("0xFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFF"),
        (".inf", "\".inf\""),
        ("-.5", "\"-.5\""),
        (".1_9", "\".1_9\""),
        ("._1", "._1"),
        ("<<", "<<"),
        ("=", "="),
        ("nil", "nil"),
        ("1,000", "1,000"),
        ("app.kubernetes.io/name", "app.kubernetes.io/name"),
        (
            "http://example.com:8080/path?q=1#frag",
            "http://example.com:8080/path?q=1#frag",
        ),
        ("10.0.0.1", "10.0.0.1"),
        ("10.0.0.1:80", "10.0.0.1:80"),
        ("v1.2.3", "v1.2.3"),
        ("1.2.3", "1.2.3"),
        ("sha256:abc", "sha256:abc"),
        ("\\backslash", "\\backslash"),
        ("a,b", "a,b"),
        ("a]b", "a]b"),
    ];
    for (value, expected) in cases {
        let got = to_yaml(&json!({ "k": value }));
        assert_eq!(got, format!("k: {expected}\n"), "value {value:?}");
    }
}

#[test]
fn keys_are_quoted_like_values() {
    let cases = [
        ("y", "\"y\": 1\n"),
        ("n", "\"n\": 1\n"),
        ("on", "\"on\": 1\n"),
        ("", "\"\": 1\n"),
        ("8080", "\"8080\": 1\n"),
        ("- x", "'- x': 1\n"),
        ("a b", "a b: 1\n"),
        ("kubernetes.io/name", "kubernetes.io/name: 1\n"),
        // Keys longer than 128 bytes and multi-line keys use the explicit form.
        ("a\nb", "? |-\n  a\n  b\n: 1\n"),
    ];
    for (key, expected) in cases {
        let mut map = serde_json::Map::new();
        map.insert(key.to_string(), json!(1));
        assert_eq!(to_yaml(&Value::Object(map)), expected, "key {key:?}");
    }
    let long = "k".repeat(129);
    let mut map = serde_json::Map::new();
    map.insert(long.clone(), json!("v"));
    assert_eq!(to_yaml(&Value::Object(map)), format!("? {long}\n: v\n"));
}

#[test]
fn key_order() {
    // go-yaml's natural order: digit runs by value, non-letters before letters.
    let keys = [
        "b", "a10", "a9", "a-b", "a_b", "aB", "A_", "", "a1-", "a1b", "a01", "a1", "x.y", "x/y",
    ];
    let mut map = serde_json::Map::new();
    for k in keys {
        map.insert(k.to_string(), json!(0));
    }
    let yaml = to_yaml(&Value::Object(map));
    let order: Vec<&str> = yaml
        .lines()
        .map(|l| l.rsplit_once(": ").map_or(l, |(k, _)| k))
        .collect();
    assert_eq!(
        order,
        [
            "\"\"", "A_", "a-b", "a_b", "a1", "a1-", "a1b", "a01", "a9", "a10", "aB", "b", "x.y",
            "x/y"
        ]
    );
}

#[test]
fn multi_line_strings() {
    let cases = [
        ("a\nb", "k: |-\n  a\n  b\n"),
        ("a\nb\n", "k: |\n  a\n  b\n"),
        ("a\nb\n\n", "k: |+\n  a\n  b\n\n"),
        ("\na", "k: |2-\n\n  a\n"),
        (" a\nb", "k: |2-\n   a\n  b\n"),
        // A space before a line break, a tab or CR rule out the block form.
        ("a \nb", "k: \"a \\nb\"\n"),
        ("a\n\tb", "k: \"a\\n\\tb\"\n"),
        ("a\r\nb", "k: \"a\\r\\nb\"\n"),
    ];
    for (value, expected) in cases {
        assert_eq!(to_yaml(&json!({ "k": value })), expected, "value {value:?}");
    }
}

#[test]
fn nested_layout() {
    let v = json!({
        "list": ["x\ny", {"k": "a\nb"}, [], {}, [["a", "b"], []], null, true, 3, 2.5],
        "empty": {}, "none": [],
        "m": {"inner": [{"a": 1, "b": [1, 2]}]}
    });
    let expected = "empty: {}\n\
list:\n\
- |-\n  x\n  y\n\
- k: |-\n    a\n    b\n\
- []\n\
- {}\n\
- - - a\n    - b\n  - []\n\
- null\n\
- true\n\
- 3\n\
- 2.5\n\
m:\n  inner:\n  - a: 1\n    b:\n    - 1\n    - 2\n\
none: []\n";
    assert_eq!(to_yaml(&v), expected);
    assert_eq!(to_yaml(&json!([1, "a"])), "- 1\n- a\n");
    assert_eq!(to_yaml(&json!({})), "{}\n");
    assert_eq!(to_yaml(&json!([])), "[]\n");
}

/// Folding after column 80 and escapes in double quotes, as kubectl printed
/// them for these values under `data:`.
#[test]
fn folding_and_escapes() {
    let words =
        "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq";
    let v = json!({"data": {
        "a": words,
        "b": format!("*{words}"),
        "c": format!("\t{words}"),
        "d": "a\u{2028}\nb",
        "e": "\u{feff}x é",
        "f": "a\u{0}b",
        "g": "\u{1b}[0m",
        "h": "hi 😀",
        "i": format!("{words} {words} {words}"),
        "j": format!("x{}", "  y".repeat(40)),
    }});
    let lines = [
        "data:".to_string(),
        "  a: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp"
            .into(),
        "    qqqq".into(),
        "  b: '*aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo".into(),
        "    pppp qqqq'".into(),
        "  c: \"\\taaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo"
            .into(),
        "    pppp qqqq\"".into(),
        "  d: |-".into(),
        "    a\u{2028}".into(),
        "    b".into(),
        "  e: \"\\uFEFF\\x78\\x20\\xE9\"".into(),
        "  f: \"a\\0b\"".into(),
        "  g: \"\\e[0m\"".into(),
        "  h: \"hi \\U0001F600\"".into(),
        "  i: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp"
            .into(),
        "    qqqq aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo"
            .into(),
        "    pppp qqqq aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn"
            .into(),
        "    oooo pppp qqqq".into(),
        format!("  j: x{}", "  y".repeat(40)),
    ];
    let expected = lines.join("\n") + "\n";
    assert_eq!(to_yaml(&v), expected);
    // Keys never fold.
    assert_eq!(to_yaml(&json!({ words: 1 })), format!("{words}: 1\n"));
}

/// Characters kubectl cannot read from a file, checked against go-yaml's rules.
#[test]
fn escapes_of_unreadable_characters() {
    let cases = [
        ("a\u{7f}b", "\"a\\x7Fb\""),
        ("a\u{85}b", "\"a\\Nb\""),
        ("a\u{2029}", "'a\u{2029}'"),
        ("\u{1}", "\"\\x01\""),
    ];
    for (value, expected) in cases {
        assert_eq!(
            to_yaml(&json!({ "k": value })),
            format!("k: {expected}\n"),
            "value {value:?}"
        );
    }
}

#[test]
fn json_escaping_and_order() {
    let v = json!({"h": "<a href=\"x\">&amp;</a>", "bf": "\u{8}\u{c}\t\u{1}", "ls": "a\u{2028}b", "e": "é😀", "B": 1, "a": [1, 2.5, {"z": 1, "y": []}, {}], "n": null, "sl": "a/b"});
    assert_eq!(
        to_json_compact(&v),
        r#"{"B":1,"a":[1,2.5,{"y":[],"z":1},{}],"bf":"\b\f\t\u0001","e":"é😀","h":"\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e","ls":"a\u2028b","n":null,"sl":"a/b"}"#
    );
    assert_eq!(
        to_json(&json!({"b": {}, "a": [1]})),
        "{\n    \"a\": [\n        1\n    ],\n    \"b\": {}\n}\n"
    );
    assert_eq!(to_json(&json!("x")), "\"x\"\n");
}
