//! End-to-end tests: real sidecars, a real config stream and tiny backends on loopback ports.

use super::*;
use crate::proxy::TARGET_PORT_HEADER;
use crate::xds::{self, Hub};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(5);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Serve `router` on `listener`; aborting the handle also drops its connections.
fn serve_router(listener: TcpListener, router: axum::Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                Ok((stream, _)) = listener.accept() => {
                    let svc = hyper_util::service::TowerToHyperService::new(router.clone());
                    conns.spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    })
}

async fn start_xds(hub: Hub, port: u16) -> JoinHandle<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind xds");
    serve_router(listener, xds::router(hub))
}

/// A backend answering `<name> <path> target=<x-meshlite-target-port> proto=<x-forwarded-proto>`;
/// `/slow` answers after 400 ms.
async fn backend(name: &'static str) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(forward::serve(
        listener,
        move |req: Request<Incoming>, _, _| async move {
            if req.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            let h = |n: &str| forward::header_text(req.headers(), n).unwrap_or_else(|| "-".into());
            let body = format!(
                "{name} {} target={} proto={} rid={}",
                req.uri(),
                h(TARGET_PORT_HEADER),
                h("x-forwarded-proto"),
                if h("x-request-id") == "-" {
                    "no"
                } else {
                    "yes"
                }
            );
            forward::text(hyper::StatusCode::OK, body)
        },
    ));
    (port, task)
}

struct Sidecar {
    settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// `N` distinct free ports: all held at once while choosing, so none is handed out twice.
fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let mut ports = [0; N];
    for (port, l) in ports.iter_mut().zip(&held) {
        *port = l.local_addr().expect("addr").port();
    }
    ports
}

fn settings(pod: &str, xds: u16, app_ports: &[(u16, u16)]) -> Settings {
    let [outbound, inbound, status, prometheus, merged] = free_ports();
    Settings {
        role: crate::proxy::table::Role::Sidecar,
        pod: pod.to_string(),
        namespace: "default".to_string(),
        xds: SocketAddr::from(([127, 0, 0, 1], xds)),
        outbound,
        inbound,
        status,
        prometheus,
        merged_prometheus: Some(merged),
        app_ports: app_ports.iter().copied().collect(),
    }
}

fn start(settings: Settings) -> Sidecar {
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run(settings.clone(), async move {
        let _ = rx.await;
    }));
    Sidecar {
        settings,
        stop: Some(stop),
        task,
    }
}

impl Sidecar {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = tokio::time::timeout(WAIT, &mut self.task).await;
        assert!(matches!(done, Ok(Ok(Ok(())))), "sidecar stops cleanly");
    }

    fn id(&self) -> String {
        format!("{}/{}", self.settings.namespace, self.settings.pod)
    }
}

/// Send `GET uri` to 127.0.0.1:`port` (absolute URIs make it a proxy request).
async fn get(port: u16, uri: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut req = Request::get(uri).header("user-agent", "test/1.0");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::new())).expect("request");
    let resp: Response<Incoming> = sender.send_request(req).await.expect("response");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn wait_ready(sc: &Sidecar) {
    for _ in 0..250 {
        if get(sc.settings.status, "/healthz/ready", &[]).await.0 == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("sidecar {} never became ready", sc.id());
}

fn service(name: &str, port: u16) -> Value {
    json!({"metadata": {"namespace": "default", "name": name},
           "spec": {"clusterIP": "10.96.0.1", "ports": [{"port": port, "protocol": "TCP"}]}})
}

/// A pod with a sidecar, as the control plane publishes it.
fn sidecar_pod(settings: &Settings) -> Value {
    let ports = json!({"15006": settings.inbound}).to_string();
    json!({"metadata": {"namespace": settings.namespace, "name": settings.pod,
                        "annotations": {crate::api::node::HOST_PORTS_ANNOTATION: ports}},
           "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}})
}

fn endpoints(name: &str, pods: &[(&str, u16)]) -> Value {
    let addresses: Vec<Value> = pods
        .iter()
        .map(|(pod, port)| json!({
            "addresses": [{"ip": "127.0.0.1", "targetRef": {"kind": "Pod", "name": pod, "namespace": "default"}}],
            "ports": [{"port": port, "protocol": "TCP"}]
        }))
        .collect();
    json!({"metadata": {"namespace": "default", "name": name}, "subsets": addresses})
}

/// The sum of `istio_requests_total` over the series whose labels include every one of `labels`.
fn count(metrics: &str, labels: &[&str]) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("istio_requests_total{") && labels.iter().all(|n| l.contains(n)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn readiness_routing_and_metrics() {
    let (a_port, _a) = backend("hello-a").await;
    let (b_port, _b) = backend("plain").await;
    let hub = Hub::new();
    let xds_port = free_port();
    let _xds = start_xds(hub.clone(), xds_port).await;

    let client = start(settings("sleep-7d4b9c8f6d-x2x4z", xds_port, &[]));
    let peer = start(settings(
        "hello-a",
        xds_port,
        &[(8080, free_port()), (5000, a_port)],
    ));

    // Nothing published yet: not ready, and outbound has no config.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, body) = get(client.settings.status, "/healthz/ready", &[]).await;
    assert_eq!(code, 503);
    assert!(body.contains("no configuration"), "{body}");
    let (code, body) = get(client.settings.outbound, "http://hello:5000/", &[]).await;
    assert_eq!(code, 503);
    assert!(body.starts_with("no healthy upstream"), "{body}");

    let version = hub.publish(json!({
        "services": [service("hello", 5000), service("plain", 80), service("empty", 80)],
        "endpoints": [
            endpoints("hello", &[("hello-a", a_port)]),
            endpoints("plain", &[("plain-1", b_port)]),
            endpoints("empty", &[]),
        ],
        "sidecars": {
            peer.id(): {"inbound": peer.settings.inbound},
            client.id(): {"inbound": client.settings.inbound},
        },
        "pods": [sidecar_pod(&peer.settings), sidecar_pod(&client.settings)],
    }));
    assert!(hub.wait_acked(&client.id(), &version, WAIT).await);
    assert!(hub.wait_acked(&peer.id(), &version, WAIT).await);
    wait_ready(&client).await;

    let cases: [(&str, u16, &str); 7] = [
        // Through the peer sidecar, which strips the target header before the app sees it.
        (
            "http://hello:5000/hi?x=1",
            200,
            "hello-a /hi?x=1 target=- proto=http rid=yes",
        ),
        (
            "http://hello.default.svc.cluster.local:5000/",
            200,
            "hello-a / target=- proto=http rid=yes",
        ),
        // No sidecar on the endpoint: straight there.
        (
            "http://plain/p",
            200,
            "plain /p target=- proto=http rid=yes",
        ),
        (
            &format!("http://127.0.0.1:{b_port}/direct"),
            200,
            "plain /direct target=- proto=http rid=yes",
        ),
        (
            "http://nope:80/",
            404,
            "meshlite proxy: no route: no virtual host for \"nope:80\"",
        ),
        ("http://empty/", 503, "no healthy upstream"),
        (
            "http://hello:9999/",
            404,
            "meshlite proxy: no route: no virtual host for \"hello:9999\"",
        ),
    ];
    for (uri, code, body_start) in cases {
        let (got_code, body) = get(client.settings.outbound, uri, &[]).await;
        assert_eq!(got_code, code, "{uri}: {body}");
        if got_code == 200 {
            assert_eq!(body, body_start, "{uri}");
        } else {
            assert!(body.starts_with(body_start), "{uri}: {body}");
        }
    }

    // The inbound listener only delivers to the pod's own ports.
    let (code, body) = get(peer.settings.inbound, "/x", &[(TARGET_PORT_HEADER, "1")]).await;
    assert_eq!(code, 403, "{body}");
    let (code, body) = get(
        peer.settings.inbound,
        "/x",
        &[(TARGET_PORT_HEADER, &a_port.to_string())],
    )
    .await;
    assert_eq!(
        (code, body.as_str()),
        (200, "hello-a /x target=- proto=- rid=yes")
    );

    // Metrics on both sides, on both Prometheus ports.
    let (code, metrics) = get(client.settings.prometheus, "/stats/prometheus", &[]).await;
    assert_eq!(code, 200);
    assert!(metrics.contains("envoy_server_live 1"), "{metrics}");
    let hello = [
        "reporter=\"source\"",
        "source_workload=\"sleep\"",
        "destination_service=\"hello.default.svc.cluster.local\"",
        "response_code=\"200\"",
        "request_protocol=\"http\"",
    ];
    assert_eq!(count(&metrics, &hello), 2, "{metrics}");
    let nope = [
        "destination_service=\"nope\"",
        "response_code=\"404\"",
        "response_flags=\"NR\"",
    ];
    assert_eq!(count(&metrics, &nope), 1, "{metrics}");
    let empty = [
        "destination_service=\"empty.default.svc.cluster.local\"",
        "response_code=\"503\"",
        "response_flags=\"UH\"",
    ];
    assert_eq!(count(&metrics, &empty), 1, "{metrics}");
    let merged = client.settings.merged_prometheus.expect("merged port");
    assert_eq!(get(merged, "/stats/prometheus", &[]).await.0, 200);
    let (_, peer_metrics) = get(peer.settings.prometheus, "/stats/prometheus", &[]).await;
    let inbound = [
        "reporter=\"destination\"",
        "source_workload=\"sleep\"",
        "destination_service=\"hello.default.svc.cluster.local\"",
        "response_code=\"200\"",
    ];
    assert_eq!(count(&peer_metrics, &inbound), 2, "{peer_metrics}");
    assert_eq!(get(client.settings.status, "/nope", &[]).await.0, 404);

    client.stop().await;
    peer.stop().await;
}

#[tokio::test]
async fn connect_failures_are_service_unavailable() {
    let hub = Hub::new();
    let xds_port = free_port();
    let _xds = start_xds(hub.clone(), xds_port).await;
    let sc = start(settings("c", xds_port, &[(80, free_port())]));
    let dead = free_port();
    let v = hub.publish(json!({
        "services": [service("dead", 80)],
        "endpoints": [endpoints("dead", &[("dead-1", dead)])],
    }));
    assert!(hub.wait_acked(&sc.id(), &v, WAIT).await);
    let (code, body) = get(sc.settings.outbound, "http://dead/", &[]).await;
    assert_eq!(code, 503, "{body}");
    assert!(
        body.starts_with("upstream connect error or disconnect/reset before headers"),
        "{body}"
    );
    // The inbound side: the app port is closed.
    let (code, _) = get(sc.settings.inbound, "/", &[]).await;
    assert_eq!(code, 503);
    // Origin-form requests and requests back to the proxy itself are refused.
    let (code, body) = get(sc.settings.outbound, "/relative", &[]).await;
    assert_eq!(code, 400, "{body}");
    let own = format!("http://127.0.0.1:{}/", sc.settings.outbound);
    assert_eq!(get(sc.settings.outbound, &own, &[]).await.0, 400);
    sc.stop().await;
}

#[tokio::test]
async fn config_swap_nack_and_in_flight_requests() {
    let (a_port, _a) = backend("a").await;
    let hub = Hub::new();
    let xds_port = free_port();
    let _xds = start_xds(hub.clone(), xds_port).await;
    let sc = start(settings("c", xds_port, &[]));
    let v1 = hub.publish(json!({
        "services": [service("hello", 80)],
        "endpoints": [endpoints("hello", &[("a-1", a_port)])],
    }));
    assert!(hub.wait_acked(&sc.id(), &v1, WAIT).await);

    // A request in flight while the Service disappears still completes on the old config.
    let outbound = sc.settings.outbound;
    let slow = tokio::spawn(async move { get(outbound, "http://hello/slow", &[]).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let v2 = hub.publish(json!({"services": [], "endpoints": []}));
    assert!(hub.wait_acked(&sc.id(), &v2, WAIT).await);
    assert_eq!(get(outbound, "http://hello/", &[]).await.0, 404);
    let (code, body) = slow.await.expect("join");
    assert_eq!(
        (code, body.as_str()),
        (200, "a /slow target=- proto=http rid=yes")
    );

    // A config that cannot be used is NACKed and the previous one keeps serving.
    let v3 = hub.publish(json!({"services": {}, "endpoints": []}));
    let mut nacked = None;
    for _ in 0..250 {
        let st = hub.status();
        if let Some(e) = st
            .iter()
            .find(|s| s.proxy == "c.default")
            .and_then(|s| s.error.clone())
        {
            nacked = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        nacked.as_deref(),
        Some("config field \"services\" must be an array of objects")
    );
    assert!(
        !hub.wait_acked(&sc.id(), &v3, Duration::from_millis(50))
            .await
    );
    let table = xds::status_table(&hub.status(), "1.0");
    assert!(table.contains("c.default   Kubernetes   STALE"), "{table}");
    assert_eq!(
        get(outbound, "http://hello/", &[]).await.0,
        404,
        "still on v2"
    );
    sc.stop().await;
}

#[tokio::test]
async fn control_plane_restart_keeps_serving_and_resyncs() {
    let (a_port, _a) = backend("a").await;
    let (b_port, _b) = backend("b").await;
    let hub = Hub::new();
    let xds_port = free_port();
    let xds_task = start_xds(hub.clone(), xds_port).await;
    let sc = start(settings("c", xds_port, &[]));
    let v1 = hub.publish(json!({
        "services": [service("hello", 80)],
        "endpoints": [endpoints("hello", &[("a-1", a_port)])],
    }));
    assert!(hub.wait_acked(&sc.id(), &v1, WAIT).await);
    assert!(hub.status().iter().any(|s| s.connected));

    xds_task.abort();
    let _ = xds_task.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (code, body) = get(sc.settings.outbound, "http://hello/", &[]).await;
    assert_eq!(
        (code, body.as_str()),
        (200, "a / target=- proto=http rid=yes")
    );

    // A new control plane starts its versions over; the sidecar takes them anyway.
    let hub2 = Hub::new();
    let _xds2 = start_xds(hub2.clone(), xds_port).await;
    let v = hub2.publish(json!({
        "services": [service("hello", 80), service("world", 80)],
        "endpoints": [endpoints("hello", &[("a-1", a_port)]), endpoints("world", &[("b-1", b_port)])],
    }));
    assert_eq!(v, "1");
    assert!(hub2.wait_acked(&sc.id(), &v, WAIT).await);
    let (code, body) = get(sc.settings.outbound, "http://world/", &[]).await;
    assert_eq!(
        (code, body.as_str()),
        (200, "b / target=- proto=http rid=yes")
    );
    let table = xds::status_table(&hub2.status(), "1.0");
    assert!(table.contains("c.default   Kubernetes   SYNCED"), "{table}");
    sc.stop().await;
}

#[test]
fn settings_from_env() {
    let base: Vec<(&str, &str)> = vec![
        ("POD_NAME", "web-1"),
        ("POD_NAMESPACE", "default"),
        ("MESHLITE_XDS", "127.0.0.1:15010"),
        ("PORT_15001", "30001"),
        ("PORT_15006", "30002"),
        ("PORT_15021", "30003"),
        ("PORT_15090", "30004"),
        ("PORT_8080", "30005"),
        ("PORT_9090", "30006"),
        ("OTHER", "x"),
    ];
    let lookup = |vars: Vec<(&'static str, &'static str)>| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let got = Settings::from_env(&lookup(base.clone())).expect("valid");
    assert_eq!(
        got,
        Settings {
            role: crate::proxy::table::Role::Sidecar,
            pod: "web-1".into(),
            namespace: "default".into(),
            xds: "127.0.0.1:15010".parse().expect("addr"),
            outbound: 30001,
            inbound: 30002,
            status: 30003,
            prometheus: 30004,
            merged_prometheus: None,
            app_ports: [(8080, 30005), (9090, 30006)].into_iter().collect(),
        }
    );
    let mut merged = base.clone();
    merged.push(("PORT_15020", "30007"));
    assert_eq!(
        Settings::from_env(&lookup(merged))
            .expect("valid")
            .merged_prometheus,
        Some(30007)
    );

    let cases: [(&str, Option<&'static str>, &str); 6] = [
        ("POD_NAME", None, "environment variable POD_NAME is not set"),
        (
            "POD_NAMESPACE",
            None,
            "environment variable POD_NAMESPACE is not set",
        ),
        (
            "MESHLITE_XDS",
            None,
            "environment variable MESHLITE_XDS is not set",
        ),
        (
            "MESHLITE_XDS",
            Some("nowhere"),
            "environment variable MESHLITE_XDS=\"nowhere\" is not a host:port address",
        ),
        (
            "PORT_15006",
            None,
            "environment variable PORT_15006 is not set",
        ),
        (
            "PORT_8080",
            Some("0"),
            "environment variable PORT_8080=\"0\" is not a port number (1-65535)",
        ),
    ];
    for (name, value, want) in cases {
        let mut vars: Vec<(&str, &str)> =
            base.iter().copied().filter(|(k, _)| *k != name).collect();
        if let Some(v) = value {
            vars.push((name, v));
        }
        assert_eq!(
            Settings::from_env(&lookup(vars)),
            Err(want.to_string()),
            "{name}"
        );
    }
}
