//! One test per routing policy, through the ingress gateway: timeout, retries, faults, mirror,
//! rewrite/redirect/direct response, header operations, CORS, load balancing, outlier
//! detection and connection-pool overflow.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::gateway::{gateway_ready, gateway_vs, get, httpbin, until};
use support::{apply_text, ready_pods, Meshlite};

/// httpbin (no sidecar) behind a Gateway for every host with `http` as the VirtualService rules.
async fn with_httpbin(http: &str, replicas: usize) -> Meshlite {
    let m = Meshlite::start();
    apply_text(&m, &httpbin("httpbin", replicas as u32, false));
    apply_text(&m, &gateway_vs("\"*\"", http));
    ready_pods(&m, "default", "app%3Dhttpbin", replicas).await;
    gateway_ready(&m).await;
    m
}

/// Poll `proxy-config SECTION` of the gateway until a line holds every one of `needles`: the
/// gateway has applied the config the test just wrote.
async fn gateway_has(m: &Meshlite, section: &str, needles: &[&str]) {
    let gw = gateway_ready(m).await;
    let target = format!("{}.istio-system", gw["metadata"]["name"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = m.cli(&["proxy-config", section, &target]).ok().to_string();
        if out.lines().any(|l| needles.iter().all(|n| l.contains(n))) {
            return;
        }
        assert!(Instant::now() < deadline, "{needles:?} never in:\n{out}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The gateway pod's log.
fn gateway_log(m: &Meshlite) -> String {
    m.cli(&["logs", "-n", "istio-system", "deploy/istio-ingressgateway"])
        .ok()
        .to_string()
}

/// `n` GETs of `path` on the gateway, `concurrency` at a time: (status, elapsed) each.
async fn load(m: &Meshlite, path: &str, n: usize, concurrency: usize) -> Vec<(u16, Duration)> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://127.0.0.1:{}{path}", m.http_port());
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url) = (client.clone(), url.clone());
        let count = n / concurrency + usize::from(worker < n % concurrency);
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..count {
                let started = Instant::now();
                let resp = client.get(&url).send().await.expect("request");
                let code = resp.status().as_u16();
                let _ = resp.bytes().await;
                out.push((code, started.elapsed()));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// A rule's route to httpbin (indented under a `- match` item).
const ROUTE: &str = "    route:\n    - destination: {host: httpbin, port: {number: 8000}}";

/// A catch-all rule to httpbin.
const DEFAULT: &str = "  - route:\n    - destination: {host: httpbin, port: {number: 8000}}";

#[tokio::test]
async fn a_route_timeout_answers_504() {
    let http =
        format!("  - match: [{{uri: {{prefix: /delay}}}}]\n    timeout: 0.3s\n{ROUTE}\n{DEFAULT}");
    let m = with_httpbin(&http, 1).await;
    until(&m, "/get", &[], |c, _| c == 200).await;
    let started = Instant::now();
    let (code, body, _) = get(&m, "/delay/3", &[]).await;
    assert_eq!((code, body.as_str()), (504, "upstream request timeout"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout cut it short"
    );
    assert!(gateway_log(&m).contains(" 504 UT "), "{}", gateway_log(&m));
}

#[tokio::test]
async fn retries_ride_out_a_flaky_upstream() {
    let http = format!("  - retries: {{attempts: 10, perTryTimeout: 2s, retryOn: 5xx}}\n{ROUTE}");
    let m = with_httpbin(&http, 1).await;
    until(&m, "/get", &[], |c, _| c == 200).await;
    let mut attempts = Vec::new();
    for _ in 0..40 {
        let (code, body, headers) = get(&m, "/status/200:0.5,503:0.5", &[]).await;
        assert_eq!(code, 200, "retried until it worked: {body}");
        attempts.push(
            headers["x-envoy-attempt-count"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
    }
    assert!(
        attempts.iter().any(|a| *a > 1),
        "some requests needed retries: {attempts:?}"
    );
    let app_log = m.cli(&["logs", "deploy/httpbin"]).ok().to_string();
    let failed = app_log
        .lines()
        .filter(|l| l.contains("uri=/status/") && l.contains("status=503"))
        .count();
    let retried: u32 = attempts.iter().map(|a| a - 1).sum();
    assert_eq!(
        failed as u32, retried,
        "each retry follows a 503 the app logged:\n{app_log}"
    );
}

#[tokio::test]
async fn fault_aborts_and_delays_hit_their_percentages() {
    let http = format!(
        "  - match: [{{uri: {{prefix: /status}}}}]\n    fault: {{abort: {{httpStatus: 418, percentage: {{value: 30}}}}}}\n{ROUTE}\n  - match: [{{uri: {{prefix: /get}}}}]\n    fault: {{delay: {{fixedDelay: 100ms, percentage: {{value: 20}}}}}}\n{ROUTE}"
    );
    let m = with_httpbin(&http, 1).await;
    until(&m, "/get", &[], |c, _| c == 200).await;
    let aborts = load(&m, "/status/200", 1000, 20).await;
    let aborted = aborts.iter().filter(|(c, _)| *c == 418).count();
    assert!(aborts.iter().all(|(c, _)| *c == 418 || *c == 200));
    assert!(
        (240..=360).contains(&aborted),
        "30% of 1000 aborted: {aborted}"
    );
    let delays = load(&m, "/get", 1000, 20).await;
    let delayed = delays
        .iter()
        .filter(|(_, t)| *t >= Duration::from_millis(95))
        .count();
    assert!(delays.iter().all(|(c, _)| *c == 200));
    assert!(
        (140..=260).contains(&delayed),
        "20% of 1000 delayed: {delayed}"
    );
    let log = gateway_log(&m);
    assert!(
        log.contains(" 418 FI ") && log.contains(" 200 DI "),
        "{log}"
    );
}

#[tokio::test]
async fn a_mirror_receives_copies() {
    let http = format!(
        "  - mirror: {{host: shadow, port: {{number: 8000}}}}\n    mirrorPercentage: {{value: 100}}\n{ROUTE}"
    );
    let m = with_httpbin(&http, 1).await;
    apply_text(&m, &httpbin("shadow", 1, false));
    ready_pods(&m, "default", "app%3Dshadow", 1).await;
    until(&m, "/get", &[], |c, _| c == 200).await;
    // The gateway learns the mirror's endpoints a moment after its pod is ready: copies sent
    // before that have nowhere to go (as in Envoy). Wait for the first copy to arrive.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        get(&m, "/anything/warm-up", &[]).await;
        let log = m.cli(&["logs", "deploy/shadow"]).ok().to_string();
        if log.contains("uri=/anything/warm-up") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no copy reached the mirror:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..10 {
        let (code, _, _) = get(&m, "/anything/mirrored", &[]).await;
        assert_eq!(code, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = m.cli(&["logs", "deploy/shadow"]).ok().to_string();
        let copies = log
            .lines()
            .filter(|l| l.contains("uri=/anything/mirrored"))
            .count();
        if copies == 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{copies} copies in the mirror's log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn rewrite_redirect_and_direct_response() {
    let http = format!(
        "  - match: [{{uri: {{prefix: /old/}}}}]\n    rewrite: {{uri: /anything/new/}}\n{ROUTE}\n  - match: [{{uri: {{exact: /moved}}}}]\n    redirect: {{uri: /get, authority: elsewhere.example, redirectCode: 302}}\n  - match: [{{uri: {{prefix: /teapot}}}}]\n    directResponse: {{status: 418, body: {{string: short and stout}}}}\n{DEFAULT}"
    );
    let m = with_httpbin(&http, 1).await;
    let (_, body) = until(&m, "/old/thing?q=1", &[], |c, _| c == 200).await;
    assert!(
        body.contains("http://127.0.0.1") && body.contains("/anything/new/thing?q=1"),
        "{body}"
    );
    let (code, _, headers) = get(&m, "/moved?x=1", &[]).await;
    assert_eq!(code, 302);
    assert_eq!(headers["location"], "http://elsewhere.example/get?x=1");
    let (code, body, _) = get(&m, "/teapot", &[]).await;
    assert_eq!((code, body.as_str()), (418, "short and stout"));
}

#[tokio::test]
async fn header_operations_and_cors() {
    let http = format!(
        "  - headers:\n      request: {{set: {{x-added: 'yes'}}, remove: [x-secret]}}\n      response: {{set: {{x-resp: ok}}, remove: [content-type]}}\n    corsPolicy:\n      allowOrigins: [{{exact: 'https://a.example'}}]\n      allowMethods: [GET, POST]\n      allowHeaders: [x-custom]\n      maxAge: 1h\n{ROUTE}"
    );
    let m = with_httpbin(&http, 1).await;
    let (_, body) = until(&m, "/headers", &[("x-secret", "s")], |c, _| c == 200).await;
    assert!(
        body.contains("X-Added") && !body.contains("X-Secret"),
        "{body}"
    );
    let (_, _, headers) = get(&m, "/headers", &[("origin", "https://a.example")]).await;
    assert_eq!(headers["x-resp"], "ok");
    assert!(!headers.contains_key("content-type"));
    assert_eq!(headers["access-control-allow-origin"], "https://a.example");

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://127.0.0.1:{}/headers", m.http_port());
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = preflight("https://a.example").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://a.example"
    );
    assert_eq!(ok.headers()["access-control-allow-methods"], "GET,POST");
    assert_eq!(ok.headers()["access-control-max-age"], "3600");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

/// `n` requests to `/hostname` with `headers`: answers per pod.
async fn spread(m: &Meshlite, n: usize, headers: &[(&str, &str)]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let (code, body, _) = get(m, "/hostname", headers).await;
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        *out.entry(v["hostname"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    out
}

#[tokio::test]
async fn load_balancing_spreads_rotates_and_pins() {
    let m = with_httpbin(DEFAULT, 3).await;
    until(&m, "/hostname", &[], |c, _| c == 200).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while spread(&m, 30, &[]).await.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the gateway never knew all three pods"
        );
    }
    let least = spread(&m, 300, &[]).await;
    assert_eq!(least.len(), 3, "{least:?}");
    assert!(
        least.values().all(|n| *n >= 50),
        "least request spreads: {least:?}"
    );

    apply_text(
        &m,
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: httpbin}\nspec:\n  host: httpbin\n  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n",
    );
    gateway_has(&m, "clusters", &["httpbin.default", "ROUND_ROBIN"]).await;
    let rr = spread(&m, 300, &[]).await;
    assert!(
        rr.values().all(|n| (95..=105).contains(n)),
        "round robin rotates: {rr:?}"
    );

    apply_text(
        &m,
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: httpbin}\nspec:\n  host: httpbin\n  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n",
    );
    gateway_has(&m, "clusters", &["httpbin.default", "x-user"]).await;
    let mut homes = Vec::new();
    for user in ["ann", "bob", "cid", "dan", "eve", "fay"] {
        let pinned = spread(&m, 10, &[("x-user", user)]).await;
        assert_eq!(pinned.len(), 1, "{user} sticks to one pod: {pinned:?}");
        homes.extend(pinned.into_keys());
    }
    homes.sort();
    homes.dedup();
    assert!(
        homes.len() >= 2,
        "different users land on different pods: {homes:?}"
    );
}

#[tokio::test]
async fn outlier_detection_ejects_a_failing_endpoint_and_lets_it_back() {
    let m = Meshlite::start();
    apply_text(
        &m,
        r#"
apiVersion: v1
kind: Service
metadata: {name: mixed}
spec:
  selector: {app: mixed}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: good, labels: {app: mixed}}
spec:
  containers:
  - {name: httpbin, image: docker.io/mccutchen/go-httpbin:v2.15.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: broken, labels: {app: mixed}}
spec:
  containers:
  - {name: idle, image: busybox, command: [sleep, "3600"], ports: [{containerPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mixed}
spec:
  host: mixed
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 2s, maxEjectionPercent: 100}
"#,
    );
    apply_text(
        &m,
        &gateway_vs(
            "\"*\"",
            "  - route:\n    - destination: {host: mixed, port: {number: 8000}}",
        ),
    );
    ready_pods(&m, "default", "app%3Dmixed", 2).await;
    let gw = gateway_ready(&m).await;
    until(&m, "/get", &[], |c, _| c == 200).await;
    gateway_has(&m, "endpoints", &["outbound|8000||mixed"]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let target = format!("{}.istio-system", gw["metadata"]["name"].as_str().unwrap());
        let out = m
            .cli(&["proxy-config", "endpoints", &target])
            .ok()
            .to_string();
        if out.matches("outbound|8000||mixed").count() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "both endpoints never known:\n{out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..20 {
        let (code, body, _) = get(&m, "/get", &[]).await;
        assert_eq!(code, 200, "retries hide the broken endpoint: {body}");
    }
    let target = format!("{}.istio-system", gw["metadata"]["name"].as_str().unwrap());
    let broken_row = |table: &str| {
        table
            .lines()
            .filter(|l| l.contains("outbound|8000||mixed"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let table = m
        .cli(&["proxy-config", "endpoints", &target])
        .ok()
        .to_string();
    let rows = broken_row(&table);
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains("UNHEALTHY") && r.contains("FAILED"))
            .count(),
        1,
        "one ejected:\n{table}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let table = m
        .cli(&["proxy-config", "endpoints", &target])
        .ok()
        .to_string();
    let rows = broken_row(&table);
    assert!(
        rows.iter()
            .all(|r| r.contains("HEALTHY") && !r.contains("UNHEALTHY")),
        "back after the ejection time:\n{table}"
    );
}

#[tokio::test]
async fn connection_pool_overflow_answers_503_uo() {
    let m = with_httpbin(DEFAULT, 1).await;
    apply_text(
        &m,
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: httpbin}\nspec:\n  host: httpbin\n  trafficPolicy:\n    connectionPool:\n      tcp: {maxConnections: 1}\n      http: {http1MaxPendingRequests: 1, http2MaxRequests: 1}\n",
    );
    until(&m, "/get", &[], |c, _| c == 200).await;
    gateway_has(&m, "clusters", &["httpbin.default", "httpbin.default "]).await;
    let answers = load(&m, "/delay/0.5", 8, 8).await;
    let overflowed = answers.iter().filter(|(c, _)| *c == 503).count();
    assert!(answers.iter().any(|(c, _)| *c == 200), "{answers:?}");
    assert!(overflowed >= 1, "{answers:?}");
    assert!(gateway_log(&m).contains(" 503 UO "), "{}", gateway_log(&m));
}
