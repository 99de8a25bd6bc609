//! Heap allocations per request through the gateway's data path, counted by a global
//! allocator in this process: a hyper client sends the same requests to a local upstream
//! directly and through a gateway stack (`meshlite::proxy::stack::gateway`) served on its own
//! listener; the difference per request is what the proxy allocates.
//!
//! Run with: `cargo bench --bench allocs >/dev/null` (figures on stderr; the gateway's access
//! log goes to stdout; asserts nothing).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use meshlite::proxy::table::{Identity, Role};
use meshlite::proxy::telemetry::Metrics;
use meshlite::proxy::{forward, listen, stack, Proxy};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY is the system allocator's: every call is passed straight to it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const REQUESTS: u64 = 20_000;

async fn per_request(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
    url: &str,
    host: &str,
) -> f64 {
    let send = || async {
        let req = hyper::Request::get(url)
            .header("host", host)
            .body(Empty::<Bytes>::new())
            .expect("request");
        let resp = client.request(req).await.expect("answer");
        assert_eq!(resp.status(), 200, "{url}");
        resp.into_body().collect().await.expect("body");
    };
    for _ in 0..1000 {
        send().await;
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..REQUESTS {
        send().await;
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / REQUESTS as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let upstream = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let up = upstream.local_addr().expect("addr");
        tokio::spawn(forward::serve(upstream, |_req, _, _| async {
            forward::text(hyper::StatusCode::OK, "hello".to_string())
        }));

        let proxy = Proxy::new(
            Identity {
                role: Role::Gateway,
                namespace: "istio-system".into(),
                pod: "istio-ingressgateway-5d8f7b9c4-abcde".into(),
                workload: "istio-ingressgateway".into(),
            },
            Arc::new(Metrics::new()),
        );
        proxy.apply(&json!({
            "pods": [{"metadata": {"namespace": "istio-system", "name": "istio-ingressgateway-5d8f7b9c4-abcde", "labels": {"istio": "ingressgateway"}}}],
            "services": [
                {"metadata": {"namespace": "istio-system", "name": "istio-ingressgateway"},
                 "spec": {"selector": {"istio": "ingressgateway"}, "ports": [{"port": 80, "targetPort": 8080}]}},
                {"metadata": {"namespace": "default", "name": "web"},
                 "spec": {"clusterIP": "10.96.0.9", "ports": [{"port": 80}]}}],
            "endpoints": [{"metadata": {"namespace": "default", "name": "web"},
                           "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": up.port()}]}]}],
            "gateways": [{"metadata": {"namespace": "default", "name": "gw"},
                          "spec": {"selector": {"istio": "ingressgateway"},
                                   "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}}],
            "virtualservices": [{"metadata": {"namespace": "default", "name": "web"},
                                 "spec": {"hosts": ["web.local"], "gateways": ["gw"],
                                          "http": [{"route": [{"destination": {"host": "web", "port": {"number": 80}}}]}]}},
                                {"metadata": {"namespace": "default", "name": "once"},
                                 "spec": {"hosts": ["once.local"], "gateways": ["gw"],
                                          "http": [{"retries": {"attempts": 0},
                                                    "route": [{"destination": {"host": "web", "port": {"number": 80}}}]}]}}],
        }));
        let proxy = Arc::new(proxy);
        let gateway = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let gw = gateway.local_addr().expect("addr");
        tokio::spawn(listen::serve(stack::gateway(&proxy), gateway, 8080, Some(proxy.clone())));

        // Baseline: the least a hyper proxy does (server, pooled client, nothing else).
        let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let plain_addr = plain.local_addr().expect("addr");
        let pooled = Client::builder(TokioExecutor::new()).build_http::<forward::Body>();
        tokio::spawn(forward::serve(plain, move |req, _, _| {
            let pooled = pooled.clone();
            async move {
                let (mut parts, body) = req.into_parts();
                parts.uri = format!("http://{up}/").parse().expect("uri");
                let req = hyper::Request::from_parts(parts, body.boxed());
                match pooled.request(req).await {
                    Ok(resp) => resp.map(|b| b.boxed()),
                    Err(e) => forward::text(hyper::StatusCode::BAD_GATEWAY, e.to_string()),
                }
            }
        }));

        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let direct = per_request(&client, &format!("http://{up}/"), "web").await;
        let bare = per_request(&client, &format!("http://{plain_addr}/"), "web").await;
        let through = per_request(&client, &format!("http://{gw}/"), "web.local").await;
        let once = per_request(&client, &format!("http://{gw}/"), "once.local").await;
        eprintln!("allocations per request ({REQUESTS} sequential GETs, in one process):");
        eprintln!("  client → upstream directly:                 {direct:.1}");
        eprintln!("  client → bare hyper forwarder → upstream:   {bare:.1}  (a proxy doing nothing else: {:.1})", bare - direct);
        eprintln!("  client → gateway stack → upstream:          {through:.1}  (the gateway: {:.1})", through - direct);
        eprintln!("  the gateway's layers over the bare forwarder: {:.1}", through - bare);
        eprintln!("  a route with retries off (nothing kept to send again): {once:.1}  (the gateway: {:.1})", once - direct);
    });
}
