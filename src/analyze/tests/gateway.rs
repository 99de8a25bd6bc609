//! Table tests for Gateway ports missing from the workload's Services (IST0162).

use super::super::gateway;
use super::run_case;

/// The expected line for Gateway `gw` listening on `port` with selector `selector`.
fn line(gw: &str, port: i64, selector: &str) -> String {
    format!(
        "Warning [IST0162] (Gateway {gw}) The gateway is listening on a target port (port {port}) that is not defined in the Service associated with its workload instances (Pod selector {selector}). If you need to access the gateway port through the gateway Service, it will not be available."
    )
}

const POD: &str = "kind: Pod\nmetadata:\n  name: ingress-1\n  namespace: istio-system\n  labels: {istio: ingressgateway, app: gw}\n";

/// Rows: name, YAML (appended to `POD`), expected (gateway, port, selector) triples.
type Row = (
    &'static str,
    &'static str,
    &'static [(&'static str, i64, &'static str)],
);

const ROWS: &[Row] = &[
    (
        "ports are matched against Service ports and their target ports",
        "---\nkind: Service\nmetadata: {name: ingress, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  ports:\n  - {name: http, port: 80, targetPort: 8080, protocol: TCP}\n  - {name: https, port: 443}\n---\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 8080, name: a, protocol: HTTP}\n  - port: {number: 443, name: b, protocol: HTTPS}\n  - port: {number: 80, name: c, protocol: HTTP}\n  - hosts: ['*']\n",
        &[],
    ),
    (
        "no selected pod leaves the gateway to IST0101",
        "---\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {istio: other}\n  servers:\n  - port: {number: 80, name: c, protocol: HTTP}\n",
        &[],
    ),
    (
        "Services select pods of their own namespace only",
        "---\nkind: Service\nmetadata: {name: ingress, namespace: default}\nspec:\n  selector: {istio: ingressgateway}\n  ports: [{port: 80}]\n---\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: c, protocol: HTTP}\n",
        &[("istio-system/gw", 80, "istio=ingressgateway")],
    ),
    (
        "only TCP Service ports count",
        "---\nkind: Service\nmetadata: {name: ingress, namespace: istio-system}\nspec:\n  selector: {app: gw}\n  ports: [{port: 53, protocol: UDP}]\n---\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {app: gw, istio: ingressgateway}\n  servers:\n  - port: {number: 53, name: dns, protocol: TCP}\n",
        &[("default/gw", 53, "app=gw,istio=ingressgateway")],
    ),
    (
        "numeric string target ports count, named ones fall back to the port",
        "---\nkind: Service\nmetadata: {name: ingress, namespace: istio-system}\nspec:\n  selector: {app: gw}\n  ports:\n  - {port: 80, targetPort: '8080'}\n  - {port: 443, targetPort: https}\n---\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {app: gw}\n  servers:\n  - port: {number: 8080, name: a, protocol: HTTP}\n  - port: {number: 443, name: b, protocol: HTTPS}\n  - port: {number: 80, name: c, protocol: HTTP}\n",
        &[],
    ),
    (
        "a Service without selector selects every pod of its namespace; any Service suffices",
        "---\nkind: Service\nmetadata: {name: all, namespace: istio-system}\nspec:\n  ports: [{port: 80}]\n---\nkind: Service\nmetadata: {name: other, namespace: istio-system}\nspec:\n  selector: {app: gw}\n  ports: [{port: 443}]\n---\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {app: gw}\n  servers:\n  - port: {number: 80, name: a, protocol: HTTP}\n  - port: {number: 443, name: b, protocol: HTTPS}\n",
        &[],
    ),
    (
        "selector rendering sorts by key",
        "---\nkind: Pod\nmetadata:\n  name: p\n  labels: {b: '1', a: '2', a.b: '3'}\n---\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {b: '1', a.b: '3', a: '2'}\n  servers:\n  - port: {number: 80, name: a, protocol: HTTP}\n",
        &[("default/gw", 80, "a=2,a.b=3,b=1")],
    ),
    (
        "Gateways of another API group are skipped",
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {app: gw}\n  servers:\n  - port: {number: 80, name: a, protocol: HTTP}\n",
        &[],
    ),
];

#[test]
fn gateway_port_table() {
    for (name, yaml, want) in ROWS {
        let want: Vec<String> = want.iter().map(|(gw, p, s)| line(gw, *p, s)).collect();
        run_case(
            gateway::ports_on_services,
            name,
            &format!("{POD}{yaml}"),
            &want,
        );
    }
}
