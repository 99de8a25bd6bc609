//! Whole descriptions of bookinfo's reviews, httpbin behind the ingress gateway, and workloads
//! outside the mesh.

use super::*;

#[test]
fn describe_reviews_pods() {
    let cases: Vec<(&str, Vec<&str>, Subject, String)> = vec![
        (
            "weighted split: the v1 share",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_80_20],
            Subject::Pod("reviews-v1"),
            reviews_head("v1")
                + &reviews_dr("v1", "v2,v3")
                + "VirtualService: reviews
   Route to host \"reviews\" subset \"v1\" with weight 80%
" + PEER_AUTHN,
        ),
        (
            "weighted split: the v2 share, with the subset's own pool limit",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_80_20],
            Subject::Pod("reviews-v2"),
            reviews_head("v2")
                + "DestinationRule: reviews for \"reviews\"
   Matching subsets: v2
      (Non-matching subsets v1,v3)
   Traffic Policy TLS Mode: ISTIO_MUTUAL
   Policies: load balancer
   Effective Traffic Policy (subset v2):
      loadBalancer: ROUND_ROBIN
      connectionPool: tcp.maxConnections=10
VirtualService: reviews
   Route to host \"reviews\" subset \"v2\" with weight 20%
" + PEER_AUTHN,
        ),
        (
            "weighted split: v3 gets nothing",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_80_20],
            Subject::Pod("reviews-v3"),
            reviews_head("v3")
                + &reviews_dr("v3", "v1,v2")
                + "VirtualService: reviews
   WARNING: No destinations match pod subsets (checked 1 HTTP routes)
      Route to non-matching subset v1 for (everything)
      Route to non-matching subset v2 for (everything)
" + PEER_AUTHN,
        ),
        (
            "all to v1, unweighted",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_ALL_V1],
            Subject::Pod("reviews-v1"),
            reviews_head("v1")
                + &reviews_dr("v1", "v2,v3")
                + "VirtualService: reviews
   1 HTTP route(s)
" + PEER_AUTHN,
        ),
        (
            "header match: v1 never reached",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_JASON],
            Subject::Pod("reviews-v1"),
            reviews_head("v1")
                + &reviews_dr("v1", "v2,v3")
                + "VirtualService: reviews
   WARNING: No destinations match pod subsets (checked 2 HTTP routes)
      Route to non-matching subset v2 for (Match:  when headers are end-user=jason)
      Route to non-matching subset v3 for (everything)
" + PEER_AUTHN,
        ),
        (
            "header match: v2 for jason only",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_JASON],
            Subject::Pod("reviews-v2"),
            reviews_head("v2")
                + "DestinationRule: reviews for \"reviews\"
   Matching subsets: v2
      (Non-matching subsets v1,v3)
   Traffic Policy TLS Mode: ISTIO_MUTUAL
   Policies: load balancer
   Effective Traffic Policy (subset v2):
      loadBalancer: ROUND_ROBIN
      connectionPool: tcp.maxConnections=10
VirtualService: reviews
   Match:  when headers are end-user=jason
   1 additional destination(s) that will not reach this pod
" + PEER_AUTHN,
        ),
        (
            "header match: v3 is the catch-all",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_JASON],
            Subject::Pod("reviews-v3"),
            reviews_head("v3")
                + &reviews_dr("v3", "v1,v2")
                + "VirtualService: reviews
   1 additional destination(s) that will not reach this pod
      Route to non-matching subset v2 for (Match:  when headers are end-user=jason)
" + PEER_AUTHN,
        ),
        (
            "subset routing without a DestinationRule",
            vec![REVIEWS, REVIEWS_ALL_V1],
            Subject::Pod("reviews-v1"),
            reviews_head("v1")
                + "VirtualService: reviews
   WARNING: No destinations match pod subsets (checked 1 HTTP routes)
      Warning: Route to subset v1 but NO DESTINATION RULE defining subsets!
" + PEER_AUTHN,
        ),
        (
            "no routing config at all",
            vec![REVIEWS],
            Subject::Pod("reviews-v2"),
            reviews_head("v2") + PEER_AUTHN,
        ),
    ];
    for (name, mut docs, subject, want) in cases {
        // The gateway runs, but exposes nothing of reviews.
        docs.push(INGRESS_SERVICE);
        let got = describe(&docs, subject, Some(&ingress()));
        assert_eq!(got, want, "{name}\n--- got ---\n{got}");
    }
}

#[test]
fn describe_reviews_service() {
    let cases: Vec<(&str, Vec<&str>, Option<Ingress>, &str)> = vec![
        (
            "every version is a matching subset",
            vec![REVIEWS, REVIEWS_DR, REVIEWS_80_20],
            None,
            "Service: reviews
   Port: http 9080/HTTP targets pod port 9080
DestinationRule: reviews for \"reviews\"
   Matching subsets: v1,v2,v3
   Traffic Policy TLS Mode: ISTIO_MUTUAL
   Policies: load balancer
   Effective Traffic Policy (subsets v1,v3):
      loadBalancer: ROUND_ROBIN
   Effective Traffic Policy (subset v2):
      loadBalancer: ROUND_ROBIN
      connectionPool: tcp.maxConnections=10
VirtualService: reviews
   Route to host \"reviews\" subset \"v1\" with weight 80%
   Route to host \"reviews\" subset \"v2\" with weight 20%
Skipping Gateway information (no ingress gateway pods)
",
        ),
        (
            "an unknown subset",
            vec![
                REVIEWS,
                REVIEWS_DR,
                r#"
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews.default.svc.cluster.local, subset: v4}
"#,
            ],
            Some(ingress()),
            "Service: reviews
   Port: http 9080/HTTP targets pod port 9080
DestinationRule: reviews for \"reviews\"
   Matching subsets: v1,v2,v3
   Traffic Policy TLS Mode: ISTIO_MUTUAL
   Policies: load balancer
   Effective Traffic Policy (subsets v1,v3):
      loadBalancer: ROUND_ROBIN
   Effective Traffic Policy (subset v2):
      loadBalancer: ROUND_ROBIN
      connectionPool: tcp.maxConnections=10
VirtualService: reviews
   WARNING: No destinations match pod subsets (checked 1 HTTP routes)
      Warning: Route to UNKNOWN subset v4; check DestinationRule reviews
Skipping Gateway information (no ingress gateway service)
",
        ),
    ];
    for (name, docs, ingress, want) in cases {
        let got = describe(&docs, Subject::Service("reviews"), ingress.as_ref());
        assert_eq!(got, want, "{name}\n--- got ---\n{got}");
    }
}

#[test]
fn describe_httpbin_through_gateway() {
    let exposed = "--------------------
Exposed on Ingress Gateway http://localhost:8080
VirtualService: httpbin
   Match: /status*, Match: /delay*
";
    let cases: Vec<(&str, Subject, Option<Ingress>, String)> = vec![
        (
            "pod: named targetPort, revision from the injection status",
            Subject::Pod("httpbin-7f9d"),
            Some(ingress()),
            "Pod: httpbin-7f9d
   Pod Revision: canary
   Pod Ports: 8080 (httpbin), 15090 (istio-proxy)
--------------------
Service: httpbin
   Port: http 8000/HTTP targets pod port 8080
"
            .to_string()
                + PEER_AUTHN
                + exposed,
        ),
        (
            "service",
            Subject::Service("httpbin"),
            Some(ingress()),
            "Service: httpbin
   Port: http 8000/HTTP targets pod port 8080
"
            .to_string()
                + exposed,
        ),
        (
            "ingress carrying only the selected label",
            Subject::Service("httpbin"),
            Some(Ingress {
                labels: BTreeMap::from([("istio".into(), "ingressgateway".into())]),
                ..ingress()
            }),
            "Service: httpbin
   Port: http 8000/HTTP targets pod port 8080
"
            .to_string()
                + exposed,
        ),
        (
            "no ingress gateway running",
            Subject::Service("httpbin"),
            None,
            "Service: httpbin
   Port: http 8000/HTTP targets pod port 8080
Skipping Gateway information (no ingress gateway pods)
"
            .to_string(),
        ),
        (
            "ingress labels no gateway Service selects",
            Subject::Service("httpbin"),
            Some(Ingress {
                labels: BTreeMap::from([("istio".into(), "egressgateway".into())]),
                ..ingress()
            }),
            "Service: httpbin
   Port: http 8000/HTTP targets pod port 8080
Skipping Gateway information (no ingress gateway service)
"
            .to_string(),
        ),
    ];
    for (name, subject, ingress, want) in cases {
        let got = describe(&[HTTPBIN, INGRESS_SERVICE], subject, ingress.as_ref());
        assert_eq!(got, want, "{name}\n--- got ---\n{got}");
    }
}

#[test]
fn describe_workloads_outside_the_mesh() {
    let cases: Vec<(&str, Vec<&str>, Subject, &str)> = vec![
        (
            "pod without sidecar",
            vec![SLEEP],
            Subject::Pod("sleep-5d4b"),
            "Pod: sleep-5d4b\n   Pod Revision: \n   Pod Ports: 80 (sleep), 53/UDP (sleep)
WARNING: sleep-5d4b is not part of mesh; no Istio sidecar
",
        ),
        (
            "pod without sidecar or Service",
            vec![&SLEEP[SLEEP.find("---").unwrap_or(0)..]],
            Subject::Pod("sleep-5d4b"),
            "Pod: sleep-5d4b\n   Pod Revision: \n   Pod Ports: 80 (sleep), 53/UDP (sleep)
WARNING: sleep-5d4b is not part of mesh; no Istio sidecar
Warning: No Kubernetes Services select pod sleep-5d4b (see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )
",
        ),
        (
            "service of pods without sidecar",
            vec![SLEEP],
            Subject::Service("sleep"),
            "Pod sleep-5d4b: no container \"istio-proxy\" in pod
Service \"sleep\" has no Istio pods.  (1 pods in service).
Use `meshlite kube-inject` or redeploy with Istio automatic sidecar injection.
",
        ),
        (
            "service selecting no pod",
            vec![
                r#"
kind: Service
metadata: {name: db, namespace: default}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
"#,
            ],
            Subject::Service("db"),
            "Service \"db\" has no pods.\n",
        ),
        (
            "pending pod",
            vec![
                r#"
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web, version: v1}}
spec:
  containers:
  - {name: web}
  - {name: istio-proxy}
status: {phase: Pending}
"#,
            ],
            Subject::Pod("web-0"),
            "Pod: web-0\n   Pod Revision: \n   Pod does not expose ports
   Pod is not Running (Pending)
Warning: No Kubernetes Services select pod web-0 (see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )
",
        ),
    ];
    for (name, docs, subject, want) in cases {
        let got = describe(&docs, subject, Some(&ingress()));
        assert_eq!(got, want, "{name}\n--- got ---\n{got}");
    }
}
