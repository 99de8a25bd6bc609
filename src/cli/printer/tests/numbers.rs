//! Go number formatting: `%v`, `encoding/json` and the YAML round trip.

use serde_json::{json, Value};

use super::super::{go_sprint, to_json_compact, to_yaml};
use crate::api::gojson::number::{float_g, float_json};

#[test]
fn float_formats() {
    // (value, %v and FormatFloat 'g', encoding/json)
    let cases = [
        (0.0, "0", "0"),
        (-0.0, "-0", "-0"),
        (1.0, "1", "1"),
        (1.5, "1.5", "1.5"),
        (-0.25, "-0.25", "-0.25"),
        (0.1, "0.1", "0.1"),
        (100000.5, "100000.5", "100000.5"),
        (123456.789, "123456.789", "123456.789"),
        (1e6, "1e+06", "1000000"),
        (1234567.0, "1.234567e+06", "1234567"),
        (123456789.5, "1.234567895e+08", "123456789.5"),
        (1e20, "1e+20", "100000000000000000000"),
        (1e21, "1e+21", "1e+21"),
        (1.5e300, "1.5e+300", "1.5e+300"),
        (0.0001, "0.0001", "0.0001"),
        (0.00001, "1e-05", "0.00001"),
        (0.000001, "1e-06", "0.000001"),
        (1e-7, "1e-07", "1e-7"),
        (2.5e-10, "2.5e-10", "2.5e-10"),
        (
            1.2345678901234567e19,
            "1.2345678901234567e+19",
            "12345678901234567000",
        ),
    ];
    for (f, g, j) in cases {
        assert_eq!(float_g(f), g, "%v of {f:e}");
        assert_eq!(float_json(f), j, "json of {f:e}");
    }
}

#[test]
fn numbers_in_each_output() {
    // (JSON number, fmt.Sprint, json.Marshal, YAML)
    let cases: [(Value, &str, &str, &str); 9] = [
        (json!(0), "0", "0", "0"),
        (json!(-5), "-5", "-5", "-5"),
        (
            json!(i64::MAX),
            "9223372036854775807",
            "9223372036854775807",
            "9223372036854775807",
        ),
        // Beyond int64, kubectl holds a float64.
        (
            json!(12345678901234567890u64),
            "1.2345678901234567e+19",
            "12345678901234567000",
            "12345678901234567000",
        ),
        (json!(3.0), "3", "3", "3"),
        (json!(-0.0), "-0", "-0", "0"),
        (json!(1.5), "1.5", "1.5", "1.5"),
        (json!(1e21), "1e+21", "1e+21", "1e+21"),
        (json!(1e-6), "1e-06", "0.000001", "1e-06"),
    ];
    for (v, sprint, json_text, yaml) in cases {
        assert_eq!(go_sprint(&v), sprint, "sprint {v}");
        assert_eq!(to_json_compact(&v), json_text, "json {v}");
        assert_eq!(
            to_yaml(&json!({ "v": v })),
            format!("v: {yaml}\n"),
            "yaml {v}"
        );
    }
}
