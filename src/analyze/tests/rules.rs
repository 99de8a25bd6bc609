//! Table tests for VirtualService rule reachability (IST0130, IST0131).

use super::super::rules;
use super::{run_table, Case};

const CASES: &[Case] = &[
    (
        "distinct matches",
        "kind: VirtualService\nmetadata: {name: ok}\nspec:\n  hosts: [a]\n  http:\n  - match: [{uri: {exact: /a}}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {exact: /b}}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}}]\n",
        &[],
    ),
    (
        "one duplicated match in a named rule",
        "kind: VirtualService\nmetadata: {name: dup}\nspec:\n  hosts: [a]\n  http:\n  - match: [{uri: {exact: /a}}]\n    route: [{destination: {host: a}}]\n  - name: second\n    match: [{name: m, uri: {exact: /a}}, {uri: {exact: /b}}]\n    route: [{destination: {host: a}}]\n",
        &[
            "Info [IST0131] (VirtualService default/dup) VirtualService rule \"second\" match \"m\" is not used (duplicate/overlapping match in rule #0).",
        ],
    ),
    (
        "every match duplicated",
        "kind: VirtualService\nmetadata: {name: dup}\nspec:\n  hosts: [a]\n  http:\n  - name: first\n    match: [{uri: {exact: /a}}, {uri: {exact: /b}}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {exact: /b}}, {uri: {exact: /a}}]\n    route: [{destination: {host: a}}]\n",
        &[
            "Warning [IST0130] (VirtualService default/dup) VirtualService rule #1 not used (all matches used by prior rules).",
            "Info [IST0131] (VirtualService default/dup) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule \"first\").",
            "Info [IST0131] (VirtualService default/dup) VirtualService rule #1 match #1 is not used (duplicate/overlapping match in rule \"first\").",
        ],
    ),
    (
        "rules after a catch-all",
        "kind: VirtualService\nmetadata: {name: catch}\nspec:\n  hosts: [a]\n  http:\n  - route: [{destination: {host: a}}]\n  - name: again\n    route: [{destination: {host: a}}]\n  - match: [{uri: {prefix: /x}}, {uri: {prefix: /y}}]\n    route: [{destination: {host: a}}]\n",
        &[
            "Warning [IST0130] (VirtualService default/catch) VirtualService rule \"again\" not used (only the last rule can have no matches).",
            "Warning [IST0130] (VirtualService default/catch) VirtualService rule #2 not used (route without matches defined before).",
        ],
    ),
    (
        "equality ignores key order, unset values and match names",
        "kind: VirtualService\nmetadata: {name: eq}\nspec:\n  hosts: [a]\n  http:\n  - match: [{uri: {prefix: /a}, headers: {}, port: 0}]\n    route: [{destination: {host: a}}]\n  - match: [{name: other, ignoreUriCase: false, uri: {prefix: /a}, sourceLabels: {}}]\n    route: [{destination: {host: a}}]\n",
        &[
            "Warning [IST0130] (VirtualService default/eq) VirtualService rule #1 not used (all matches used by prior rules).",
            "Info [IST0131] (VirtualService default/eq) VirtualService rule #1 match \"other\" is not used (duplicate/overlapping match in rule #0).",
        ],
    ),
    (
        "an empty exact match differs from none",
        "kind: VirtualService\nmetadata: {name: ne}\nspec:\n  hosts: [a]\n  http:\n  - match: [{uri: {exact: ''}}]\n    route: [{destination: {host: a}}]\n  - match: [{}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {}}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {exact: /a}, port: 80}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {exact: /a}, port: 81}]\n    route: [{destination: {host: a}}]\n",
        &[],
    ),
    (
        "a shorter prefix earlier covers a longer one",
        "kind: VirtualService\nmetadata: {name: non-method-get}\nspec:\n  hosts: [a]\n  http:\n  - name: send product\n    match:\n    - uri: {prefix: /api/v1/product}\n    - uri: {prefix: /api/v1/products}\n      method: {exact: GET}\n    route: [{destination: {host: a}}]\n  - name: later\n    match:\n    - uri: {prefix: /api/v1/productsX}\n      authority: {exact: a.com}\n    route: [{destination: {host: a}}]\n",
        &[
            "Info [IST0131] (VirtualService default/non-method-get) VirtualService rule \"send product\" match #1 of prefix /api/v1/products is not used (duplicate/overlapping match in rule #0 of prefix /api/v1/product on \"send product\").",
        ],
    ),
    (
        "overlap needs equal method, port, header and authority coverage",
        "kind: VirtualService\nmetadata: {name: no-overlap}\nspec:\n  hosts: [a]\n  http:\n  - match: [{uri: {prefix: /a}, method: {exact: GET}}]\n    route: [{destination: {host: a}}]\n  - match:\n    - {uri: {prefix: /ab}, method: {exact: POST}}\n    - {uri: {prefix: /ac}, port: 8080}\n    - {uri: {prefix: /ad}, headers: {x: {exact: '1'}}}\n    - {uri: {prefix: /a}, headers: {x: {exact: '1'}}}\n    - {uri: {exact: /ae}}\n    route: [{destination: {host: a}}]\n",
        &[],
    ),
    (
        "a later match without authority counts as covered",
        "kind: VirtualService\nmetadata: {name: auth}\nspec:\n  hosts: [a]\n  http:\n  - match:\n    - uri: {prefix: /a}\n      authority: {prefix: a.com}\n      headers: {x: {exact: abc}}\n    route: [{destination: {host: a}}]\n  - match:\n    - uri: {prefix: /ab}\n      headers: {x: {exact: ab}}\n    route: [{destination: {host: a}}]\n",
        &[
            "Info [IST0131] (VirtualService default/auth) VirtualService rule #1 match #0 of prefix /ab is not used (duplicate/overlapping match in rule #0 of prefix /a on #0).",
        ],
    ),
    (
        "tcp and tls rules",
        "kind: VirtualService\nmetadata: {name: l4}\nspec:\n  hosts: [a.com]\n  tcp:\n  - match: [{port: 80}]\n    route: [{destination: {host: a}}]\n  - match: [{port: 80}]\n    route: [{destination: {host: a}}]\n  tls:\n  - match: [{sniHosts: [a.com]}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}}]\n",
        &[
            "Warning [IST0130] (VirtualService default/l4) VirtualService rule #1 not used (all matches used by prior rules).",
            "Warning [IST0130] (VirtualService default/l4) VirtualService rule #2 not used (only the last rule can have no matches).",
            "Info [IST0131] (VirtualService default/l4) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0).",
        ],
    ),
];

#[test]
fn reachability_table() {
    run_table(rules::reachability, CASES);
}
