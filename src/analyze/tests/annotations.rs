//! Table tests for the unknown-annotation analyzer (IST0108).

use super::super::annotations;
use super::{run_table, Case};

const CASES: &[Case] = &[
    (
        "known annotations and foreign prefixes pass",
        "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/inject: 'true'\n    sidecar.istio.io/status: '{}'\n    sidecar.istio.io/proxyCPU: 100m\n    proxy.istio.io/config: '{}'\n    prometheus.io/scrape: 'true'\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\n    meshlite.io/origin: a.yaml:1\n",
        &[],
    ),
    (
        "unknown names under istio.io prefixes",
        "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/injectt: 'true'\n    istio.io/bogus: x\n    policy.istio.io/check: x\n    fooistio.io/x: y\n",
        &[
            "Warning [IST0108] (Pod default/p) Unknown annotation: fooistio.io/x",
            "Warning [IST0108] (Pod default/p) Unknown annotation: istio.io/bogus",
            "Warning [IST0108] (Pod default/p) Unknown annotation: policy.istio.io/check",
            "Warning [IST0108] (Pod default/p) Unknown annotation: sidecar.istio.io/injectt",
        ],
    ),
    (
        "a key without slash is judged as a whole",
        "kind: Service\nmetadata:\n  name: s\n  annotations: {networking.istio.io: x, istio: y}\n",
        &["Warning [IST0108] (Service default/s) Unknown annotation: networking.istio.io"],
    ),
    (
        "checked kinds: Namespace, Service, Pod, Deployment",
        "kind: Namespace\nmetadata:\n  name: team\n  annotations: {x.istio.io/a: '1'}\n---\nkind: Deployment\nmetadata:\n  name: d\n  annotations: {x.istio.io/a: '1'}\nspec:\n  template:\n    metadata:\n      annotations: {x.istio.io/template: '1'}\n---\nkind: Service\nmetadata:\n  name: s\n  namespace: other\n  annotations: {x.istio.io/a: '1'}\n",
        &[
            "Warning [IST0108] (Deployment default/d) Unknown annotation: x.istio.io/a",
            "Warning [IST0108] (Namespace team) Unknown annotation: x.istio.io/a",
            "Warning [IST0108] (Service other/s) Unknown annotation: x.istio.io/a",
        ],
    ),
    (
        "other kinds are not checked",
        "kind: ConfigMap\nmetadata:\n  name: c\n  annotations: {x.istio.io/a: '1'}\n---\nkind: VirtualService\nmetadata:\n  name: v\n  annotations: {x.istio.io/a: '1'}\n",
        &[],
    ),
    (
        "misplaced but known annotations are not unknown",
        "kind: Namespace\nmetadata:\n  name: ns\n  annotations: {sidecar.istio.io/inject: 'false', kubernetes.io/ingress.class: istio}\n",
        &[],
    ),
];

#[test]
fn unknown_annotation_table() {
    run_table(annotations::unknown, CASES);
}

#[test]
fn istio_annotation_prefixes() {
    let cases = [
        ("sidecar.istio.io/inject", true),
        ("istio.io/rev", true),
        ("kubernetes.io/ingress.class", true),
        ("kubernetes.io/other", false),
        ("prometheus.io/port", false),
        ("istio.io.example.com/x", false),
        ("", false),
    ];
    for (key, want) in cases {
        assert_eq!(annotations::is_istio_annotation(key), want, "{key}");
    }
}

#[test]
fn known_list_lookups() {
    for key in [
        "alpha.istio.io/canonical-serviceaccounts",
        "sidecar.istio.io/status",
        "traffic.sidecar.istio.io/kubevirtInterfaces",
        "sidecar.istio.io/statsInclusionSuffixes",
        "istio.io/rev",
    ] {
        assert!(annotations::is_known(key), "{key}");
    }
    for key in ["sidecar.istio.io/Inject", "istio.io/", "zzz.istio.io/x"] {
        assert!(!annotations::is_known(key), "{key}");
    }
}

#[test]
fn known_list_is_sorted_for_binary_search() {
    assert!(annotations::KNOWN.windows(2).all(|w| w[0] < w[1]));
    assert!(annotations::KNOWN.iter().all(|k| annotations::is_known(k)));
}
