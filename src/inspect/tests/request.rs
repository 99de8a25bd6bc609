//! Building a traced request from `METHOD URL -H ...`.

use super::super::*;

#[test]
fn parses_curl_like_requests() {
    struct Case {
        method: &'static str,
        url: &'static str,
        headers: &'static [&'static str],
        want: (&'static str, &'static str, &'static str, u16),
        want_headers: &'static [(&'static str, &'static str)],
    }
    let cases = [
        Case {
            method: "GET",
            url: "http://httpbin.example.com/status/200",
            headers: &[],
            want: ("http", "httpbin.example.com", "/status/200", 80),
            want_headers: &[],
        },
        Case {
            method: "POST",
            url: "HTTPS://Secure.example.com:8443",
            headers: &["x-canary: true", "X-Empty;", "x-b:  spaced  "],
            want: ("https", "Secure.example.com:8443", "/", 8443),
            want_headers: &[("x-canary", "true"), ("X-Empty", ""), ("x-b", "spaced")],
        },
        Case {
            method: "GET",
            url: "http://localhost:8080?q=1#frag",
            headers: &["Host: httpbin.example.com"],
            want: ("http", "httpbin.example.com", "/?q=1", 8080),
            want_headers: &[],
        },
        Case {
            method: "GET",
            url: "http://user:pw@[::1]:9000/a/b?c",
            headers: &["a: b: c"],
            want: ("http", "[::1]:9000", "/a/b?c", 9000),
            want_headers: &[("a", "b: c")],
        },
        Case {
            method: "DELETE",
            url: "https://[::1]/x",
            headers: &[],
            want: ("https", "[::1]", "/x", 443),
            want_headers: &[],
        },
    ];
    for case in cases {
        let headers: Vec<String> = case.headers.iter().map(|h| h.to_string()).collect();
        let got = TraceRequest::parse(case.method, case.url, &headers).expect(case.url);
        let (scheme, authority, path, port) = case.want;
        assert_eq!(got.method, case.method, "{}", case.url);
        assert_eq!(
            (
                got.scheme.as_str(),
                got.authority.as_str(),
                got.path.as_str(),
                got.port
            ),
            (scheme, authority, path, port),
            "{}",
            case.url
        );
        let want_headers: Vec<(String, String)> = case
            .want_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got.headers, want_headers, "{}", case.url);
        let view = got.as_request();
        assert_eq!((view.path, view.port, view.gateway), (path, port, None));
    }
}

#[test]
fn rejects_bad_input() {
    let url = |u: &str, reason| InspectError::InvalidUrl {
        url: u.to_string(),
        reason,
    };
    let cases: Vec<(&str, &str, Vec<String>, InspectError)> = vec![
        (
            "GET",
            "httpbin.example.com/",
            vec![],
            url("httpbin.example.com/", "expected http:// or https://"),
        ),
        (
            "GET",
            "ftp://x/",
            vec![],
            url("ftp://x/", "expected http:// or https://"),
        ),
        (
            "GET",
            "http:///path",
            vec![],
            url("http:///path", "missing host"),
        ),
        (
            "GET",
            "http://:80/",
            vec![],
            url("http://:80/", "missing host"),
        ),
        (
            "GET",
            "http://host:99999/",
            vec![],
            url("http://host:99999/", "invalid port"),
        ),
        (
            "GET",
            "http://host:x/",
            vec![],
            url("http://host:x/", "invalid port"),
        ),
        (
            "GET",
            "http://[::1]x/",
            vec![],
            url("http://[::1]x/", "invalid port"),
        ),
        (
            "",
            "http://h/",
            vec![],
            InspectError::InvalidMethod(String::new()),
        ),
        (
            "GE T",
            "http://h/",
            vec![],
            InspectError::InvalidMethod("GE T".into()),
        ),
        (
            "GET",
            "http://h/",
            vec!["no-colon".into()],
            InspectError::InvalidHeader("no-colon".into()),
        ),
        (
            "GET",
            "http://h/",
            vec![": value".into()],
            InspectError::InvalidHeader(": value".into()),
        ),
        (
            "GET",
            "http://h/",
            vec!["bad name: v".into()],
            InspectError::InvalidHeader("bad name: v".into()),
        ),
    ];
    for (method, u, headers, want) in cases {
        assert_eq!(
            TraceRequest::parse(method, u, &headers),
            Err(want),
            "{method} {u} {headers:?}"
        );
    }
    assert_eq!(
        InspectError::InvalidHeader("x".into()).to_string(),
        "invalid header \"x\": expected \"Name: value\""
    );
}
