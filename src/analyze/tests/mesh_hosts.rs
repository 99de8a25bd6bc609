//! Table tests for conflicting mesh-gateway VirtualService hosts (IST0109).

use super::super::mesh_hosts;
use super::run_case;

const TAIL: &str = "which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.";

/// The expected line for `vs`, naming `names` and the scoped host.
fn line(vs: &str, names: &str, host: &str) -> String {
    format!(
        "Error [IST0109] (VirtualService {vs}) The VirtualServices {names} associated with mesh gateway define the same host {host} {TAIL}"
    )
}

/// Rows whose expectation is built with `line`: name, YAML, (vs, names, host) triples.
type Row = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
);

const ROWS: &[Row] = &[
    (
        "same fqdn from two namespaces",
        "kind: VirtualService\nmetadata: {name: productpage, namespace: team-1}\nspec:\n  hosts: [productpage.default.svc.cluster.local]\n---\nkind: VirtualService\nmetadata: {name: custom, namespace: team-2}\nspec:\n  hosts: [productpage.default.svc.cluster.local]\n",
        &[
            (
                "team-1/productpage",
                "team-1/productpage,team-2/custom",
                "*/productpage.default.svc.cluster.local",
            ),
            (
                "team-2/custom",
                "team-1/productpage,team-2/custom",
                "*/productpage.default.svc.cluster.local",
            ),
        ],
    ),
    (
        "short names resolve in their own namespace",
        "kind: VirtualService\nmetadata: {name: productpage, namespace: foo}\nspec:\n  hosts: [productpage]\n---\nkind: VirtualService\nmetadata: {name: bogus, namespace: foo}\nspec:\n  hosts: [productpage]\n---\nkind: VirtualService\nmetadata: {name: productpage, namespace: bar}\nspec:\n  hosts: [productpage]\n",
        &[
            (
                "foo/bogus",
                "foo/bogus,foo/productpage",
                "*/productpage.foo.svc.cluster.local",
            ),
            (
                "foo/productpage",
                "foo/bogus,foo/productpage",
                "*/productpage.foo.svc.cluster.local",
            ),
        ],
    ),
    (
        "only mesh-bound services count",
        "kind: VirtualService\nmetadata: {name: ingress}\nspec:\n  hosts: [a.com]\n  gateways: [gw]\n---\nkind: VirtualService\nmetadata: {name: both}\nspec:\n  hosts: [a.com]\n  gateways: [gw, mesh]\n---\nkind: VirtualService\nmetadata: {name: sidecars}\nspec:\n  hosts: [a.com]\n  gateways: []\n",
        &[
            ("default/both", "default/both,default/sidecars", "*/a.com"),
            (
                "default/sidecars",
                "default/both,default/sidecars",
                "*/a.com",
            ),
        ],
    ),
    (
        "namespace-local exports do not meet",
        "kind: VirtualService\nmetadata: {name: a, namespace: team-1}\nspec:\n  hosts: [x.com]\n  exportTo: ['.']\n---\nkind: VirtualService\nmetadata: {name: b, namespace: team-2}\nspec:\n  hosts: [x.com]\n  exportTo: ['.']\n",
        &[],
    ),
    (
        "exports into the same namespace meet",
        "kind: VirtualService\nmetadata: {name: productpage, namespace: foo}\nspec:\n  hosts: [productpage.bar.svc.cluster.local]\n  exportTo: [bar]\n---\nkind: VirtualService\nmetadata: {name: productpage, namespace: bar}\nspec:\n  hosts: [productpage.bar.svc.cluster.local]\n  exportTo: ['.']\n",
        &[
            (
                "bar/productpage",
                "bar/productpage,foo/productpage",
                "bar/productpage.bar.svc.cluster.local",
            ),
            (
                "foo/productpage",
                "bar/productpage,foo/productpage",
                "bar/productpage.bar.svc.cluster.local",
            ),
        ],
    ),
    (
        "a scoped host meets matching hosts exported everywhere, wildcards included",
        "kind: VirtualService\nmetadata: {name: a, namespace: foo}\nspec:\n  hosts: [x.com]\n  exportTo: ['.']\n---\nkind: VirtualService\nmetadata: {name: b, namespace: bar}\nspec:\n  hosts: ['*.com']\n  exportTo: ['*', foo]\n",
        &[
            ("bar/b", "foo/a,bar/b", "foo/x.com"),
            ("foo/a", "foo/a,bar/b", "foo/x.com"),
        ],
    ),
    (
        "each service is reported once, for its first conflict",
        "kind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [x.com, y.com]\n---\nkind: VirtualService\nmetadata: {name: b}\nspec:\n  hosts: [x.com]\n---\nkind: VirtualService\nmetadata: {name: c}\nspec:\n  hosts: [y.com]\n",
        &[
            ("default/a", "default/a,default/b", "*/x.com"),
            ("default/b", "default/a,default/b", "*/x.com"),
            ("default/c", "default/a,default/c", "*/y.com"),
        ],
    ),
    (
        "a host listed twice in one service conflicts with itself",
        "kind: VirtualService\nmetadata: {name: dup}\nspec:\n  hosts: [x.com, x.com]\n",
        &[("default/dup", "default/dup,default/dup", "*/x.com")],
    ),
];

#[test]
fn conflicting_hosts_table() {
    for (name, yaml, want) in ROWS {
        let want: Vec<String> = want.iter().map(|(vs, n, h)| line(vs, n, h)).collect();
        run_case(mesh_hosts::conflicting, name, yaml, &want);
    }
}
