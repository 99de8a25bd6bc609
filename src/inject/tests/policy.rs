//! Table test of the automatic-injection decision: every namespace label state × every pod setting.

use std::collections::BTreeMap;

use crate::inject::wanted;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const NS_STATES: [(&str, &[(&str, &str)]); 6] = [
    ("none", &[]),
    ("istio-injection=enabled", &[("istio-injection", "enabled")]),
    (
        "istio-injection=disabled",
        &[("istio-injection", "disabled")],
    ),
    ("istio.io/rev=default", &[("istio.io/rev", "default")]),
    (
        "enabled+rev",
        &[("istio-injection", "enabled"), ("istio.io/rev", "default")],
    ),
    (
        "disabled+rev",
        &[("istio-injection", "disabled"), ("istio.io/rev", "default")],
    ),
];

/// (description, pod labels, pod annotations), in the column order of `EXPECTED`.
type PodState = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);
const POD_STATES: [PodState; 8] = [
    ("none", &[], &[]),
    ("label true", &[("sidecar.istio.io/inject", "true")], &[]),
    ("label false", &[("sidecar.istio.io/inject", "false")], &[]),
    (
        "annotation true",
        &[],
        &[("sidecar.istio.io/inject", "true")],
    ),
    (
        "annotation false",
        &[],
        &[("sidecar.istio.io/inject", "false")],
    ),
    (
        "label true + annotation false",
        &[("sidecar.istio.io/inject", "true")],
        &[("sidecar.istio.io/inject", "false")],
    ),
    (
        "label false + annotation true",
        &[("sidecar.istio.io/inject", "false")],
        &[("sidecar.istio.io/inject", "true")],
    ),
    (
        "label istio.io/rev=default",
        &[("istio.io/rev", "default")],
        &[],
    ),
];

/// One row per namespace state, one column per pod state: Y = injected, n = not.
const EXPECTED: [&str; 6] = [
    // none ltrue lfalse atrue afalse lt+af lf+at rev
    "n Y n n n Y n Y", // namespace unlabelled: only pod labels can opt in
    "Y Y n Y n Y n Y", // istio-injection=enabled
    "n n n n n n n n", // istio-injection=disabled
    "Y Y n Y n Y n Y", // istio.io/rev=default
    "Y Y n Y n Y n Y", // enabled + rev: istio-injection wins
    "n n n n n n n n", // disabled + rev: istio-injection wins
];

#[test]
fn namespace_by_pod_table() {
    for ((ns_desc, ns_labels), row) in NS_STATES.iter().zip(EXPECTED) {
        let cells: Vec<&str> = row.split(' ').collect();
        assert_eq!(cells.len(), POD_STATES.len(), "row {ns_desc}");
        for ((pod_desc, labels, annotations), cell) in POD_STATES.iter().zip(cells) {
            let got = wanted(
                "shop",
                &map(ns_labels),
                &map(labels),
                &map(annotations),
                false,
            );
            assert_eq!(got, cell == "Y", "namespace {ns_desc}, pod {pod_desc}");
        }
    }
}

/// (description, namespace, ns labels, pod labels, pod annotations, hostNetwork, expected)
type Case<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
    bool,
    bool,
);

#[test]
fn special_cases() {
    let enabled = [("istio-injection", "enabled")];
    let cases: &[Case] = &[
        (
            "hostNetwork in enabled namespace",
            "shop",
            &enabled,
            &[],
            &[],
            true,
            false,
        ),
        (
            "hostNetwork with label true",
            "shop",
            &[],
            &[("sidecar.istio.io/inject", "true")],
            &[],
            true,
            false,
        ),
        (
            "istio-system even when enabled",
            "istio-system",
            &enabled,
            &[],
            &[],
            false,
            false,
        ),
        (
            "istio-system with pod label true",
            "istio-system",
            &[],
            &[("sidecar.istio.io/inject", "true")],
            &[],
            false,
            false,
        ),
        (
            "kube-system",
            "kube-system",
            &enabled,
            &[],
            &[],
            false,
            false,
        ),
        (
            "kube-public",
            "kube-public",
            &enabled,
            &[],
            &[],
            false,
            false,
        ),
        (
            "kube-node-lease",
            "kube-node-lease",
            &enabled,
            &[],
            &[],
            false,
            false,
        ),
        (
            "default namespace enabled",
            "default",
            &enabled,
            &[],
            &[],
            false,
            true,
        ),
        (
            "other revision on namespace",
            "shop",
            &[("istio.io/rev", "canary")],
            &[],
            &[],
            false,
            false,
        ),
        (
            "other revision on namespace, pod label true",
            "shop",
            &[("istio.io/rev", "canary")],
            &[("sidecar.istio.io/inject", "true")],
            &[],
            false,
            false,
        ),
        (
            "pod label true with other revision",
            "shop",
            &[],
            &[
                ("sidecar.istio.io/inject", "true"),
                ("istio.io/rev", "canary"),
            ],
            &[],
            false,
            false,
        ),
        (
            "pod label true with default revision",
            "shop",
            &[],
            &[
                ("sidecar.istio.io/inject", "true"),
                ("istio.io/rev", "default"),
            ],
            &[],
            false,
            true,
        ),
        (
            "pod rev default but label false",
            "shop",
            &[],
            &[
                ("sidecar.istio.io/inject", "false"),
                ("istio.io/rev", "default"),
            ],
            &[],
            false,
            false,
        ),
        (
            "annotation 'no' opts out",
            "shop",
            &enabled,
            &[],
            &[("sidecar.istio.io/inject", "no")],
            false,
            false,
        ),
        (
            "annotation 'garbage' opts out",
            "shop",
            &enabled,
            &[],
            &[("sidecar.istio.io/inject", "maybe")],
            false,
            false,
        ),
        (
            "label 'False' (not exactly false) passes selector, then opts out",
            "shop",
            &enabled,
            &[("sidecar.istio.io/inject", "False")],
            &[],
            false,
            false,
        ),
        (
            "empty annotation uses policy",
            "shop",
            &enabled,
            &[],
            &[("sidecar.istio.io/inject", "")],
            false,
            true,
        ),
        (
            "empty label overrides annotation false",
            "shop",
            &enabled,
            &[("sidecar.istio.io/inject", "")],
            &[("sidecar.istio.io/inject", "false")],
            false,
            true,
        ),
        (
            "label 'yes' cannot match the object selector",
            "shop",
            &[],
            &[("sidecar.istio.io/inject", "yes")],
            &[],
            false,
            false,
        ),
    ];
    for (desc, ns, ns_labels, labels, annotations, host_network, expected) in cases {
        let got = wanted(
            ns,
            &map(ns_labels),
            &map(labels),
            &map(annotations),
            *host_network,
        );
        assert_eq!(got, *expected, "{desc}");
    }
}
