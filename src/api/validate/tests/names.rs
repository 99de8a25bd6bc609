//! The public name rules.

use crate::api::validate::{dns1035_label, dns1123_label, dns1123_subdomain};

const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

#[test]
fn name_rules() {
    let long_label = "a".repeat(64);
    let long_name = "a".repeat(254);
    type Rule = fn(&str) -> Vec<String>;
    let cases: Vec<(&str, Rule, Vec<&str>)> = vec![
        ("example.com", dns1123_subdomain, vec![]),
        ("a-b.c-d.1", dns1123_subdomain, vec![]),
        ("Foo", dns1123_subdomain, vec![SUBDOMAIN]),
        ("a..b", dns1123_subdomain, vec![SUBDOMAIN]),
        ("-a", dns1123_subdomain, vec![SUBDOMAIN]),
        ("", dns1123_subdomain, vec![SUBDOMAIN]),
        (
            &long_name,
            dns1123_subdomain,
            vec!["must be no more than 253 characters"],
        ),
        ("my-name", dns1123_label, vec![]),
        ("123-abc", dns1123_label, vec![]),
        ("a.b", dns1123_label, vec!["must not contain dots"]),
        ("a_b", dns1123_label, vec![LABEL]),
        ("a-", dns1123_label, vec![LABEL]),
        (
            &long_label,
            dns1123_label,
            vec!["must be no more than 63 characters"],
        ),
        ("my-name", dns1035_label, vec![]),
        ("1abc", dns1035_label, vec![DNS1035]),
        ("abc-", dns1035_label, vec![DNS1035]),
        ("a.b", dns1035_label, vec![DNS1035]),
    ];
    for (name, rule, want) in cases {
        assert_eq!(rule(name), want, "{name:?}");
    }
}
