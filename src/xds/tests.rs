use super::*;
use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

async fn serve(hub: Hub) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(hub)).await;
    });
    addr
}

/// Open a config stream; each received line arrives parsed on the channel.
async fn open(
    addr: SocketAddr,
    proxy: &str,
) -> (
    u16,
    mpsc::UnboundedReceiver<Value>,
    tokio::task::JoinHandle<()>,
) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let req = Request::get(format!("/v1/config?proxy={proxy}"))
        .header("host", "xds")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let resp = sender.send_request(req).await.expect("response");
    let status = resp.status().as_u16();
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let _sender = sender;
        let mut body = resp.into_body();
        let mut buf = Vec::new();
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                buf.extend_from_slice(&data);
                while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=pos).collect();
                    if let Ok(v) = serde_json::from_slice(&line) {
                        let _ = tx.send(v);
                    }
                }
            }
        }
    });
    (status, rx, task)
}

async fn post_ack(addr: SocketAddr, body: Value) -> u16 {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let req = Request::post("/v1/ack")
        .header("host", "xds")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    sender
        .send_request(req)
        .await
        .expect("response")
        .status()
        .as_u16()
}

async fn recv(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("line in time")
        .expect("stream open")
}

fn find<'a>(statuses: &'a [ProxyStatus], proxy: &str) -> &'a ProxyStatus {
    statuses
        .iter()
        .find(|s| s.proxy == proxy)
        .expect("proxy listed")
}

#[tokio::test]
async fn stream_sends_current_then_newer_and_tracks_connection() {
    let hub = Hub::new();
    assert_eq!(hub.publish(json!({"n": 1})), "1");
    let addr = serve(hub.clone()).await;
    let (status, mut rx, task) = open(addr, "default/app-1").await;
    assert_eq!(status, 200);
    assert_eq!(
        recv(&mut rx).await,
        json!({"version": "1", "config": {"n": 1}})
    );
    assert!(find(&hub.status(), "app-1.default").connected);

    hub.publish(json!({"n": 2}));
    assert_eq!(
        recv(&mut rx).await,
        json!({"version": "2", "config": {"n": 2}})
    );
    let st = hub.status();
    assert_eq!(find(&st, "app-1.default").sent.as_deref(), Some("2"));

    task.abort();
    let _ = task.await;
    let mut disconnected = false;
    for _ in 0..100 {
        if !find(&hub.status(), "app-1.default").connected {
            disconnected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        disconnected,
        "closing the stream marks the proxy disconnected"
    );
}

#[tokio::test]
async fn stream_waits_for_first_publish_and_coalesces() {
    let hub = Hub::new();
    let addr = serve(hub.clone()).await;
    let (_, mut rx, _task) = open(addr, "ns/p").await;
    assert!(
        tokio::time::timeout(Duration::from_millis(200), rx.recv())
            .await
            .is_err(),
        "nothing is sent before the first publish"
    );
    assert_eq!(find(&hub.status(), "p.ns").sent, None);
    // Published back to back: the reader may see 1 first, but must end on 3 and never go back.
    hub.publish(json!({"n": 1}));
    hub.publish(json!({"n": 2}));
    hub.publish(json!({"n": 3}));
    let mut last = 0;
    while last < 3 {
        let v = recv(&mut rx).await;
        let n: u64 = v["version"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("version");
        assert!(n > last, "versions only increase");
        last = n;
    }
}

#[tokio::test]
async fn bad_proxy_id_is_rejected() {
    let hub = Hub::new();
    let addr = serve(hub.clone()).await;
    for bad in ["", "nopod", "/pod", "ns/", "a/b/c"] {
        let (status, _, _) = open(addr, bad).await;
        assert_eq!(status, 400, "{bad:?}");
    }
    assert!(hub.status().is_empty());
}

#[tokio::test]
async fn ack_and_nack_are_recorded() {
    let hub = Hub::new();
    hub.publish(json!({}));
    let addr = serve(hub.clone()).await;
    let (_, mut rx, _task) = open(addr, "default/a").await;
    recv(&mut rx).await;

    let code = post_ack(
        addr,
        json!({"proxy": "default/a", "version": "1", "error": null}),
    )
    .await;
    assert_eq!(code, 204);
    assert!(
        hub.wait_acked("default/a", "1", Duration::from_secs(1))
            .await
    );
    let st = hub.status();
    assert_eq!(find(&st, "a.default").acked.as_deref(), Some("1"));

    hub.publish(json!({"bad": true}));
    recv(&mut rx).await;
    let code = post_ack(
        addr,
        json!({"proxy": "default/a", "version": "2", "error": "bad config"}),
    )
    .await;
    assert_eq!(code, 204);
    let st = hub.status();
    let a = find(&st, "a.default");
    assert_eq!(a.acked.as_deref(), Some("1"), "a NACK does not ack");
    assert_eq!(a.error.as_deref(), Some("bad config"));
    assert_eq!(a.latest, "2");
    assert!(
        !hub.wait_acked("default/a", "2", Duration::from_millis(100))
            .await
    );

    // A later ACK clears the error.
    let code = post_ack(addr, json!({"proxy": "default/a", "version": "2"})).await;
    assert_eq!(code, 204);
    assert!(
        hub.wait_acked("default/a", "2", Duration::from_secs(1))
            .await
    );
    assert_eq!(find(&hub.status(), "a.default").error, None);

    for bad in [
        json!({"proxy": "nope", "version": "1"}),
        json!({"proxy": "default/a", "version": "x"}),
    ] {
        assert_eq!(post_ack(addr, bad.clone()).await, 400, "{bad}");
    }
    assert!(post_ack(addr, json!({"version": "1"})).await >= 400);
}

#[tokio::test]
async fn wait_acked_wakes_on_ack() {
    let hub = Hub::new();
    hub.publish(json!({}));
    let waiter = {
        let hub = hub.clone();
        tokio::spawn(async move { hub.wait_acked("ns/p", "1", Duration::from_secs(5)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    hub.ack("ns/p", "1", None).expect("ack");
    assert!(waiter.await.expect("join"));
    assert!(
        !hub.wait_acked("ns/p", "bogus", Duration::from_millis(10))
            .await
    );
}

fn st(
    proxy: &str,
    sent: Option<&str>,
    acked: Option<&str>,
    error: Option<&str>,
    latest: &str,
) -> ProxyStatus {
    ProxyStatus {
        proxy: proxy.to_string(),
        connected: true,
        sent: sent.map(str::to_string),
        acked: acked.map(str::to_string),
        error: error.map(str::to_string),
        latest: latest.to_string(),
        since: Utc::now(),
    }
}

#[test]
fn status_table_layout() {
    let rows = [
        st(
            "productpage-v1-abc.default",
            Some("3"),
            Some("3"),
            None,
            "3",
        ),
        st("details-v1-xyz.default", Some("3"), Some("2"), None, "3"),
        st("new.default", None, None, None, "3"),
        st("bad.default", Some("3"), Some("2"), Some("nope"), "3"),
    ];
    let want = "\
NAME                         CLUSTER      CDS        LDS        EDS        RDS        ECDS       ISTIOD     VERSION
bad.default                  Kubernetes   STALE      STALE      STALE      STALE      NOT SENT   meshlite   1.0
details-v1-xyz.default       Kubernetes   STALE      STALE      STALE      STALE      NOT SENT   meshlite   1.0
new.default                  Kubernetes   NOT SENT   NOT SENT   NOT SENT   NOT SENT   NOT SENT   meshlite   1.0
productpage-v1-abc.default   Kubernetes   SYNCED     SYNCED     SYNCED     SYNCED     NOT SENT   meshlite   1.0
";
    assert_eq!(status_table(&rows, "1.0"), want);
}

#[test]
fn status_table_empty_has_header_only() {
    assert_eq!(
        status_table(&[], "v"),
        "NAME   CLUSTER   CDS   LDS   EDS   RDS   ECDS   ISTIOD   VERSION\n"
    );
}

#[test]
fn proxy_ids() {
    let cases: [(&str, Option<(&str, &str)>); 6] = [
        ("ns/pod", Some(("ns", "pod"))),
        ("default/a-b-c", Some(("default", "a-b-c"))),
        ("", None),
        ("ns", None),
        ("ns/", None),
        ("a/b/c", None),
    ];
    for (id, want) in cases {
        assert_eq!(parse_proxy_id(id).ok(), want, "{id:?}");
    }
}
