//! Table tests for schema validation (IST0106) of VirtualServices and Gateways.

use super::super::schema;
use super::{run_table, Case};

const VS_CASES: &[Case] = &[
    (
        "valid",
        "kind: VirtualService\nmetadata: {name: ok}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n",
        &[],
    ),
    (
        "redirect with route",
        "kind: VirtualService\nmetadata: {name: both}\nspec:\n  hosts: [reviews]\n  http:\n  - redirect: {uri: /x}\n    route:\n    - destination: {host: reviews}\n",
        &[
            "Error [IST0106] (VirtualService default/both) Schema validation error: HTTP route cannot contain both route and redirect",
        ],
    ),
    (
        "redirect with fault, rewrite and directResponse",
        "kind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [reviews]\n  http:\n  - redirect: {uri: /x}\n    fault: {abort: {httpStatus: 500}}\n    rewrite: {uri: /y}\n    directResponse: {status: 200}\n",
        &[
            "Error [IST0106] (VirtualService default/r) Schema validation error: HTTP route cannot contain both fault and redirect",
            "Error [IST0106] (VirtualService default/r) Schema validation error: HTTP route rule cannot contain both direct_response and redirect",
            "Error [IST0106] (VirtualService default/r) Schema validation error: HTTP route rule cannot contain both rewrite and redirect",
        ],
    ),
    (
        "directResponse with route, fault and rewrite",
        "kind: VirtualService\nmetadata: {name: d}\nspec:\n  hosts: [reviews]\n  http:\n  - directResponse: {status: 200}\n    fault: {abort: {httpStatus: 500}}\n    rewrite: {uri: /y}\n    route:\n    - destination: {host: reviews}\n",
        &[
            "Error [IST0106] (VirtualService default/d) Schema validation error: HTTP route cannot contain both fault and direct_response",
            "Error [IST0106] (VirtualService default/d) Schema validation error: HTTP route cannot contain both route and direct_response",
            "Error [IST0106] (VirtualService default/d) Schema validation error: HTTP route rule cannot contain both rewrite and direct_response",
        ],
    ),
    (
        "null redirect counts as unset",
        "kind: VirtualService\nmetadata: {name: n}\nspec:\n  hosts: [reviews]\n  http:\n  - redirect: null\n    route:\n    - destination: {host: reviews}\n",
        &[],
    ),
    (
        "route without action",
        "kind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [reviews]\n  http:\n  - match: [{uri: {prefix: /}}]\n    route: []\n",
        &[
            "Error [IST0106] (VirtualService default/a) Schema validation error: HTTP route, redirect or direct_response is required",
        ],
    ),
    (
        "mirror and mirrors",
        "kind: VirtualService\nmetadata: {name: m}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n    mirror: {host: a}\n    mirrors:\n    - destination: {host: b}\n",
        &[
            "Error [IST0106] (VirtualService default/m) Schema validation error: HTTP route cannot contain both mirror and mirrors",
        ],
    ),
    (
        "null http route",
        "kind: VirtualService\nmetadata: {name: nul}\nspec:\n  hosts: [reviews]\n  http: [null]\n",
        &[
            "Error [IST0106] (VirtualService default/nul) Schema validation error: http route may not be null",
        ],
    ),
    (
        "no routes at all",
        "kind: VirtualService\nmetadata: {name: empty}\nspec:\n  hosts: [reviews]\n",
        &[
            "Error [IST0106] (VirtualService default/empty) Schema validation error: http, tcp or tls must be provided in virtual service",
        ],
    ),
    (
        "wildcard host on the mesh, explicitly or by default; fine on a gateway",
        "kind: VirtualService\nmetadata: {name: implicit}\nspec:\n  hosts: ['*']\n  http:\n  - route:\n    - destination: {host: reviews}\n---\nkind: VirtualService\nmetadata: {name: explicit}\nspec:\n  hosts: ['*']\n  gateways: [gw, mesh]\n  http:\n  - route:\n    - destination: {host: reviews}\n---\nkind: VirtualService\nmetadata: {name: ingress}\nspec:\n  hosts: ['*']\n  gateways: [gw]\n  http:\n  - route:\n    - destination: {host: reviews}\n",
        &[
            "Error [IST0106] (VirtualService default/explicit) Schema validation error: wildcard host * is not allowed for virtual services bound to the mesh gateway",
            "Error [IST0106] (VirtualService default/implicit) Schema validation error: wildcard host * is not allowed for virtual services bound to the mesh gateway",
        ],
    ),
    (
        "delegate virtual service",
        "kind: VirtualService\nmetadata: {name: del}\nspec:\n  gateways: [gw]\n  http:\n  - delegate: {name: other}\n    route:\n    - destination: {host: reviews}\n  tcp:\n  - route:\n    - destination: {host: reviews}\n",
        &[
            "Error [IST0106] (VirtualService default/del) Schema validation error: delegate HTTP route cannot contain delegate",
            "Error [IST0106] (VirtualService default/del) Schema validation error: delegate virtual service must have no gateways specified",
            "Error [IST0106] (VirtualService default/del) Schema validation error: delegate virtual service must have no tcp route specified",
        ],
    ),
    (
        "root route names itself",
        "kind: VirtualService\nmetadata: {name: root}\nspec:\n  hosts: [reviews]\n  http:\n  - name: top\n    delegate: {name: child}\n    redirect: {uri: /}\n    route:\n    - destination: {host: reviews}\n",
        &[
            "Error [IST0106] (VirtualService default/root) Schema validation error: root HTTP route top must not specify redirect",
            "Error [IST0106] (VirtualService default/root) Schema validation error: root HTTP route top must not specify route",
        ],
    ),
    (
        "tls and tcp routes",
        "kind: VirtualService\nmetadata: {name: l4}\nspec:\n  hosts: [a.com]\n  tls:\n  - match: [{port: 443}]\n  - route:\n    - destination: {host: a.com}\n  tcp:\n  - match: [{port: 1}]\n",
        &[
            "Error [IST0106] (VirtualService default/l4) Schema validation error: TCP route is required",
            "Error [IST0106] (VirtualService default/l4) Schema validation error: TLS match must have at least one SNI host",
            "Error [IST0106] (VirtualService default/l4) Schema validation error: TLS route is required",
            "Error [IST0106] (VirtualService default/l4) Schema validation error: TLS route must have at least one match condition",
        ],
    ),
];

#[test]
fn virtual_service_table() {
    run_table(schema::validation, VS_CASES);
}

const GW_CASES: &[Case] = &[
    (
        "valid http and https servers",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n    tls: {httpsRedirect: true}\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n    tls: {mode: SIMPLE, credentialName: cert}\n",
        &[],
    ),
    (
        "server without hosts",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: server config must contain at least one host",
        ],
    ),
    (
        "no servers",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {istio: ingressgateway}\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: gateway must have at least one server",
        ],
    ),
    (
        "https without tls",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: https}\n    hosts: ['*']\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: server must have TLS settings for HTTPS/TLS protocols",
        ],
    ),
    (
        "tls settings on plain ports",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n    tls: {mode: SIMPLE}\n  - port: {number: 81, name: http2, protocol: HTTP}\n    hosts: ['*']\n    tls: {privateKey: /k}\n  - port: {number: 82, name: tcp, protocol: TCP}\n    hosts: ['*']\n    tls: {mode: PASSTHROUGH}\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: server cannot have TLS settings for non HTTPS/TLS ports",
            "Error [IST0106] (Gateway default/gw) Schema validation error: server cannot have TLS settings for plain text HTTP ports",
        ],
    ),
    (
        "bad port fields",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 0, name: a, protocol: FTP}\n    hosts: ['*']\n  - port: {number: 70000, name: b, protocol: TCP, targetPort: 8080}\n    hosts: ['*']\n  - hosts: ['*']\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: invalid protocol \"FTP\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
            "Error [IST0106] (Gateway default/gw) Schema validation error: port is required",
            "Error [IST0106] (Gateway default/gw) Schema validation error: port number 0 must be in the range 1..65535",
            "Error [IST0106] (Gateway default/gw) Schema validation error: port number 70000 must be in the range 1..65535",
            "Error [IST0106] (Gateway default/gw) Schema validation error: targetPort has no impact on Gateways",
        ],
    ),
    (
        "unix socket bind allows port 0",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 0, name: uds, protocol: HTTP}\n    bind: unix:///var/run/gw.sock\n    hosts: ['*']\n",
        &[],
    ),
    (
        "unnamed https port skips the tls check",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 443, protocol: HTTPS}\n    hosts: ['*']\n",
        &[],
    ),
    (
        "duplicate port names",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 80, name: web, protocol: HTTP}\n    hosts: [a.com]\n  - port: {number: 8080, name: web, protocol: HTTP}\n    hosts: [b.com]\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: port names in servers must be unique: duplicate name web",
        ],
    ),
    (
        "name that is no DNS label",
        "kind: Gateway\nmetadata: {name: my.gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n",
        &[
            "Error [IST0106] (Gateway default/my.gw) Schema validation error: invalid gateway name: \"my.gw\"",
        ],
    ),
    (
        "null server",
        "kind: Gateway\nmetadata: {name: gw}\nspec:\n  servers: [null]\n",
        &[
            "Error [IST0106] (Gateway default/gw) Schema validation error: cannot have nil server",
            "Error [IST0106] (Gateway default/gw) Schema validation error: server may not be nil",
        ],
    ),
    (
        "Kubernetes Gateway API gateways are not Istio's",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n",
        &[],
    ),
];

#[test]
fn gateway_table() {
    run_table(schema::validation, GW_CASES);
}
