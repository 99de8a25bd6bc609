//! Tests for httpbin's pure parsers and formatters.

use serde_json::Value;

use super::echo::{canonical_header, parse_body, parse_query};
use super::misc::http_date;
use super::*;

#[test]
fn parse_body_edge_cases() {
    // Multipart without boundary, part without header end, part without name.
    let bad = [
        ("multipart/form-data", "--x\r\n\r\n"),
        ("multipart/form-data; boundary=x", "--x\r\nno header end"),
        (
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--",
        ),
    ];
    for (ctype, body) in bad {
        assert!(
            parse_body(ctype, body.as_bytes()).is_err(),
            "{ctype} {body:?}"
        );
    }
    let empty_json = parse_body("application/json", b"").expect("empty json body");
    assert_eq!(empty_json.json, Value::Null);
    assert_eq!(parse_query("a&b=").get("a"), Some(&vec![String::new()]));
}

#[test]
fn status_spec_parsing_and_weights() {
    type Case<'a> = (&'a str, Option<Vec<(u16, f64)>>);
    let cases: &[Case] = &[
        ("200", Some(vec![(200, 1.0)])),
        ("200:0.5,500:0.5", Some(vec![(200, 0.5), (500, 0.5)])),
        ("201,202:3", Some(vec![(201, 1.0), (202, 3.0)])),
        ("", None),
        ("200,", None),
        ("200:-1", None),
        ("200:inf", None),
        ("1000", None),
    ];
    for (spec, want) in cases {
        assert_eq!(parse_status_spec(spec).ok(), *want, "{spec:?}");
    }
    let choices = [(200, 0.5), (500, 0.5)];
    assert_eq!(pick_status(&choices, 0.0), 200);
    assert_eq!(pick_status(&choices, 0.49), 200);
    assert_eq!(pick_status(&choices, 0.5), 500);
    assert_eq!(pick_status(&choices, 0.999_999), 500);
    assert_eq!(pick_status(&[(200, 0.0), (503, 2.0)], 0.0), 503);
}

#[test]
fn delay_is_parsed_and_capped() {
    let cases: &[(&str, Option<f64>)] = &[
        ("0", Some(0.0)),
        ("1.5", Some(1.5)),
        ("10", Some(10.0)),
        ("11", Some(10.0)),
        ("1e9", Some(10.0)),
        ("-0.1", None),
        ("inf", None),
        ("x", None),
    ];
    for (s, want) in cases {
        assert_eq!(parse_delay(s).ok().map(|d| d.as_secs_f64()), *want, "{s}");
    }
}

#[test]
fn canonical_headers_and_http_dates() {
    let cases = [
        ("x-request-id", "X-Request-Id"),
        ("HOST", "Host"),
        ("a--b", "A--B"),
        ("", ""),
    ];
    for (input, want) in cases {
        assert_eq!(canonical_header(input), want);
    }
    let dates = [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
    ];
    for (secs, want) in dates {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(http_date(t), want);
    }
}
