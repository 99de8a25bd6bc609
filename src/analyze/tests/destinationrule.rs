//! Table tests for DestinationRule hosts (IST0174) and subsets (IST0173).

use super::super::destinationrule;
use super::{run_table, Case};

const CASES: &[Case] = &[
    (
        "unknown host",
        "kind: DestinationRule\nmetadata: {name: fake}\nspec:\n  host: fake-host\n  subsets: [{name: v1, labels: {version: v1}}]\n",
        &[
            "Warning [IST0174] (DestinationRule default/fake) The host fake-host defined in the DestinationRule does not match any services in the mesh.",
        ],
    ),
    (
        "known host without subsets",
        "kind: Service\nmetadata: {name: reviews}\n---\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n",
        &[],
    ),
    (
        "subset that selects no pod",
        "kind: Service\nmetadata: {name: reviews}\n---\nkind: Pod\nmetadata:\n  name: reviews-v1\n  labels: {app: reviews, version: v1}\n---\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n  - {name: any}\n",
        &[
            "Error [IST0173] (DestinationRule default/r) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
        ],
    ),
    (
        "pods of any namespace count, as in Istio",
        "kind: Service\nmetadata: {name: reviews}\n---\nkind: Pod\nmetadata:\n  name: elsewhere\n  namespace: other\n  labels: {version: v2}\n---\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews.default.svc.cluster.local\n  subsets: [{name: v2, labels: {version: v2}}]\n",
        &[],
    ),
    (
        "without any pod every subset is empty",
        "kind: Service\nmetadata: {name: reviews}\n---\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  subsets: [{name: all}]\n",
        &[
            "Error [IST0173] (DestinationRule default/r) The Subset all defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
        ],
    ),
    (
        "ServiceEntry workload selectors are merged under subset labels",
        "kind: ServiceEntry\nmetadata: {name: db}\nspec:\n  hosts: [db.internal]\n  workloadSelector: {labels: {app: db, tier: x}}\n---\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web, version: v1, tier: y}\n---\nkind: Pod\nmetadata:\n  name: db\n  labels: {app: db, version: v2, tier: y}\n---\nkind: DestinationRule\nmetadata: {name: db}\nspec:\n  host: db.internal\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2, tier: y}}\n",
        &[
            "Error [IST0173] (DestinationRule default/db) The Subset v1 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
        ],
    ),
    (
        "node topology labels are added to pods on known nodes",
        "kind: Service\nmetadata: {name: reviews}\n---\nkind: Node\nmetadata:\n  name: n1\n  labels: {topology.kubernetes.io/zone: z1, topology.kubernetes.io/region: r1, other: x}\n---\nkind: Pod\nmetadata: {name: a}\nspec: {nodeName: n1}\n---\nkind: Pod\nmetadata: {name: b}\nspec: {nodeName: n2}\n---\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  subsets:\n  - {name: zone, labels: {topology.kubernetes.io/zone: z1}}\n  - {name: host, labels: {kubernetes.io/hostname: n1}}\n  - {name: unknown-node, labels: {kubernetes.io/hostname: n2}}\n  - {name: other, labels: {other: x}}\n",
        &[
            "Error [IST0173] (DestinationRule default/r) The Subset other defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
            "Error [IST0173] (DestinationRule default/r) The Subset unknown-node defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
        ],
    ),
    (
        "hosts hidden by exportTo are unknown",
        "kind: Service\nmetadata:\n  name: private\n  namespace: b\n  annotations: {networking.istio.io/exportTo: '.'}\n---\nkind: DestinationRule\nmetadata: {name: r, namespace: a}\nspec:\n  host: private.b.svc.cluster.local\n---\nkind: DestinationRule\nmetadata: {name: r, namespace: b}\nspec:\n  host: private\n",
        &[
            "Warning [IST0174] (DestinationRule a/r) The host private.b.svc.cluster.local defined in the DestinationRule does not match any services in the mesh.",
        ],
    ),
    (
        "a later subset of the same name wins",
        "kind: Service\nmetadata: {name: reviews}\n---\nkind: Pod\nmetadata:\n  name: p\n  labels: {version: v1}\n---\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  subsets:\n  - {name: v, labels: {version: v1}}\n  - {name: v, labels: {version: v9}}\n",
        &[
            "Error [IST0173] (DestinationRule default/r) The Subset v defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
        ],
    ),
];

#[test]
fn destination_rule_table() {
    run_table(destinationrule::subsets, CASES);
}
