//! Whole-pipeline test: the schema, annotation, mesh host, rule, gateway port and DestinationRule analyzers run from `analyze`, in istioctl's order and namespace scope.

use super::super::analyze;
use super::parse_yaml;

const CLUSTER: &str = r#"
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
kind: Pod
metadata:
  name: reviews-v1
  namespace: default
  labels: {app: reviews, version: v1}
  annotations: {sidecar.istio.io/bogus: x}
spec:
  containers: [{name: app}, {name: istio-proxy}]
---
kind: Pod
metadata:
  name: ingress
  namespace: istio-system
  labels: {istio: ingressgateway}
spec:
  containers: [{name: istio-proxy}]
---
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
---
kind: VirtualService
metadata: {name: both, namespace: default}
spec:
  hosts: [reviews]
  http:
  - redirect: {uri: /x}
    route: [{destination: {host: reviews}}]
---
kind: VirtualService
metadata: {name: other, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {exact: /a}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {exact: /a}}]
    route: [{destination: {host: reviews}}]
---
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v3, labels: {version: v3}}
---
kind: DestinationRule
metadata: {name: fake, namespace: default}
spec:
  host: fake
"#;

fn codes(namespace: Option<&str>) -> Vec<String> {
    let values = parse_yaml(CLUSTER);
    analyze(&values, namespace)
        .iter()
        .map(|m| format!("{} {}", m.code, m.friendly_name()))
        .collect()
}

#[test]
fn all_namespaces_in_istioctl_order() {
    assert_eq!(
        codes(None),
        vec![
            "IST0106 VirtualService default/both",
            "IST0109 VirtualService default/both",
            "IST0109 VirtualService default/other",
            "IST0173 DestinationRule default/reviews",
            "IST0108 Pod default/reviews-v1",
            "IST0130 VirtualService default/other",
            "IST0162 Gateway istio-system/gw",
            "IST0174 DestinationRule default/fake",
            "IST0131 VirtualService default/other",
        ]
    );
}

#[test]
fn one_namespace() {
    assert_eq!(
        codes(Some("istio-system")),
        vec!["IST0162 Gateway istio-system/gw"]
    );
    assert_eq!(codes(Some("default")).len(), 8);
}
