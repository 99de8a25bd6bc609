//! What the layer tests share: requests and bodies, a real upstream on a loopback port, an
//! upstream made of a `tower::service_fn`, and proxies holding a config built here.

use super::error::ProxyError;
use super::forward::{self, Body};
use super::table::{Identity, Role};
use super::telemetry::Metrics;
use super::{Downstream, Proxy};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A request with an empty body.
pub fn request(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .body(forward::full(Bytes::new()))
        .expect("request")
}

/// A request as a listener on `port` hands it to the stack: origin form, `Host` set.
pub fn arriving(host: &str, path: &str, port: u16) -> Request<Body> {
    let mut req = request(path);
    req.headers_mut()
        .insert("host", host.parse().expect("host"));
    req.extensions_mut().insert(Downstream {
        local: SocketAddr::from(([127, 0, 0, 1], port)),
        remote: SocketAddr::from(([127, 0, 0, 1], 40000)),
        port,
        scheme: "http",
    });
    req
}

pub async fn body(resp: Response<Body>) -> String {
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A real HTTP server answering `<name> <METHOD> <path>`; `/status/N` answers N.
pub async fn upstream(name: &'static str) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(forward::serve(listener, move |req, _, _| async move {
        let path = req.uri().path().to_string();
        let status = path
            .strip_prefix("/status/")
            .and_then(|s| s.parse().ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        let mut resp = forward::text(status, format!("{name} {} {path}", req.method()));
        resp.headers_mut()
            .insert("connection", "keep-alive".parse().expect("value"));
        resp
    }));
    (addr, task)
}

/// What an in-memory upstream received.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<Request<()>>>>);

impl Seen {
    pub fn requests(&self) -> Vec<Request<()>> {
        let seen = self.0.lock().expect("lock");
        seen.iter()
            .map(|r| {
                let mut copy = Request::new(());
                *copy.method_mut() = r.method().clone();
                *copy.uri_mut() = r.uri().clone();
                *copy.headers_mut() = r.headers().clone();
                copy
            })
            .collect()
    }
}

/// An upstream made of a function: it records each request's head and answers with
/// `answer(n)` for the n-th request (0-based).
pub fn answering(
    answer: impl Fn(usize) -> Result<Response<Body>, ProxyError> + Send + Sync + Clone + 'static,
) -> (
    impl tower::Service<
            Request<Body>,
            Response = Response<Body>,
            Error = ProxyError,
            Future = impl Send,
        > + Clone
        + Send
        + 'static,
    Seen,
) {
    let seen = Seen::default();
    let log = seen.clone();
    let svc = tower::service_fn(move |req: Request<Body>| {
        let n = {
            let mut all = log.0.lock().expect("lock");
            all.push(req.map(|_| ()));
            all.len() - 1
        };
        let answer = answer.clone();
        async move { answer(n) }
    });
    (svc, seen)
}

/// A plain 200 answer.
pub fn ok(text: &str) -> Result<Response<Body>, ProxyError> {
    Ok(forward::text(StatusCode::OK, text.to_string()))
}

/// A response with this status.
pub fn status(code: u16) -> Result<Response<Body>, ProxyError> {
    Ok(forward::text(
        StatusCode::from_u16(code).expect("status"),
        String::new(),
    ))
}

/// A sidecar proxy in `default` whose config has Service `web` (port 80) with endpoints at
/// `endpoints` and, when given, a VirtualService for `web` with these `http` rules.
pub fn proxy(endpoints: &[SocketAddr], http: Option<Value>, dr: Option<Value>) -> Arc<Proxy> {
    let proxy = Proxy::new(
        Identity {
            role: Role::Sidecar,
            namespace: "default".into(),
            pod: "client-7d4b9c8f6d-x2x4z".into(),
            workload: "client".into(),
        },
        Arc::new(Metrics::new()),
    );
    let subsets: Vec<Value> = endpoints
        .iter()
        .map(|a| json!({"addresses": [{"ip": a.ip().to_string()}], "ports": [{"port": a.port()}]}))
        .collect();
    let mut config = json!({
        "services": [{"metadata": {"namespace": "default", "name": "web"},
                      "spec": {"clusterIP": "10.96.0.9", "ports": [{"port": 80, "protocol": "TCP"}]}}],
        "endpoints": [{"metadata": {"namespace": "default", "name": "web"}, "subsets": subsets}],
        "pods": [],
    });
    if let Some(http) = http {
        config["virtualservices"] = json!([{
            "metadata": {"namespace": "default", "name": "web"},
            "spec": {"hosts": ["web"], "http": http}
        }]);
    }
    if let Some(dr) = dr {
        config["destinationrules"] = json!([{
            "metadata": {"namespace": "default", "name": "web"},
            "spec": dr
        }]);
    }
    proxy.apply(&config);
    Arc::new(proxy)
}

/// A route to `web` with extra route fields (`timeout`, `retries`, `fault`, …).
pub fn route_with(extra: Value) -> Value {
    let mut rule = json!({"route": [{"destination": {"host": "web"}}]});
    if let (Some(rule), Some(extra)) = (rule.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            rule.insert(k.clone(), v.clone());
        }
    }
    json!([rule])
}
