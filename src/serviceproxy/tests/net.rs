//! Socket tests on 127.0.0.1 (port 0 everywhere): listeners and the resolver proxy.

use super::*;
use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A backend that answers every connection with its name, then closes.
async fn name_server(name: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let a = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.write_all(name.as_bytes()).await;
        }
    });
    a
}

/// An address nothing listens on.
async fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    l.local_addr().expect("addr")
}

async fn read_all(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut out = String::new();
    let r = tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out)).await;
    assert!(r.is_ok(), "read timed out");
    out
}

fn frontend(service: &str, bind: Bind, backends: Vec<SocketAddr>) -> Frontend {
    Frontend {
        namespace: "default".into(),
        service: service.into(),
        port: 80,
        port_name: None,
        bind,
        backends,
    }
}

fn bound_addr(b: &Bound) -> SocketAddr {
    match &b.result {
        Ok(a) => *a,
        Err(e) => panic!("{} did not bind: {e}", b.service),
    }
}

#[tokio::test]
async fn listener_spreads_over_backends() {
    let (a, b) = (name_server("a").await, name_server("b").await);
    let proxy = ServiceProxy::new();
    let bound = proxy.sync(vec![frontend("web", CLUSTER, vec![a, b])]).await;
    let addr = bound_addr(&bound[0]);
    assert!(addr.ip().is_loopback());
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(read_all(addr).await);
    }
    got.sort();
    assert_eq!(got, ["a", "a", "b", "b"]);
}

#[tokio::test]
async fn listener_fails_over_to_live_backend() {
    let (dead, live) = (dead_addr().await, name_server("live").await);
    let proxy = ServiceProxy::new();
    let bound = proxy
        .sync(vec![frontend("web", CLUSTER, vec![dead, live, dead])])
        .await;
    let addr = bound_addr(&bound[0]);
    for _ in 0..5 {
        assert_eq!(read_all(addr).await, "live");
    }
}

#[tokio::test]
async fn listener_without_backends_closes_connections() {
    let proxy = ServiceProxy::new();
    let bound = proxy.sync(vec![frontend("web", CLUSTER, vec![])]).await;
    assert_eq!(read_all(bound_addr(&bound[0])).await, "");
}

#[tokio::test]
async fn a_connection_waits_briefly_for_a_backend_to_appear() {
    let proxy = ServiceProxy::new();
    let bound = proxy.sync(vec![frontend("web", CLUSTER, vec![])]).await;
    let addr = bound_addr(&bound[0]);
    let reader = tokio::spawn(read_all(addr));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let a = name_server("a").await;
    proxy.sync(vec![frontend("web", CLUSTER, vec![a])]).await;
    assert_eq!(reader.await.expect("reader"), "a");
}

#[tokio::test]
async fn port_in_use_is_reported_and_retried() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = holder.local_addr().expect("addr").port();
    let a = name_server("a").await;
    let proxy = ServiceProxy::new();
    let bound = proxy
        .sync(vec![
            frontend("web", Bind::NodePort(taken), vec![a]),
            frontend("web", CLUSTER, vec![a]),
        ])
        .await;
    assert_eq!(
        bound[0].result,
        Err(format!("127.0.0.1:{taken} is in use by another program"))
    );
    assert_eq!(read_all(bound_addr(&bound[1])).await, "a");

    drop(holder);
    let bound = proxy
        .sync(vec![frontend("web", Bind::NodePort(taken), vec![a])])
        .await;
    assert_eq!(
        bound[0].result,
        Ok(SocketAddr::from(([127, 0, 0, 1], taken)))
    );
    assert_eq!(read_all(bound_addr(&bound[0])).await, "a");
}

#[tokio::test]
async fn preferred_cluster_port_used_when_free_else_any() {
    let free = dead_addr().await.port();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = holder.local_addr().expect("addr").port();
    let proxy = ServiceProxy::new();
    let bound = proxy
        .sync(vec![
            frontend(
                "a",
                Bind::ClusterPort {
                    preferred: Some(free),
                },
                vec![],
            ),
            frontend(
                "b",
                Bind::ClusterPort {
                    preferred: Some(taken),
                },
                vec![],
            ),
        ])
        .await;
    assert_eq!(bound_addr(&bound[0]).port(), free);
    let fallback = bound_addr(&bound[1]).port();
    assert_ne!(fallback, taken);
    assert_ne!(fallback, 0);
}

#[tokio::test]
async fn backend_swap_keeps_the_listener() {
    let (a, b) = (name_server("a").await, name_server("b").await);
    let proxy = ServiceProxy::new();
    let first = bound_addr(&proxy.sync(vec![frontend("web", CLUSTER, vec![a])]).await[0]);
    assert_eq!(read_all(first).await, "a");
    let second = bound_addr(&proxy.sync(vec![frontend("web", CLUSTER, vec![b])]).await[0]);
    assert_eq!(first, second, "same listener");
    assert_eq!(read_all(second).await, "b");
}

#[tokio::test]
async fn removed_listeners_and_dropped_proxy_close() {
    let a = name_server("a").await;
    let proxy = ServiceProxy::new();
    let bound = proxy
        .sync(vec![
            frontend("x", CLUSTER, vec![a]),
            frontend("y", CLUSTER, vec![a]),
        ])
        .await;
    let (x, y) = (bound_addr(&bound[0]), bound_addr(&bound[1]));
    let bound = proxy.sync(vec![frontend("y", CLUSTER, vec![a])]).await;
    assert_eq!(bound_addr(&bound[0]), y);
    assert!(
        TcpStream::connect(x).await.is_err(),
        "removed listener still accepts"
    );
    assert_eq!(read_all(y).await, "a");

    drop(proxy);
    let mut closed = false;
    for _ in 0..100 {
        if TcpStream::connect(y).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed, "dropping the proxy leaves a listener open");
}

// --- resolver ---

/// An HTTP backend echoing what it received as `method path host auth body`.
async fn echo_server(name: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let a = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: Request<hyper::body::Incoming>| async move {
                        let head = format!(
                            "{name} {} {} host={} auth={}",
                            req.method(),
                            req.uri(),
                            req.headers()
                                .get("host")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-"),
                            req.headers().contains_key("proxy-authorization"),
                        );
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let text = format!("{head} body={}", String::from_utf8_lossy(&body));
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(
                            text,
                        ))))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    a
}

struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(proxy: SocketAddr) -> Client {
        let s = TcpStream::connect(proxy).await.expect("connect proxy");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Client { sender }
    }

    async fn send(
        &mut self,
        method: &str,
        uri: &str,
        auth: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(user) = auth {
            use base64::Engine as _;
            let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:x"));
            req = req.header("proxy-authorization", format!("Basic {creds}"));
        }
        let host = uri.split('/').nth(2).unwrap_or("");
        let req = req
            .header("host", host)
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request");
        self.sender.ready().await.expect("ready");
        let resp = self.sender.send_request(req).await.expect("response");
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

#[tokio::test]
async fn resolver_forwards_and_explains_failures() {
    let (web, shop) = (echo_server("web").await, echo_server("shop").await);
    let dead = dead_addr().await;
    let ep = |ns: &str, name: &str, ports: &[u16]| {
        let subsets: Vec<Value> = ports
            .iter()
            .map(|p| json!({"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": p}]}))
            .collect();
        eps(ns, name, json!(subsets))
    };
    let registry = Registry::new(
        &[
            svc(
                "default",
                "web",
                json!({"clusterIP": "10.96.0.10", "ports": [{"port": 8000}]}),
            ),
            svc(
                "shop",
                "web",
                json!({"clusterIP": "10.96.0.11", "ports": [{"port": 80}]}),
            ),
            svc(
                "default",
                "empty",
                json!({"clusterIP": "10.96.0.12", "ports": [{"port": 80}]}),
            ),
            svc(
                "default",
                "down",
                json!({"clusterIP": "10.96.0.13", "ports": [{"port": 80}]}),
            ),
        ],
        &[
            ep("default", "web", &[dead.port(), web.port()]),
            ep("shop", "web", &[shop.port()]),
            ep("default", "down", &[dead.port()]),
        ],
    );
    let registry = Arc::new(ArcSwap::from_pointee(registry));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let proxy = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve(listener, registry.clone()));

    // One client connection, kept alive across all requests.
    let mut c = Client::connect(proxy).await;
    let direct = format!("http://127.0.0.1:{}/direct", web.port());
    // (method, url, namespace in Proxy-Authorization, body, status, response body)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, u16, String);
    let cases: Vec<Case> = vec![
        ("GET", "http://web:8000/get?x=1", None, "", 200, "web GET /get?x=1 host=web:8000 auth=false body=".into()),
        ("GET", "http://web:8000/again", None, "", 200, "web GET /again host=web:8000 auth=false body=".into()),
        ("POST", "http://web.default.svc.cluster.local:8000/post", Some("default"), "hello", 200,
         "web POST /post host=web.default.svc.cluster.local:8000 auth=false body=hello".into()),
        ("PUT", "http://web/put", Some("shop"), "in shop", 200, "shop PUT /put host=web auth=false body=in shop".into()),
        ("GET", "http://10.96.0.11/ip", None, "", 200, "shop GET /ip host=10.96.0.11 auth=false body=".into()),
        ("GET", direct.as_str(), None, "", 200,
         format!("web GET /direct host=127.0.0.1:{} auth=false body=", web.port())),
        ("GET", "http://reviews/", None, "", 502, "meshlite: no Service \"reviews\" in namespace \"default\"\n".into()),
        ("GET", "http://reviews/", Some("shop"), "", 502, "meshlite: no Service \"reviews\" in namespace \"shop\"\n".into()),
        ("GET", "http://web:9999/", None, "", 502,
         "meshlite: Service \"web\" in namespace \"default\" has no port 9999 (its ports: 8000)\n".into()),
        ("GET", "http://empty/", None, "", 502,
         "meshlite: Service \"empty\" in namespace \"default\" port 80 has no ready endpoints\n".into()),
        ("GET", "/relative", None, "", 400,
         "meshlite: requests to the resolver must use an absolute http:// URL (set HTTP_PROXY to use it)\n".into()),
    ];
    for (method, uri, auth, body, want_status, want_body) in cases {
        let (status, got) = c.send(method, uri, auth, body).await;
        assert_eq!(
            (status, got.as_str()),
            (want_status, want_body.as_str()),
            "{method} {uri}"
        );
    }

    // Every backend refused: the message names each attempt (OS wording varies).
    let (status, body) = c.send("GET", "http://down/", None, "").await;
    assert_eq!(status, 502);
    let prefix = format!("meshlite: cannot connect to down: {dead}: ");
    assert!(body.starts_with(&prefix), "{body}");

    // The resolver does not forward to itself.
    let (status, body) = c
        .send(
            "GET",
            &format!("http://127.0.0.1:{}/", proxy.port()),
            None,
            "",
        )
        .await;
    assert_eq!(
        (status, body.as_str()),
        (
            502,
            format!("meshlite: refusing to forward to the resolver itself ({proxy})\n").as_str()
        )
    );

    // The registry can be swapped while serving.
    registry.store(Arc::new(Registry::default()));
    let (status, body) = c.send("GET", "http://web:8000/", None, "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            502,
            "meshlite: no Service \"web\" in namespace \"default\"\n"
        )
    );

    server.abort();
}

#[tokio::test]
async fn resolver_refuses_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let proxy = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve(
        listener,
        Arc::new(ArcSwap::from_pointee(Registry::default())),
    ));
    let mut s = TcpStream::connect(proxy).await.expect("connect");
    s.write_all(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("timely")
        .expect("read");
    let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default());
    assert!(text.starts_with("HTTP/1.1 405"), "{text}");
    assert!(
        text.contains("HTTPS through the resolver is not supported"),
        "{text}"
    );
    server.abort();
}

#[test]
fn proxy_is_shareable_across_tasks() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<ServiceProxy>();
    assert_send_sync::<Registry>();
}
